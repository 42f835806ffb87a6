"""`auditor train`: train the network heads from labelled sets (spec/labels.md format).

    train(set_dirs, head="all", out="models/weights", brand=None, ...) -> report dict

Reads every photo of the sets' labels.json, splits off a validation share (or uses
`val_dirs`), and hands the samples to `models.train.train_heads`, which writes
`<out>/<head>.pt` and the model card `<out>/<head>.md`.
"""
from __future__ import annotations

import functools
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

import numpy as np

# Photos are decoded at most this long side for training. The backbone sees 384 px, but the clean
# head's close-up copies crop 40 % of a side and must not be upscaled (the check's closer look runs
# on the working photo); the generated photos (1280 x 960) decode as they are, without a resize.
TRAIN_SIDE = 1280


def read_samples(set_dir: str | Path, brand: str | None = None):
    """The `models.data.Sample`s of one labelled set (photos decoded lazily through auditor.ingest)."""
    from models.data import Sample

    set_dir = Path(set_dir)
    labels_path = set_dir / "labels.json"
    if not labels_path.is_file():
        raise FileNotFoundError(f"{set_dir}: no labels.json (a labelled set is a folder with labels.json, see spec/labels.md)")
    try:
        doc = json.loads(labels_path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(f"{labels_path}: not valid JSON ({exc})") from None
    if brand is not None and doc.get("brand") not in (None, brand):
        return []
    samples = []
    for i, entry in enumerate(doc.get("photos") or []):
        if "file" not in entry:
            raise ValueError(f"{labels_path}: photo #{i} has no 'file'")
        path = set_dir / entry["file"]
        truth = entry.get("truth") or {}
        samples.append(_sample(path, entry.get("area"), truth))
    return samples


def _sample(path: Path, area, truth):
    from models.data import Sample

    def xyxy(b):
        x, y, w, h = (float(v) for v in b)
        return (x, y, x + w, y + h)

    clean = truth.get("clean")
    defects = None
    if clean and clean.get("clean") is not None:
        ds = clean.get("defects") or []
        if all(d.get("box") for d in ds) and (ds or clean["clean"]):
            defects = tuple((d["kind"], xyxy(d["box"])) for d in ds)
    people = truth.get("people")
    persons = None
    if people:
        boxes = [p.get("box") for p in people.get("persons") or []]
        if boxes and all(boxes):
            persons = tuple(xyxy(b) for b in boxes)
        elif people.get("count") == 0:
            persons = ()

    return Sample(str(path), functools.partial(_load, path), area, defects, persons)


def _load(path: Path) -> tuple[np.ndarray, float]:
    """A training photo decoded at TRAIN_SIDE at most (module level: samples travel to worker processes).

    An upright RGB photo that is small enough is decoded as it is (a third of `load_photo`'s time:
    no resize, hash or perceptual hash, which training does not use); anything else goes through
    `load_photo` (EXIF orientation, other formats, resize)."""
    from PIL import Image

    from auditor.ingest import load_photo

    with Image.open(path) as im:
        if im.mode == "RGB" and max(im.size) <= TRAIN_SIDE and im.getexif().get(0x0112, 1) == 1:
            return np.asarray(im), 1.0
    photo = load_photo(path, max_side=TRAIN_SIDE)
    return photo.rgb, photo.scale


def train(
    set_dirs: Sequence[str | Path],
    head: str = "all",
    out: str | Path = "models/weights",
    brand: str | None = None,
    *,
    val_dirs: Sequence[str | Path] = (),
    val_share: float = 0.15,
    epochs: int | None = None,
    patience: int | None = None,
    copies: int = 2,
    seed: int = 0,
    threads: int | None = None,
    progress: bool = True,
    command: str | None = None,
) -> dict[str, Any]:
    """Train head(s) ("all", "area", "clean" or "people") on labelled sets; write weights + model cards.

    Args:
        set_dirs: labelled set folders (labels.json at their root) to train on.
        head: which head to train; "all" trains every head that the sets label.
        out: folder for <head>.pt and <head>.md.
        brand: only use sets of this brand id (None: every set).
        val_dirs: validation sets; when empty, `val_share` of the photos (seeded) is held out.
        copies: augmented copies of each training photo (features are cached per copy).
        epochs, patience: None = each head's default (models.train.DEFAULT_EPOCHS).
        threads: torch CPU threads (None: AUDITOR_TORCH_THREADS, else torch's default, one per core).
    Returns:
        {head: {"weights", "metrics" (validation), "epochs", "seconds"}, "_timing": {...}}.
    """
    from models.heads import HEAD_NAMES
    from models.train import train_heads

    heads = list(HEAD_NAMES) if head == "all" else [head]
    for h in heads:
        if h not in HEAD_NAMES:
            raise ValueError(f"unknown head '{h}' (this trainer knows: all, {', '.join(HEAD_NAMES)}; the logo head has its own trainer)")
    if not set_dirs:
        raise ValueError("no labelled set given to train on")
    train_s = [s for d in set_dirs for s in read_samples(d, brand)]
    if val_dirs:
        val_s = [s for d in val_dirs for s in read_samples(d, brand)]
    else:
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(train_s))
        n_val = max(1, int(round(len(train_s) * val_share)))
        val_s = [train_s[i] for i in order[:n_val]]
        train_s = [train_s[i] for i in order[n_val:]]
    if not train_s:
        raise ValueError(f"no photos found in {', '.join(map(str, set_dirs))}")
    if threads is None and os.environ.get("AUDITOR_TORCH_THREADS"):
        threads = int(os.environ["AUDITOR_TORCH_THREADS"])
    cmd = command if command is not None else " ".join(shlex.quote(a) for a in ["auditor", *sys.argv[1:]])
    desc = f"train: {', '.join(map(str, set_dirs))}; val: {', '.join(map(str, val_dirs)) or f'{val_share:.0%} held out (seed {seed})'}"
    return train_heads(train_s, val_s, out, heads=heads, copies=copies, epochs=epochs, patience=patience, seed=seed,
                       threads=threads, progress=progress, command=cmd, data_description=desc)


def train_logo(brand: str | None = None, out: str | Path | None = None, *, minutes: float = 16.0, seed: int = 1,
               threads: int | None = None, command: str | None = None) -> dict[str, Any]:
    """Train a brand's logo detector from its pack's artwork alone (no labelled set): `auditor train --head logo`.

    Writes models/weights/logo_detector_<brand>.pt (or `out`: a .pt file or a folder) and its model card.
    Returns {"logo": {"weights", "metrics" (synthetic validation), "epochs", "seconds"}}.
    """
    import os

    from auditor.brandpack import load_brand
    from models.logo_detector import train as train_detector

    pack = load_brand(brand)  # the default (demo) pack when None; unknown brands raise here
    if out is not None and Path(out).suffix != ".pt":
        out = Path(out) / f"logo_detector_{pack.id}.pt"
    if threads is None:
        threads = int(os.environ.get("AUDITOR_TORCH_THREADS") or os.cpu_count() or 1)
    cmd = command if command is not None else " ".join(shlex.quote(a) for a in ["auditor", *sys.argv[1:]])
    report = train_detector(brand if brand is not None else pack.id, out, minutes=minutes, seed=seed,
                            threads=threads, command=cmd)
    return {"logo": report}


def main(argv: Sequence[str] | None = None) -> int:
    """python -m auditor.training SET_DIR... [--val DIR...] [--head H] [--out DIR] (the same as `auditor train`)."""
    import argparse

    ap = argparse.ArgumentParser(prog="python -m auditor.training", description=__doc__.splitlines()[0])
    ap.add_argument("set_dirs", nargs="+", help="labelled sets to train on")
    ap.add_argument("--val", nargs="*", default=[], help="validation sets (default: hold out --val-share of the photos)")
    ap.add_argument("--val-share", type=float, default=0.15)
    ap.add_argument("--head", default="all", help="all, area, clean or people")
    ap.add_argument("--out", default="models/weights")
    ap.add_argument("--brand", default=None)
    ap.add_argument("--epochs", type=int, default=None, help="default: the head's (models.train.DEFAULT_EPOCHS)")
    ap.add_argument("--copies", type=int, default=2, help="augmented copies of each training photo")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None)
    args = ap.parse_args(argv)
    command = " ".join(shlex.quote(a) for a in ["python", "-m", "auditor.training", *(argv or sys.argv[1:])])
    try:
        report = train(args.set_dirs, args.head, args.out, args.brand, val_dirs=args.val, val_share=args.val_share,
                       epochs=args.epochs, copies=args.copies, seed=args.seed, threads=args.threads, command=command)
    except (ValueError, FileNotFoundError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
