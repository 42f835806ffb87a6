"""Improvement actions: failed items of an approved audit, proof photos, verification."""
from __future__ import annotations

from datetime import date
from typing import Any

from flask import current_app
from sqlalchemy import select

from auditor.errors import PhotoError
from auditor.types import ItemStatus
from web import vision
from web.db import session
from web.models import Action, ActionStatus, Audit, Photo, ProofPhoto, PhotoStatus, utcnow
from web.services.audits import AuditStateError, UploadOutcome, _safe_name, default_due
from web.services.trail import record
from web.storage import content_key, get_storage


def create_actions(user, audit: Audit, due_date: date | None = None) -> list[Action]:
    """One action per failed item, due on `due_date` (default: the ACTION_DUE_DAYS setting);
    idempotent: an item that has its action keeps it."""
    s = session()
    existing = {a.item_id for a in s.execute(select(Action).where(Action.audit_id == audit.id)).scalars()}
    created = []
    for item in (audit.score or {}).get("items", []):
        if item["status"] != ItemStatus.FAIL.value or item["item_id"] in existing:
            continue
        photo_id, region, checks = _evidence(item)
        a = Action(audit_id=audit.id, site_id=audit.site_id, item_id=item["item_id"], evidence_photo_id=photo_id,
                   evidence_region=region, check_ids=checks, due_date=due_date or default_due(audit),
                   status=ActionStatus.OPEN.value)
        s.add(a)
        s.flush()
        record(user, "action", a.id, "created", None,
               {"item": a.item_id, "due": a.due_date.isoformat()}, audit_id=audit.id)
        created.append(a)
    return created


def _evidence(item: dict[str, Any]) -> tuple[int | None, dict | None, list[str]]:
    """The photo and region that best show why the item failed."""
    failing = [e for e in item.get("evidence", []) if e["verdict"] == "fail"] or item.get("evidence", [])
    checks = sorted({e["check_id"] for e in failing})
    for e in failing:
        try:
            pid = int(e["photo_id"])
        except (TypeError, ValueError):
            continue
        photo = session().get(Photo, pid)
        if photo is None or photo.result is None:
            continue
        for r in photo.result.results:
            if r["check_id"] != e["check_id"]:
                continue
            for f in r.get("findings") or []:
                if f.get("region"):
                    return pid, f["region"], checks
        return pid, None, checks
    return None, None, checks


def evidence_results(action: Action) -> list[dict]:
    """The results of the evidence photo for the action's checks (drawn on the crop)."""
    if action.evidence_photo_id is None:
        return []
    photo = session().get(Photo, action.evidence_photo_id)
    if photo is None or photo.result is None:
        return []
    return [r for r in photo.result.results if r["check_id"] in set(action.check_ids or [])]


def add_proof(user, action: Action, data: bytes, name: str) -> UploadOutcome:
    from web.jobs.queue import enqueue

    name = _safe_name(name)
    if action.status == ActionStatus.VERIFIED.value:
        return UploadOutcome(False, name, "this action is already verified")
    if not data:
        return UploadOutcome(False, name, f"{name}: empty file (0 bytes)")
    if len(data) > current_app.config["MAX_UPLOAD_BYTES"]:
        return UploadOutcome(False, name, f"{name}: file too large")
    try:
        decoded = vision.load_photo(data, name, max_side=512)
    except PhotoError as exc:
        return UploadOutcome(False, name, str(exc))
    store = get_storage(current_app)
    new_blob = not store.exists(content_key(data, "proofs"))
    key = store.put(data, "proofs")
    s = session()
    try:
        proof = ProofPhoto(action_id=action.id, storage_key=key, sha256=decoded.sha256, original_name=name,
                           size_bytes=len(data), status=PhotoStatus.QUEUED.value, uploaded_by=user.id)
        s.add(proof)
        s.flush()
        before = action.status
        action.status, action.updated_at = ActionStatus.PROOF_UPLOADED.value, utcnow()
        record(user, "action", action.id, "proof_uploaded", {"status": before},
               {"status": action.status, "proof": proof.id, "name": name}, audit_id=action.audit_id)
        s.commit()
    except Exception:
        s.rollback()
        if new_blob:  # only bytes this request added; the database may be down, so do not ask it
            store.delete(key)
        raise
    enqueue("check_proof", proof.id)
    return UploadOutcome(True, name, "proof queued for checking")


def verify(user, action: Action, verified: bool, comment: str = "") -> None:
    from web.permissions import can_verify

    if not can_verify(user, action):
        raise AuditStateError("you may not verify this action")
    if action.status != ActionStatus.PROOF_UPLOADED.value:
        raise AuditStateError(f"action is {action.status}: there is no proof waiting for verification")
    before = action.status
    action.status = ActionStatus.VERIFIED.value if verified else ActionStatus.REOPENED.value
    action.updated_at = utcnow()
    record(user, "action", action.id, "verified" if verified else "reopened", {"status": before},
           {"status": action.status, "comment": comment}, audit_id=action.audit_id)
