"""Throughput of batched analysis: photos per second with several worker processes.

`auditor bench` measures the latency one upload sees on one core. A deployment runs
several worker processes, each analysing a batch of photos at a time (web/jobs/batch.py,
AUDITOR_BATCH_SIZE), all sharing the machine's cores and, where there is one, its GPU.
`run_throughput` reproduces that: `processes` spawned workers, each decoding its share of
the photos and running `pipeline.analyse_photos` on `batch` photos at a time, one CPU
thread each. The clock starts when every worker has loaded its models (a barrier) and
stops when the last one finishes, so photos/s is what the pool delivers end to end,
decode included.

Workers are spawned, never forked: CUDA cannot be used in a forked child, and a spawned
worker imports only what it needs. This module imports nothing heavy at load.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

from auditor.bench import THREAD_ENV, BenchPhoto, percentile
from auditor.checks.registry import CRASH_PREFIX


@dataclass
class WorkerReport:
    photos: int
    rejected: list[tuple[str, str]]
    started: float  # time.monotonic() after the barrier
    finished: float
    cpu_s: float
    net_ms: list[float]  # per batch: the batched network signals (GPU work when there is one)
    batch_ms: list[float]  # per batch: decode + analysis
    peak_rss_mb: float
    peak_gpu_mb: float | None
    device: str
    torch_version: str
    crashed: dict[str, str] = field(default_factory=dict)  # check id -> its first crash message


@dataclass
class ThroughputResult:
    processes: int
    batch: int
    workers: list[WorkerReport] = field(default_factory=list)

    @property
    def photos(self) -> int:
        return sum(w.photos for w in self.workers)

    @property
    def seconds(self) -> float:
        if not self.workers:
            return 0.0
        return max(w.finished for w in self.workers) - min(w.started for w in self.workers)

    @property
    def photos_per_s(self) -> float | None:
        return self.photos / self.seconds if self.seconds > 0 and self.photos else None

    def to_dict(self) -> dict[str, Any]:
        net = [m for w in self.workers for m in w.net_ms]
        batches = [m for w in self.workers for m in w.batch_ms]
        gpu = [w.peak_gpu_mb for w in self.workers if w.peak_gpu_mb is not None]
        first = self.workers[0] if self.workers else None
        return {
            "processes": self.processes,
            "batch": self.batch,
            "device": first.device if first else None,
            "torch": first.torch_version if first else None,
            "photos": self.photos,
            "seconds": round(self.seconds, 3),
            "photos_per_s": None if self.photos_per_s is None else round(self.photos_per_s, 2),
            "cpu_s_per_photo": round(sum(w.cpu_s for w in self.workers) / self.photos, 4) if self.photos else None,
            "batch_median_ms": _r(percentile(batches, 50)),
            "batch_p95_ms": _r(percentile(batches, 95)),
            "net_median_ms_per_batch": _r(percentile(net, 50)),
            "peak_rss_mb_per_worker": round(max((w.peak_rss_mb for w in self.workers), default=0.0), 1),
            "peak_gpu_mb_per_worker": round(max(gpu), 1) if gpu else None,
            "rejected": [{"photo": s, "reason": r} for w in self.workers for s, r in w.rejected],
            "crashed_checks": self.crashed,
        }

    @property
    def crashed(self) -> dict[str, str]:
        """Checks that crashed in any worker: their time is not what the check costs when it works."""
        out: dict[str, str] = {}
        for w in self.workers:
            for k, v in w.crashed.items():
                out.setdefault(k, v)
        return out


def run_throughput(
    photos: Sequence[BenchPhoto],
    check_ids: Sequence[str] | None,
    *,
    processes: int,
    batch: int,
    default_brand: str | None = None,
    device: str | None = None,
) -> ThroughputResult:
    """Analyse `photos` with `processes` spawned workers, `batch` photos per analysis call.

    `device` ("cpu" or "cuda") hides or requires CUDA in the workers; None uses CUDA when present.
    """
    if processes < 1 or batch < 1:
        raise ValueError("processes and batch must be at least 1")
    result = ThroughputResult(processes, batch)
    shares = [list(photos[i::processes]) for i in range(processes)]
    shares = [s for s in shares if s]
    if not shares:
        return result
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(shares))
    queue = ctx.Queue()
    workers = [
        ctx.Process(target=_worker, args=(share, list(check_ids) if check_ids else None, batch, default_brand,
                                          device, barrier, queue), daemon=True)
        for share in shares
    ]
    for w in workers:
        w.start()
    reports: list[WorkerReport | BaseException] = []
    try:
        while len(reports) < len(workers):
            reports.append(queue.get(timeout=3600))
    finally:
        for w in workers:
            w.join(timeout=30)
            if w.is_alive():
                w.terminate()
    errors = [r for r in reports if not isinstance(r, WorkerReport)]
    if errors:
        raise RuntimeError(f"a throughput worker failed: {errors[0]}")
    result.workers = [r for r in reports if isinstance(r, WorkerReport)]
    return result


def _worker(share, check_ids, batch, default_brand, device, barrier, queue) -> None:
    for name in THREAD_ENV:  # one thread per worker: the workers are the parallelism
        os.environ[name] = "1"
    if device == "cpu":
        os.environ["CUDA_VISIBLE_DEVICES"] = ""
    try:
        queue.put(_work(share, check_ids, batch, default_brand, device, barrier))
    except BaseException as exc:  # the parent must hear of it, or it waits for a report forever
        barrier.abort()
        queue.put(RuntimeError(f"{type(exc).__name__}: {exc}"))


def _work(share, check_ids, batch, default_brand, device, barrier) -> WorkerReport:
    import cv2
    import torch

    from auditor import brandpack, pipeline
    from auditor.checks.context import BATCH_SIGNALS
    from auditor.errors import PhotoError
    from auditor.evaluation.evaluate import peak_rss_mb
    from auditor.ingest import load_photo

    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    if device == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: torch sees no CUDA device here")
    plan = pipeline.plan_all(check_ids)
    brands: dict = {}

    def brand_of(bp: BenchPhoto):
        key = bp.brand or default_brand or brandpack.DEFAULT_BRAND
        if key not in brands:
            brands[key] = brandpack.load_brand(key)
        return brands[key]

    net_ms: list[float] = []
    timed = {name: _timed(fn, net_ms) for name, fn in BATCH_SIGNALS.items()}
    BATCH_SIGNALS.update(timed)

    crashed: dict[str, str] = {}

    def analyse(chunk: Sequence[BenchPhoto], rejected: list) -> int:
        by_brand: dict[int, tuple[Any, list]] = {}
        for bp in chunk:
            try:
                photo = load_photo(bp.path, source=bp.source)
            except PhotoError as exc:
                rejected.append((bp.source, exc.reason))
                continue
            brand = brand_of(bp)
            by_brand.setdefault(id(brand), (brand, []))[1].append((photo, bp.area))
        done = 0
        for brand, items in by_brand.values():
            for analysis in pipeline.analyse_photos(items, brand, plan):
                done += 1
                for r in analysis.results:
                    if r.message.startswith(CRASH_PREFIX):
                        crashed.setdefault(r.check_id, r.message)
        return done

    analyse(share[:batch], [])  # warm-up: models load, CUDA kernels are chosen
    net_ms.clear()
    cuda = torch.cuda.is_available()
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    barrier.wait(timeout=1800)
    started, c0 = time.monotonic(), time.process_time()
    rejected: list[tuple[str, str]] = []
    photos, batch_ms = 0, []
    for s in range(0, len(share), batch):
        b0 = time.monotonic()
        photos += analyse(share[s:s + batch], rejected)
        batch_ms.append((time.monotonic() - b0) * 1000.0)
    finished = time.monotonic()
    return WorkerReport(
        photos=photos,
        rejected=rejected,
        started=started,
        finished=finished,
        cpu_s=time.process_time() - c0,
        net_ms=net_ms,
        batch_ms=batch_ms,
        peak_rss_mb=peak_rss_mb(),
        peak_gpu_mb=torch.cuda.max_memory_allocated() / 2**20 if cuda else None,
        device=torch.cuda.get_device_name(0) if cuda else "cpu",
        torch_version=torch.__version__,
        crashed=crashed,
    )


def _timed(fn, sink: list[float]):
    def timed(contexts):
        t0 = time.monotonic()
        out = fn(contexts)
        sink.append((time.monotonic() - t0) * 1000.0)
        return out

    return timed


def format_throughput(result: ThroughputResult, set_dir: str) -> str:
    d = result.to_dict()
    lines = [
        f"Throughput of {set_dir}: {d['photos']} photos, {d['processes']} worker processes, "
        f"batches of {d['batch']}, device {d['device']} (torch {d['torch']})",
        f"photos per second: {_f(d['photos_per_s'])} ({_f(d['seconds'])} s wall clock, decode included, after warm-up)",
        f"CPU seconds per photo (all workers): {_f(d['cpu_s_per_photo'])}",
        f"per batch: median {_f(d['batch_median_ms'])} ms, p95 {_f(d['batch_p95_ms'])} ms; "
        f"network signals median {_f(d['net_median_ms_per_batch'])} ms",
        f"peak memory per worker: {_f(d['peak_rss_mb_per_worker'])} MB RSS"
        + (f", {_f(d['peak_gpu_mb_per_worker'])} MB GPU" if d["peak_gpu_mb_per_worker"] is not None else ""),
    ]
    for r in d["rejected"]:
        lines.append(f"* rejected {r['photo']}: {r['reason']}")
    for check_id, message in d["crashed_checks"].items():
        lines.append(f"* CRASHED {check_id}: {message}")
    return "\n".join(lines)


def _f(v) -> str:
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) and abs(v) < 10 else str(v))


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 2)
