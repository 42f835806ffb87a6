"""The Celery application for scale-out analysis (``QUEUE=celery``), broker: Redis.

Start a worker (any number of them, on any machine that reaches the broker and the database):

    celery -A web.jobs.celery_app worker --loglevel=INFO --concurrency=2
    # or, from Python: web.jobs.celery_app.run_worker(concurrency=2)

The web app and the workers read the same environment (DATABASE_URL, STORAGE, S3_*, ...);
the broker is ``CELERY_BROKER_URL``, else ``REDIS_URL``. Delivery guarantees:

- ``task_acks_late`` + ``task_reject_on_worker_lost``: a message is acknowledged only after its
  task returned, so a worker killed mid-job (SIGKILL, OOM, lost machine) leaves the job to be
  delivered again: at once when only a pool child died, after ``CELERY_VISIBILITY_TIMEOUT``
  seconds when the whole worker died.
- ``worker_prefetch_multiplier=1``: a worker holds no more jobs than it runs, so a dead worker
  strands at most its running jobs and long analyses spread over all workers.
- Redis with ``appendonly yes`` keeps queued jobs across a broker restart.
- The task functions are idempotent (web.jobs.tasks), so a job that runs twice never
  duplicates rows; failures are retried with exponential backoff and jitter.
"""
from __future__ import annotations

import os

from celery import Celery


def broker_url() -> str:
    return os.environ.get("CELERY_BROKER_URL") or os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"


def _float_env(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


def make_celery(broker: str | None = None) -> Celery:
    """A configured Celery app (tests build their own against a private Redis)."""
    app = Celery("dealer_audit", broker=broker or broker_url(), include=["web.jobs.celery_tasks"])
    visibility = _float_env("CELERY_VISIBILITY_TIMEOUT", 900.0)
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_ignore_result=True,  # job state lives in the jobs table, not in a result backend
        task_serializer="json",
        accept_content=["json"],
        task_default_queue=os.environ.get("CELERY_QUEUE", "audit"),
        task_track_started=False,
        broker_connection_retry_on_startup=True,
        broker_connection_max_retries=None,  # keep reconnecting while the broker restarts
        broker_transport_options={
            # An unacknowledged job (its worker died) is handed out again after this many seconds;
            # keep it above the longest analysis, or a slow job is run twice (harmless, wasteful).
            "visibility_timeout": visibility,
            "socket_timeout": 10,
            "socket_connect_timeout": 5,
            "retry_on_timeout": True,
        },
        broker_heartbeat=0,
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_max_tasks_per_child=int(_float_env("CELERY_MAX_TASKS_PER_CHILD", 200)),  # bound leaks in vision libs
        worker_hijack_root_logger=False,
        timezone="UTC",
    )
    return app


celery = make_celery()
app = celery  # `celery -A web.jobs.celery_app` finds `app` or `celery`


def run_worker(concurrency: int = 1, loglevel: str = "INFO", hostname: str | None = None, queues: str | None = None) -> None:
    """Run a worker in this process (what `auditor-web worker --celery` calls)."""
    argv = ["worker", f"--loglevel={loglevel}", f"--concurrency={concurrency}", "--without-gossip",
            "--without-mingle"]
    if hostname:
        argv.append(f"--hostname={hostname}")
    if queues:
        argv.append(f"--queues={queues}")
    celery.worker_main(argv)


from web.jobs.celery_tasks import execute_job_task  # noqa: E402  (registers the task on `celery`)

__all__ = ["celery", "app", "make_celery", "run_worker", "execute_job_task", "broker_url"]
