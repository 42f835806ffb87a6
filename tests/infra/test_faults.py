"""Faults with nothing lost, on the real deployment pieces: gunicorn, Celery workers on Redis,
SQLite / PostgreSQL, the photo store. Each test starts its own servers on 127.0.0.1.
"""
from __future__ import annotations

import os
import signal
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from infra_servers import port_open, wait_until
from webharness import Api, CeleryWorker, DbView, WebServer, app_env, init_site, photo, run_cli

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _analysed(db, photo_id) -> bool:
    """The photo's results are stored AND its job row says done (the worker commits these one after the other)."""
    return _photo_state(db, photo_id) == "done" and all(j[1] == "done" for j in _analyse_jobs(db, photo_id))


def _photo_state(db: DbView, photo_id: int):
    return db.scalar("SELECT status FROM photos WHERE id = :i", i=photo_id)


def _analyse_jobs(db: DbView, photo_id: int):
    return [r for r in db.rows("SELECT id, status, attempts, args FROM jobs WHERE name = 'analyse_photo'")
            if str(photo_id) in str(r[3]).replace(" ", "").strip("[]").split(",")]


@pytest.fixture
def celery_site(tmp_path, redis_server):
    """SQLite + local storage + QUEUE=celery on a private Redis; gunicorn serving the API."""
    data = tmp_path / "data"
    env = app_env(data, QUEUE="celery", REDIS_URL=redis_server.url, CELERY_VISIBILITY_TIMEOUT="6",
                  CELERY_MAX_RETRIES="3")
    tokens = init_site(env)
    web = WebServer(env, tmp_path, workers=1, threads=4).start()
    db = DbView(f"sqlite:///{data / 'audit.db'}")
    children = [web]
    try:
        yield env, Api(web.url, tokens["auditor"]), db, children, tmp_path, redis_server
    finally:
        for child in children:
            child.stop()
        db.close()


def test_worker_killed_mid_analysis_job_completes_on_another_worker(celery_site):
    env, api, db, children, tmp_path, _redis = celery_site
    audit_id = api.new_audit()
    doomed = CeleryWorker(env, tmp_path, "doomed", slow_s=600).start()  # sleeps inside the job: killable
    children.append(doomed)
    r = api.upload(audit_id, [("kill-me.jpg", photo(1))])
    assert r.status_code == 200, r.text
    photo_id = r.json()["results"][0]["photo_id"]
    wait_until(lambda: b"[slow_worker] analysis starts" in doomed.log_path.read_bytes(), 180,
               "the doomed worker to be inside the analysis")
    assert any(j[1] == "running" for j in _analyse_jobs(db, photo_id))
    doomed.kill()  # SIGKILL master and pool child: the message was never acknowledged

    rescuer = CeleryWorker(env, tmp_path, "rescuer").start()
    children.append(rescuer)
    wait_until(lambda: _analysed(db, photo_id), 300,
               f"the job to complete on the rescuer (log: {rescuer.log_path})", interval=1)
    jobs = _analyse_jobs(db, photo_id)
    assert len(jobs) == 1, jobs  # one job, delivered twice
    assert jobs[0][1] == "done" and jobs[0][2] >= 2, jobs
    assert db.scalar("SELECT COUNT(*) FROM photo_results WHERE photo_id = :i", i=photo_id) == 1
    # the audit is scored once its only photo is analysed
    wait_until(lambda: db.scalar("SELECT score_total FROM audits WHERE id = :i", i=audit_id) is not None, 180,
               "the audit score")


def test_worker_killed_mid_batch_hands_back_every_photo(celery_site):
    """AUDITOR_BATCH_SIZE=4: one worker claims four photo jobs (one photo's file is corrupt) and is
    SIGKILLed inside the batched analysis; another worker finishes all four, once each."""
    from web.storage import LocalStorage

    env, api, db, children, tmp_path, _redis = celery_site
    batch_env = dict(env, AUDITOR_BATCH_SIZE="4")
    audit_id = api.new_audit()
    r = api.upload(audit_id, [(f"batch-{i}.jpg", photo(500 + i)) for i in range(4)])
    assert r.status_code == 200, r.text
    ids = [x["photo_id"] for x in r.json()["results"]]
    store = LocalStorage(tmp_path / "data" / "blobs")
    bad_key = db.scalar("SELECT storage_key FROM photos WHERE id = :i", i=ids[2])
    store.put_as(bad_key, store.get(bad_key)[:200])  # truncated on disk: this photo can never be analysed

    doomed = CeleryWorker(batch_env, tmp_path, "batch-doomed", slow_s=600).start()
    children.append(doomed)
    wait_until(lambda: b"[slow_worker] analysis starts (3 photo(s))" in doomed.log_path.read_bytes(), 180,
               f"the doomed worker to be inside a batch (log: {doomed.log_path})")
    good = [ids[0], ids[1], ids[3]]
    assert all(j[1] == "running" for i in good for j in _analyse_jobs(db, i))
    assert _photo_state(db, ids[2]) == "error"  # settled before the analysis: a bad file fails alone
    doomed.kill()

    rescuer = CeleryWorker(batch_env, tmp_path, "batch-rescuer").start()
    children.append(rescuer)
    wait_until(lambda: all(_photo_state(db, i) in ("done", "error") for i in ids)
               and all(j[1] == "done" for i in ids for j in _analyse_jobs(db, i)), 300,
               f"the batch to complete on the rescuer (log: {rescuer.log_path})", interval=1)
    assert [_photo_state(db, i) for i in ids] == ["done", "done", "error", "done"]
    for i in ids:
        jobs = _analyse_jobs(db, i)
        # the good ones: claimed by the dead batch, then by the rescuer; the bad one settled once
        assert len(jobs) == 1 and (jobs[0][2] >= 2 if i in good else jobs[0][2] == 1), jobs
        assert db.scalar("SELECT COUNT(*) FROM photo_results WHERE photo_id = :i", i=i) == (1 if i in good else 0)
    wait_until(lambda: db.scalar("SELECT score_total FROM audits WHERE id = :i", i=audit_id) is not None, 180,
               "the audit score")


def _children_of(pid: int) -> list[int]:
    out = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = open(f"/proc/{entry}/stat").read()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(entry))
    return out


def test_pool_child_killed_job_is_redelivered_at_once(celery_site):
    env, api, db, children, tmp_path, _redis = celery_site
    audit_id = api.new_audit()
    worker = CeleryWorker(env, tmp_path, "survivor", slow_s=600, slow_once_file=tmp_path / "slept-once").start()
    children.append(worker)
    r = api.upload(audit_id, [("child.jpg", photo(7))])
    photo_id = r.json()["results"][0]["photo_id"]
    once = tmp_path / "slept-once"
    wait_until(once.exists, 180, "the job to be inside the analysis")
    pool = _children_of(worker.proc.pid)
    assert pool, "no pool process found"
    for pid in pool:
        os.kill(pid, signal.SIGKILL)  # the OOM killer's way: the master survives, its child does not
    # task_reject_on_worker_lost: requeued at once, no visibility timeout to wait for
    wait_until(lambda: _analysed(db, photo_id), 300, f"redelivery (log: {worker.log_path})", interval=1)
    jobs = _analyse_jobs(db, photo_id)
    assert len(jobs) == 1 and jobs[0][1] == "done" and jobs[0][2] >= 2, jobs
    assert db.scalar("SELECT COUNT(*) FROM photo_results WHERE photo_id = :i", i=photo_id) == 1


def test_broker_restart_keeps_queued_jobs(celery_site):
    env, api, db, children, tmp_path, redis_server = celery_site
    audit_id = api.new_audit()
    r = api.upload(audit_id, [(f"q{i}.jpg", photo(100 + i)) for i in range(3)])
    assert r.status_code == 200, r.text
    ids = [x["photo_id"] for x in r.json()["results"]]
    assert all(_photo_state(db, i) == "queued" for i in ids)  # no worker yet: waiting in Redis

    redis_server.kill()  # SIGKILL: only the append-only file keeps the queue
    redis_server.start()  # same port, same data folder

    # The web process reconnects to the restarted broker for new jobs too.
    r = api.upload(audit_id, [("after-restart.jpg", photo(200))])
    assert r.status_code == 200, r.text
    ids.append(r.json()["results"][0]["photo_id"])

    worker = CeleryWorker(env, tmp_path, "after-restart").start()
    children.append(worker)
    wait_until(lambda: all(_photo_state(db, i) == "done" for i in ids), 400,
               f"all 4 jobs after the broker restart (log: {worker.log_path})", interval=1)
    for i in ids:
        assert db.scalar("SELECT COUNT(*) FROM photo_results WHERE photo_id = :i", i=i) == 1
        assert len(_analyse_jobs(db, i)) == 1


@pytest.mark.postgres
def test_database_down_during_upload(tmp_path, postgres_server):
    data = tmp_path / "data"
    url = postgres_server.url()
    env = app_env(data, DATABASE_URL=url, QUEUE="embedded", EMBEDDED_WORKER="0")
    tokens = init_site(env)
    web = WebServer(env, tmp_path, workers=1, threads=2).start()
    db = DbView(url)
    try:
        api = Api(web.url, tokens["auditor"], timeout=60)
        audit_id = api.new_audit()
        first = api.upload(audit_id, [("before.jpg", photo(1))])
        assert first.status_code == 200, first.text

        postgres_server.stop("fast")
        assert not port_open(postgres_server.port), "PostgreSQL did not stop"
        down = api.upload(audit_id, [("during.jpg", photo(2))])
        assert down.status_code in (500, 503), (down.status_code, down.text[:1000])
        body = down.text
        assert "Traceback" not in body and "psycopg" not in body  # no internals leaked
        assert len(body) < 20_000
        assert web.alive(), "the web process must survive a database outage"

        postgres_server.start()
        retry = wait_until(lambda: (lambda r: r if r.status_code == 200 else None)(
            api.upload(audit_id, [("during.jpg", photo(2))])), 60, "the retried upload")
        assert retry.json()["results"][0]["ok"], retry.text
        names = {r[0] for r in db.rows("SELECT original_name FROM photos WHERE audit_id = :a", a=audit_id)}
        assert names == {"before.jpg", "during.jpg"}

        check = run_cli(env, "doctor")
        assert check.returncode == 0, check.stdout + check.stderr
        assert "integrity: OK" in check.stdout
    finally:
        web.stop()
        db.close()


def test_web_killed_during_upload_burst_integrity_holds(tmp_path):
    data = tmp_path / "data"
    env = app_env(data, QUEUE="embedded", EMBEDDED_WORKER="0")
    tokens = init_site(env)
    web = WebServer(env, tmp_path, workers=2, threads=4).start()
    db = DbView(f"sqlite:///{data / 'audit.db'}")
    acknowledged: list[int] = []
    lock = threading.Lock()
    stop = threading.Event()
    try:
        api = Api(web.url, tokens["auditor"], timeout=30)
        audit_id = api.new_audit()

        def uploader(n: int):
            client = Api(web.url, tokens["auditor"], timeout=30)
            for k in range(12):
                if stop.is_set():
                    return
                try:
                    r = client.upload(audit_id, [(f"burst-{n}-{k}.jpg", photo(1000 + n * 100 + k))])
                except Exception:
                    continue  # the server died under us: expected
                if r.status_code == 200:
                    with lock:
                        acknowledged.append(r.json()["results"][0]["photo_id"])

        with ThreadPoolExecutor(6) as pool:
            futures = [pool.submit(uploader, n) for n in range(6)]
            wait_until(lambda: len(acknowledged) >= 8, 180, "8 acknowledged uploads")
            web.kill()  # SIGKILL master and workers mid-burst
            stop.set()
            for f in futures:
                f.result(60)
        assert acknowledged

        before = run_cli(env, "doctor")
        assert "MISSING FILE" not in before.stdout, before.stdout  # a row never exists without its file

        web = WebServer(env, tmp_path, workers=1, threads=2, name="web-restarted").start()
        fixed = run_cli(env, "doctor", "--fix", "--grace", "0")
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        assert "integrity: OK" in fixed.stdout
        # Every acknowledged upload survived with its file.
        stored = {r[0] for r in db.rows("SELECT id FROM photos WHERE audit_id = :a", a=audit_id)}
        assert set(acknowledged) <= stored
        after = Api(web.url, tokens["auditor"]).upload(audit_id, [("after.jpg", photo(9999))])
        assert after.status_code == 200, after.text
    finally:
        stop.set()
        web.stop()
        db.close()


def test_failed_job_is_retried_with_backoff(celery_site):
    """A job that fails (its photo file is briefly unreadable) is retried by Celery and then succeeds."""
    from web.storage import LocalStorage

    env, api, db, children, tmp_path, _redis = celery_site
    store = LocalStorage(tmp_path / "data" / "blobs")
    audit_id = api.new_audit()
    data = photo(31)
    r = api.upload(audit_id, [("retry.jpg", data)])
    photo_id = r.json()["results"][0]["photo_id"]
    key = db.scalar("SELECT storage_key FROM photos WHERE id = :i", i=photo_id)
    store.delete(key)  # the first attempt will not find the file

    worker = CeleryWorker(env, tmp_path, "retrier").start()
    children.append(worker)
    wait_until(lambda: any(j[1] == "failed" for j in _analyse_jobs(db, photo_id)), 180, "the first attempt to fail")
    assert store.put(data, "photos") == key  # the file is back
    wait_until(lambda: _analysed(db, photo_id), 300, f"the retry (log: {worker.log_path})", interval=1)
    jobs = _analyse_jobs(db, photo_id)
    assert len(jobs) == 1 and jobs[0][1] == "done" and jobs[0][2] >= 2, jobs
    assert b"Retry in" in worker.log_path.read_bytes()  # Celery's own backoff, not a re-enqueue
    assert db.scalar("SELECT COUNT(*) FROM photo_results WHERE photo_id = :i", i=photo_id) == 1
