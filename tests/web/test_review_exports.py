"""Head office: dashboard numbers and drill-down, CSV exports, PDF report, labelled-set export."""
from __future__ import annotations

import csv
import io
import json
import zipfile

from conftest import Auth, make_app, photo_bytes
from scenario import build_world
import pytest


@pytest.fixture(scope="module")
def world_app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("review"))
    world = build_world(app, photo_bytes)
    yield app, world
    app.extensions["db"].dispose()


@pytest.fixture
def head(world_app):
    app, _ = world_app
    c = app.test_client()
    Auth(c).login("head")
    return c


def test_dashboard_drill_down(world_app, head):
    app, w = world_app
    d = head.get("/dashboard/data.json").get_json()
    assert d["level"] == "region" and d["audits"] == 2
    east = next(g for g in d["groups"] if g["audits"] == 1)
    d2 = head.get(f"/dashboard/data.json?region={east['id']}").get_json()
    assert d2["level"] == "dealer" and len(d2["groups"]) == 1
    d3 = head.get(f"/dashboard/data.json?region={east['id']}&dealer={d2['groups'][0]['id']}").get_json()
    assert d3["level"] == "site"
    d4 = head.get(f"/dashboard/data.json?site={d3['groups'][0]['id']}").get_json()
    assert d4["level"] == "item" and any(g["id"] == "EXT-04" and g["score"] == 0.0 for g in d4["groups"])
    assert d["most_failed"][0]["failed"] >= 1 and any(m["item_id"] == "EXT-04" for m in d["most_failed"])
    assert len(d["trend"]) == 1
    html = head.get("/dashboard").get_data(as_text=True)
    assert "vendor/chart.umd.js" in html and "chart-groups" in html


def test_csv_exports(world_app, head):
    rows = list(csv.reader(io.StringIO(head.get("/export/scores.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["audit_id", "audit_date", "audit_status"]
    ext04 = [r for r in rows[1:] if r[8] == "EXT-04"]
    assert len(ext04) == 2 and all(r[9] == "fail" and r[14] == "rubbish at the gate" for r in ext04)
    rows = list(csv.reader(io.StringIO(head.get("/export/findings.csv").get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][5] == "check_id" and len(rows) > 2


def test_pdf_report(world_app, head):
    _, w = world_app
    r = head.get(f"/audits/{w.A}/report.pdf")
    assert r.status_code == 200 and r.data.startswith(b"%PDF") and len(r.data) > 5000


def test_labelled_set_export_follows_the_spec(world_app, head):
    r = head.get("/export/labels.zip")
    z = zipfile.ZipFile(io.BytesIO(r.data))
    labels = json.loads(z.read("labels.json"))
    assert set(labels) >= {"brand", "photos"}
    assert len(labels["photos"]) == 2  # the photos of the two approved audits, not the draft's
    for p in labels["photos"]:
        assert p["file"] in z.namelist()
        assert p["area"] in (None, "facade", "entrance", "driveway", "reception", "workshop", "lounge", "staff", "other")
        truth = p["truth"]
        assert set(truth) <= {"logo", "text", "lighting", "clean", "people"}
        # the head office's override of EXT-04 (cleanliness) to fail is the label, whatever the check said
        assert truth["clean"]["clean"] is False
