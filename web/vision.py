"""The web app's one door into the auditor library: load, analyse, score, draw.

Everything the web layer needs from vision goes through here, so the jobs and the
views never import check modules, and the JSON shapes stored in the database are
defined in one place.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from auditor.types import CheckResult, ItemStatus, Override, Verdict, jsonable

# Every verdict the library can return, and how the UI colours it.
VERDICT_CLASS = {
    Verdict.PASS.value: "ok",
    Verdict.FAIL.value: "bad",
    Verdict.UNSURE.value: "warn",
    Verdict.NOT_APPLICABLE.value: "muted",
    Verdict.NOT_IMPLEMENTED.value: "muted",
}
ITEM_STATUSES = tuple(s.value for s in ItemStatus)


@lru_cache(maxsize=16)
def brand(ref: str):
    from auditor.brandpack import load_brand

    return load_brand(ref)


@lru_cache(maxsize=16)
def checklist(ref: str):
    from auditor.checklist import load_checklist

    return load_checklist(ref)


def load_photo(data: bytes, source: str, max_side: int = 2048):
    """Decode and check an upload; raises auditor.errors.PhotoError with a one-line reason."""
    from auditor.ingest import load_photo as _load

    return _load(data, source, max_side=max_side)


def analyse(photo, area: str | None, brand_ref: str, checklist_ref: str, references: Sequence = ()):
    """All checks the checklist needs for a photo of `area` -> PhotoAnalysis.

    `references`: decoded approved reference photos of the photo's site and area."""
    from auditor.pipeline import analyse_photos, plan_for_area

    cl = checklist(checklist_ref)
    return analyse_photos([(photo, area)], brand(brand_ref), plan_for=lambda a: plan_for_area(cl, a),
                          references=[tuple(references)])[0]


def analyse_batch(items: Sequence[tuple]) -> list:
    """Analyse several photos, given as (photo, area, brand_ref, checklist_ref[, references]), in one
    network pass per (brand pack, checklist) group: the library's batched path (pipeline.analyse_photos
    -> inference.run_net). Returns one PhotoAnalysis or the Exception it raised per item, in order:
    when a group's batched pass fails, each of its photos is analysed alone, so a bad photo fails
    only itself."""
    from collections import defaultdict

    from auditor.pipeline import analyse_photos, plan_for_area

    out: list = [None] * len(items)
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for i, item in enumerate(items):
        groups[(item[2], item[3])].append(i)
    for (brand_ref, checklist_ref), idx in groups.items():
        try:
            cl = checklist(checklist_ref)
            done = analyse_photos([(items[i][0], items[i][1]) for i in idx], brand(brand_ref),
                                  plan_for=lambda a, cl=cl: plan_for_area(cl, a),
                                  references=[tuple(items[i][4]) if len(items[i]) > 4 else () for i in idx])
            for i, analysis in zip(idx, done):
                out[i] = analysis
        except Exception as exc:
            if len(idx) == 1:
                out[idx[0]] = exc
                continue
            for i in idx:
                try:
                    out[i] = analyse(*items[i])
                except Exception as one_exc:
                    out[i] = one_exc
    return out


@lru_cache(maxsize=1)
def default_batch_size() -> int:
    """Photos per analysis batch when AUDITOR_BATCH_SIZE is unset: 8 where the network runs on a GPU
    (one forward pass for many photos pays), 1 on CPU (measured: batching gains nothing there)."""
    from auditor import inference

    return 8 if inference.get_model().device.type == "cuda" else 1


def analyse_for_item(photo, area: str | None, brand_ref: str, checklist_ref: str, item_id: str,
                     references: Sequence = ()):
    """The checks bound to one checklist item (a dealer's proof photo) -> PhotoAnalysis.

    `references`: decoded approved reference photos of the site's area (clean.reference)."""
    from auditor.pipeline import QUALITY_CHECK, PlannedCheck, analyse_photos

    item = checklist(checklist_ref).item(item_id)
    plan = [PlannedCheck(QUALITY_CHECK, {})] + [
        PlannedCheck(b.check_id, dict(b.params)) for b in item.checks if b.check_id != QUALITY_CHECK
    ]
    return analyse_photos([(photo, area)], brand(brand_ref), plan=plan, references=[tuple(references)])[0]


def results_from_json(rows: Iterable[Mapping[str, Any]]) -> tuple[CheckResult, ...]:
    return tuple(CheckResult.from_dict(r) for r in rows)


def score(checklist_ref: str, photos: Sequence[tuple[str, str | None, Sequence[Mapping]]],
          manual: Mapping[str, bool], overrides: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """Score an audit; photos are (photo id, area, [CheckResult dicts]). Returns score_to_dict."""
    from auditor.scoring import ScoredPhoto, score_audit

    scored = [ScoredPhoto(pid, area, results_from_json(rows)) for pid, area, rows in photos]
    ovs = {
        item_id: Override(item_id, ItemStatus(o["status"]), o["reason"], by=o.get("by", ""), at=o.get("at"))
        for item_id, o in overrides.items()
    }
    return score_to_dict(score_audit(checklist(checklist_ref), scored, manual_answers=dict(manual), overrides=ovs))


def score_to_dict(s) -> dict[str, Any]:
    """AuditScore -> plain JSON (what Audit.score stores)."""
    items = []
    for it in s.items:
        items.append({
            "item_id": it.item_id,
            "status": it.status.value,
            "score": it.score,
            "weight": it.weight,
            "confidence": round(float(it.confidence), 4),
            "automatic_status": it.automatic_status.value if it.automatic_status else None,
            "evidence": [
                {"photo_id": e.photo_id, "check_id": e.check_id, "verdict": e.verdict.value,
                 "confidence": round(float(e.confidence), 4), "message": e.message}
                for e in it.evidence
            ],
            "override": None if it.override is None else {
                "status": it.override.status.value, "reason": it.override.reason, "by": it.override.by,
                "at": it.override.at.isoformat() if it.override.at else None,
            },
            "manual_answer": it.manual_answer,
            "note": it.note,
        })
    return jsonable({
        "checklist_id": s.checklist_id,
        "checklist_version": s.checklist_version,
        "total": s.total,
        "earned": s.earned,
        "possible": s.possible,
        "sections": [{"section_id": x.section_id, "score": x.score, "earned": x.earned, "possible": x.possible}
                     for x in s.sections],
        "items": items,
    })


def draw(rgb: np.ndarray, results: Sequence[CheckResult]) -> np.ndarray:
    """Findings drawn on the working copy; `results` must already be in rgb's pixel frame."""
    from auditor.annotate import draw_findings

    return draw_findings(rgb, results)


def encode_jpeg(rgb: np.ndarray, quality: int = 85) -> bytes:
    from auditor.ingest import encode_jpeg as _enc

    return _enc(rgb, quality=quality)


def hamming(a: str, b: str) -> int:
    return bin(int(a, 16) ^ int(b, 16)).count("1")
