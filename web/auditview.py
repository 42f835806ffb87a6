"""The data of the audit page, shared by the auditor's and head office's views and the PDF."""
from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from web import vision
from web.db import session
from web.models import Action, Audit, ItemOverride, ManualAnswer, Photo, TrailEntry
from web.services.audits import current_overrides


def audit_page_data(audit: Audit) -> dict[str, Any]:
    s = session()
    photos = list(s.execute(select(Photo).where(Photo.audit_id == audit.id).order_by(Photo.id)
                            .options(selectinload(Photo.result))).scalars())
    results: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for p in photos:
        if p.result is not None:
            for r in p.result.results:
                results[str(p.id)][r["check_id"]].append(r)
    try:
        cl = vision.checklist(audit.checklist_version.ref)
        sections = cl.sections
    except Exception:
        cl, sections = None, ()
    items = {it["item_id"]: it for it in (audit.score or {}).get("items", [])}
    sections_score = {x["section_id"]: x for x in (audit.score or {}).get("sections", [])}
    override_history: dict[str, list[ItemOverride]] = defaultdict(list)
    for o in s.execute(select(ItemOverride).where(ItemOverride.audit_id == audit.id)
                       .order_by(ItemOverride.created_at.desc(), ItemOverride.id.desc())).scalars():
        override_history[o.item_id].append(o)
    manual = {m.item_id: m for m in s.execute(select(ManualAnswer).where(ManualAnswer.audit_id == audit.id)).scalars()}
    trail = list(s.execute(select(TrailEntry).where(TrailEntry.audit_id == audit.id)
                           .order_by(TrailEntry.at.desc(), TrailEntry.id.desc())).scalars())
    actions = {a.item_id: a for a in s.execute(select(Action).where(Action.audit_id == audit.id)).scalars()}
    photo_by_id = {str(p.id): p for p in photos}
    return {
        "audit": audit, "photos": photos, "results": results, "checklist": cl, "sections": sections,
        "items": items, "sections_score": sections_score, "override_history": override_history,
        "manual": manual, "trail": trail, "actions": actions, "photo_by_id": photo_by_id,
        "current_overrides": current_overrides(audit.id),
    }


EVIDENCE_SHOWN = 6
_EVIDENCE_ORDER = {"fail": 0, "unsure": 1, "not_implemented": 2, "pass": 3, "not_applicable": 4}


def evidence_shown(evidence: list[dict]) -> tuple[list[dict], dict[str, int]]:
    """The evidence worth a look first (fails, then unsure, ...), and counts of the rest by verdict."""
    ordered = sorted(evidence, key=lambda e: (_EVIDENCE_ORDER.get(e["verdict"], 9), -e.get("confidence", 0)))
    rest: dict[str, int] = {}
    for e in ordered[EVIDENCE_SHOWN:]:
        rest[e["verdict"]] = rest.get(e["verdict"], 0) + 1
    return ordered[:EVIDENCE_SHOWN], rest


def evidence_values(results, photo_id: str, check_id: str) -> list[dict]:
    """The stored CheckResult dicts of a check on a photo (one per parameter set)."""
    return results.get(str(photo_id), {}).get(check_id, [])
