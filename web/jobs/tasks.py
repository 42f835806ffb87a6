"""The background task functions. Plain functions of ids: Huey, Celery and tests call them alike.

Photos are analysed in batches (:func:`analyse_photos_job`; web.jobs.batch claims the jobs), a
single photo being a batch of one.

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
from dataclasses import dataclass
from typing import Callable, Sequence

from flask import Flask, current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

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


class AnalysisIncomplete(Exception):
    """Some photos hit a failure that a retry may cure (storage or database unreachable)."""


@dataclass
class PhotoOutcome:
    photo_id: int
    error: str = ""  # why the photo has no results ("" when it has them, or when it no longer exists)
    transient: bool = False  # a retry may succeed: its job is failed and retried, not done


def analyse_photo_job(photo_id: int) -> None:
    """Run the checks the audit's checklist needs on one photo; store results; rescore when done."""
    (outcome,) = analyse_photos_job([photo_id])
    if outcome.transient:
        raise AnalysisIncomplete(outcome.error)


def analyse_photos_job(photo_ids: Sequence[int], settle: Callable[[int, str | None], bool] | None = None
                       ) -> list[PhotoOutcome]:
    """Analyse photos as one batch (one network pass: vision.analyse_batch) and store each photo's
    results in its own transaction, so one bad photo never fails the others.

    Idempotent: a photo has at most one PhotoResult row, replaced on re-runs. `settle(photo_id,
    error_or_None)` runs inside each photo's final transaction (the queue marks its job there);
    when it returns False the claim was lost and nothing is written for that photo.
    Returns one outcome per distinct photo id, in order.
    """
    from web import vision
    from web.storage import get_storage

    ids = list(dict.fromkeys(int(i) for i in photo_ids))
    with job_context() as app:
        s = _session(app)
        photos = {p.id: p for p in s.execute(select(Photo).where(Photo.id.in_(ids))).scalars()}
        outcomes = {pid: PhotoOutcome(pid) for pid in ids}
        for pid in ids:
            if pid not in photos:
                log.warning("analyse_photos_job: photo %s does not exist", pid)
                _settle_alone(s, settle, pid, None)
        refs = {}
        for p in photos.values():
            p.status, p.error = PhotoStatus.ANALYSING.value, ""
            refs[p.id] = (p.audit_id, p.audit.brand_pack.ref, p.audit.checklist_version.ref)
        s.commit()

        store = get_storage(app)
        loaded, load_ms = [], {}
        for pid, p in photos.items():
            t0 = time.perf_counter()
            try:
                decoded = vision.load_photo(store.get(p.storage_key), p.original_name or f"photo {p.id}")
            except Exception as exc:  # this photo's file: the others go on
                _record_failure(s, settle, p, outcomes[pid], exc)
                continue
            loaded.append((p, decoded))
            load_ms[pid] = (time.perf_counter() - t0) * 1000.0

        references = _references(s, store, [p for p, _ in loaded])
        t0 = time.perf_counter()
        analyses = vision.analyse_batch([(d, p.area, refs[p.id][1], refs[p.id][2], references.get(p.id, ()))
                                         for p, d in loaded]) if loaded else []
        share_ms = (time.perf_counter() - t0) * 1000.0 / max(1, len(loaded))
        for (p, decoded), analysis in zip(loaded, analyses):
            if isinstance(analysis, Exception):
                _record_failure(s, settle, p, outcomes[p.id], analysis)
                continue
            _prerender(p, decoded)
            try:
                _store_result(s, settle, p, analysis, load_ms[p.id] + share_ms)
            except Exception as exc:  # the database went away mid-batch: retry later
                log.exception("storing results of photo %s", p.id)
                s.rollback()
                _record_failure(s, settle, p, outcomes[p.id], exc)

        retried = {refs[pid][0] for pid, o in outcomes.items() if o.transient and pid in refs}
        for audit_id in dict.fromkeys(refs[p.id][0] for p in photos.values()):
            if audit_id in retried:
                continue  # scored once the retry has its results
            try:
                if _maybe_finish(app, audit_id):
                    from web.jobs.queue import enqueue

                    enqueue("score_audit", audit_id, app=app)
            except Exception:
                log.exception("scoring audit %s after its photos", audit_id)
                s.rollback()
        return [outcomes[pid] for pid in ids]


def _stored_photo_loader(store):
    """Decode a stored Photo row's file (an approved reference) like any upload."""
    from web import vision

    return lambda ref: vision.load_photo(store.get(ref.storage_key), ref.original_name or f"photo {ref.id}")


def _references(s, store, photos: Sequence[Photo]) -> dict[int, tuple]:
    """photo id -> decoded approved references of its site and area; none when they cannot be read."""
    from web.services.references import references_for_photos

    try:
        return references_for_photos(s, photos, _stored_photo_loader(store))
    except Exception:  # a reference is extra evidence: without it the photo is still analysed
        log.exception("loading reference photos")
        s.rollback()
        return {}


def _view_references(s, store, site_id: int, area: str | None) -> tuple:
    """Decoded approved references of a site's area (a dealer's proof is compared with them)."""
    from web.services.references import view_references

    try:
        return tuple(d for _, d in view_references(s, site_id, area, _stored_photo_loader(store)))
    except Exception:
        log.exception("loading reference photos of site %s/%s", site_id, area)
        s.rollback()
        return ()


def _settle_alone(s, settle, photo_id: int, error: str | None) -> None:
    if settle is not None:
        settle(photo_id, error)
        s.commit()


def _record_failure(s, settle, photo: Photo, outcome: PhotoOutcome, exc: Exception) -> None:
    """The photo gets status error and the reason; its job is done (the photo is at fault: a retry
    cannot help) or failed (anything else: retried)."""
    transient = not isinstance(exc, AuditorError)
    message = str(exc) if not transient else f"analysis failed: {type(exc).__name__}: {exc}"
    if transient:
        log.error("photo %s: %s", photo.id, message)
    try:
        if settle is not None and not settle(photo.id, message if transient else None):
            s.rollback()  # no longer ours: the claim's new holder records the outcome
            return
        photo.status, photo.error = PhotoStatus.ERROR.value, message[:2000]
        s.commit()
    except Exception:  # the database is gone: the job stays claimed, its lead's redelivery takes it back
        log.exception("recording the failure of photo %s", photo.id)
        s.rollback()
        transient = True
    outcome.error, outcome.transient = message[:2000], transient


def _prerender(photo: Photo, decoded) -> None:
    try:
        from web.services.images import prerender_thumbnail

        prerender_thumbnail(photo.sha256, decoded.rgb)
    except Exception:  # a thumbnail is a convenience: the page makes it on demand otherwise
        log.exception("thumbnail for photo %s", photo.id)


def _store_result(s, settle, photo: Photo, analysis, elapsed_ms: float) -> None:
    """Replace the photo's one PhotoResult row (two writers of one photo: the second updates)."""
    rows = [r.to_dict() for r in analysis.results]
    for attempt in (1, 2):
        try:
            if settle is not None and not settle(photo.id, None):
                s.rollback()  # our claim was taken over: its new holder writes the results
                return
            existing = s.query(PhotoResult).filter_by(photo_id=photo.id).one_or_none()
            if existing is None:
                existing = PhotoResult(photo_id=photo.id, results=rows)
                s.add(existing)
            existing.results = rows
            existing.predicted_area = analysis.predicted_area
            existing.predicted_area_confidence = analysis.predicted_area_confidence
            existing.analysed_at = utcnow()
            existing.elapsed_ms = elapsed_ms
            photo.status, photo.error = PhotoStatus.DONE.value, ""
            s.commit()
            return
        except IntegrityError:
            s.rollback()
            if attempt == 2:
                raise


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
            store = get_storage(app)
            decoded = vision.load_photo(store.get(proof.storage_key), proof.original_name or "proof")
            analysis = vision.analyse_for_item(decoded, area, audit.brand_pack.ref, audit.checklist_version.ref,
                                               action.item_id, references=_view_references(s, store, audit.site_id, area))
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
