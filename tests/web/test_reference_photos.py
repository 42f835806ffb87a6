"""Approved reference photos: head office approves a photo as the standard of its view, and later
photos of that site and area are compared with it (clean.reference) by the real analysis."""
from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
from sqlalchemy import select

from test_smoke_flow import _first_site
from web.db import get_db
from web.models import ChecklistVersion, Photo, ReferencePhoto, TrailEntry

DEMO = Path(__file__).resolve().parents[2] / "samples" / "demo"


def _view() -> bytes:
    return sorted((DEMO / "facade").glob("*.jpg"))[1].read_bytes()


def _revisit_with_litter(jpeg: bytes) -> tuple[bytes, tuple[int, int, int, int]]:
    """The same view again: slightly shifted, brighter, with a white blob and a red can on the ground."""
    img = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    H, W = img.shape[:2]
    src = np.float32([[0, 0], [W, 0], [W, H], [0, H]])
    dst = (src + np.float32([[12, -8], [-10, 6], [8, 10], [-6, -12]])).astype(np.float32)
    img = cv2.warpPerspective(img, cv2.getPerspectiveTransform(src, dst), (W, H), borderMode=cv2.BORDER_REFLECT)
    img = np.clip(img.astype(np.float32) * 1.1, 0, 255).astype(np.uint8)
    x, y = int(W * 0.45), int(H * 0.78)
    cv2.ellipse(img, (x, y), (int(W * 0.035), int(H * 0.025)), 15, 0, 360, (225, 235, 235), -1)
    cv2.rectangle(img, (x + int(W * 0.05), y - 10), (x + int(W * 0.08), y + int(H * 0.03)), (35, 30, 200), -1)
    ok, enc = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 88])
    return enc.tobytes(), (x - int(W * 0.035), y - int(H * 0.025), x + int(W * 0.08), y + int(H * 0.03))


def _start(app, auth, site_id) -> int:
    with app.app_context():
        cl = get_db(app).session().execute(select(ChecklistVersion).where(ChecklistVersion.ref == "default@2")).scalar_one()
    r = auth.post("/audits/new", {"site_id": site_id, "checklist_id": cl.id, "brand_id": 1, "audit_date": "2026-11-26"})
    assert r.status_code == 302, r.get_data(as_text=True)[:300]
    return int(r.headers["Location"].rstrip("/").rsplit("/", 1)[-1])


def _upload(auth, audit_id, name, data, area="facade"):
    r = auth.post(f"/audits/{audit_id}/photos", {"area": area, "photos": [(io.BytesIO(data), name)]},
                  content_type="multipart/form-data", headers={"Accept": "application/json"})
    assert r.status_code == 200 and r.get_json()["results"][0]["ok"], r.get_data(as_text=True)[:300]


def _photo(app, audit_id) -> Photo:
    s = get_db(app).session()
    return s.execute(select(Photo).where(Photo.audit_id == audit_id)).scalars().one()


def test_a_later_photo_of_the_view_is_compared_with_the_approved_reference(app, auth, client):
    site = _first_site(app)
    auth.login("auditor")
    first = _start(app, auth, site)
    _upload(auth, first, "standard.jpg", _view())
    with app.app_context():
        p = _photo(app, first)
        ref_id = p.id
        results = {r["check_id"]: r for r in p.result.results}
        assert results["clean.reference"]["verdict"] == "not_applicable"  # no reference approved yet
    auth.logout()

    auth.login("head")
    page = client.get(f"/photos/{ref_id}").get_data(as_text=True)
    assert "Approve as the reference photo" in page or "参考照片" in page
    r = auth.post(f"/photos/{ref_id}/reference", {"action": "approve"})
    assert r.status_code == 302
    auth.post(f"/photos/{ref_id}/reference", {"action": "approve"})  # idempotent
    with app.app_context():
        s = get_db(app).session()
        assert s.query(ReferencePhoto).filter_by(photo_id=ref_id, area="facade").count() == 1
        assert s.query(TrailEntry).filter_by(entity="reference_photo", action="approve").count() == 1
    auth.logout()

    auth.login("auditor")
    second = _start(app, auth, site)
    data, litter = _revisit_with_litter(_view())
    _upload(auth, second, "today.jpg", data)
    with app.app_context():
        p = _photo(app, second)
        refs = [r for r in p.result.results if r["check_id"] == "clean.reference"]
        assert refs, "clean.reference did not run"
        for r in refs:
            assert r["values"]["aligned"] is True, r["message"]
            assert r["values"]["reference"] == "standard.jpg"
        found = [f for r in refs for f in r["findings"] if f["region"]]
        assert found, [r["message"] for r in refs]
        x0, y0, x1, y1 = litter
        hits = [f for f in found if f["region"]["xywh"][0] < x1 and f["region"]["xywh"][0] + f["region"]["xywh"][2] > x0
                and f["region"]["xywh"][1] < y1 and f["region"]["xywh"][1] + f["region"]["xywh"][3] > y0]
        assert hits, "no change found where the litter lies"


def test_withdrawn_reference_is_no_longer_used_and_a_photo_without_area_cannot_be_one(app, auth, client):
    site = _first_site(app)
    auth.login("auditor")
    first = _start(app, auth, site)
    _upload(auth, first, "standard.jpg", _view())
    untagged = _start(app, auth, site)
    _upload(auth, untagged, "untagged.jpg", _view(), area="")
    with app.app_context():
        ref_id, untagged_id = _photo(app, first).id, _photo(app, untagged).id
    auth.logout()

    auth.login("head")
    auth.post(f"/photos/{ref_id}/reference", {"action": "approve"})
    r = auth.post(f"/photos/{ref_id}/reference", {"action": "withdraw"})
    assert r.status_code == 302
    r = auth.post(f"/photos/{untagged_id}/reference", {"action": "approve"}, follow_redirects=True)
    assert "area" in r.get_data(as_text=True)
    assert auth.post(f"/photos/{ref_id}/reference", {"action": "destroy"}).status_code == 400
    with app.app_context():
        s = get_db(app).session()
        assert s.query(ReferencePhoto).count() == 0
        assert s.query(TrailEntry).filter_by(entity="reference_photo", action="withdraw").count() == 1
    auth.logout()

    auth.login("auditor")
    later = _start(app, auth, site)
    _upload(auth, later, "today.jpg", _revisit_with_litter(_view())[0])
    with app.app_context():
        p = _photo(app, later)
        assert {r["verdict"] for r in p.result.results if r["check_id"] == "clean.reference"} == {"not_applicable"}


def test_the_api_approves_and_withdraws_with_a_token(app, auth, client):
    from web.models import User
    from web.security import new_api_token

    site = _first_site(app)
    auth.login("auditor")
    audit_id = _start(app, auth, site)
    _upload(auth, audit_id, "standard.jpg", _view())
    with app.app_context():
        s = get_db(app).session()
        pid = _photo(app, audit_id).id
        head = s.execute(select(User).where(User.username == "head")).scalar_one()
        token = {"Authorization": f"Bearer {new_api_token(head, 'test')}"}
    r = client.post(f"/api/v1/photos/{pid}/reference", json={"action": "approve"}, headers=token)
    assert r.status_code == 200
    assert client.get(f"/api/v1/photos/{pid}", headers=token).get_json()["reference"] is True
    assert client.post(f"/api/v1/photos/{pid}/reference", json={"action": "nonsense"}, headers=token).status_code == 400
    r = client.post(f"/api/v1/photos/{pid}/reference", json={"action": "withdraw"}, headers=token)
    assert r.status_code == 200
    assert client.get(f"/api/v1/photos/{pid}", headers=token).get_json()["reference"] is False
