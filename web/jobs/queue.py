"""Background jobs: one `enqueue(name, *args)` over three backends, chosen by `QUEUE`.

- ``embedded`` (default): a real persistent queue with no server, Huey's SqliteHuey in
  ``DATA_DIR/queue.db``; consumed by worker threads that the app starts
  (``EMBEDDED_WORKER=1``, ``auditor-web serve``) or by ``auditor-web worker``.
- ``celery``: ``web.jobs.celery_app`` (scale-out issue) must define a Celery task
  ``execute_job_task(job_id)`` that calls :func:`execute_job`; enqueue sends it there.
- ``immediate``: runs the job in the calling thread after its row is committed (unit
  tests and scripts); the same task functions run.

Every job is a row in ``jobs`` first (name, args, status, attempts, error); the backend
only carries the job id. :func:`execute_job` runs the task named in the row; the message
of a photo job leads a batch of photo jobs (web.jobs.batch, ``AUDITOR_BATCH_SIZE``). Task
functions are idempotent, so a job that runs twice (a worker killed mid-job, a retry)
never duplicates results.
"""
from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from flask import Flask, current_app

from web.models import Job, utcnow

log = logging.getLogger(__name__)


def task_functions():
    from web.jobs import tasks

    return {
        "analyse_photo": tasks.analyse_photo_job,
        "score_audit": tasks.score_audit_job,
        "check_proof": tasks.check_proof_job,
    }


def enqueue(name: str, *args, app: Flask | None = None) -> int:
    """Record a job and hand it to the configured backend; returns the job id."""
    app = app or current_app._get_current_object()
    if name not in task_functions():
        raise ValueError(f"unknown job {name!r} (known: {', '.join(task_functions())})")
    database = app.extensions["db"]
    s = database.session()
    job = Job(name=name, args=list(args), status="queued")
    s.add(job)
    s.commit()
    job_id = job.id
    kind = app.config["QUEUE"]
    if kind == "immediate":
        try:
            execute_job(job_id, app=app)
        except Exception:  # recorded on the job (and the photo); the caller's request goes on
            pass
    elif kind == "embedded":
        get_huey(app).enqueue(_huey_task(app).s(job_id))
    elif kind == "celery":
        from web.jobs.celery_app import execute_job_task  # scale-out issue

        execute_job_task.delay(job_id)
    else:
        raise ValueError(f"unknown QUEUE={kind!r} (expected embedded, celery or immediate)")
    return job_id


def execute_job(job_id: int, app: Flask | None = None) -> None:
    """Run the job recorded under `job_id` (any backend's worker calls this)."""
    from web.jobs.tasks import job_context

    with job_context(app) as app_:
        s = app_.extensions["db"].session()
        job = s.get(Job, job_id)
        if job is None:
            log.warning("job %s vanished", job_id)
            return
        if job.name == "analyse_photo":  # photo jobs run in batches; the claims keep their state
            from web.jobs.batch import run_photo_batch

            s.commit()
            run_photo_batch(app_, job_id)
            return
        if job.status == "done":
            return  # delivered twice: the work is already done
        job.status, job.started_at, job.attempts = "running", utcnow(), job.attempts + 1
        s.commit()
        name, args = job.name, list(job.args)
        try:
            task_functions()[name](*args)
        except Exception as exc:
            log.exception("job %s %s%s failed", job_id, name, tuple(args))
            s.rollback()
            job = s.get(Job, job_id)
            job.status, job.error, job.finished_at = "failed", f"{type(exc).__name__}: {exc}"[:2000], utcnow()
            s.commit()
            raise
        job = s.get(Job, job_id)
        job.status, job.error, job.finished_at = "done", "", utcnow()
        s.commit()


# --- embedded backend: Huey on SQLite ---------------------------------------------------------

def get_huey(app: Flask):
    huey = app.extensions.get("huey")
    if huey is None:
        from huey import SqliteHuey

        path = Path(app.config["DATA_DIR"]) / "queue.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        huey = SqliteHuey("dealer-audit", filename=str(path), results=False, timeout=30)

        @huey.task(name="execute_job", retries=2, retry_delay=2)
        def execute_job_huey(job_id: int) -> None:
            execute_job(job_id, app=app)

        app.extensions["huey"] = huey
        app.extensions["huey_task"] = execute_job_huey
    return huey


def _huey_task(app: Flask):
    get_huey(app)
    return app.extensions["huey_task"]


class EmbeddedWorker:
    """Threads that consume the SqliteHuey queue inside this process."""

    def __init__(self, app: Flask, threads: int = 1, poll_s: float = 0.2):
        self.app = app
        self.huey = get_huey(app)
        self.poll_s = poll_s
        self._stop = threading.Event()
        self._threads = [threading.Thread(target=self._run, name=f"audit-worker-{i}", daemon=True)
                         for i in range(threads)]

    def start(self) -> "EmbeddedWorker":
        for t in self._threads:
            t.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout)

    def _run(self) -> None:
        last_schedule_read = 0.0
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_schedule_read > 1.0:  # retries wait in the schedule
                    last_schedule_read = time.monotonic()
                    for due in self.huey.read_schedule():
                        self.huey.enqueue(due)
                task = self.huey.dequeue()
            except Exception:
                log.exception("queue read failed")
                time.sleep(1.0)
                continue
            if task is None:
                self._stop.wait(self.poll_s)
                continue
            try:
                self.huey.execute(task)
            except Exception:
                log.exception("task %s failed", task)


def start_embedded_worker(app: Flask, threads: int = 1) -> EmbeddedWorker:
    worker = app.extensions.get("embedded_worker")
    if worker is None:
        worker = EmbeddedWorker(app, threads=threads).start()
        app.extensions["embedded_worker"] = worker
    return worker


def pending_jobs(app: Flask) -> int:
    return get_huey(app).pending_count()
