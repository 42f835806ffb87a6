"""Pure metric functions for evaluation: counts in, numbers out, no I/O.

Conventions:
- A ratio whose denominator is zero is `None` (undefined), never 0 or 1: the report
  prints it as "-" and JSON as `null`.
- A missing prediction (the check is not implemented or failed) is a *miss*: it is
  scored as the wrong answer, never left out. In binary metrics it counts as the
  opposite of the truth; in multi-class metrics as a false negative of the true class.
- Boxes are `xyxy` tuples of floats in the same pixel frame.
"""
from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Hashable, Iterable, Sequence


def ratio(num: float, den: float) -> float | None:
    """num / den, or None when den is 0."""
    return None if den == 0 else num / den


@dataclass(frozen=True)
class BinaryCounts:
    """Confusion counts of a yes/no decision (positive = the condition looked for)."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    @property
    def n(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    @property
    def precision(self) -> float | None:
        if self.tp + self.fp == 0:
            # Nothing predicted positive: 0 when there was something to find, undefined otherwise.
            return 0.0 if self.tp + self.fn > 0 else None
        return self.tp / (self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def accuracy(self) -> float | None:
        return ratio(self.tp + self.tn, self.n)

    def __add__(self, other: "BinaryCounts") -> "BinaryCounts":
        return BinaryCounts(self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn)


def binary_counts(pairs: Iterable[tuple[bool, bool | None]]) -> BinaryCounts:
    """Confusion counts from (truth, prediction) pairs; a `None` prediction is the wrong answer."""
    tp = fp = fn = tn = 0
    for truth, pred in pairs:
        if pred is None:
            pred = not truth
        if truth and pred:
            tp += 1
        elif truth:
            fn += 1
        elif pred:
            fp += 1
        else:
            tn += 1
    return BinaryCounts(tp, fp, fn, tn)


def accuracy(pairs: Sequence[tuple[Hashable, Hashable | None]]) -> float | None:
    """Share of pairs whose prediction equals the truth (a `None` prediction is wrong)."""
    if not pairs:
        return None
    return sum(1 for t, p in pairs if p is not None and p == t) / len(pairs)


def macro_f1(pairs: Sequence[tuple[Hashable, Hashable | None]]) -> float | None:
    """Unweighted mean of per-class F1 over the classes seen in truth or prediction.

    A `None` prediction is a false negative of the true class and a false positive of no class.
    """
    if not pairs:
        return None
    classes = {t for t, _ in pairs} | {p for _, p in pairs if p is not None}
    f1s = []
    for c in sorted(classes, key=repr):
        tp = sum(1 for t, p in pairs if t == c and p == c)
        fp = sum(1 for t, p in pairs if t != c and p == c)
        fn = sum(1 for t, p in pairs if t == c and p != c)
        f1s.append(ratio(2 * tp, 2 * tp + fp + fn) or 0.0)
    return sum(f1s) / len(f1s)


def iou_xyxy(a: Sequence[float], b: Sequence[float]) -> float:
    """Intersection over union of two xyxy boxes (0 when they do not overlap or are empty)."""
    iw = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    ih = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = iw * ih
    area_a = max(0.0, a[2] - a[0]) * max(0.0, a[3] - a[1])
    area_b = max(0.0, b[2] - b[0]) * max(0.0, b[3] - b[1])
    union = area_a + area_b - inter
    return inter / union if union > 0 else 0.0


def xywh_to_xyxy(box: Sequence[float]) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) for v in box)
    return (x, y, x + w, y + h)


def match_boxes(
    truth_xyxy: Sequence[Sequence[float]], pred_xyxy: Sequence[Sequence[float]], min_iou: float = 0.5
) -> list[tuple[int, int, float]]:
    """One-to-one matching of predicted to true boxes, greedily by descending IoU.

    Returns (truth index, prediction index, iou) for every pair with iou >= min_iou.
    """
    candidates = [
        (iou_xyxy(t, p), ti, pi)
        for ti, t in enumerate(truth_xyxy)
        for pi, p in enumerate(pred_xyxy)
    ]
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    used_t: set[int] = set()
    used_p: set[int] = set()
    matches = []
    for iou, ti, pi in candidates:
        if iou < min_iou:
            break
        if ti in used_t or pi in used_p:
            continue
        used_t.add(ti)
        used_p.add(pi)
        matches.append((ti, pi, iou))
    return matches


def detection_counts(
    truth_xyxy: Sequence[Sequence[float]], pred_xyxy: Sequence[Sequence[float]], min_iou: float = 0.5
) -> BinaryCounts:
    """tp / fp / fn of a detector on one photo at the IoU threshold (tn is always 0)."""
    m = len(match_boxes(truth_xyxy, pred_xyxy, min_iou))
    return BinaryCounts(tp=m, fp=len(pred_xyxy) - m, fn=len(truth_xyxy) - m)


def normalise_text(text: str) -> str:
    """Text as compared: Unicode NFKC, case-folded, every white space removed."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def text_is_read(wanted: str, read_lines: Iterable[str]) -> bool:
    """True when some read line contains `wanted` after normalisation (an empty string is never read)."""
    w = normalise_text(wanted)
    if not w:
        return False
    return any(w in normalise_text(line) for line in read_lines)


def count_errors(pairs: Sequence[tuple[int, int | None]]) -> tuple[float | None, float | None]:
    """(mean absolute error, share exactly right) of counts.

    A missing prediction is exactly right never, and is scored as off by max(truth, 1).
    """
    if not pairs:
        return None, None
    errors = [abs(t - p) if p is not None else max(t, 1) for t, p in pairs]
    exact = sum(1 for t, p in pairs if p is not None and p == t)
    return sum(errors) / len(errors), exact / len(pairs)
