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
# Which family a signal's time counts towards (the family whose checks need it).
SIGNAL_FAMILY = {"text": "signage", "logo": "logo", "net": "people"}
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
    seconds: float  # timed loop, wall clock, decode + analysis, after warm-up
    cpu_seconds: float  # the same loop in process CPU time (robust when other work shares the machine)
    warmup_s: float
    megapixels: list[float] = field(default_factory=list)
    stages_ms: dict[str, list[float]] = field(default_factory=dict)  # stage -> wall ms, one per photo
    stages_cpu_ms: dict[str, list[float]] = field(default_factory=dict)
    families_ms: dict[str, list[float]] = field(default_factory=dict)
    families_cpu_ms: dict[str, list[float]] = field(default_factory=dict)
    peak_rss_mb: float = 0.0
    core: int | None = None
    rejected: list[tuple[str, str]] = field(default_factory=list)

    @property
    def photos_per_s(self) -> float | None:
        return self.photos / self.seconds if self.seconds > 0 and self.photos else None

    @property
    def photos_per_cpu_s(self) -> float | None:
        return self.photos / self.cpu_seconds if self.cpu_seconds > 0 and self.photos else None

    def to_dict(self) -> dict[str, Any]:
        def stat(wall: Sequence[float], cpu: Sequence[float]) -> dict[str, Any]:
            return {
                "median_ms": _round(percentile(wall, 50)),
                "p95_ms": _round(percentile(wall, 95)),
                "median_cpu_ms": _round(percentile(cpu, 50)),
                "n": len(wall),
            }

        return {
            "photos": self.photos,
            "photos_per_s": _round(self.photos_per_s),
            "photos_per_cpu_s": _round(self.photos_per_cpu_s),
            "warmup_s": _round(self.warmup_s),
            "median_megapixels": _round(percentile(self.megapixels, 50)),
            "core": self.core,
            "stages": {k: stat(v, self.stages_cpu_ms.get(k, [])) for k, v in self.stages_ms.items()},
            "families": {k: stat(v, self.families_cpu_ms.get(k, [])) for k, v in self.families_ms.items()},
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


class _SignalTimer:
    """Wraps the signal providers to time each signal exclusively (a signal asked for inside
    another is charged to itself only), so that checks are charged for their own work."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = {}
        self.cpu: dict[str, float] = {}
        self._stack: list[list[float]] = []  # per active provider: [child wall, child cpu]
        self._saved: dict[str, Callable] = {}

    def install(self) -> None:
        from auditor.checks.context import SIGNALS

        try:  # the OCR module registers the text signal when imported
            import auditor.ocr  # noqa: F401
        except ImportError:
            pass
        self._saved = dict(SIGNALS)
        for name, fn in self._saved.items():
            SIGNALS[name] = self._wrap(name, fn)

    def uninstall(self) -> None:
        from auditor.checks.context import SIGNALS

        SIGNALS.update(self._saved)

    def reset(self) -> None:
        self.wall.clear()
        self.cpu.clear()

    def totals(self) -> tuple[float, float]:
        return sum(self.wall.values()), sum(self.cpu.values())

    def _wrap(self, name: str, fn: Callable) -> Callable:
        def timed(ctx):
            self._stack.append([0.0, 0.0])
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                return fn(ctx)
            finally:
                dw, dc = (time.perf_counter() - w0) * 1000.0, (time.process_time() - c0) * 1000.0
                child_w, child_c = self._stack.pop()
                self.wall[name] = self.wall.get(name, 0.0) + dw - child_w
                self.cpu[name] = self.cpu.get(name, 0.0) + dc - child_c
                if self._stack:
                    self._stack[-1][0] += dw
                    self._stack[-1][1] += dc

        return timed


def run_bench(
    photos: Sequence[BenchPhoto],
    brand_for: Callable[[str | None], Any],
    plan,
    *,
    progress: bool = True,
) -> BenchResult:
    """Time decode, batched signals, each signal and each check of `plan` on every photo, one at a time."""
    from tqdm import tqdm

    from auditor.errors import PhotoError
    from auditor.evaluation.evaluate import peak_rss_mb
    from auditor.ingest import load_photo

    result = BenchResult(photos=0, seconds=0.0, cpu_seconds=0.0, warmup_s=0.0)
    if not photos:
        return result
    timer = _SignalTimer()
    timer.install()
    try:
        t0 = time.perf_counter()
        for bp in photos[:1]:  # warm-up: load models once, outside the timing
            try:
                _analyse_timed(load_photo(bp.path, source=bp.source), bp, brand_for, plan, timer)
            except PhotoError:
                pass
        result.warmup_s = time.perf_counter() - t0

        bar = tqdm(photos, desc="bench", unit="photo", file=sys.stderr, disable=None if progress else True, leave=False)
        t_loop, c_loop = time.perf_counter(), time.process_time()
        for bp in bar:
            w0, c0 = time.perf_counter(), time.process_time()
            try:
                photo = load_photo(bp.path, source=bp.source)
            except PhotoError as exc:
                result.rejected.append((bp.source, exc.reason))
                continue
            decode = ((time.perf_counter() - w0) * 1000.0, (time.process_time() - c0) * 1000.0)
            stages = {DECODE_STAGE: decode, **_analyse_timed(photo, bp, brand_for, plan, timer)}
            result.photos += 1
            result.megapixels.append(photo.megapixels)
            for k, (w, c) in stages.items():
                result.stages_ms.setdefault(k, []).append(w)
                result.stages_cpu_ms.setdefault(k, []).append(c)
            for fam, w in _family_totals({k: v[0] for k, v in stages.items()}).items():
                result.families_ms.setdefault(fam, []).append(w)
            for fam, c in _family_totals({k: v[1] for k, v in stages.items()}).items():
                result.families_cpu_ms.setdefault(fam, []).append(c)
        bar.close()
        result.seconds = time.perf_counter() - t_loop
        result.cpu_seconds = time.process_time() - c_loop
    finally:
        timer.uninstall()
    result.peak_rss_mb = peak_rss_mb()
    return result


def _analyse_timed(photo, bp: BenchPhoto, brand_for, plan, timer: _SignalTimer) -> dict[str, tuple[float, float]]:
    """stage -> (wall ms, cpu ms) for one photo: batched signals, each signal, each check's own work.

    Runs the plan as the pipeline does (batched signals first, the quality gate first);
    only the softening of verdicts is left out, which costs nothing.
    """
    from auditor import pipeline
    from auditor.checks import PhotoContext, run_check

    ctx = PhotoContext(photo, brand_for(bp.brand), bp.area)
    plan = list(plan)
    w0, c0 = time.perf_counter(), time.process_time()
    pipeline.seed_batched_signals([ctx], [plan])
    stages = {NET_STAGE: ((time.perf_counter() - w0) * 1000.0, (time.process_time() - c0) * 1000.0)}
    timer.reset()
    ordered = [p for p in plan if p.check_id == pipeline.QUALITY_CHECK] + [
        p for p in plan if p.check_id != pipeline.QUALITY_CHECK
    ]
    for p in ordered:
        sw, sc = timer.totals()
        w0, c0 = time.perf_counter(), time.process_time()
        run_check(p.check_id, ctx, p.params)
        dw, dc = (time.perf_counter() - w0) * 1000.0, (time.process_time() - c0) * 1000.0
        sw2, sc2 = timer.totals()
        own = (dw - (sw2 - sw), dc - (sc2 - sc))
        prev = stages.get(p.check_id, (0.0, 0.0))
        stages[p.check_id] = (prev[0] + own[0], prev[1] + own[1])
    for name in timer.wall:
        stages[f"signal {name}"] = (timer.wall[name], timer.cpu[name])
    return stages


def _family_totals(stages: Mapping[str, float]) -> dict[str, float]:
    """Per-photo sums: by check family (a signal counts with the family that owns it), and the issues' budgets."""
    fam: dict[str, float] = {}
    for k, v in stages.items():
        if k.startswith("signal "):
            f = SIGNAL_FAMILY.get(k[len("signal "):], "other signals")
        elif "." in k:
            f = k.split(".", 1)[0]
        else:
            continue
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
        f"photos per second: {_fmt(d['photos_per_s'])} wall clock, {_fmt(d['photos_per_cpu_s'])} per CPU second "
        "(decode + analysis, one photo at a time, after warm-up)",
        f"warm-up (first photo, loads models): {_fmt(d['warmup_s'])} s",
        f"peak memory (RSS): {d['peak_rss_mb']:.1f} MB",
        "",
        f"{'stage':<52} {'median ms':>10} {'p95 ms':>10} {'cpu ms':>10}",
        "-" * 85,
    ]
    for k, s in d["stages"].items():
        lines.append(f"{k:<52} {_fmt(s['median_ms']):>10} {_fmt(s['p95_ms']):>10} {_fmt(s['median_cpu_ms']):>10}")
    lines.append("")
    lines.append(f"{'family (sum per photo)':<52} {'median ms':>10} {'p95 ms':>10} {'cpu ms':>10}")
    lines.append("-" * 85)
    for k, s in d["families"].items():
        lines.append(f"{k:<52} {_fmt(s['median_ms']):>10} {_fmt(s['p95_ms']):>10} {_fmt(s['median_cpu_ms']):>10}")
    lines.append("")
    lines.append("Signals (OCR 'text', 'logo' matches) are timed on their own and counted with the family that")
    lines.append("owns them (text: signage, logo: logo); a check's own time excludes them. 'cpu ms' is process")
    lines.append("CPU time, which other work on a shared machine does not inflate.")
    for r in d["rejected"]:
        lines.append(f"* rejected {r['photo']}: {r['reason']}")
    return "\n".join(lines)


def _fmt(v) -> str:
    if v is None:
        return "-"
    return f"{v:.1f}" if isinstance(v, float) and abs(v) >= 10 else (f"{v:.3f}" if isinstance(v, float) else str(v))


def _round(v: float | None) -> float | None:
    return None if v is None else round(float(v), 3)
