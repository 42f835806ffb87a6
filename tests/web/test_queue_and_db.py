"""The real embedded queue (SqliteHuey + worker thread), idempotent tasks, migrations both ways."""
from __future__ import annotations

import io
import time

from sqlalchemy import inspect, select

from conftest import Auth, make_app
from test_smoke_flow import start_audit
from web.db import get_db
from web.models import Audit, Job, Photo, PhotoResult


def test_upload_goes_through_the_real_embedded_queue(tmp_path, make_photo):
    from web.jobs.queue import start_embedded_worker

    app = make_app(tmp_path, QUEUE="embedded")
    try:
        client = app.test_client()
        auth = Auth(client)
        auth.login("auditor")
        audit_id = start_audit(app, auth)
        r = auth.post(f"/audits/{audit_id}/photos",
                      {"area": "facade", "photos": [(io.BytesIO(make_photo(i)), f"{i}.jpg") for i in range(3)]},
                      content_type="multipart/form-data", headers={"Accept": "application/json"})
        assert r.status_code == 200
        # nothing is analysed in the request: the jobs wait in the queue file until a worker runs
        prog = client.get(f"/audits/{audit_id}/progress.json").get_json()
        assert prog["queued"] == 3 and not prog["finished"] and prog["status"] == "analysing"
        assert (tmp_path / "data" / "queue.db").exists()
        start_embedded_worker(app, threads=1)
        deadline = time.time() + 300
        while time.time() < deadline:
            prog = client.get(f"/audits/{audit_id}/progress.json").get_json()
            if prog["finished"] and prog["score"] is not None and prog["status"] == "draft":
                break
            time.sleep(0.5)
        assert prog["finished"] and prog["done"] == 3, prog
        with app.app_context():
            s = get_db(app).session()
            jobs = s.execute(select(Job)).scalars().all()
            assert {j.name for j in jobs} >= {"analyse_photo", "score_audit"}
            assert all(j.status == "done" for j in jobs if j.name == "analyse_photo")
    finally:
        w = app.extensions.get("embedded_worker")
        if w:
            w.stop()
        app.extensions["db"].dispose()


def test_tasks_are_idempotent(app, auth, make_photo):
    from web.jobs.tasks import analyse_photo_job, score_audit_job

    auth.login("auditor")
    audit_id = start_audit(app, auth)
    auth.post(f"/audits/{audit_id}/photos", {"area": "lounge", "photos": [(io.BytesIO(make_photo(4)), "l.jpg")]},
              content_type="multipart/form-data", headers={"Accept": "application/json"})
    with app.app_context():
        s = get_db(app).session()
        photo = s.execute(select(Photo).where(Photo.audit_id == audit_id)).scalar_one()
        first = [r["verdict"] for r in photo.result.results]
        analyse_photo_job(photo.id)
        analyse_photo_job(photo.id)
        score_audit_job(audit_id)
        score_audit_job(audit_id)
        assert s.query(PhotoResult).filter_by(photo_id=photo.id).count() == 1
        assert [r["verdict"] for r in s.get(Photo, photo.id).result.results] == first
        analyse_photo_job(987654)  # a vanished photo is not an error


def test_migrations_downgrade_and_upgrade(tmp_path):
    from web.migrate import downgrade, upgrade
    from web.models import Base
    from sqlalchemy import create_engine

    app = make_app(tmp_path)
    url = app.config["DATABASE_URL"]
    app.extensions["db"].dispose()
    downgrade(url, "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(url)
    assert set(Base.metadata.tables) <= set(inspect(engine).get_table_names())
    engine.dispose()
