"""The Celery app's delivery guarantees are configured as docs/DEPLOY.md promises."""
from __future__ import annotations

import importlib


def test_delivery_guarantees(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/5")
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    monkeypatch.setenv("CELERY_VISIBILITY_TIMEOUT", "42")
    from web.jobs import celery_app

    app = celery_app.make_celery()
    assert app.conf.broker_url == "redis://127.0.0.1:1/5"
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.broker_transport_options["visibility_timeout"] == 42.0
    assert app.conf.accept_content == ["json"]


def test_task_retries_with_backoff_and_calls_the_shared_job_runner():
    from web.jobs import celery_app, celery_tasks

    task = celery_app.execute_job_task
    assert task is celery_tasks.execute_job_task
    assert task.name in celery_app.celery.tasks
    assert task.autoretry_for == (Exception,)
    assert task.retry_backoff and task.retry_jitter and task.max_retries >= 1
    assert task.acks_late and task.reject_on_worker_lost
    # The web side enqueues through exactly this name (web.jobs.queue imports it).
    queue = importlib.import_module("web.jobs.queue")
    assert "execute_job_task" in open(queue.__file__).read()


def test_broker_url_prefers_celery_broker_url(monkeypatch):
    from web.jobs.celery_app import broker_url

    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:2/0")
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:3/0")
    assert broker_url() == "redis://127.0.0.1:3/0"
    monkeypatch.delenv("CELERY_BROKER_URL")
    assert broker_url() == "redis://127.0.0.1:2/0"
