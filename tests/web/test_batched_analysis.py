"""Batched photo analysis (issue #6, "GPU workers take batches"): one photo job's message leads a
batch of up to AUDITOR_BATCH_SIZE photo jobs, claimed in the jobs table (web.jobs.claims).

Real SQLite, real stored files, the real library analysis (on CPU here: the batched path runs the
network once per batch whatever the device). The jobs wait in the real embedded queue file; the
tests hand job ids to `execute_job` as a worker would, so they can play a worker that dies.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from conftest import Auth, make_app
from test_smoke_flow import start_audit, upload
from web.db import get_db
from web.jobs.claims import claim_batch
from web.jobs.queue import execute_job
from web.jobs.tasks import AnalysisIncomplete, analyse_photos_job
from web.models import Audit, Job, Photo, PhotoResult
from web.storage import get_storage


@pytest.fixture
def batch_app(tmp_path):
    app = make_app(tmp_path, QUEUE="embedded", BATCH_SIZE=4)  # no worker thread: the test is the worker
    yield app
    app.extensions["db"].dispose()


def _upload(app, make_photo, n: int, seed: int = 50):
    client = app.test_client()
    auth = Auth(client)
    auth.login("auditor")
    audit_id = start_audit(app, auth)
    r = upload(auth, audit_id, [(f"b{i}.jpg", make_photo(seed + i)) for i in range(n)])
    assert r.status_code == 200, r.get_data(as_text=True)[:500]
    photo_ids = [x["photo_id"] for x in r.get_json()["results"]]
    return audit_id, photo_ids, _jobs_for(app, photo_ids)


def _jobs_for(app, photo_ids) -> list[int]:
    """Job ids of the photos' analyse_photo jobs, in photo order."""
    with app.app_context():
        s = get_db(app).session()
        jobs = s.execute(select(Job).where(Job.name == "analyse_photo")).scalars().all()
        by_photo = {int(j.args[0]): j.id for j in jobs}
    return [by_photo[p] for p in photo_ids]


def _state(app):
    """{photo_id: (photo status, error, result rows, analysed_at)}, {job_id: (status, attempts, batch_lead)}."""
    with app.app_context():
        s = get_db(app).session()
        s.expire_all()
        photos = {}
        for p in s.execute(select(Photo)).scalars():
            results = s.execute(select(PhotoResult).where(PhotoResult.photo_id == p.id)).scalars().all()
            photos[p.id] = (p.status, p.error, len(results), results[0].analysed_at if results else None)
        jobs = {j.id: (j.status, j.attempts, j.batch_lead)
                for j in s.execute(select(Job).where(Job.name == "analyse_photo")).scalars()}
    return photos, jobs


def _corrupt(app, photo_id: int) -> None:
    """Replace the stored file of a photo with a truncated JPEG (the bytes a failing disk returns)."""
    with app.app_context():
        p = get_db(app).session().get(Photo, photo_id)
        store = get_storage(app)
        store.put_as(p.storage_key, store.get(p.storage_key)[:300])


def test_a_batch_with_a_corrupt_photo_fails_only_that_photo(batch_app, make_photo):
    app = batch_app
    audit_id, photos, jobs = _upload(app, make_photo, 4)
    _corrupt(app, photos[2])

    execute_job(jobs[0], app=app)  # the first message leads a batch of all four

    state, job_state = _state(app)
    for pid in (photos[0], photos[1], photos[3]):
        assert state[pid][0] == "done" and state[pid][2] == 1, state[pid]
    status, error, rows, _ = state[photos[2]]
    assert status == "error" and rows == 0
    assert error and "Traceback" not in error
    for jid in jobs:  # every job settled by the one batch; a bad photo is done (a retry cannot cure it)
        assert job_state[jid] == ("done", 1, jobs[0]), job_state
    # The other photos' messages arrive later: nothing to do, nothing run again.
    for jid in jobs[1:]:
        execute_job(jid, app=app)
    assert _state(app) == (state, job_state)

    # The audit is scored once all its photos are settled, a failed one included.
    with app.app_context():
        s = get_db(app).session()
        score_jobs = s.execute(select(Job.id).where(Job.name == "score_audit")).scalars().all()
    assert score_jobs
    execute_job(score_jobs[-1], app=app)
    with app.app_context():
        audit = get_db(app).session().get(Audit, audit_id)
        assert audit.score is not None and audit.status == "draft"


def test_batched_results_equal_one_photo_at_a_time_and_reruns_never_duplicate(batch_app, make_photo):
    app = batch_app
    _, photos, jobs = _upload(app, make_photo, 3, seed=70)
    execute_job(jobs[0], app=app)
    with app.app_context():
        s = get_db(app).session()
        batched = {pid: [(r["check_id"], r["verdict"]) for r in s.get(Photo, pid).result.results] for pid in photos}
    assert all(batched.values())

    # Re-run: the lead's message again (a redelivery), then the analysis itself, one photo alone.
    execute_job(jobs[0], app=app)
    with app.app_context():
        outcomes = analyse_photos_job([photos[1]])
        assert [o.error for o in outcomes] == [""]
        s = get_db(app).session()
        s.expire_all()
        assert s.query(PhotoResult).count() == 3
        for pid in photos:
            assert s.query(PhotoResult).filter_by(photo_id=pid).count() == 1
        alone = [(r["check_id"], r["verdict"]) for r in s.get(Photo, photos[1]).result.results]
    assert alone == batched[photos[1]]  # a photo's verdicts do not depend on its batch mates
    _, job_state = _state(app)
    assert [job_state[j][:2] for j in jobs] == [("done", 1)] * 3


def test_a_batch_killed_midway_is_taken_back_by_its_redelivered_message(batch_app, make_photo):
    app = batch_app
    _, photos, jobs = _upload(app, make_photo, 3, seed=90)
    with app.app_context():  # a worker claims the batch and dies before it settles anything
        claimed = claim_batch(get_db(app).session(), jobs[0], 4, lease_s=900)
    assert [c.job_id for c in claimed] == jobs

    # The followers' messages find their jobs in a live batch: acknowledged without work.
    execute_job(jobs[1], app=app)
    execute_job(jobs[2], app=app)
    state, job_state = _state(app)
    assert all(job_state[j] == ("running", 1, jobs[0]) for j in jobs)
    assert all(state[p][2] == 0 for p in photos)

    # The lead's message is delivered again (late acknowledgement): it takes the whole batch back.
    execute_job(jobs[0], app=app)
    state, job_state = _state(app)
    assert all(job_state[j] == ("done", 2, jobs[0]) for j in jobs), job_state
    assert all(state[p][0] == "done" and state[p][2] == 1 for p in photos), state


def test_an_abandoned_claim_is_taken_over_once_its_lease_ran_out(batch_app, make_photo):
    app = batch_app
    _, photos, jobs = _upload(app, make_photo, 2, seed=110)
    with app.app_context():  # claimed by a batch whose lease is already over, whose message is lost
        claim_batch(get_db(app).session(), jobs[0], 4, lease_s=-1)
    execute_job(jobs[1], app=app)  # the follower's own message: takes its job over, runs it alone
    state, job_state = _state(app)
    assert job_state[jobs[1]] == ("done", 2, jobs[1])
    assert state[photos[1]][0] == "done" and state[photos[0]][2] == 0
    assert job_state[jobs[0]][0] == "running"


def test_a_transient_failure_retries_only_the_failed_photo(batch_app, make_photo):
    app = batch_app
    _, photos, jobs = _upload(app, make_photo, 3, seed=130)
    with app.app_context():
        s = get_db(app).session()
        p = s.get(Photo, photos[1])
        store = get_storage(app)
        data = store.get(p.storage_key)
        store.delete(p.storage_key)  # unreadable for the first attempt

    with pytest.raises(AnalysisIncomplete, match=f"photo {photos[1]}"):
        execute_job(jobs[0], app=app)  # raising makes Celery / Huey retry the lead's message
    state, job_state = _state(app)
    assert job_state[jobs[0]][0] == job_state[jobs[2]][0] == "done"
    assert job_state[jobs[1]][0] == "failed" and job_state[jobs[1]][2] == jobs[0]
    assert state[photos[1]][0] == "error" and "BlobNotFound" in state[photos[1]][1]
    first_done = {p: state[p][3] for p in (photos[0], photos[2])}

    with app.app_context():
        get_storage(app).put(data, "photos")
    execute_job(jobs[0], app=app)  # the retry
    state, job_state = _state(app)
    assert job_state[jobs[1]] == ("done", 2, jobs[0])
    assert state[photos[1]][0] == "done" and state[photos[1]][2] == 1
    assert {p: state[p][3] for p in (photos[0], photos[2])} == first_done  # the good photos were not re-run
    assert job_state[jobs[0]][1] == job_state[jobs[2]][1] == 1


def test_concurrent_claims_never_share_a_job(tmp_path):
    """Four workers race for twelve queued photo jobs: no job ends up in two batches."""
    app = make_app(tmp_path, QUEUE="embedded")
    try:
        for round_ in range(3):
            with app.app_context():
                s = get_db(app).session()
                s.query(Job).delete()
                rows = [Job(name="analyse_photo", args=[1000 + round_ * 100 + i], status="queued") for i in range(12)]
                s.add_all(rows)
                s.commit()
                leads = [rows[i].id for i in (0, 3, 6, 9)]
            taken: dict[int, list[int]] = {}
            barrier = threading.Barrier(len(leads))

            def worker(lead):
                with app.app_context():
                    barrier.wait()
                    taken[lead] = [c.job_id for c in claim_batch(get_db(app).session(), lead, 5, lease_s=60)]
                    get_db(app).session.remove()

            threads = [threading.Thread(target=worker, args=(lead,)) for lead in leads]
            for t in threads:
                t.start()
            for t in threads:
                t.join(60)
            every = [j for ids in taken.values() for j in ids]
            assert len(every) == len(set(every)), taken  # no job in two batches
            assert set(leads) <= set(every) and all(len(ids) <= 5 for ids in taken.values())
            assert all(ids[0] == lead for lead, ids in taken.items() if ids)
            with app.app_context():  # the table agrees with what each worker believes it holds
                s = get_db(app).session()
                s.expire_all()
                for j in s.execute(select(Job)).scalars():
                    owner = next((lead for lead, ids in taken.items() if j.id in ids), None)
                    assert (j.status, j.batch_lead) == (("running", owner) if owner else ("queued", None))
    finally:
        app.extensions["db"].dispose()
