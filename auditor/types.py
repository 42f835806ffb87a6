"""Core types of the audit: immutable dataclasses shared by every part of the library.

Coordinates: a `Region` is in pixels of the image as displayed (EXIF orientation
applied), in the full-resolution frame of the original photo unless a function says
otherwise. Checks work on `Photo.rgb` (a downscaled working copy); the pipeline maps
their regions back with `CheckResult.rescaled`.
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Mapping

import numpy as np


AREAS = ("facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff", "other")
"""The areas a site photo is filed under (spec/labels.md)."""


class Verdict(str, enum.Enum):
    """What one check concluded on one photo."""

    PASS = "pass"
    FAIL = "fail"
    UNSURE = "unsure"  # the photo cannot decide (blur, too dark, low confidence): a person looks
    NOT_APPLICABLE = "not_applicable"  # nothing to judge here (e.g. signs-lit on a day photo)
    NOT_IMPLEMENTED = "not_implemented"  # registered but not built yet: never counts as a pass


class ItemStatus(str, enum.Enum):
    """What scoring concluded for one checklist item."""

    PASS = "pass"
    FAIL = "fail"
    NEEDS_REVIEW = "needs_review"
    NOT_APPLICABLE = "not_applicable"
    MANUAL = "manual"  # a manual item that nobody has answered yet


@dataclass(frozen=True)
class Region:
    """An axis-aligned box, optionally with the polygon (quad) it bounds."""

    xyxy: tuple[float, float, float, float]
    polygon: tuple[tuple[float, float], ...] | None = None

    @classmethod
    def from_xywh(cls, x: float, y: float, w: float, h: float) -> "Region":
        return cls((float(x), float(y), float(x + w), float(y + h)))

    @classmethod
    def from_polygon(cls, points) -> "Region":
        pts = tuple((float(px), float(py)) for px, py in points)
        xs = [p[0] for p in pts]
        ys = [p[1] for p in pts]
        return cls((min(xs), min(ys), max(xs), max(ys)), pts)

    @property
    def xywh(self) -> tuple[float, float, float, float]:
        x0, y0, x1, y1 = self.xyxy
        return (x0, y0, x1 - x0, y1 - y0)

    @property
    def width(self) -> float:
        return self.xyxy[2] - self.xyxy[0]

    @property
    def height(self) -> float:
        return self.xyxy[3] - self.xyxy[1]

    @property
    def area(self) -> float:
        return max(0.0, self.width) * max(0.0, self.height)

    @property
    def center(self) -> tuple[float, float]:
        x0, y0, x1, y1 = self.xyxy
        return ((x0 + x1) / 2, (y0 + y1) / 2)

    def scaled(self, factor: float) -> "Region":
        poly = None if self.polygon is None else tuple((x * factor, y * factor) for x, y in self.polygon)
        return Region(tuple(v * factor for v in self.xyxy), poly)  # type: ignore[arg-type]

    def iou(self, other: "Region") -> float:
        ax0, ay0, ax1, ay1 = self.xyxy
        bx0, by0, bx1, by1 = other.xyxy
        iw = max(0.0, min(ax1, bx1) - max(ax0, bx0))
        ih = max(0.0, min(ay1, by1) - max(ay0, by0))
        inter = iw * ih
        union = self.area + other.area - inter
        return inter / union if union > 0 else 0.0

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"xywh": [round(v, 1) for v in self.xywh]}
        if self.polygon is not None:
            d["polygon"] = [[round(x, 1), round(y, 1)] for x, y in self.polygon]
        return d

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Region":
        if d.get("polygon"):
            r = cls.from_polygon(d["polygon"])
            return r
        return cls.from_xywh(*d["xywh"])


@dataclass(frozen=True)
class ExifFacts:
    """What the camera wrote about the shot; every field may be missing."""

    taken_at: datetime | None = None
    gps: tuple[float, float] | None = None  # (latitude, longitude) in degrees
    camera: str | None = None  # "Make Model"
    orientation: int = 1


@dataclass(frozen=True, eq=False)
class Photo:
    """A decoded photo: the working copy of its pixels plus facts about the original.

    `rgb` is HxWx3 uint8 RGB with EXIF orientation applied, downscaled so that its
    longer side is at most the ingest limit; `width`/`height` are the original's
    displayed size. `scale` = rgb width / original width (<= 1).
    """

    rgb: np.ndarray
    width: int
    height: int
    source: str
    sha256: str
    phash: str  # 64-bit perceptual hash, 16 hex digits
    format: str  # JPEG, PNG, WEBP, HEIF
    byte_size: int
    exif: ExifFacts = field(default_factory=ExifFacts)

    @property
    def scale(self) -> float:
        return self.rgb.shape[1] / self.width

    @property
    def megapixels(self) -> float:
        return self.width * self.height / 1e6


@dataclass(frozen=True)
class Finding:
    """One thing a check saw: what, where, measured against which threshold, how sure."""

    kind: str  # e.g. "logo", "text", "rust", "person", "dark_sign"
    message: str  # one line for a reviewer (English; the web layer translates by kind)
    region: Region | None = None
    measured: Mapping[str, Any] = field(default_factory=dict)
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    confidence: float = 1.0

    def scaled(self, factor: float) -> "Finding":
        if self.region is None:
            return self
        return replace(self, region=self.region.scaled(factor))

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "message": self.message,
            "region": None if self.region is None else self.region.to_dict(),
            "measured": _jsonable(self.measured),
            "thresholds": _jsonable(self.thresholds),
            "confidence": round(float(self.confidence), 4),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "Finding":
        return cls(
            kind=d["kind"],
            message=d.get("message", ""),
            region=None if d.get("region") is None else Region.from_dict(d["region"]),
            measured=dict(d.get("measured") or {}),
            thresholds=dict(d.get("thresholds") or {}),
            confidence=float(d.get("confidence", 1.0)),
        )


@dataclass(frozen=True)
class CheckResult:
    """One check on one photo.

    `values` holds the check's summary measurements under stable keys (documented per
    check in `auditor.checks`); evaluation and scoring read them, people read `message`.
    """

    check_id: str
    verdict: Verdict
    confidence: float = 1.0
    score: float | None = None  # 0..1 where the check grades rather than decides
    message: str = ""
    findings: tuple[Finding, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    thresholds: Mapping[str, Any] = field(default_factory=dict)
    params: Mapping[str, Any] = field(default_factory=dict)  # the parameters it ran with (set by run_check)
    elapsed_ms: float = 0.0

    def rescaled(self, factor: float) -> "CheckResult":
        return replace(self, findings=tuple(f.scaled(factor) for f in self.findings))

    def to_dict(self) -> dict[str, Any]:
        return {
            "check_id": self.check_id,
            "verdict": self.verdict.value,
            "confidence": round(float(self.confidence), 4),
            "score": None if self.score is None else round(float(self.score), 4),
            "message": self.message,
            "findings": [f.to_dict() for f in self.findings],
            "values": _jsonable(self.values),
            "thresholds": _jsonable(self.thresholds),
            "params": _jsonable(self.params),
            "elapsed_ms": round(self.elapsed_ms, 2),
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> "CheckResult":
        return cls(
            check_id=d["check_id"],
            verdict=Verdict(d["verdict"]),
            confidence=float(d.get("confidence", 1.0)),
            score=d.get("score"),
            message=d.get("message", ""),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings") or ()),
            values=dict(d.get("values") or {}),
            thresholds=dict(d.get("thresholds") or {}),
            params=dict(d.get("params") or {}),
            elapsed_ms=float(d.get("elapsed_ms", 0.0)),
        )


@dataclass(frozen=True)
class Evidence:
    """Where an item verdict came from: one check result on one photo."""

    photo_id: str
    check_id: str
    verdict: Verdict
    confidence: float
    message: str = ""


@dataclass(frozen=True)
class Override:
    """A person's correction of an item verdict, with the reason."""

    item_id: str
    status: ItemStatus
    reason: str
    by: str = ""
    at: datetime | None = None


@dataclass(frozen=True)
class ItemVerdict:
    """The verdict on one checklist item, and where it came from."""

    item_id: str
    status: ItemStatus
    score: float | None  # 0..1 contribution before weighting; None when it does not count
    weight: float
    confidence: float
    automatic_status: ItemStatus | None = None  # what the checks said before any override
    evidence: tuple[Evidence, ...] = ()
    override: Override | None = None
    manual_answer: bool | None = None
    note: str = ""


@dataclass(frozen=True)
class SectionScore:
    section_id: str
    score: float | None  # 0..100, None when no item in it counts
    earned: float
    possible: float


@dataclass(frozen=True)
class AuditScore:
    """Item verdicts and section and total scores of one audit (scores 0..100)."""

    checklist_id: str
    checklist_version: str
    items: tuple[ItemVerdict, ...]
    sections: tuple[SectionScore, ...]
    total: float | None
    earned: float
    possible: float

    def item(self, item_id: str) -> ItemVerdict:
        for it in self.items:
            if it.item_id == item_id:
                return it
        raise KeyError(item_id)


def _jsonable(value: Any) -> Any:
    """Plain JSON types from numpy scalars, tuples and nested mappings."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, float):
        return round(value, 5)
    if isinstance(value, enum.Enum):
        return value.value
    return value


jsonable = _jsonable
