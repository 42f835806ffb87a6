"""Integrity check (doctor), backup and restore: round-trip a real analysed audit between
SQLite, PostgreSQL, the local photo folder and S3."""
from __future__ import annotations

import os
import tarfile
import uuid

import pytest
from sqlalchemy import select

from web import create_app
from web.cli import init_db
from web.demo import ensure_org
from web.maintenance import TRACKED_NAMESPACES, MaintenanceError, backup, check_integrity, fix_orphans, restore
from web.models import Base, User
from web.security import new_api_token
from webharness import photo

pytestmark = pytest.mark.slow


def _app(tmp_path, name: str, **config):
    cfg = {"DATA_DIR": str(tmp_path / name), "SECRET_KEY": "t", "QUEUE": "immediate", "TESTING": True}
    cfg.update(config)
    return create_app(cfg)


def _reset(url: str) -> None:
    if url.startswith("sqlite"):
        return
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    """An app with one analysed and scored audit of two photos (QUEUE=immediate), and its API token."""
    tmp = tmp_path_factory.mktemp("source")
    app = _app(tmp, "data")
    with app.app_context():
        init_db(app)
        ensure_org(app)
        s = app.extensions["db"].session()
        token = new_api_token(s.execute(select(User).where(User.username == "auditor")).scalar_one(), "t")
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    site = client.get("/api/v1/sites", headers=headers).get_json()["sites"][0]["id"]
    audit_id = client.post("/api/v1/audits", json={"site_id": site}, headers=headers).get_json()["id"]
    import io

    r = client.post(f"/api/v1/audits/{audit_id}/photos", headers=headers, content_type="multipart/form-data",
                    data={"area": "facade", "photos": [(io.BytesIO(photo(1)), "one.jpg"),
                                                       (io.BytesIO(photo(2)), "two.jpg")]})
    assert r.status_code == 200, r.get_json()
    yield app, audit_id
    app.extensions["db"].dispose()


def _snapshot(app) -> dict:
    """Every table's rows (ordered by primary key) and every photo/proof blob."""
    out = {}
    with app.extensions["db"].engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings().all()
            out[table.name] = [dict(r) for r in rows]
    from web.storage import get_storage

    store = get_storage(app)
    out["_blobs"] = {k: store.get(k) for k in store.keys() if k.split("/", 1)[0] in TRACKED_NAMESPACES}
    return out


def _first_difference(a, b, path="") -> str | None:
    """The path of the first difference between two snapshots (None when equal), for a readable failure."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                return f"{path}/{k}: only in {'restored' if k in a else 'source'}"
            d = _first_difference(a[k], b[k], f"{path}/{k}")
            if d:
                return d
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = _first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: {a!r:.200} != {b!r:.200}"


def test_source_audit_is_complete(audited):
    app, audit_id = audited
    snap = _snapshot(app)
    assert len(snap["photos"]) == 2 and len(snap["photo_results"]) == 2
    audit = next(a for a in snap["audits"] if a["id"] == audit_id)
    assert audit["score"] is not None
    assert check_integrity(app).ok


def test_backup_restore_roundtrip_sqlite(audited, tmp_path):
    app, _ = audited
    before = _snapshot(app)
    out = tmp_path / "b.tar.gz"
    with app.app_context():
        manifest = backup(app, out)
    assert manifest["tables"]["photos"] == 2 and manifest["blobs"] == 2 and not manifest["missing_blobs"]
    with tarfile.open(out) as tar:
        names = tar.getnames()
    assert "manifest.json" in names and "db/photos.jsonl" in names

    target = _app(tmp_path, "restored")
    with target.app_context():
        restore(target, out)
    assert _first_difference(_snapshot(target), before) is None
    assert check_integrity(target).ok
    # Restoring twice is refused (not silently merged) ...
    with target.app_context(), pytest.raises(MaintenanceError, match="not empty"):
        restore(target, out)
    # ... unless asked to replace.
    with target.app_context():
        restore(target, out, replace=True)
    assert _first_difference(_snapshot(target), before) is None
    target.extensions["db"].dispose()


def test_restore_into_postgres_and_s3(audited, tmp_path, postgres_server, s3_endpoint, monkeypatch):
    """A SQLite + local-folder backup restores into PostgreSQL + S3, and the app keeps working there."""
    app, audit_id = audited
    before = _snapshot(app)
    out = tmp_path / "b.tar.gz"
    with app.app_context():
        backup(app, out)
    url, key, secret = s3_endpoint
    monkeypatch.setenv("S3_ACCESS_KEY_ID", key or "")
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", secret or "")
    pg_url = postgres_server.createdb(f"restore_{uuid.uuid4().hex[:8]}")
    target = _app(tmp_path, "pg", DATABASE_URL=pg_url, STORAGE="s3", S3_ENDPOINT_URL=url,
                  S3_BUCKET="restore-tests", S3_PREFIX=f"r-{uuid.uuid4().hex[:8]}/")
    with target.app_context():
        restore(target, out)
    after = _snapshot(target)
    assert _first_difference(after, before) is None
    assert check_integrity(target).ok
    # Sequences were moved past the restored ids: new rows get fresh ids.
    with target.app_context():
        s = target.extensions["db"].session()
        token = new_api_token(s.execute(select(User).where(User.username == "auditor")).scalar_one(), "after")
    client = target.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    site = client.get("/api/v1/sites", headers=headers).get_json()["sites"][0]["id"]
    r = client.post("/api/v1/audits", json={"site_id": site}, headers=headers)
    assert r.status_code == 201 and r.get_json()["id"] > audit_id
    # The restored photos are served from S3.
    photo_id = before["photos"][0]["id"]
    assert client.get(f"/api/v1/photos/{photo_id}", headers=headers).status_code == 200
    target.extensions["db"].dispose()


def test_corrupt_or_foreign_backup_is_refused(audited, tmp_path):
    app, _ = audited
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"not a tarball")
    target = _app(tmp_path, "t")
    with target.app_context(), pytest.raises(MaintenanceError, match="not a backup"):
        restore(target, junk)
    # A blob whose bytes do not match its content key.
    good = tmp_path / "good.tar.gz"
    with app.app_context():
        backup(app, good)
    bad = tmp_path / "bad.tar.gz"
    with tarfile.open(good) as src, tarfile.open(bad, "w:gz") as dst:
        for member in src.getmembers():
            data = src.extractfile(member).read()
            if member.name.startswith("blobs/"):
                data = data[:-10] + b"0123456789"
            member.size = len(data)
            import io

            dst.addfile(member, io.BytesIO(data))
    with target.app_context(), pytest.raises(MaintenanceError, match="corrupt"):
        restore(target, bad)
    target.extensions["db"].dispose()


def test_doctor_finds_and_fixes_orphans(audited, tmp_path):
    app, _ = audited
    out = tmp_path / "b.tar.gz"
    with app.app_context():
        backup(app, out)
    target = _app(tmp_path, "doc")
    with target.app_context():
        restore(target, out)
        from web.storage import get_storage

        store = get_storage(target)
        orphan = store.put(b"stored, but its row was never committed", "photos")
        cache = store.put(b"a derived thumbnail", "derived")
        report = check_integrity(target)
        assert not report.ok and report.blobs_without_row == (orphan,) and report.cache_blobs == 1
        assert fix_orphans(target, grace_s=3600) == []  # young: maybe an upload in flight
        assert fix_orphans(target, grace_s=0) == [orphan]
        assert check_integrity(target).ok and store.exists(cache)
        # A row whose file vanished is reported, never "fixed" by deleting the row.
        s = target.extensions["db"].session()
        from web.models import Photo

        victim = s.execute(select(Photo).order_by(Photo.id)).scalars().first()
        store.delete(victim.storage_key)
        report = check_integrity(target)
        assert report.rows_without_blob == (("photos", victim.id, victim.storage_key),)
        assert any("MISSING FILE" in line for line in report.lines())
    target.extensions["db"].dispose()


def test_doctor_command_exit_codes(audited, tmp_path):
    from webharness import app_env, run_cli

    app, _ = audited
    out = tmp_path / "b.tar.gz"
    with app.app_context():
        backup(app, out)
    env = app_env(tmp_path / "cli")
    restored = run_cli(env, "restore", str(out))
    assert restored.returncode == 0, restored.stderr
    ok = run_cli(env, "doctor")
    assert ok.returncode == 0 and "integrity: OK" in ok.stdout, ok.stdout + ok.stderr
    again = run_cli(env, "restore", str(out))
    assert again.returncode == 2 and "not empty" in again.stderr
    copy = run_cli(env, "backup", str(tmp_path / "again.tar.gz"))
    assert copy.returncode == 0 and "2 files" in copy.stdout, copy.stdout + copy.stderr
