"""Analyse photos: plan which checks a photo's area needs, run them in one pass, gate on quality.

This is where checks meet their signals: batched signals (network outputs) are
computed for all photos of a call at once, then every check runs on its photo.
Regions come back in the original photo's pixels.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Iterable, Mapping, Sequence

from auditor.brandpack import BrandPack
from auditor.checks import CHECKS, PhotoContext, run_check
from auditor.checks.context import BATCH_SIGNALS
from auditor.types import AREAS, CheckResult, Photo, Verdict  # noqa: F401 (AREAS re-exported)

QUALITY_CHECK = "quality.photo"
AREA_CHECK = "area.classify"
# Checks that describe the photo itself, so a poor photo does not soften their verdict.
UNGATED = frozenset({QUALITY_CHECK, AREA_CHECK, "lighting.exposure", "lighting.night"})


@dataclass(frozen=True)
class PlannedCheck:
    check_id: str
    params: Mapping[str, Any]


@dataclass(frozen=True)
class PhotoAnalysis:
    """All check results for one photo, with its tagged and predicted area."""

    photo: Photo
    area: str | None
    predicted_area: str | None
    predicted_area_confidence: float | None
    results: tuple[CheckResult, ...]

    def result(self, check_id: str, params: Mapping[str, Any] | None = None) -> CheckResult | None:
        for r in self.results:
            if r.check_id == check_id and (params is None or dict(r.params) == dict(params)):
                return r
        return None

    @property
    def effective_area(self) -> str | None:
        return self.area or self.predicted_area

    def to_dict(self) -> dict[str, Any]:
        p = self.photo
        return {
            "source": p.source,
            "sha256": p.sha256,
            "phash": p.phash,
            "width": p.width,
            "height": p.height,
            "format": p.format,
            "exif": {
                "taken_at": p.exif.taken_at.isoformat() if p.exif.taken_at else None,
                "gps": list(p.exif.gps) if p.exif.gps else None,
                "camera": p.exif.camera,
            },
            "area": self.area,
            "predicted_area": self.predicted_area,
            "predicted_area_confidence": self.predicted_area_confidence,
            "results": [r.to_dict() for r in self.results],
        }


def plan_all(check_ids: Iterable[str] | None = None) -> list[PlannedCheck]:
    """Every registered check (or the given ones) with default parameters."""
    ids = list(check_ids) if check_ids is not None else sorted(CHECKS)
    return [PlannedCheck(c, {}) for c in ids]


def plan_for_area(checklist, area: str | None) -> list[PlannedCheck]:
    """The distinct (check, parameters) bindings of the checklist items that apply to `area`.

    With no area every item applies. The quality gate and the area classifier always run.
    """
    seen: dict[tuple[str, str], PlannedCheck] = {}
    for item in checklist.items:
        if item.manual or (area is not None and item.areas and area not in item.areas):
            continue
        for b in item.checks:
            key = (b.check_id, repr(sorted(b.params.items())))
            seen.setdefault(key, PlannedCheck(b.check_id, dict(b.params)))
    planned = list(seen.values())
    for always in (QUALITY_CHECK, AREA_CHECK):
        if not any(p.check_id == always for p in planned):
            planned.insert(0, PlannedCheck(always, {}))
    return planned


def analyse_photos(
    photos: Sequence[tuple[Photo, str | None]],
    brand: BrandPack,
    plan: Sequence[PlannedCheck] | None = None,
    plan_for=None,
    references: Sequence[Sequence[Photo]] | None = None,
) -> list[PhotoAnalysis]:
    """Analyse photos given as (photo, area tag or None).

    Either one `plan` for every photo, or `plan_for(area) -> plan` per photo (an audit,
    where the area decides which checklist items apply). `references[i]` are the approved
    reference photos of photo i's view (its site and area); clean.reference compares with them.
    """
    if references is not None and len(references) != len(photos):
        raise ValueError(f"{len(references)} reference lists for {len(photos)} photos")
    refs = references if references is not None else [()] * len(photos)
    contexts = [PhotoContext(photo, brand, area, r) for (photo, area), r in zip(photos, refs)]
    plans = [list(plan) if plan is not None else list(plan_for(area)) for _, area in photos]
    return analyse_contexts(contexts, plans)


def analyse_contexts(contexts: Sequence[PhotoContext], plans: Sequence[Sequence[PlannedCheck]]) -> list[PhotoAnalysis]:
    """Analyse prepared contexts, one plan each; the contexts keep their signals (OCR lines, ...)."""
    plans = [list(p) for p in plans]
    seed_batched_signals(contexts, plans)
    return [_analyse_one(ctx, p) for ctx, p in zip(contexts, plans)]


def analyse_photo(photo: Photo, brand: BrandPack, area: str | None = None, plan=None) -> PhotoAnalysis:
    return analyse_photos([(photo, area)], brand, plan if plan is not None else plan_all())[0]


def seed_batched_signals(contexts: Sequence[PhotoContext], plans: Sequence[Sequence[PlannedCheck]]) -> None:
    """Compute batched signals (network outputs) once for every context whose plan needs them."""
    for name, batch in BATCH_SIGNALS.items():
        wanting = [
            ctx for ctx, plan in zip(contexts, plans)
            if not ctx.has(name) and any(name in CHECKS[p.check_id].signals_needed(p.params) for p in plan)
        ]
        if not wanting:
            continue
        for ctx, value in zip(wanting, batch(wanting)):
            ctx.seed(name, value)


def _analyse_one(ctx: PhotoContext, plan: list[PlannedCheck]) -> PhotoAnalysis:
    results: list[CheckResult] = []
    quality = None
    for p in plan:
        if p.check_id == QUALITY_CHECK:
            quality = run_check(p.check_id, ctx, p.params)
            results.append(quality)
    predicted, predicted_conf = None, None
    for p in plan:
        if p.check_id == QUALITY_CHECK:
            continue
        r = run_check(p.check_id, ctx, p.params)
        if p.check_id == AREA_CHECK and r.verdict not in (Verdict.NOT_IMPLEMENTED, Verdict.UNSURE):
            predicted = r.values.get("area")
            predicted_conf = r.confidence
        if quality is not None and quality.verdict == Verdict.FAIL and p.check_id not in UNGATED:
            r = _soften(r, quality)
        results.append(r)
    scale_back = 1.0 / ctx.photo.scale
    results = [r.rescaled(scale_back) if scale_back != 1.0 else r for r in results]
    return PhotoAnalysis(ctx.photo, ctx.area, predicted, predicted_conf, tuple(results))


def _soften(result: CheckResult, quality: CheckResult) -> CheckResult:
    """A fail on a photo that failed the quality gate becomes `unsure`: ask for a retake."""
    if result.verdict != Verdict.FAIL:
        return result
    return replace(
        result,
        verdict=Verdict.UNSURE,
        message=f"{result.message} (photo quality too low to judge: {quality.message}; please retake)",
    )
