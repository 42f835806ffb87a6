"""The one module that runs torch: backbone + heads, loaded once per process, batched.

`run_net(rgbs)` returns one `NetOutputs` per photo. CPU by default, CUDA when
present; `set_threads(n)` (or AUDITOR_TORCH_THREADS) sets torch's CPU threads.
`run_defects_zoomed(rgbs, box)` is the defect head's closer look at one part of each photo.
`use_weights(path)` switches to other head weights (a folder of <head>.pt files, or
one head file) for `auditor evaluate --weights`.
"""
from __future__ import annotations

import os
import threading
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np
import torch

from auditor.checks.netsignal import NetOutputs
from models.backbone import LiteBackbone, input_size_for, prepare, resized_tensor
from models.heads import HEAD_NAMES, decode_people, load_head

DEFAULT_WEIGHTS_DIR = Path(__file__).resolve().parent.parent / "models" / "weights"
PERSON_CANDIDATE_THRESHOLD = 0.15  # checks apply their own, higher, threshold

_lock = threading.Lock()
_weights: dict[str, Path] = {}  # head -> file, overriding the default folder
_model: "NetModel | None" = None


@dataclass(frozen=True, eq=False)
class NetModel:
    backbone: LiteBackbone
    heads: dict  # head name -> nn.Module
    paths: dict  # head name -> str path
    device: torch.device


def set_threads(n: int) -> None:
    """Number of CPU threads torch may use (1 for the one-core benchmark)."""
    torch.set_num_threads(max(1, int(n)))


def use_weights(path: str | Path) -> None:
    """Use head weights from `path`: a folder of <head>.pt files or a single head file.

    Logo detectors (logo_detector_<brand>.pt, in the folder or as the file) replace that
    brand's detector. Heads missing from a folder keep the shipped weights. The models
    reload on next use.
    """
    global _model
    p = Path(path)
    detectors: dict[str, Path] = {}
    if p.is_dir():
        found = {h: p / f"{h}.pt" for h in HEAD_NAMES if (p / f"{h}.pt").is_file()}
        detectors = _logo_detector_files(sorted(p.glob("logo_detector_*.pt")))
        if not found and not detectors:
            raise FileNotFoundError(f"{p}: no head weights ({', '.join(h + '.pt' for h in HEAD_NAMES)}, "
                                    "logo_detector_<brand>.pt) in this folder")
    elif p.is_file() and p.name.startswith("logo_detector"):
        found, detectors = {}, _logo_detector_files([p])
    elif p.is_file():
        name, _, _ = load_head(p)
        found = {name: p}
    else:
        raise FileNotFoundError(f"{p}: no such weights file or folder")
    with _lock:
        _weights.update(found)
        _model = None
    for brand_id, f in detectors.items():
        use_logo_detector(brand_id, f)


def _logo_detector_files(files: Sequence[Path]) -> dict[str, Path]:
    """brand id -> file, for logo detector weights files (each loaded once: a foreign or corrupt file raises)."""
    from models.logo_detector import LogoDetector

    out = {}
    for f in files:
        brand_id = LogoDetector.load(f).meta.get("brand")
        if not brand_id:
            raise ValueError(f"{f}: logo detector weights that name no brand")
        out[brand_id] = f
    return out


def reset_weights() -> None:
    """Back to the shipped weights (models/weights/), logo detectors included."""
    global _model
    with _lock:
        _weights.clear()
        _model = None
    with _logo_lock:
        _logo_detector_paths.clear()
        _logo_detectors.clear()


def get_model() -> NetModel:
    """The backbone and heads, loaded on first call and shared afterwards."""
    global _model
    with _lock:
        if _model is None:
            if os.environ.get("AUDITOR_TORCH_THREADS"):
                set_threads(int(os.environ["AUDITOR_TORCH_THREADS"]))
            device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
            heads, paths = {}, {}
            for name in HEAD_NAMES:
                path = _weights.get(name, DEFAULT_WEIGHTS_DIR / f"{name}.pt")
                if path.is_file():
                    _, head, _ = load_head(path)
                    heads[name] = head.to(device)
                    paths[name] = str(path)
            _model = NetModel(LiteBackbone().to(device), heads, paths, device)
        return _model


def run_net(rgbs: Sequence[np.ndarray], batch_size: int = 8) -> list[NetOutputs]:
    """Network outputs for HxWx3 uint8 RGB photos (batched by input shape)."""
    model = get_model()
    prepared = [prepare(rgb) for rgb in rgbs]
    results: list[NetOutputs | None] = [None] * len(rgbs)
    by_shape: dict[tuple, list[int]] = defaultdict(list)
    for i, p in enumerate(prepared):
        by_shape[tuple(p.tensor.shape)].append(i)
    with torch.inference_mode():
        for idx in by_shape.values():
            for s in range(0, len(idx), batch_size):
                chunk = idx[s:s + batch_size]
                x = torch.stack([prepared[i].tensor for i in chunk]).to(model.device)
                dense, pooled = model.backbone(x)
                outs = {n: h(pooled if n == "area" else dense).float().cpu().numpy() for n, h in model.heads.items()}
                for k, i in enumerate(chunk):
                    results[i] = _outputs_for(outs, k, prepared[i].photo_size, x.shape[-1], x.shape[-2], model.paths)
    return results  # type: ignore[return-value]


def run_defects_zoomed(rgbs: Sequence[np.ndarray], box_frac: tuple[float, float, float, float],
                       zoom: float = 2.0, batch_size: int = 8) -> list[np.ndarray | None]:
    """The defect head's second, closer look: per-cell probabilities (7, gh, gw) over one part of each photo.

    box_frac: (x0, y0, x1, y1) of the part, as fractions of the photo; it is resized to `zoom`
    times the backbone's usual scale for the photo (the ground band at 2x: small litter and
    stains cover a few cells instead of part of one). None per photo when the clean head has no
    weights. The stride-32 "pooled" head convolution is skipped: only dense features are needed.
    """
    model = get_model()
    head = model.heads.get("clean")
    if head is None:
        return [None] * len(rgbs)
    tensors = [_prepare_part(rgb, box_frac, zoom) for rgb in rgbs]
    results: list[np.ndarray | None] = [None] * len(rgbs)
    by_shape: dict[tuple, list[int]] = defaultdict(list)
    for i, t in enumerate(tensors):
        by_shape[tuple(t.shape)].append(i)
    with torch.inference_mode():
        for idx in by_shape.values():
            for s in range(0, len(idx), batch_size):
                chunk = idx[s:s + batch_size]
                x = torch.stack([tensors[i] for i in chunk]).to(model.device)
                logits = head(model.backbone.dense(x)).float().cpu().numpy()
                for k, i in enumerate(chunk):
                    results[i] = (1.0 / (1.0 + np.exp(-logits[k]))).astype(np.float32)
    return results


def _prepare_part(rgb: np.ndarray, box_frac, zoom: float) -> torch.Tensor:
    """Normalised (3, h, w) tensor of a part of the photo at `zoom` x the backbone's scale for the
    whole photo (sides rounded to multiples of 32, the backbone's stride)."""
    H, W = rgb.shape[:2]
    w, h = input_size_for(W, H)
    fx0, fy0, fx1, fy1 = box_frac
    x0, y0, x1, y1 = int(fx0 * W), int(fy0 * H), max(int(fx0 * W) + 1, int(fx1 * W)), max(int(fy0 * H) + 1, int(fy1 * H))
    pw = max(32, int(round(w * zoom * (x1 - x0) / W / 32)) * 32)
    ph = max(32, int(round(h * zoom * (y1 - y0) / H / 32)) * 32)
    return resized_tensor(rgb[y0:y1, x0:x1], pw, ph)


def _outputs_for(outs: dict, k: int, photo_wh: tuple[int, int], in_w: int, in_h: int, paths: dict) -> NetOutputs:
    area = defects = boxes = scores = centre = None
    if "area" in outs:
        z = outs["area"][k]
        e = np.exp(z - z.max())
        area = (e / e.sum()).astype(np.float32)
    if "clean" in outs:
        defects = (1.0 / (1.0 + np.exp(-outs["clean"][k]))).astype(np.float32)
    if "people" in outs:
        o = outs["people"][k]
        centre = 1.0 / (1.0 + np.exp(-o[0]))
        boxes, scores = decode_people(centre, o[1:], (in_w, in_h), threshold=PERSON_CANDIDATE_THRESHOLD)
        boxes = boxes * np.array([photo_wh[0] / in_w, photo_wh[1] / in_h] * 2, np.float32)
    return NetOutputs(photo_wh, area, defects, boxes, scores, None if centre is None else centre.astype(np.float32),
                      dict(paths))


# --------------------------------------------------------------------------- logo verifier
# The brand-agnostic logo verifier (models/logo_verifier.py, trained on synthetic logos):
# re-scores geometric logo matches. Loaded lazily, once per process.

LOGO_VERIFIER_WEIGHTS = DEFAULT_WEIGHTS_DIR / "logo_verifier.pt"
_logo_lock = threading.Lock()
_logo_verifier = None


def _get_logo_verifier():
    global _logo_verifier
    with _logo_lock:
        if _logo_verifier is None:
            from models.logo_verifier import LogoVerifier

            if os.environ.get("AUDITOR_TORCH_THREADS"):
                set_threads(int(os.environ["AUDITOR_TORCH_THREADS"]))
            _logo_verifier = LogoVerifier.load(LOGO_VERIFIER_WEIGHTS)
        return _logo_verifier


def verify_logo(crops_rgb: Sequence[np.ndarray], references_rgba: Sequence[np.ndarray]) -> np.ndarray:
    """Probability that each crop shows each reference's mark: (len(crops), len(refs)) float32 in [0, 1].

    crops_rgb: HxWx3 uint8 RGB photo crops (e.g. a match's quad warped to a square);
    references_rgba: HxWx4 uint8 RGBA artwork (alpha 0 outside the mark) or opaque photos.
    """
    v = _get_logo_verifier()
    with _logo_lock:
        return v.score(crops_rgb, references_rgba)


def logo_verifier_threshold() -> float:
    """Decision threshold stored with the verifier weights (chosen on held-out synthetic pairs)."""
    return _get_logo_verifier().threshold


# --------------------------------------------------------------------------- logo detector
# The per-brand logo detector (models/logo_detector.py, weights models/weights/logo_detector_<brand>.pt):
# proposes boxes of the brand's current mark. Loaded lazily per brand; weights trained on other
# artwork than the pack's (a changed pack) are refused, and the caller falls back to local features.

_logo_detectors: dict[str, object] = {}
_logo_detector_paths: dict[str, Path] = {}  # brand id -> weights file, overriding the default


def use_logo_detector(brand_id: str, path: str | Path | None) -> None:
    """Use the detector weights at `path` for `brand_id` (None: back to models/weights/logo_detector_<id>.pt)."""
    with _logo_lock:
        if path is None:
            _logo_detector_paths.pop(brand_id, None)
        else:
            _logo_detector_paths[brand_id] = Path(path)
        _logo_detectors.pop(brand_id, None)


def _get_logo_detector(brand_id: str, artwork_sha256: str):
    from models.logo_detector import LogoDetector, weights_path

    with _logo_lock:
        if brand_id not in _logo_detectors:
            path = _logo_detector_paths.get(brand_id, weights_path(brand_id))
            det = None
            if path.is_file():
                if os.environ.get("AUDITOR_TORCH_THREADS"):
                    set_threads(int(os.environ["AUDITOR_TORCH_THREADS"]))
                det = LogoDetector.load(path)
            _logo_detectors[brand_id] = det
        det = _logo_detectors[brand_id]
    if det is not None and det.meta.get("artwork_sha256") != artwork_sha256:
        raise ValueError(f"logo detector of brand '{brand_id}' was trained on other artwork than the pack's "
                         f"(retrain: auditor train --head logo --brand {brand_id})")
    return det


def has_logo_detector(brand_id: str) -> bool:
    from models.logo_detector import weights_path

    return _logo_detector_paths.get(brand_id, weights_path(brand_id)).is_file()


def detect_logos(rgb: np.ndarray, brand_id: str, artwork_sha256: str, threshold: float,
                 top_k: int = 8) -> list[tuple[tuple[float, float, float, float], float]] | None:
    """Boxes (xyxy, photo pixels) and heat scores (0..1) of the brand's current mark on `rgb` (HxWx3 uint8).

    None when the brand has no trained detector. Raises ValueError for stale weights.
    """
    det = _get_logo_detector(brand_id, artwork_sha256)
    if det is None:
        return None
    with _logo_lock:
        found = det.detect(rgb, threshold, top_k)
    return [(d.box_xyxy, d.score) for d in found]


def refine_logo_box(rgb: np.ndarray, brand_id: str, artwork_sha256: str,
                    box_xyxy: tuple[float, float, float, float]) -> tuple[tuple[float, float, float, float], float] | None:
    """The detector's second, closer look at one proposal: (box xyxy, heat) or None."""
    det = _get_logo_detector(brand_id, artwork_sha256)
    if det is None:
        return None
    with _logo_lock:
        found = det.refine(rgb, box_xyxy)
    return None if found is None else (found.box_xyxy, found.score)
