"""Admin edits and deactivates users; the head office sets when improvement actions are due;
image routes answer 404 (not 500) for a photo whose stored file is gone."""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from conftest import Auth, make_app
from test_smoke_flow import start_audit, upload
from web.db import get_db
from web.models import Action, Photo, Region, TrailEntry, User, utcnow
from web.security import new_api_token
from web.storage import get_storage


def _user(app, name):
    with app.app_context():
        s = get_db(app).session()
        s.expire_all()
        u = s.execute(select(User).where(User.username == name)).scalar_one()
        return u.id, u.role, u.active, u.display_name, sorted(r.code for r in u.regions)


def _edit(admin: Auth, user_id: int, **fields):
    data = {"e-display_name": "", "e-role": "auditor", "e-dealer_id": "0"} | {f"e-{k}": v for k, v in fields.items()}
    return admin.post(f"/admin/users/{user_id}", data)


def test_admin_edits_and_deactivates_a_user(app):
    auditor_client = app.test_client()
    auditor = Auth(auditor_client)
    assert auditor.login("auditor").status_code == 302
    with app.app_context():
        s = get_db(app).session()
        token = new_api_token(s.execute(select(User).where(User.username == "auditor")).scalar_one(), "t")
        regions = {r.code: r.id for r in s.execute(select(Region)).scalars()}
    assert auditor_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    admin = Auth(app.test_client())
    admin.login("admin")
    uid = _user(app, "auditor")[0]
    page = admin.client.get(f"/admin/users/{uid}")
    assert page.status_code == 200 and 'id="edit-user"' in page.get_data(as_text=True)

    # rename, move to one region, deactivate: the session and the API token stop at once
    some_region = sorted(regions)[0]
    r = _edit(admin, uid, display_name="Renamed", region_ids=str(regions[some_region]))
    assert r.status_code == 302
    assert _user(app, "auditor")[1:] == ("auditor", False, "Renamed", [some_region])
    assert auditor_client.get("/audits").status_code == 302  # back to the login page
    assert auditor_client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert Auth(app.test_client()).login("auditor").status_code != 302  # cannot sign in

    # reactivate with a new password
    r = _edit(admin, uid, display_name="Renamed", active="y", password="a-new-password-1")
    assert r.status_code == 302 and _user(app, "auditor")[2] is True
    assert Auth(app.test_client()).login("auditor", "a-new-password-1").status_code == 302
    with app.app_context():
        trail = get_db(app).session().execute(select(TrailEntry).where(TrailEntry.entity == "user",
                                                                      TrailEntry.action == "updated")).scalars().all()
        assert [t.before["active"] for t in trail] == [True, False]
        assert trail[1].after["password"] == "changed" and "a-new-password-1" not in str(trail[1].after)

    # a dealer user needs a dealer; the admin cannot lock themself out
    _edit(admin, uid, role="dealer", active="y")
    assert _user(app, "auditor")[1] == "auditor"
    admin_id = _user(app, "admin")[0]
    _edit(admin, admin_id, role="admin")  # active unticked
    _edit(admin, admin_id, role="head_office", active="y")
    assert _user(app, "admin")[1:3] == ("admin", True)
    assert admin.client.get(f"/admin/users/{999999}").status_code == 404


def _submitted_audit(app, make_photo) -> int:
    client = app.test_client()
    auth = Auth(client)
    auth.login("auditor")
    audit_id = start_audit(app, auth)
    assert upload(auth, audit_id, [("a.jpg", make_photo(1))]).status_code == 200
    auth.post(f"/audits/{audit_id}/items/EXT-04/override", {"status": "fail", "reason": "litter by the door"})
    assert auth.post(f"/audits/{audit_id}/submit").status_code == 302
    return audit_id


def _due_dates(app, audit_id):
    with app.app_context():
        s = get_db(app).session()
        return {a.due_date for a in s.execute(select(Action).where(Action.audit_id == audit_id)).scalars()}


def test_head_office_sets_the_due_date_on_approval(app, make_photo):
    audit_id = _submitted_audit(app, make_photo)
    head = Auth(app.test_client())
    head.login("head")
    page = head.client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert 'name="due_date"' in page and (date.today() + timedelta(days=30)).isoformat() in page
    r = head.post(f"/review/{audit_id}/approve", {"comment": "ok", "due_date": (utcnow().date() - timedelta(days=1)).isoformat()})
    assert r.status_code == 302 and _due_dates(app, audit_id) == set()  # a date in the past is refused
    due = utcnow().date() + timedelta(days=9)
    assert head.post(f"/review/{audit_id}/approve", {"comment": "ok", "due_date": due.isoformat()}).status_code == 302
    assert _due_dates(app, audit_id) == {due}


def test_api_due_date_and_the_setting(tmp_path, make_photo):
    app = make_app(tmp_path, ACTION_DUE_DAYS=12)
    try:
        audit_id = _submitted_audit(app, make_photo)
        with app.app_context():
            s = get_db(app).session()
            token = new_api_token(s.execute(select(User).where(User.username == "head")).scalar_one(), "t")
        client = app.test_client()
        h = {"Authorization": f"Bearer {token}"}
        assert client.post(f"/api/v1/audits/{audit_id}/approve", json={"due_date": "soon"}, headers=h).status_code == 400
        far = (utcnow().date() + timedelta(days=400)).isoformat()
        assert client.post(f"/api/v1/audits/{audit_id}/approve", json={"due_date": far}, headers=h).status_code == 409
        assert client.post(f"/api/v1/audits/{audit_id}/approve", json={}, headers=h).status_code == 200
        assert _due_dates(app, audit_id) == {utcnow().date() + timedelta(days=12)}  # ACTION_DUE_DAYS
    finally:
        app.extensions["db"].dispose()


def test_image_routes_answer_404_when_the_file_is_gone(app, auth, make_photo):
    auth.login("auditor")
    audit_id = start_audit(app, auth)
    r = upload(auth, audit_id, [("gone.jpg", make_photo(3))])
    pid = r.get_json()["results"][0]["photo_id"]
    assert auth.client.get(f"/photos/{pid}/thumb.jpg").status_code == 200
    with app.app_context():
        p = get_db(app).session().get(Photo, pid)
        store = get_storage(app)
        for key in store.keys():  # the photo and anything derived from it
            if p.sha256 in key:
                store.delete(key)
    for url in (f"/photos/{pid}/image.jpg", f"/photos/{pid}/image.jpg?overlay=0"):
        resp = auth.client.get(url)
        assert resp.status_code == 404 and b"Traceback" not in resp.data, url
