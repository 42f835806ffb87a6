"""Benchmark the analysis on one CPU core: photos per second, time per check, decode, memory.

`limit_to_one_core()` must run before torch / onnxruntime / OpenCV start their thread
pools: it sets the thread environment variables every library reads, pins the process
to one CPU, and tells OpenCV. It imports none of the heavy libraries itself.

Each photo is analysed alone (the latency a single upload sees): decode, the batched
signals (network outputs), then every planned check; a check's time includes the
signals it is the first to ask for (e.g. OCR). The first photo is analysed once before
timing starts, so model loading is reported apart ("warm-up").
"""
from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

THREAD_ENV = (
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "ORT_NUM_THREADS",
    "AUDITOR_OCR_THREADS",
    "AUDITOR_TORCH_THREADS",
)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".heic", ".heif")

# Families whose budgets the issues state (decode included).
VISION_I = ("quality", "logo", "signage", "lighting")
VISION_II = ("area", "clean", "people")
NET_STAGE = "batched signals (net)"
DECODE_STAGE = "decode"


def limit_to_one_core() -> int | None:
    """Make this process use one CPU core; returns the core it is pinned to (None if pinning failed)."""
    for name in THREAD_ENV:
        os.environ[name] = "1"
    core = None
    if hasattr(os, "sched_setaffinity"):
        try:
            core = min(os.sched_getaffinity(0))
            os.sched_setaffinity(0, {core})
        except OSError:
            core = None
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:
        pass
    if "torch" in sys.modules:  # already loaded by someone: tell it too (never import it here)
        sys.modules["torch"].set_num_threads(1)
    return core


@dataclass(frozen=True)
class BenchPhoto:
    path: Path
    source: str
    area: str | None
    brand: str | None = None


@dataclass
class BenchResult:
    photos: int
    seconds: float  # timed loop, decode + analysis, after warm-up
    warmup_s: float
    megapixels: list[float] = field(default_factory=list)
    stages_ms: dict[str, list[float]] = field(default_factory=dict)  # stage -> one time per photo
    families_ms: dict[str, list[float]] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    core: int | None = None
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def photos_per_s(self) -> float | None:
        return self.photos / self.seconds if self.seconds > 0 and self.photos else None

    def to_dict(self) -> dict[str, Any]:
        def stat(v: Sequence[float]) -> dict[str, Any]:
            return {"median_ms": _round(percentile(v, 50)), "p95_ms": _round(percentile(v, 95)), "n": len(v)}

        return {
            "photos": self.photos,
            "photos_per_s": _round(self.photos_per_s),
            "warmup_s": _round(self.warmup_s),
            "median_megapixels": _round(percentile(self.megapixels, 50)),
            "core": self.core,
            "stages": {k: stat(v) for k, v in self.stages_ms.items()},
            "families": {k: stat(v) for k, v in self.families_ms.items()},
            "peak_rss_mb": round(self.peak_rss_mb, 1),
            "rejected": [{"photo": s, "reason": r} for s, r in self.rejected],
        }


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..100, linear interpolation) or None for no values."""
    if not values:
        return None
    import numpy as np

    return float(np.percentile(np.asarray(values, dtype=np.float64), q))


def photos_of(set_dir: Path) -> list[BenchPhoto]:
    """The photos of a labelled set (labels.json) or, failing that, every image under the folder.

    In a plain folder a photo's area is its first sub-folder's name when that is an area.
    """
    from auditor.evaluation.labels import AREAS, LABELS_FILE, load_label_set

    if (set_dir / LABELS_FILE).exists():
        s = load_label_set(set_dir)
        return [BenchPhoto(p.path, p.file, p.area, s.brand_of(p)) for p in s.photos]
    out = []
    for path in sorted(set_dir.rglob("*")):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            rel = path.relative_to(set_dir)
            area = rel.parts[0] if len(rel.parts) > 1 and rel.parts[0] in AREAS else None
            out.append(BenchPhoto(path, str(rel), area))
    return out


def run_bench(
    photos: Sequence[BenchPhoto],
    brand_for: Callable[[str | None], Any],
    plan,
    *,
    progress: bool = True,
) -> BenchResult:
    """Time decode, batched signals and each check of `plan` on every photo, one at a time."""
    from tqdm import tqdm

    from auditor.errors import PhotoError
    from auditor.evaluation.evaluate import peak_rss_mb
    from auditor.ingest import load_photo

    result = BenchResult(photos=0, seconds=0.0, warmup_s=0.0)
    if not photos:
        return result
    t0 = time.perf_counter()
    for bp in photos[:1]:  # warm-up: load models once, outside the timing
        try:
            _analyse_timed(load_photo(bp.path, source=bp.source), bp, brand_for, plan)
        except PhotoError:
            pass
    result.warmup_s = time.perf_counter() - t0

    bar = tqdm(photos, desc="bench", unit="photo", file=sys.stderr, disable=None if progress else True, leave=False)
    t_loop = time.perf_counter()
    for bp in bar:
        t0 = time.perf_counter()
        try:
            photo = load_photo(bp.path, source=bp.source)
        except PhotoError as exc:
            result.rejected.append((bp.source, exc.reason))
            continue
        decode_ms = (time.perf_counter() - t0) * 1000.0
        stages = {DECODE_STAGE: decode_ms, **_analyse_timed(photo, bp, brand_for, plan)}
        result.photos += 1
        result.megapixels.append(photo.megapixels)
        for k, v in stages.items():
            result.stages_ms.setdefault(k, []).append(v)
        for fam, total in _family_totals(stages).items():
            result.families_ms.setdefault(fam, []).append(total)
    bar.close()
    result.seconds = time.perf_counter() - t_loop
    result.peak_rss_mb = peak_rss_mb()
    return result


def _analyse_timed(photo, bp: BenchPhoto, brand_for, plan) -> dict[str, float]:
    """stage -> ms for one photo: the batched signals, then each check (as the pipeline runs them)."""
    from auditor import pipeline
    from auditor.checks import PhotoContext

    ctx = PhotoContext(photo, brand_for(bp.brand), bp.area)
    t0 = time.perf_counter()
    pipeline._seed_batched_signals([ctx], [list(plan)])
    net_ms = (time.perf_counter() - t0) * 1000.0
    analysis = pipeline._analyse_one(ctx, list(plan))
    stages = {NET_STAGE: net_ms}
    for r in analysis.results:
        stages[r.check_id] = stages.get(r.check_id, 0.0) + r.elapsed_ms
    return stages


def _family_totals(stages: Mapping[str, float]) -> dict[str, float]:
    fam: dict[str, float] = {}
    for k, v in stages.items():
        if "." in k:
            f = k.split(".", 1)[0]
            fam[f] = fam.get(f, 0.0) + v
    decode = stages.get(DECODE_STAGE, 0.0)
    net = stages.get(NET_STAGE, 0.0)
    total = decode + net + sum(fam.values())
    return {
        **fam,
        "vision I: quality+logo+signage+lighting, decode incl.": decode + sum(fam.get(f, 0.0) for f in VISION_I),
        "vision II: area+clean+people+net, decode incl.": decode + net + sum(fam.get(f, 0.0) for f in VISION_II),
        "whole photo": total,
    }


def format_bench(result: BenchResult, set_dir: str) -> str:
    d = result.to_dict()
    core = f"pinned to CPU {d['core']}" if d["core"] is not None else "not pinned (affinity unavailable)"
    lines = [
        f"Benchmark of {set_dir}: {d['photos']} photos, median {_fmt(d['median_megapixels'])} MP, one thread, {core}",
        f"photos per second: {_fmt(d['photos_per_s'])} (decode + analysis, one photo at a time, after warm-up)",
        f"warm-up (first photo, loads models): {_fmt(d['warmup_s'])} s",
        f"peak memory (RSS): {d['peak_rss_mb']:.1f} MB",
        "",
        f"{'stage':<52} {'median ms':>10} {'p95 ms':>10}",
        "-" * 74,
    ]
    for k, s in d["stages"].items():
        lines.append(f"{k:<52} {_fmt(s['median_ms']):>10} {_fmt(s['p95_ms']):>10}")
    lines.append("")
    lines.append(f"{'family (sum per photo)':<52} {'median ms':>10} {'p95 ms':>10}")
    lines.append("-" * 74)
    for k, s in d["families"].items():
        lines.append(f"{k:<52} {_fmt(s['median_ms']):>10} {_fmt(s['p95_ms']):>10}")
    lines.append("")
    lines.append("A check's time includes the signals it is the first to ask for (OCR, logo matching).")
    for r in d["rejected"]:
        lines.append(f"* rejected {r['photo']}: {r['reason']}")
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}" if isinstance(v, float) and abs(v) >= 10 else (f"{v:.3f}" if isinstance(v, float) else str(v))


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 3)
