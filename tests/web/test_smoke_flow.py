"""The whole path through the test client: audit -> upload -> analysis -> override -> submit -> approve -> proof."""
from __future__ import annotations

import io

from sqlalchemy import select

from web.models import Action, Audit, Photo, Site, TrailEntry


def _first_site(app, dealer_code="D-SH01"):
    from web.db import get_db
    from web.models import Dealer

    with app.app_context():
        s = get_db(app).session()
        return s.execute(select(Site).join(Dealer).where(Dealer.code == dealer_code).order_by(Site.id)).scalars().first().id


def start_audit(app, auth, site_id=None) -> int:
    site_id = site_id or _first_site(app)
    page = auth.client.get("/audits/new")
    assert page.status_code == 200
    r = auth.post("/audits/new", {"site_id": site_id, "checklist_id": 1, "brand_id": 1, "audit_date": "2026-11-26"})
    assert r.status_code == 302, r.get_data(as_text=True)[:500]
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def upload(auth, audit_id, files, area="facade"):
    data = {"area": area, "photos": [(io.BytesIO(b), name) for name, b in files]}
    return auth.post(f"/audits/{audit_id}/photos", data, content_type="multipart/form-data",
                     headers={"Accept": "application/json"})


def test_full_flow(app, client, auth, make_photo):
    assert auth.login("auditor").status_code == 302
    audit_id = start_audit(app, auth)
    r = upload(auth, audit_id, [("a.jpg", make_photo(1)), ("b.jpg", make_photo(2))])
    assert r.status_code == 200, r.get_json()
    assert all(x["ok"] for x in r.get_json()["results"])
    prog = client.get(f"/audits/{audit_id}/progress.json").get_json()
    assert prog["finished"] and prog["photos"] == 2 and prog["done"] == 2
    page = client.get(f"/audits/{audit_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "EXT-02" in html
    # override an item with a reason
    r = auth.post(f"/audits/{audit_id}/items/EXT-04/override", {"status": "fail", "reason": "litter by the door"})
    assert r.status_code == 302
    r = auth.post(f"/audits/{audit_id}/items/STF-05/manual", {"answer": "yes", "note": "greeted"})
    assert r.status_code == 302
    r = auth.post(f"/audits/{audit_id}/submit")
    assert r.status_code == 302
    with app.app_context():
        from web.db import get_db

        s = get_db(app).session()
        a = s.get(Audit, audit_id)
        assert a.status == "submitted"
        ext04 = next(i for i in a.score["items"] if i["item_id"] == "EXT-04")
        assert ext04["status"] == "fail" and ext04["override"]["reason"] == "litter by the door"
    auth.logout()
    auth.login("head")
    assert audit_id and str(audit_id) in client.get("/review").get_data(as_text=True)
    r = auth.post(f"/review/{audit_id}/approve", {"comment": "ok"})
    assert r.status_code == 302
    with app.app_context():
        from web.db import get_db

        s = get_db(app).session()
        actions = s.execute(select(Action).where(Action.audit_id == audit_id)).scalars().all()
        assert any(a.item_id == "EXT-04" for a in actions)
        action_id = next(a.id for a in actions if a.item_id == "EXT-04")
        trail = s.execute(select(TrailEntry).where(TrailEntry.audit_id == audit_id)).scalars().all()
        assert {"created", "uploaded", "override", "submitted", "approved"} <= {t.action for t in trail}
    auth.logout()
    auth.login("dealer")
    assert client.get(f"/actions/{action_id}").status_code == 200
    r = auth.post(f"/actions/{action_id}/proofs", {"photos": [(io.BytesIO(make_photo(9)), "fixed.jpg")]},
                  content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert r.status_code == 200, r.get_json()
    st = client.get(f"/actions/{action_id}/status.json").get_json()
    assert st["status"] == "proof_uploaded"
    assert st["proofs"][0]["status"] == "done" and st["proofs"][0]["verdict"]
    assert client.get(f"/actions/{action_id}/evidence.jpg").status_code in (200, 404)
    assert client.get(f"/audits/{audit_id}").status_code == 200


def test_verify_and_reopen_a_proof(app, client, auth, make_photo):
    from scenario import build_world

    w = build_world(app, lambda seed: make_photo(seed))
    auth.login("auditor2")  # not this dealer's region
    assert auth.post(f"/actions/{w.xa}/verify", {"decision": "verify", "comment": ""}).status_code == 404
    auth.logout()
    auth.login("auditor")
    page = client.get(f"/actions/{w.xa}").get_data(as_text=True)
    assert 'id="verify"' in page
    r = auth.post(f"/actions/{w.xa}/verify", {"decision": "reopen", "comment": "still dirty"})
    assert r.status_code == 302
    assert client.get(f"/actions/{w.xa}/status.json").get_json()["status"] == "reopened"
    # a reopened action takes a new proof, then can be verified
    auth.logout()
    auth.login("dealer")
    auth.post(f"/actions/{w.xa}/proofs", {"photos": [(io.BytesIO(make_photo(31)), "again.jpg")]},
              content_type="multipart/form-data", headers={"Accept": "application/json"})
    auth.logout()
    auth.login("head")
    assert auth.post(f"/actions/{w.xa}/verify", {"decision": "verify", "comment": "ok"}).status_code == 302
    st = client.get(f"/actions/{w.xa}/status.json").get_json()
    assert st["status"] == "verified" and len(st["proofs"]) == 2
    with app.app_context():
        from web.db import get_db

        trail = get_db(app).session().execute(select(TrailEntry).where(TrailEntry.entity == "action",
                                                                        TrailEntry.entity_id == str(w.xa))).scalars().all()
        assert [t.action for t in trail][-3:] == ["reopened", "proof_uploaded", "verified"]
