"""The background task functions. Plain functions of ids: Huey, Celery and tests call them alike.

Each is idempotent: re-running it replaces its own results (one PhotoResult row per
photo, one score per audit, one result set per proof photo) and never adds duplicates.
They find the app through :func:`job_context`: the current app when called inside one,
else one app per process built from the environment (a Celery worker).
"""
from __future__ import annotations

import logging
import threading
import time
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

from auditor.errors import AuditorError
from web.models import Action, Audit, AuditStatus, Photo, PhotoResult, PhotoStatus, ProofPhoto, utcnow

log = logging.getLogger(__name__)
_worker_app: Flask | None = None
_worker_app_lock = threading.Lock()


@contextmanager
def job_context(app: Flask | None = None):
    """An app context for a job; the session is removed afterwards when this opened the context."""
    global _worker_app
    if has_app_context() and (app is None or current_app._get_current_object() is app):
        yield current_app._get_current_object()  # inside the app already (QUEUE=immediate): share its session
        return
    if app is None:
        with _worker_app_lock:
            if _worker_app is None:
                from web import create_app

                _worker_app = create_app()
            app = _worker_app
    with app.app_context():
        yield app


def _session(app):
    return app.extensions["db"].session()


def analyse_photo_job(photo_id: int) -> None:
    """Run the checks the audit's checklist needs on one photo; store results; rescore when done."""
    from web import vision
    from web.jobs.queue import enqueue
    from web.storage import get_storage

    with job_context() as app:
        s = _session(app)
        photo = s.get(Photo, photo_id)
        if photo is None:
            log.warning("analyse_photo_job: photo %s does not exist", photo_id)
            return
        audit = photo.audit
        brand_ref, checklist_ref = audit.brand_pack.ref, audit.checklist_version.ref
        photo.status, photo.error = PhotoStatus.ANALYSING.value, ""
        s.commit()
        t0 = time.perf_counter()
        try:
            data = get_storage(app).get(photo.storage_key)
            decoded = vision.load_photo(data, photo.original_name or f"photo {photo.id}")
            analysis = vision.analyse(decoded, photo.area, brand_ref, checklist_ref)
        except AuditorError as exc:  # the photo or the configuration is at fault: retrying will not help
            photo.status, photo.error = PhotoStatus.ERROR.value, str(exc)[:2000]
            s.commit()
            _maybe_finish(app, audit.id)
            return
        except Exception as exc:
            photo.status, photo.error = PhotoStatus.ERROR.value, f"analysis failed: {type(exc).__name__}: {exc}"[:2000]
            s.commit()
            _maybe_finish(app, audit.id)
            raise
        rows = [r.to_dict() for r in analysis.results]
        try:
            from web.services.images import prerender_thumbnail

            prerender_thumbnail(photo.sha256, decoded.rgb)
        except Exception:  # a thumbnail is a convenience: the page makes it on demand otherwise
            log.exception("thumbnail for photo %s", photo.id)
        existing = s.query(PhotoResult).filter_by(photo_id=photo.id).one_or_none()
        if existing is None:
            existing = PhotoResult(photo_id=photo.id, results=rows)
            s.add(existing)
        existing.results = rows
        existing.predicted_area = analysis.predicted_area
        existing.predicted_area_confidence = analysis.predicted_area_confidence
        existing.analysed_at = utcnow()
        existing.elapsed_ms = (time.perf_counter() - t0) * 1000.0
        photo.status = PhotoStatus.DONE.value
        s.commit()
        if _maybe_finish(app, audit.id):
            enqueue("score_audit", audit.id, app=app)


def _maybe_finish(app, audit_id: int) -> bool:
    """True when no photo of the audit waits for analysis (then the audit leaves 'analysing')."""
    s = _session(app)
    pending = s.query(Photo).filter(
        Photo.audit_id == audit_id, Photo.status.in_([PhotoStatus.QUEUED.value, PhotoStatus.ANALYSING.value])
    ).count()
    return pending == 0


def score_audit_job(audit_id: int) -> None:
    """Score the audit from its analysed photos, manual answers and overrides (replaces the old score)."""
    from web.services.audits import rescore

    with job_context() as app:
        s = _session(app)
        audit = s.get(Audit, audit_id)
        if audit is None:
            return
        rescore(audit)
        if audit.status == AuditStatus.ANALYSING.value and _maybe_finish(app, audit_id):
            from web.services.trail import record

            record(None, "audit", audit.id, "analysis_finished", {"status": audit.status},
                   {"status": AuditStatus.DRAFT.value}, audit_id=audit.id)
            audit.status = AuditStatus.DRAFT.value
        s.commit()


def check_proof_job(proof_id: int) -> None:
    """Check a dealer's proof photo with the checks of its action's item."""
    from web import vision
    from web.storage import get_storage

    with job_context() as app:
        s = _session(app)
        proof = s.get(ProofPhoto, proof_id)
        if proof is None:
            return
        action: Action = proof.action
        audit = action.audit
        area = None
        if action.evidence_photo_id:
            ev = s.get(Photo, action.evidence_photo_id)
            area = ev.area if ev else None
        proof.status, proof.error = PhotoStatus.ANALYSING.value, ""
        s.commit()
        try:
            decoded = vision.load_photo(get_storage(app).get(proof.storage_key), proof.original_name or "proof")
            analysis = vision.analyse_for_item(decoded, area, audit.brand_pack.ref, audit.checklist_version.ref,
                                               action.item_id)
            rows = [r.to_dict() for r in analysis.results]
            scored = vision.score(audit.checklist_version.ref, [(f"proof-{proof.id}", area, rows)], {}, {})
            item = next(i for i in scored["items"] if i["item_id"] == action.item_id)
        except AuditorError as exc:
            proof.status, proof.error = PhotoStatus.ERROR.value, str(exc)[:2000]
            s.commit()
            return
        except Exception as exc:
            proof.status, proof.error = PhotoStatus.ERROR.value, f"check failed: {type(exc).__name__}: {exc}"[:2000]
            s.commit()
            raise
        proof.results = rows
        proof.verdict = item["status"]
        proof.status = PhotoStatus.DONE.value
        s.commit()
