"""Export reviewed audits as a labelled set (../shared/spec/labels.md) for `auditor train` / `evaluate`.

Truth per photo comes from the stored check results as head office approved them: a
check's verdict stands unless a person overrode an item bound to that check; then the
person's pass/fail wins, and an override to needs_review / not_applicable leaves that
key unlabelled (null). Unsure and not-implemented results are never turned into labels.
"""
from __future__ import annotations

import io
import json
import zipfile
from typing import Any

from flask import current_app
from sqlalchemy import select

from web import vision
from web.db import session
from web.models import Audit, AuditStatus, Photo
from web.services.audits import current_overrides
from web.storage import get_storage

DEFECT_KINDS = {"litter", "clutter", "stain", "rust", "damage", "dirty_glass", "dead_greenery"}
_EXT = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "HEIF": "heic"}


def _confirmed(result: dict, overridden: dict[str, str]) -> bool | None:
    """The human-confirmed pass (True) / fail (False) of a check result, or None if not known."""
    status = overridden.get(result["check_id"])
    if status in ("pass", "fail"):
        return status == "pass"
    if status is not None:
        return None
    if result["verdict"] in ("pass", "fail"):
        return result["verdict"] == "pass"
    return None


def _xywh(f: dict) -> list[float] | None:
    r = f.get("region")
    return [round(v, 1) for v in r["xywh"]] if r else None


def photo_truth(results: list[dict], overridden: dict[str, str]) -> dict[str, Any]:
    by = {r["check_id"]: r for r in results}
    truth: dict[str, Any] = {}
    if (r := by.get("logo.present")) and (ok := _confirmed(r, overridden)) is not None:
        boxes = [b for f in r.get("findings") or [] if f["kind"] == "logo" and (b := _xywh(f))] if ok else []
        truth["logo"] = {"present": ok, "boxes": boxes}
        if (p := by.get("logo.placement")) and (pok := _confirmed(p, overridden)) is not None and ok:
            truth["logo"]["placement_ok"] = pok
    if (r := by.get("signage.text_required")) and r["verdict"] in ("pass", "fail"):
        found = [t for t in (r.get("values") or {}).get("found") or [] if isinstance(t, str)]
        if found:
            truth["text"] = {"must_read": found, "must_not_read": []}
    lighting: dict[str, Any] = {}
    if (r := by.get("lighting.exposure")) and r["verdict"] in ("pass", "fail"):
        exp = (r.get("values") or {}).get("exposure")
        if exp in ("dark", "ok", "overexposed"):
            lighting["exposure"] = exp
    if (r := by.get("lighting.night")) and r["verdict"] not in ("unsure", "not_implemented"):
        night = (r.get("values") or {}).get("night")
        if isinstance(night, bool):
            lighting["night"] = night
    if (r := by.get("lighting.signs_lit")) and (ok := _confirmed(r, overridden)) is not None:
        lighting["signs_lit"] = ok
    if lighting:
        truth["lighting"] = lighting
    if (r := by.get("clean.defects")) and (ok := _confirmed(r, overridden)) is not None:
        defects = [{"kind": f["kind"], "box": b} for f in r.get("findings") or []
                   if f["kind"] in DEFECT_KINDS and (b := _xywh(f))] if not ok else []
        truth["clean"] = {"clean": ok, "defects": defects}
    people: dict[str, Any] = {}
    if (r := by.get("people.detect")) and r["verdict"] in ("pass", "fail") and "people.detect" not in overridden:
        count = (r.get("values") or {}).get("count")
        if isinstance(count, int):
            people["count"] = count
            persons = []
            for f in r.get("findings") or []:
                if f["kind"] == "person" and (b := _xywh(f)):
                    m = f.get("measured") or {}
                    persons.append({"box": b, "role": m.get("role"), "badge": m.get("badge")})
            if persons:
                people["persons"] = persons
    if (r := by.get("people.uniform")) and (ok := _confirmed(r, overridden)) is not None:
        people["uniform_ok"] = ok
    if (r := by.get("people.badge")) and (ok := _confirmed(r, overridden)) is not None:
        people["badge_visible"] = ok
    if people:
        truth["people"] = people
    return truth


def _overridden_checks(audit: Audit) -> dict[str, str]:
    """check id -> the override status of an item bound to it (the newest override per item)."""
    out: dict[str, str] = {}
    overrides = current_overrides(audit.id)
    if not overrides:
        return out
    cl = vision.checklist(audit.checklist_version.ref)
    for item_id, o in overrides.items():
        try:
            item = cl.item(item_id)
        except KeyError:
            continue
        for b in item.checks:
            out[b.check_id] = o.status
    return out


def labelled_set(audit_ids: list[int] | None = None) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """(labels.json content, [(file name in the set, storage key)]) for approved audits."""
    s = session()
    q = select(Audit).where(Audit.status == AuditStatus.APPROVED.value).order_by(Audit.id)
    if audit_ids:
        q = q.where(Audit.id.in_(audit_ids))
    photos_out, files = [], []
    brands = set()
    for audit in s.execute(q).scalars():
        brands.add(audit.brand_pack.ref)
        overridden = _overridden_checks(audit)
        for p in s.execute(select(Photo).where(Photo.audit_id == audit.id, Photo.status == "done")
                           .order_by(Photo.id)).scalars():
            name = f"audit-{audit.id}/{p.id}.{_EXT.get(p.format, 'jpg')}"
            photos_out.append({
                "file": name, "area": p.area, "brand": audit.brand_pack.ref,
                "truth": photo_truth(list(p.result.results) if p.result else [], overridden),
                "source": f"audit {audit.id} photo {p.id} ({p.original_name})",
            })
            files.append((name, p.storage_key))
    labels = {"brand": next(iter(brands)) if len(brands) == 1 else "demo", "brand_pack": None, "photos": photos_out}
    return labels, files


def labelled_set_zip(audit_ids: list[int] | None = None) -> bytes:
    labels, files = labelled_set(audit_ids)
    store = get_storage(current_app)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as z:
        z.writestr("labels.json", json.dumps(labels, ensure_ascii=False, indent=1))
        for name, key in files:
            z.writestr(name, store.get(key))
    return buf.getvalue()
