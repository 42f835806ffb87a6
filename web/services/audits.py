"""What happens to an audit: create, add photos, override, answer, score, submit, review.

Views and the API call these; each records its change in the audit trail and leaves
committing to the caller unless it says otherwise.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import DBAPIError

from auditor.errors import PhotoError
from auditor.types import ItemStatus
from web import vision
from web.db import session
from web.models import (
    Audit,
    AuditItem,
    AuditStatus,
    ItemOverride,
    ManualAnswer,
    Photo,
    PhotoResult,
    PhotoStatus,
    Site,
    utcnow,
)
from web.services.trail import record
from web.storage import content_key, get_storage

AREAS = ("facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff", "other")
MAX_DUE_DAYS = 366  # a due date the head office sets lies within a year of the review


class AuditStateError(Exception):
    """The audit is not in a state that allows this (e.g. editing a submitted audit)."""


@dataclass(frozen=True)
class UploadOutcome:
    ok: bool
    name: str
    message: str
    photo: Photo | None = None
    flags: tuple[dict, ...] = ()


def create_audit(user, site: Site, brand_pack, checklist_version, audit_date: date) -> Audit:
    audit = Audit(site_id=site.id, auditor_id=user.id, brand_pack_id=brand_pack.id,
                  checklist_version_id=checklist_version.id, audit_date=audit_date,
                  status=AuditStatus.DRAFT.value)
    s = session()
    s.add(audit)
    s.flush()
    record(user, "audit", audit.id, "created", None,
           {"site": site.name, "checklist": checklist_version.ref, "brand": brand_pack.ref,
            "audit_date": audit_date.isoformat()}, audit_id=audit.id)
    return audit


def add_photo(user, audit: Audit, data: bytes, name: str, area: str | None) -> UploadOutcome:
    """Check, store and queue one uploaded photo. Bad files come back as a one-line message.

    Commits on success (the photo row must exist before its job runs).
    """
    from web.jobs.queue import enqueue

    name = _safe_name(name)
    if area is not None and area not in AREAS:
        return UploadOutcome(False, name, f"unknown area '{area}' (expected one of {', '.join(AREAS)})")
    if audit.status not in (AuditStatus.DRAFT.value, AuditStatus.ANALYSING.value, AuditStatus.RETURNED.value):
        return UploadOutcome(False, name, f"audit is {audit.status}: photos can no longer be added")
    if not data:
        return UploadOutcome(False, name, f"{name}: empty file (0 bytes)")
    if len(data) > current_app.config["MAX_UPLOAD_BYTES"]:
        return UploadOutcome(False, name, f"{name}: file too large ({len(data) / 1e6:.1f} MB, limit "
                                          f"{current_app.config['MAX_UPLOAD_BYTES'] / 1e6:.0f} MB)")
    try:
        decoded = vision.load_photo(data, name, max_side=512)
    except PhotoError as exc:
        return UploadOutcome(False, name, str(exc))
    s = session()
    key = None
    new_blob = False
    try:
        same = s.execute(select(Photo.id).where(Photo.audit_id == audit.id, Photo.sha256 == decoded.sha256)).first()
        if same is not None:
            return UploadOutcome(False, name, f"{name}: duplicate of photo #{same[0]} already in this audit")
        flags = _flags(audit, decoded)
        store = get_storage(current_app)
        new_blob = not store.exists(content_key(data, "photos"))
        key = store.put(data, "photos")
        photo = Photo(
            audit_id=audit.id, area=area, original_name=name, storage_key=key, sha256=decoded.sha256,
            phash=decoded.phash, size_bytes=len(data), width=decoded.width, height=decoded.height,
            format=decoded.format, exif_taken_at=_naive(decoded.exif.taken_at),
            exif_lat=decoded.exif.gps[0] if decoded.exif.gps else None,
            exif_lon=decoded.exif.gps[1] if decoded.exif.gps else None,
            flags=list(flags), status=PhotoStatus.QUEUED.value, uploaded_by=user.id,
        )
        s.add(photo)
        s.flush()
        before = audit.status
        if audit.status != AuditStatus.ANALYSING.value:
            audit.status = AuditStatus.ANALYSING.value
        record(user, "photo", photo.id, "uploaded", None,
               {"name": name, "area": area, "sha256": decoded.sha256, "flags": [f["kind"] for f in flags],
                "audit_status": [before, audit.status]}, audit_id=audit.id)
        s.commit()
    except DBAPIError as exc:
        s.rollback()
        if key is not None and new_blob:  # only bytes this request added: no other row can use them
            get_storage(current_app).delete(key)
        return UploadOutcome(False, name, f"{name}: not saved, the database is unavailable "
                                          f"({type(exc.orig).__name__}); nothing was kept, please retry")
    except Exception:
        s.rollback()
        if key is not None and new_blob:  # bytes another photo already had stay, whatever happened
            _delete_if_unreferenced(key)
        raise
    try:
        enqueue("analyse_photo", photo.id)
    except Exception as exc:  # the photo is safe; `auditor-web requeue` hands it to the queue again
        return UploadOutcome(True, name, f"stored, but the analysis queue is unavailable ({type(exc).__name__}); "
                                         "it will be analysed when the queue is back", photo, tuple(flags))
    return UploadOutcome(True, name, "queued for analysis", photo, tuple(flags))


def _delete_if_unreferenced(key: str) -> None:
    """Remove a just-stored blob whose row could not be written, unless another row uses it."""
    try:
        s = session()
        used = s.execute(select(Photo.id).where(Photo.storage_key == key).limit(1)).first()
    except Exception:
        used = None  # database down: the blob has no row of ours; remove it
    if used is None:
        get_storage(current_app).delete(key)


def _safe_name(name: str) -> str:
    """A file name fit to show: no path, no control characters, at most 120 characters."""
    name = (name or "photo").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip() or "photo"
    return name[:120]


def _naive(dt: datetime | None) -> datetime | None:
    if dt is None or dt.tzinfo is None:
        return dt
    return dt.replace(tzinfo=None)


def _flags(audit: Audit, decoded) -> list[dict[str, Any]]:
    """Why a reviewer should look twice at this photo: reused, taken on another day, elsewhere."""
    cfg = current_app.config
    s = session()
    flags: list[dict[str, Any]] = []
    exact = s.execute(select(Photo.id, Photo.audit_id).where(Photo.sha256 == decoded.sha256,
                                                             Photo.audit_id != audit.id).limit(1)).first()
    if exact is not None:
        flags.append({"kind": "reused_exact", "photo_id": exact[0], "audit_id": exact[1]})
    else:
        limit = cfg["PHASH_MAX_DISTANCE"]
        target = int(decoded.phash, 16)
        for pid, aid, ph in s.execute(select(Photo.id, Photo.audit_id, Photo.phash).where(Photo.audit_id != audit.id)):
            d = bin(target ^ int(ph, 16)).count("1")
            if d <= limit:
                flags.append({"kind": "reused_similar", "photo_id": pid, "audit_id": aid, "distance": d})
                break
    taken = decoded.exif.taken_at
    if taken is not None:
        days = abs((_naive(taken).date() - audit.audit_date).days)
        if days > cfg["EXIF_MAX_DAYS"]:
            flags.append({"kind": "exif_time_far", "taken_at": _naive(taken).isoformat(), "days": days})
    site = audit.site
    if decoded.exif.gps and site.lat is not None and site.lon is not None:
        km = haversine_km(decoded.exif.gps[0], decoded.exif.gps[1], site.lat, site.lon)
        if km > cfg["GPS_MAX_KM"]:
            flags.append({"kind": "gps_far", "km": round(km, 2), "gps": list(decoded.exif.gps)})
    return flags


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    r = 6371.0088
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


# --- scoring -------------------------------------------------------------------------------------

def current_overrides(audit_id: int) -> dict[str, ItemOverride]:
    """The newest override per item (older ones stay as history)."""
    rows = session().execute(select(ItemOverride).where(ItemOverride.audit_id == audit_id)
                             .order_by(ItemOverride.created_at, ItemOverride.id)).scalars()
    out: dict[str, ItemOverride] = {}
    for o in rows:
        out[o.item_id] = o
    return out


def manual_answers(audit_id: int) -> dict[str, ManualAnswer]:
    return {m.item_id: m for m in session().execute(select(ManualAnswer).where(ManualAnswer.audit_id == audit_id)).scalars()}


def rescore(audit: Audit) -> dict[str, Any]:
    """Recompute the audit's score from stored results, answers and overrides (no vision runs)."""
    s = session()
    rows = s.execute(select(Photo.id, Photo.area, PhotoResult.results).join(PhotoResult, PhotoResult.photo_id == Photo.id)
                     .where(Photo.audit_id == audit.id, Photo.status == PhotoStatus.DONE.value)).all()
    overrides = {
        k: {"status": o.status, "reason": o.reason, "by": o.user.username if o.user else "", "at": o.created_at}
        for k, o in current_overrides(audit.id).items()
    }
    manual = {k: m.answer for k, m in manual_answers(audit.id).items()}
    scored = vision.score(audit.checklist_version.ref, [(str(pid), area, res) for pid, area, res in rows],
                          manual, overrides)
    audit.score = scored
    audit.score_total = scored["total"]
    audit.scored_at = utcnow()
    s.execute(delete(AuditItem).where(AuditItem.audit_id == audit.id))
    s.add_all(AuditItem(audit_id=audit.id, item_id=it["item_id"], status=it["status"], score=it["score"],
                        weight=it["weight"]) for it in scored["items"])
    return scored


def set_override(user, audit: Audit, item_id: str, status: str, reason: str) -> ItemOverride:
    from web.permissions import can_override

    if not can_override(user, audit):
        raise AuditStateError(f"audit is {audit.status}: verdicts cannot be overridden now")
    vision.checklist(audit.checklist_version.ref).item(item_id)  # KeyError for an unknown item
    if status not in vision.ITEM_STATUSES or status == ItemStatus.MANUAL.value:
        raise ValueError(f"unknown verdict '{status}'")
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("an override needs a reason")
    before = _item_state(audit, item_id)
    o = ItemOverride(audit_id=audit.id, item_id=item_id, status=status, reason=reason[:2000], user_id=user.id)
    s = session()
    s.add(o)
    s.flush()
    rescore(audit)
    record(user, "item", item_id, "override", before, {"status": status, "reason": reason}, audit_id=audit.id)
    return o


def set_manual_answer(user, audit: Audit, item_id: str, answer: bool, note: str = "") -> ManualAnswer:
    from web.permissions import can_edit_audit

    if not can_edit_audit(user, audit):
        raise AuditStateError(f"audit is {audit.status}: answers cannot be changed now")
    item = vision.checklist(audit.checklist_version.ref).item(item_id)
    if not item.manual:
        raise ValueError(f"{item_id} is answered by the photos, not by hand (override it instead)")
    s = session()
    row = s.execute(select(ManualAnswer).where(ManualAnswer.audit_id == audit.id,
                                               ManualAnswer.item_id == item_id)).scalar_one_or_none()
    before = None if row is None else {"answer": row.answer, "note": row.note}
    if row is None:
        row = ManualAnswer(audit_id=audit.id, item_id=item_id, answer=answer, note=note, user_id=user.id)
        s.add(row)
    row.answer, row.note, row.user_id, row.updated_at = answer, note[:2000], user.id, utcnow()
    s.flush()
    rescore(audit)
    record(user, "item", item_id, "manual_answer", before, {"answer": answer, "note": note}, audit_id=audit.id)
    return row


def _item_state(audit: Audit, item_id: str) -> dict[str, Any] | None:
    for it in (audit.score or {}).get("items", []):
        if it["item_id"] == item_id:
            return {"status": it["status"], "automatic_status": it.get("automatic_status")}
    return None


def progress(audit: Audit) -> dict[str, Any]:
    counts = dict(session().execute(select(Photo.status, func.count()).where(Photo.audit_id == audit.id)
                                    .group_by(Photo.status)).all())
    total = sum(counts.values())
    done = counts.get(PhotoStatus.DONE.value, 0) + counts.get(PhotoStatus.ERROR.value, 0)
    return {"audit_id": audit.id, "status": audit.status, "photos": total, "done": done,
            "errors": counts.get(PhotoStatus.ERROR.value, 0),
            "queued": counts.get(PhotoStatus.QUEUED.value, 0),
            "analysing": counts.get(PhotoStatus.ANALYSING.value, 0),
            "finished": total > 0 and done == total,
            "score": audit.score_total, "scored_at": audit.scored_at.isoformat() if audit.scored_at else None}


def submit(user, audit: Audit) -> None:
    from web.permissions import can_edit_audit

    if not can_edit_audit(user, audit):
        raise AuditStateError(f"audit is {audit.status}: it cannot be submitted")
    p = progress(audit)
    if p["photos"] == 0:
        raise AuditStateError("add photos before submitting")
    if not p["finished"]:
        raise AuditStateError(f"analysis still running ({p['done']}/{p['photos']} photos done)")
    rescore(audit)
    before = audit.status
    audit.status, audit.submitted_at = AuditStatus.SUBMITTED.value, utcnow()
    record(user, "audit", audit.id, "submitted", {"status": before},
           {"status": audit.status, "score": audit.score_total}, audit_id=audit.id)


def approve(user, audit: Audit, comment: str = "", due_date: date | None = None) -> list[Action]:
    """Approve a submitted audit; its failed items become actions due on `due_date` (None: the
    ACTION_DUE_DAYS setting after the review). Raises ValueError for a date outside the next year."""
    from web.permissions import can_review

    if not can_review(user, audit):
        raise AuditStateError(f"audit is {audit.status}: only a submitted audit can be approved")
    today = utcnow().date()
    if due_date is not None and not today <= due_date <= today + timedelta(days=MAX_DUE_DAYS):
        raise ValueError(f"the due date must lie between {today.isoformat()} and "
                         f"{(today + timedelta(days=MAX_DUE_DAYS)).isoformat()}")
    rescore(audit)
    audit.status, audit.reviewed_at, audit.reviewer_id = AuditStatus.APPROVED.value, utcnow(), user.id
    audit.review_comment = comment[:4000]
    due = due_date or default_due(audit)
    record(user, "audit", audit.id, "approved", {"status": AuditStatus.SUBMITTED.value},
           {"status": audit.status, "comment": comment, "score": audit.score_total, "actions_due": due.isoformat()},
           audit_id=audit.id)
    from web.services.actions import create_actions

    return create_actions(user, audit, due)


def return_audit(user, audit: Audit, comment: str) -> None:
    from web.permissions import can_review

    if not can_review(user, audit):
        raise AuditStateError(f"audit is {audit.status}: only a submitted audit can be returned")
    comment = (comment or "").strip()
    if not comment:
        raise ValueError("say why the audit is returned")
    audit.status, audit.reviewed_at, audit.reviewer_id = AuditStatus.RETURNED.value, utcnow(), user.id
    audit.review_comment = comment[:4000]
    record(user, "audit", audit.id, "returned", {"status": AuditStatus.SUBMITTED.value},
           {"status": audit.status, "comment": comment}, audit_id=audit.id)


def photo_results(photo: Photo) -> list[dict]:
    return list(photo.result.results) if photo.result is not None else []


def default_due(audit: Audit) -> date:
    """ACTION_DUE_DAYS after the audit's review (today when it has none yet)."""
    return default_due_date(audit.reviewed_at.date() if audit.reviewed_at else None)


def default_due_date(start: date | None = None) -> date:
    return (start or utcnow().date()) + timedelta(days=int(current_app.config.get("ACTION_DUE_DAYS", 30)))
