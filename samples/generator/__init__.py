"""Labelled demo photos of dealerships, rendered procedurally for any brand pack.

`generate_set(out_dir, n, seed, split="train", size=(1280, 960), brand="demo", jobs=1)` writes
`n` JPEG photos into area sub-folders of `out_dir` and a `labels.json` in the format of
spec/labels.md. The same (n, seed, split, size, brand) always gives the same files; the
splits train / val / test draw from disjoint random streams, so a test set never overlaps
what was trained on. Command line: `python -m samples.generator --out DIR --n N --seed S`.
"""
from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Callable, Iterable

from samples.generator.plan import AREAS, SPLIT_CODES, PhotoSpec, photo_rng, plan_set

__all__ = ["generate_set", "render_one", "plan_set", "AREAS", "SPLIT_CODES", "parse_size"]


def parse_size(text: str) -> tuple[int, int]:
    """'1280x960' -> (1280, 960); raises ValueError with the reason."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ValueError(f"size must look like 1280x960, got '{text}'") from None
    if not (64 <= w <= 4096 and 64 <= h <= 4096):
        raise ValueError(f"size must be 64..4096 on each side, got {w}x{h}")
    return w, h


def render_one(spec: PhotoSpec, seed: int, split: str, size: tuple[int, int], brand: str = "demo",
               max_quality: int | None = None):
    """Render photo `spec` of a set; returns (relative file name, jpeg bytes, photo entry)."""
    from samples.generator.brand import load_style
    from samples.generator.photo import render_photo

    style = load_style(brand)
    rng = photo_rng(seed, split, spec.index, stream=2)
    out = render_photo(spec, style, size[0], size[1], rng, max_quality=max_quality)
    name = f"{spec.area}/{split}_{spec.index:05d}.jpg"
    entry = {"file": name, "area": spec.area, "brand": None, "truth": out.truth,
             "split": split, "seed": int(seed), **out.extra}
    return name, out.jpeg, entry


def _render_star(args):
    return render_one(*args)


def _worker_init() -> None:
    """One OpenCV thread per worker process: the processes already use the cores."""
    import cv2

    cv2.setNumThreads(1)


def _brand_fields(brand: str, out_dir: Path) -> dict:
    """labels.json's brand / brand_pack for a brand given by id or by folder."""
    from samples.generator.brand import load_style

    pack = load_style(brand).pack
    p = Path(brand)
    if p.exists() and p.is_dir():
        return {"brand": pack.id, "brand_pack": os.path.relpath(p.resolve().parent, out_dir.resolve())}
    return {"brand": pack.id, "brand_pack": None}


def generate_set(out_dir: str | Path, n: int, seed: int = 0, split: str = "train", *,
                 size: tuple[int, int] = (1280, 960), brand: str = "demo", jobs: int = 1,
                 max_quality: int | None = None, progress: Callable[[int, int], None] | None = None) -> Path:
    """Render `n` labelled photos into `out_dir`; returns the path of the labels.json written.

    Args:
        out_dir: folder to write into (created; existing files of the same names are replaced).
        n: number of photos (>= 1).
        seed: base seed; with `split`, decides every photo.
        split: "train", "val" or "test" (disjoint random streams).
        size: (width, height) of the photos in pixels.
        brand: brand pack id or folder.
        jobs: worker processes (1 renders in this process).
        max_quality: cap on the JPEG quality (each photo draws 60..95), for small committed sets.
        progress: called with (done, total) after each photo.
    """
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    if split not in SPLIT_CODES:
        raise ValueError(f"unknown split '{split}' (known: {', '.join(SPLIT_CODES)})")
    parse_size(f"{size[0]}x{size[1]}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    specs = plan_set(n, seed, split)
    fields = _brand_fields(brand, out)
    tasks = [(s, seed, split, tuple(size), brand, max_quality) for s in specs]
    entries = []

    def consume(results: Iterable):
        for done, (name, jpeg, entry) in enumerate(results, 1):
            path = out / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(jpeg)
            entries.append(entry)
            if progress is not None:
                progress(done, n)

    if jobs > 1:
        # "spawn": a forked child can inherit OpenCV's thread pool mid-lock from a parent that has
        # already rendered (seen to hang under pytest); fresh interpreters cannot
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=_worker_init) as pool:
            consume(pool.map(_render_star, tasks, chunksize=4))
    else:
        consume(map(_render_star, tasks))
    labels = {**fields, "generator": {"seed": int(seed), "split": split, "n": int(n), "size": list(size)},
              "photos": entries}
    path = out / "labels.json"
    path.write_text(json.dumps(labels, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
