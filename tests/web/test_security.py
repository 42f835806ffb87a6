"""CSRF, security headers, cookies, login rate limiting, password hashing, append-only trail."""
from __future__ import annotations

import pytest
from sqlalchemy import select, update

from conftest import csrf_from
from web.db import get_db
from web.models import AppendOnlyError, TrailEntry, User


def test_form_post_without_csrf_token_is_refused(app, client, auth):
    auth.login("auditor")
    r = client.post("/audits/new", data={"site_id": 1, "checklist_id": 1, "brand_id": 1, "audit_date": "2026-01-01"})
    assert r.status_code == 400
    r = client.post("/logout")
    assert r.status_code == 400


def test_login_page_headers_and_cookie(client, auth):
    r = client.get("/login")
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["X-Frame-Options"] == "DENY"
    html = r.get_data(as_text=True)
    assert "<script>" not in html and "style=" not in html
    r = auth.login("auditor")
    cookie = next(c for c in r.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_have_no_inline_script_or_style(app, client, auth):
    import re

    auth.login("admin")
    for url in ["/audits", "/audits/new", "/review", "/dashboard", "/dealer", "/admin/", "/account"]:
        html = client.get(url).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert " style=" not in html and "<style" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url  # no inline event handlers


def test_login_rate_limited(app, client):
    for _ in range(5):
        token = csrf_from(client.get("/login").get_data(as_text=True))
        r = client.post("/login", data={"username": "auditor", "password": "wrong", "csrf_token": token})
        assert r.status_code == 401
    token = csrf_from(client.get("/login").get_data(as_text=True))
    r = client.post("/login", data={"username": "auditor", "password": "auditor-demo-pass", "csrf_token": token})
    assert r.status_code == 429  # even the right password waits out the window


def test_passwords_use_a_modern_kdf(app):
    with app.app_context():
        u = get_db(app).session().execute(select(User).where(User.username == "auditor")).scalar_one()
        assert u.password_hash.startswith("scrypt:")
        assert "auditor-demo-pass" not in u.password_hash


def test_trail_is_append_only(app):
    from web.services.trail import record

    with app.app_context():
        s = get_db(app).session()
        e = record(None, "test", 1, "did", {"a": 1}, {"a": 2})
        s.commit()
        e.action = "changed"
        with pytest.raises(AppendOnlyError):
            s.commit()
        s.rollback()
        with pytest.raises(AppendOnlyError):
            s.delete(s.get(TrailEntry, e.id))
            s.flush()
        s.rollback()
        with pytest.raises(AppendOnlyError):
            s.execute(update(TrailEntry).values(action="x"))
        s.rollback()
        assert s.get(TrailEntry, e.id).action == "did"


def test_user_text_is_escaped(app, auth, client, make_photo):
    import io

    from test_smoke_flow import start_audit

    auth.login("auditor")
    audit_id = start_audit(app, auth)
    auth.post(f"/audits/{audit_id}/photos", {"area": "facade", "photos": [(io.BytesIO(make_photo(1)), "<b>x</b>.jpg")]},
              content_type="multipart/form-data", headers={"Accept": "application/json"})
    auth.post(f"/audits/{audit_id}/items/EXT-04/override", {"status": "fail", "reason": "<script>alert(1)</script>"})
    html = client.get(f"/audits/{audit_id}").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>x</b>" not in html


def test_language_switch(client, auth):
    auth.login("auditor")
    html = client.get("/audits").get_data(as_text=True)
    assert "审核" in html  # Simplified Chinese by default
    r = client.post("/lang/en", data={"csrf_token": csrf_from(html), "next": "/audits"})
    assert r.status_code == 302
    html = client.get("/audits").get_data(as_text=True)
    assert "Audits" in html and 'lang="en"' in html
