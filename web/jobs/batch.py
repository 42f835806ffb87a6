"""Batched photo analysis: the message of one photo job leads a batch of up to N photo jobs.

Celery and the embedded queue run this same code (through web.jobs.queue.execute_job). The
claim protocol is in web.jobs.claims; the analysis and the writes in
web.jobs.tasks.analyse_photos_job. Batch size: ``AUDITOR_BATCH_SIZE`` (0 or unset: 8 where the
network runs on CUDA, 1 on CPU); ``QUEUE=immediate`` always runs one photo (the request's own).
"""
from __future__ import annotations

import logging
from collections import defaultdict

from flask import Flask

from web.jobs import claims as claims_mod
from web.jobs.tasks import AnalysisIncomplete, analyse_photos_job

log = logging.getLogger(__name__)


def batch_size(app: Flask) -> int:
    if app.config.get("QUEUE") == "immediate":
        return 1
    configured = int(app.config.get("BATCH_SIZE") or 0)
    if configured > 0:
        return configured
    from web import vision

    return vision.default_batch_size()


def run_photo_batch(app: Flask, lead_id: int) -> None:
    """Claim a batch led by job `lead_id`, analyse it, settle every claimed job.

    Raises AnalysisIncomplete when a photo failed in a way a retry may cure: the lead's
    message is then retried (Celery's backoff, Huey's retries) and takes those jobs back.
    """
    s = app.extensions["db"].session()
    claimed = claims_mod.claim_batch(s, lead_id, batch_size(app), float(app.config.get("BATCH_LEASE_S") or 900))
    if not claimed:
        log.info("job %s: done already or in another worker's batch", lead_id)
        return
    by_photo: dict[int, list[claims_mod.Claim]] = defaultdict(list)
    for c in claimed:
        by_photo[c.photo_id].append(c)
    log.info("job %s leads a batch of %d photo job(s): %s", lead_id, len(claimed), [c.job_id for c in claimed])

    def settle(photo_id: int, error: str | None) -> bool:
        return any([claims_mod.settle(s, c, error) for c in by_photo.get(photo_id, [])])

    outcomes = analyse_photos_job(list(by_photo), settle=settle)
    transient = [o for o in outcomes if o.transient]
    if transient:
        raise AnalysisIncomplete(
            f"{len(transient)} of {len(outcomes)} photo(s) to retry: "
            + "; ".join(f"photo {o.photo_id}: {o.error}" for o in transient[:5])
        )
