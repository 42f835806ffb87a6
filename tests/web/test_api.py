"""The JSON API: token auth, the OpenAPI document (validated), and the audit path over the API."""
from __future__ import annotations

import io
import re

from openapi_spec_validator import validate
from sqlalchemy import select

from web.db import get_db
from web.models import User


def _token(app, username):
    from web.security import new_api_token

    with app.app_context():
        u = get_db(app).session().execute(select(User).where(User.username == username)).scalar_one()
        return {"Authorization": f"Bearer {new_api_token(u, 'test')}"}


def test_openapi_document_is_valid_and_complete(app, client):
    doc = client.get("/api/v1/openapi.json").get_json()
    validate(doc)
    documented = set()
    for path, ops in doc["paths"].items():
        for method in ops:
            documented.add((method.upper(), re.sub(r"\{[^}]+\}", "{}", path)))
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1"):
            continue
        path = re.sub(r"<[^>]+>", "{}", rule.rule[len("/api/v1"):])
        for m in rule.methods - {"HEAD", "OPTIONS"}:
            served.add((m, path))
    assert served == documented


def test_api_needs_a_token(client, auth):
    assert client.get("/api/v1/me").status_code == 401
    auth.login("auditor")  # a session cookie alone does not open the API
    assert client.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401


def test_audit_over_the_api(app, client, make_photo):
    h = _token(app, "auditor")
    me = client.get("/api/v1/me", headers=h).get_json()
    assert me["role"] == "auditor"
    sites = client.get("/api/v1/sites", headers=h).get_json()["sites"]
    assert sites and all(s["region_id"] == sites[0]["region_id"] for s in sites)
    r = client.post("/api/v1/audits", json={"site_id": sites[0]["id"], "audit_date": "2026-11-26"}, headers=h)
    assert r.status_code == 201
    aid = r.get_json()["id"]
    r = client.post(f"/api/v1/audits/{aid}/photos", headers=h, content_type="multipart/form-data",
                    data={"area": "entrance", "photos": [(io.BytesIO(make_photo(2)), "e.jpg"), (io.BytesIO(b""), "z.jpg")]})
    assert r.status_code == 200
    res = r.get_json()["results"]
    assert res[0]["ok"] and not res[1]["ok"]
    prog = client.get(f"/api/v1/audits/{aid}/progress", headers=h).get_json()
    assert prog["finished"]
    pid = res[0]["photo_id"]
    photo = client.get(f"/api/v1/photos/{pid}", headers=h).get_json()
    assert photo["status"] == "done" and photo["results"]
    verdicts = {r["verdict"] for r in photo["results"]}
    assert verdicts <= {"pass", "fail", "unsure", "not_applicable", "not_implemented"}
    r = client.post(f"/api/v1/audits/{aid}/items/EXT-05/override", json={"status": "pass", "reason": "sign seen on site"}, headers=h)
    assert r.status_code == 200
    item = next(i for i in r.get_json()["items"] if i["item_id"] == "EXT-05")
    assert item["status"] == "pass" and item["override"]["by"] == "auditor"
    assert client.post(f"/api/v1/audits/{aid}/items/EXT-05/override", json={"status": "pass"}, headers=h).status_code == 409
    assert client.post(f"/api/v1/audits/{aid}/items/NOPE-1/override", json={"status": "pass", "reason": "x"}, headers=h).status_code == 404
    assert client.post(f"/api/v1/audits/{aid}/submit", headers=h, json={}).status_code == 200
    ho = _token(app, "head")
    r = client.post(f"/api/v1/audits/{aid}/return", json={"comment": "retake the facade"}, headers=ho)
    assert r.status_code == 200 and r.get_json()["status"] == "returned"
    assert client.post(f"/api/v1/audits/{aid}/submit", headers=h, json={}).status_code == 200
    assert client.post(f"/api/v1/audits/{aid}/approve", headers=ho, json={}).get_json()["status"] == "approved"
