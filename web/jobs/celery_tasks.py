"""Celery tasks: thin wrappers that hand a job id to the same code the embedded queue runs."""
from __future__ import annotations

import logging
import os

from web.jobs.celery_app import celery

log = logging.getLogger(__name__)

_MAX_RETRIES = int(os.environ.get("CELERY_MAX_RETRIES", 5))
_BACKOFF_MAX_S = int(os.environ.get("CELERY_RETRY_BACKOFF_MAX", 300))


@celery.task(
    name="dealer_audit.execute_job",
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(Exception,),
    retry_backoff=2,  # 2, 4, 8 ... seconds
    retry_backoff_max=_BACKOFF_MAX_S,
    retry_jitter=True,
    max_retries=_MAX_RETRIES,
)
def execute_job_task(self, job_id: int) -> None:
    """Run job `job_id` (a row of the jobs table). Idempotent: a finished job is not run again."""
    from web.jobs.queue import execute_job

    log.info("job %s: attempt %s", job_id, self.request.retries + 1)
    execute_job(int(job_id))
