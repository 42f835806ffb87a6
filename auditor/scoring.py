"""Scoring: check results of many photos + manual answers + overrides -> item verdicts and scores.

Rules, per checklist item:

- Manual item: answered True -> PASS, False -> FAIL, unanswered -> MANUAL (does not count).
- Automatic item: the evidence is every result of the item's check bindings (same check
  id and exactly the binding's params) on photos whose area is one of the item's areas
  (an item without areas takes every photo). Then, in this order:
    0. a binding with `aggregate: any` (a thing that must be seen somewhere: the logo,
       an entrance sign) is satisfied by one PASS, whatever the other photos show;
    1. any FAIL with confidence >= the binding's `min_confidence` -> FAIL
       (for `aggregate: all`, the default, one clearly failing photo fails the item even
       if another photo passes: a dirty corner is not made clean by a clean one);
    2. else any FAIL below that confidence, any UNSURE or any NOT_IMPLEMENTED result,
       or a binding that produced no result on photos of the item's areas -> NEEDS_REVIEW
       (a person looks; a check that is not built never passes);
    3. else at least one PASS -> PASS;
    4. else (no photo of the item's areas, or every result NOT_APPLICABLE) ->
       NOT_APPLICABLE, with a note saying what was missing.
- An override replaces the status; `automatic_status` keeps what the checks said.

Scores: PASS = 1, FAIL = 0, weighted by item weight; NEEDS_REVIEW, NOT_APPLICABLE and
MANUAL items count neither in earned nor in possible. Section and total scores are
100 * earned / possible, or None when nothing counts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Sequence

from auditor.checklist import CheckBinding, Checklist, Item
from auditor.types import (
    AuditScore,
    CheckResult,
    Evidence,
    ItemStatus,
    ItemVerdict,
    Override,
    SectionScore,
    Verdict,
)

_STATUS_SCORE = {ItemStatus.PASS: 1.0, ItemStatus.FAIL: 0.0}


@dataclass(frozen=True)
class ScoredPhoto:
    """One photo's check results as scoring sees them; `area` is its (tagged or predicted) area."""

    photo_id: str
    area: str | None
    results: tuple[CheckResult, ...]

    @classmethod
    def from_analysis(cls, analysis: Any, photo_id: str | None = None) -> "ScoredPhoto":
        """From an `auditor.pipeline.PhotoAnalysis` (the tagged area, else the predicted one)."""
        return cls(photo_id or analysis.photo.source, analysis.effective_area, tuple(analysis.results))


def score_audit(
    checklist: Checklist,
    photos: Sequence[ScoredPhoto],
    manual_answers: Mapping[str, bool] = {},
    overrides: Mapping[str, Override] = {},
) -> AuditScore:
    """Score one audit. Raises ValueError for an answer or override naming an unknown item."""
    items_by_id = {i.id: i for i in checklist.items}
    for item_id in manual_answers:
        if item_id not in items_by_id:
            raise ValueError(f"manual answer for unknown item '{item_id}' (checklist {checklist.ref})")
        if not items_by_id[item_id].manual:
            raise ValueError(f"item '{item_id}' is checked automatically; correct it with an override, not an answer")
    for item_id in overrides:
        if item_id not in items_by_id:
            raise ValueError(f"override for unknown item '{item_id}' (checklist {checklist.ref})")

    verdicts: list[ItemVerdict] = []
    sections: list[SectionScore] = []
    for section in checklist.sections:
        earned = possible = 0.0
        for item in section.items:
            v = _item_verdict(item, photos, manual_answers)
            if item.id in overrides:
                v = _apply_override(v, overrides[item.id])
            verdicts.append(v)
            if v.score is not None:
                earned += v.weight * v.score
                possible += v.weight
        sections.append(SectionScore(section.id, _percent(earned, possible), earned, possible))
    earned = sum(s.earned for s in sections)
    possible = sum(s.possible for s in sections)
    return AuditScore(checklist.id, checklist.version, tuple(verdicts), tuple(sections),
                      _percent(earned, possible), earned, possible)


def _percent(earned: float, possible: float) -> float | None:
    return None if possible <= 0 else round(100.0 * earned / possible, 2)


def _item_verdict(item: Item, photos: Sequence[ScoredPhoto], answers: Mapping[str, bool]) -> ItemVerdict:
    if item.manual:
        answer = answers.get(item.id)
        if answer is None:
            return ItemVerdict(item.id, ItemStatus.MANUAL, None, item.weight, 0.0, ItemStatus.MANUAL,
                               note="manual item: not answered yet")
        status = ItemStatus.PASS if answer else ItemStatus.FAIL
        return ItemVerdict(item.id, status, _STATUS_SCORE[status], item.weight, 1.0, status,
                           manual_answer=bool(answer), note="answered by the auditor")

    relevant = [p for p in photos if not item.areas or p.area in item.areas]
    area_text = "/".join(item.areas) if item.areas else "any area"
    if not relevant:
        return ItemVerdict(item.id, ItemStatus.NOT_APPLICABLE, None, item.weight, 0.0, ItemStatus.NOT_APPLICABLE,
                           note=f"no photo of area {area_text}")

    evidence: list[Evidence] = []
    decisive_fails: list[Evidence] = []
    weak: list[Evidence] = []
    passes: list[Evidence] = []
    missing: list[str] = []
    not_implemented: set[str] = set()
    for binding in item.checks:
        results = [(photo, r) for photo in relevant for r in photo.results if _matches(r, binding)]
        if not results:
            missing.append(_binding_label(binding))
            continue
        b_fails, b_weak, b_passes = [], [], []
        for photo, r in results:
            ev = Evidence(photo.photo_id, r.check_id, r.verdict, float(r.confidence), r.message)
            evidence.append(ev)
            if r.verdict == Verdict.FAIL and r.confidence >= binding.min_confidence:
                b_fails.append(ev)
            elif r.verdict in (Verdict.FAIL, Verdict.UNSURE, Verdict.NOT_IMPLEMENTED):
                b_weak.append(ev)
                if r.verdict == Verdict.NOT_IMPLEMENTED:
                    not_implemented.add(r.check_id)
            elif r.verdict == Verdict.PASS:
                b_passes.append(ev)
        if binding.aggregate == "any" and b_passes:
            # seen on one photo is enough: the other photos simply show another part of the site
            passes.extend(b_passes)
            continue
        decisive_fails.extend(b_fails)
        weak.extend(b_weak)
        passes.extend(b_passes)

    if decisive_fails:
        worst = max(decisive_fails, key=lambda ev: ev.confidence)
        photos_failed = sorted({ev.photo_id for ev in decisive_fails})
        note = f"{worst.check_id} failed on {len(photos_failed)} photo(s): {worst.message}".rstrip(": ")
        return ItemVerdict(item.id, ItemStatus.FAIL, 0.0, item.weight, worst.confidence, ItemStatus.FAIL,
                           tuple(evidence), note=note)
    if weak or missing:
        reasons = []
        if not_implemented:
            reasons.append(f"not implemented yet: {', '.join(sorted(not_implemented))}")
        unsure = [e for e in weak if e.verdict != Verdict.NOT_IMPLEMENTED]
        if unsure:
            reasons.append(f"{len(unsure)} result(s) unsure or failing below the confidence threshold")
        if missing:
            reasons.append(f"no result of {', '.join(missing)} on photos of area {area_text}")
        confidence = min((e.confidence for e in unsure), default=0.0)
        return ItemVerdict(item.id, ItemStatus.NEEDS_REVIEW, None, item.weight, confidence,
                           ItemStatus.NEEDS_REVIEW, tuple(evidence), note="needs review: " + "; ".join(reasons))
    if passes:
        confidence = min(e.confidence for e in passes)
        return ItemVerdict(item.id, ItemStatus.PASS, 1.0, item.weight, confidence, ItemStatus.PASS,
                           tuple(evidence), note=f"passed on {len({e.photo_id for e in passes})} photo(s)")
    return ItemVerdict(item.id, ItemStatus.NOT_APPLICABLE, None, item.weight, 0.0, ItemStatus.NOT_APPLICABLE,
                       tuple(evidence), note=f"nothing to judge on the photos of area {area_text}")


def _matches(result: CheckResult, binding: CheckBinding) -> bool:
    return result.check_id == binding.check_id and dict(result.params) == dict(binding.params)


def _binding_label(binding: CheckBinding) -> str:
    if not binding.params:
        return binding.check_id
    params = ", ".join(f"{k}={v}" for k, v in sorted(binding.params.items()))
    return f"{binding.check_id}({params})"


def _apply_override(v: ItemVerdict, override: Override) -> ItemVerdict:
    status = ItemStatus(override.status)
    by = f" by {override.by}" if override.by else ""
    note = f"overridden{by} from {v.status.value} to {status.value}: {override.reason}"
    return ItemVerdict(
        item_id=v.item_id,
        status=status,
        score=_STATUS_SCORE.get(status),
        weight=v.weight,
        confidence=1.0,
        automatic_status=v.automatic_status if v.automatic_status is not None else v.status,
        evidence=v.evidence,
        override=override,
        manual_answer=v.manual_answer,
        note=note + (f" ({v.note})" if v.note else ""),
    )
