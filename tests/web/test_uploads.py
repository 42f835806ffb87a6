"""Uploads: bad files get their own one-line message; good files in the same batch are kept."""
from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from test_smoke_flow import start_audit
from web.db import get_db
from web.models import Audit, Photo


def _post(auth, audit_id, files, area="facade"):
    return auth.post(f"/audits/{audit_id}/photos", {"area": area, "photos": [(io.BytesIO(b), n) for n, b in files]},
                     content_type="multipart/form-data", headers={"Accept": "application/json"})


def test_bad_files_get_messages_and_good_files_are_kept(app, auth, make_photo):
    auth.login("auditor")
    audit_id = start_audit(app, auth)
    good = make_photo(3)
    files = [
        ("empty.jpg", b""),
        ("truncated.jpg", good[: len(good) // 2]),
        ("page.jpg", b"<!doctype html><html><body><script>alert(1)</script></body></html>"),
        ("good.jpg", good),
        ("../../etc/passwd\x07.jpg", make_photo(4)),
    ]
    r = _post(auth, audit_id, files)
    assert r.status_code == 200
    res = {x["name"]: x for x in r.get_json()["results"]}
    assert not res["empty.jpg"]["ok"] and "empty" in res["empty.jpg"]["message"]
    assert not res["truncated.jpg"]["ok"] and "truncated.jpg" in res["truncated.jpg"]["message"]
    assert not res["page.jpg"]["ok"] and "page.jpg" in res["page.jpg"]["message"]
    assert res["good.jpg"]["ok"]
    assert res["passwd.jpg"]["ok"]  # path and control characters stripped from the shown name
    for r_ in res.values():
        assert "\n" not in r_["message"]
    with app.app_context():
        s = get_db(app).session()
        names = sorted(p.original_name for p in s.execute(select(Photo).where(Photo.audit_id == audit_id)).scalars())
        assert names == ["good.jpg", "passwd.jpg"]
        assert all(p.status == "done" for p in s.execute(select(Photo)).scalars())


def test_all_bad_is_422_and_page_still_renders(app, auth, client):
    auth.login("auditor")
    audit_id = start_audit(app, auth)
    r = _post(auth, audit_id, [("x.jpg", b"not an image at all")])
    assert r.status_code == 422
    assert client.get(f"/audits/{audit_id}").status_code == 200


def test_duplicates_and_reuse_are_flagged(app, auth, make_photo):
    auth.login("auditor")
    first = start_audit(app, auth)
    photo = make_photo(5)
    assert _post(auth, first, [("a.jpg", photo)]).get_json()["results"][0]["ok"]
    again = _post(auth, first, [("a-again.jpg", photo)]).get_json()["results"][0]
    assert not again["ok"] and "duplicate" in again["message"]
    second = start_audit(app, auth)
    reused = _post(auth, second, [("old.jpg", photo)]).get_json()["results"][0]
    assert reused["ok"] and "reused_exact" in reused["flags"]
    # the same scene re-encoded: a different file, a close perceptual hash
    im = Image.open(io.BytesIO(photo))
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=60)
    similar = _post(auth, second, [("recompressed.jpg", buf.getvalue())]).get_json()["results"][0]
    assert similar["ok"]
    third = start_audit(app, auth)
    similar = _post(auth, third, [("recompressed.jpg", buf.getvalue())]).get_json()["results"][0]
    assert "reused_exact" in similar["flags"] or "reused_similar" in similar["flags"]


def test_exif_time_and_gps_far_are_flagged(app, auth, make_photo):
    auth.login("auditor")
    audit_id = start_audit(app, auth)  # site at 31.2304, 121.4737; audit date 2026-11-26
    exif = Image.Exif()
    exif[0x0132] = "2025:01:02 10:00:00"  # DateTime
    ifd = exif.get_ifd(0x8769)
    ifd[0x9003] = "2025:01:02 10:00:00"  # DateTimeOriginal
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (39.0, 54.0, 0.0)  # Beijing, about 1,000 km away
    gps[3], gps[4] = "E", (116.0, 23.0, 0.0)
    r = _post(auth, audit_id, [("far.jpg", make_photo(6, exif=exif))]).get_json()["results"][0]
    assert r["ok"]
    assert "exif_time_far" in r["flags"] and "gps_far" in r["flags"]
    near = _post(auth, audit_id, [("plain.jpg", make_photo(7))]).get_json()["results"][0]
    assert near["ok"] and not near["flags"]


def test_upload_to_submitted_audit_is_refused(app, auth, make_photo):
    auth.login("auditor")
    audit_id = start_audit(app, auth)
    _post(auth, audit_id, [("a.jpg", make_photo(8))])
    assert auth.post(f"/audits/{audit_id}/submit").status_code == 302
    with app.app_context():
        assert get_db(app).session().get(Audit, audit_id).status == "submitted"
    r = _post(auth, audit_id, [("b.jpg", make_photo(9))])
    assert r.status_code == 403


def test_database_down_during_upload_keeps_nothing_and_says_so(app, auth, make_photo, monkeypatch):
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.orm import Session

    from web.storage import get_storage

    auth.login("auditor")
    audit_id = start_audit(app, auth)
    real_commit = Session.commit

    def failing_commit(self):
        raise OperationalError("INSERT INTO photos ...", {}, Exception("database is locked"))

    monkeypatch.setattr(Session, "commit", failing_commit)
    r = _post(auth, audit_id, [("a.jpg", make_photo(21))])
    monkeypatch.setattr(Session, "commit", real_commit)
    res = r.get_json()["results"][0]
    assert not res["ok"] and "database is unavailable" in res["message"] and "retry" in res["message"]
    assert not [k for k in get_storage(app).keys() if k.startswith("photos/")]  # no orphaned file
    r = _post(auth, audit_id, [("a.jpg", make_photo(21))])  # the retry succeeds
    assert r.get_json()["results"][0]["ok"]
    assert [k for k in get_storage(app).keys() if k.startswith("photos/")]


def test_truncated_upload_is_refused_after_a_pdf_report(app, auth, client, make_photo):
    """WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES when imported; uploads must still refuse truncation."""
    auth.login("auditor")
    audit_id = start_audit(app, auth)
    assert _post(auth, audit_id, [("ok.jpg", make_photo(22))]).get_json()["results"][0]["ok"]
    assert client.get(f"/audits/{audit_id}/report.pdf").data.startswith(b"%PDF")
    good = make_photo(23)
    res = _post(auth, audit_id, [("cut.jpg", good[: len(good) // 2])]).get_json()["results"][0]
    assert not res["ok"] and "truncated" in res["message"]
