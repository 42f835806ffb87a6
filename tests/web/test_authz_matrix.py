"""Every route x every role: who sees what. A dealer never sees another dealer's audit, photo,
action, proof or image URL (404), nor anything of its own before approval."""
from __future__ import annotations

import pytest

from conftest import Auth, make_app, photo_bytes
from scenario import build_world

ROLES = ["anonymous", "admin", "head", "auditor", "auditor2", "dealer", "dealer2"]
SEES_AUDIT = {"admin": "ABC", "head": "ABC", "auditor": "AB", "auditor2": "C", "dealer": "A", "dealer2": "C"}
SEES_SITE = {"admin": "ac", "head": "ac", "auditor": "a", "auditor2": "c", "dealer": "a", "dealer2": "c"}
SEES_ACTION = {"admin": "ac", "head": "ac", "auditor": "a", "auditor2": "c", "dealer": "a", "dealer2": "c"}
HO = {"admin", "head"}
DENIED = {403, 404}


@pytest.fixture(scope="module")
def world_app(tmp_path_factory):
    app = make_app(tmp_path_factory.mktemp("authz"))
    world = build_world(app, photo_bytes)
    yield app, world
    app.extensions["db"].dispose()


def _audit_routes(w):
    ids = {"A": (w.A, w.pa), "B": (w.B, w.pb), "C": (w.C, w.pc)}
    for key, (aid, pid) in ids.items():
        yield f"/audits/{aid}", ("audit", key)
        yield f"/audits/{aid}/progress.json", ("audit", key)
        yield f"/photos/{pid}", ("audit", key)
        yield f"/photos/{pid}/image.jpg", ("audit", key)
        yield f"/photos/{pid}/image.jpg?overlay=0", ("audit", key)
        yield f"/photos/{pid}/thumb.jpg", ("audit", key)
        yield f"/photos/{pid}/crop.jpg?check=logo.present&i=0", ("audit-or-404", key)
        yield f"/api/v1/audits/{aid}", ("api-audit", key)
        yield f"/api/v1/audits/{aid}/progress", ("api-audit", key)
        yield f"/api/v1/photos/{pid}", ("api-audit", key)
    yield f"/audits/{w.A}/report.pdf", ("audit", "A")
    yield f"/audits/{w.C}/report.pdf", ("audit", "C")
    for key, (xid, fid, sid) in {"a": (w.xa, w.fa, w.sa), "c": (w.xc, w.fc, w.sc)}.items():
        yield f"/actions/{xid}", ("action", key)
        yield f"/actions/{xid}/status.json", ("action", key)
        yield f"/actions/{xid}/evidence.jpg", ("action", key)
        yield f"/proofs/{fid}/image.jpg", ("action", key)
        yield f"/dealer/sites/{sid}", ("site", key)


STATIC_ROUTES = {
    "/": ("any", None), "/login": ("public", None), "/account": ("any", None), "/healthz": ("public", None),
    "/audits": ("roles", {"admin", "head", "auditor", "auditor2"}),
    "/audits/new": ("roles", {"admin", "auditor", "auditor2"}),
    "/review": ("roles", HO), "/dashboard": ("roles", HO), "/dashboard/data.json": ("roles", HO),
    "/export/scores.csv": ("roles", HO), "/export/findings.csv": ("roles", HO), "/export/labels.zip": ("roles", HO),
    "/dealer": ("any", None), "/admin/": ("roles", {"admin"}), "/admin/users/1": ("roles", {"admin"}),
    "/api/v1/openapi.json": ("public", None), "/api/v1/me": ("api", None), "/api/v1/sites": ("api", None),
    "/api/v1/audits": ("api", None), "/api/v1/actions": ("api", None),
}


def expected(role: str, kind: str, arg, url: str) -> set[int]:
    api = url.startswith("/api/")
    if kind == "public":
        return {200, 302} if url == "/login" else {200}
    if role == "anonymous":
        return {401} if api else {302}
    if kind == "any":
        return {200, 302}
    if kind == "api":
        return {200}
    if kind == "roles":
        return {200} if role in arg else {403}
    if kind in ("audit", "api-audit"):
        return {200} if arg in SEES_AUDIT[role] else {404}
    if kind == "audit-or-404":
        return {200, 404} if arg in SEES_AUDIT[role] else {404}
    if kind == "action":
        ok = {200, 404} if url.endswith("evidence.jpg") else {200}
        return ok if arg in SEES_ACTION[role] else {404}
    if kind == "site":
        return {200} if arg in SEES_SITE[role] else {404}
    raise AssertionError(kind)


def _client_for(app, role):
    from web.db import get_db
    from web.models import User
    from web.security import new_api_token
    from sqlalchemy import select

    client = app.test_client()
    headers = {}
    if role != "anonymous":
        auth = Auth(client)
        assert auth.login(role).status_code == 302
        with app.app_context():
            user = get_db(app).session().execute(select(User).where(User.username == role)).scalar_one()
            headers = {"Authorization": f"Bearer {new_api_token(user, 'matrix')}"}
    return client, headers


def test_every_get_route_is_in_the_matrix(world_app):
    app, w = world_app
    covered = set(STATIC_ROUTES) | {u.split("?")[0] for u, _ in _audit_routes(w)}
    rules = {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"}
    import re

    def matches(rule):
        pattern = "^" + re.sub(r"<[^>]+>", "[^/]+", rule) + "$"
        return any(re.match(pattern, u) for u in covered)

    missing = sorted(r for r in rules if not matches(r))
    assert not missing, f"GET routes not covered by the authorisation matrix: {missing}"


@pytest.mark.parametrize("role", ROLES)
def test_get_matrix(world_app, role):
    app, w = world_app
    client, headers = _client_for(app, role)
    failures = []
    routes = list(STATIC_ROUTES.items()) + list(_audit_routes(w))
    for url, (kind, arg) in routes:
        h = headers if url.startswith("/api/") else {}
        r = client.get(url, headers=h)
        want = expected(role, kind, arg, url)
        if r.status_code not in want:
            failures.append(f"{role} GET {url}: {r.status_code}, expected {sorted(want)}")
        if role == "anonymous" and r.status_code == 302:
            assert "/login" in r.headers["Location"]
    assert not failures, "\n".join(failures)


def _post_cases(w):
    """(url, roles that must be refused with 403/404, json body or None for a form)."""
    others_of_a = {"auditor2", "dealer2"}
    return [
        (f"/audits/{w.B}/photos", {"head", "dealer", "dealer2", "auditor2"}, None),
        (f"/audits/{w.B}/items/EXT-04/override", {"head", "dealer", "dealer2", "auditor2"}, None),
        (f"/audits/{w.B}/items/STF-05/manual", {"head", "dealer", "dealer2", "auditor2"}, None),
        (f"/audits/{w.B}/submit", {"head", "dealer", "dealer2", "auditor2"}, None),
        (f"/photos/{w.pb}/retry", {"head", "dealer", "dealer2", "auditor2"}, None),
        (f"/review/{w.B}/approve", {"auditor", "auditor2", "dealer", "dealer2"}, None),
        (f"/review/{w.B}/return", {"auditor", "auditor2", "dealer", "dealer2"}, None),
        (f"/photos/{w.pa}/reference", {"auditor", "auditor2", "dealer", "dealer2"}, None),
        (f"/photos/{w.pc}/reference", {"auditor", "auditor2", "dealer", "dealer2"}, None),
        (f"/actions/{w.xa}/proofs", others_of_a | {"auditor", "head"}, None),
        (f"/actions/{w.xa}/verify", others_of_a | {"dealer"}, None),
        (f"/actions/{w.xc}/verify", {"auditor", "dealer", "dealer2"}, None),
        ("/admin/users", {"head", "auditor", "dealer"}, None),
        ("/admin/users/1", {"head", "auditor", "dealer"}, None),
        ("/admin/regions", {"head", "auditor", "dealer"}, None),
        ("/admin/dealers", {"head", "auditor", "dealer"}, None),
        ("/admin/sites", {"head", "auditor", "dealer"}, None),
        ("/admin/catalogue", {"head", "auditor", "dealer"}, None),
        ("/audits/new", {"head", "dealer", "dealer2"}, None),
        (f"/api/v1/audits/{w.B}/photos", {"head", "dealer", "dealer2", "auditor2"}, None),
        (f"/api/v1/audits/{w.B}/items/EXT-04/override", {"head", "dealer", "dealer2", "auditor2"}, {"status": "pass", "reason": "x"}),
        (f"/api/v1/audits/{w.B}/items/STF-05/manual", {"head", "dealer", "dealer2", "auditor2"}, {"answer": True}),
        (f"/api/v1/audits/{w.B}/submit", {"head", "dealer", "dealer2", "auditor2"}, {}),
        (f"/api/v1/audits/{w.B}/approve", {"auditor", "auditor2", "dealer", "dealer2"}, {}),
        (f"/api/v1/audits/{w.B}/return", {"auditor", "auditor2", "dealer", "dealer2"}, {"comment": "x"}),
        (f"/api/v1/photos/{w.pa}/reference", {"auditor", "auditor2", "dealer", "dealer2"}, {"action": "approve"}),
        (f"/api/v1/photos/{w.pc}/reference", {"auditor", "auditor2", "dealer", "dealer2"}, {"action": "approve"}),
        (f"/api/v1/actions/{w.xa}/proofs", others_of_a | {"auditor", "head"}, None),
        (f"/api/v1/actions/{w.xa}/verify", others_of_a | {"dealer"}, {"decision": "verify"}),
        ("/api/v1/audits", {"head", "dealer", "dealer2"}, {"site_id": w.sa}),
    ]


def test_every_post_route_is_in_the_matrix(world_app):
    import re

    app, w = world_app
    covered = {u for u, _, _ in _post_cases(w)} | {"/login", "/logout", "/lang/en", "/account"}
    rules = {r.rule for r in app.url_map.iter_rules() if "POST" in r.methods}
    missing = sorted(r for r in rules if not any(re.match("^" + re.sub(r"<[^>]+>", "[^/]+", r) + "$", u) for u in covered))
    assert not missing, f"POST routes not covered: {missing}"


@pytest.mark.parametrize("role", ["head", "auditor", "auditor2", "dealer", "dealer2"])
def test_post_matrix_refuses(world_app, role):
    from conftest import csrf_from

    app, w = world_app
    client, headers = _client_for(app, role)
    token = csrf_from(client.get("/account").get_data(as_text=True))
    before = _state(app, w)
    failures = []
    for url, refused, body in _post_cases(w):
        if role not in refused:
            continue
        if url.startswith("/api/"):
            r = client.post(url, json=body, headers=headers) if body is not None else client.post(
                url, data={"photos": []}, headers=headers)
        else:
            r = client.post(url, data={"csrf_token": token, "status": "pass", "reason": "x", "answer": "yes",
                                       "comment": "x", "decision": "verify", "u-username": "x", "r-code": "X",
                                       "e-role": "admin", "e-active": "y", "e-password": "matrix-pass-123"})
        if r.status_code not in DENIED:
            failures.append(f"{role} POST {url}: {r.status_code}")
    assert not failures, "\n".join(failures)
    assert _state(app, w) == before, "a refused request changed data"


def _state(app, w):
    from web.db import get_db
    from web.models import Action, Audit, ItemOverride, ManualAnswer, ReferencePhoto, User

    with app.app_context():
        s = get_db(app).session()
        return ([(a.id, a.status, a.score_total) for a in s.query(Audit).order_by(Audit.id)],
                [(x.id, x.status) for x in s.query(Action).order_by(Action.id)],
                s.query(ItemOverride).count(), s.query(ManualAnswer).count(), s.query(ReferencePhoto).count(),
                [(u.id, u.role, u.active, u.password_hash) for u in s.query(User).order_by(User.id)])


def test_dealer_cannot_guess_ids(world_app):
    """Sequential ids of the other dealer's things all answer 404, never 403 (nothing leaks)."""
    app, w = world_app
    client, headers = _client_for(app, "dealer")
    for url in [f"/audits/{w.C}", f"/photos/{w.pc}/thumb.jpg", f"/photos/{w.pc}/image.jpg", f"/actions/{w.xc}",
                f"/actions/{w.xc}/evidence.jpg", f"/proofs/{w.fc}/image.jpg", f"/dealer/sites/{w.sc}",
                f"/audits/{w.B}", f"/photos/{w.pb}/thumb.jpg", "/audits/999999", "/photos/999999/image.jpg"]:
        assert client.get(url).status_code == 404, url
    r = client.get("/api/v1/actions", headers=headers).get_json()
    assert w.xa in {a["id"] for a in r["actions"]}
    assert {a["audit_id"] for a in r["actions"]} == {w.A} and {a["site_id"] for a in r["actions"]} == {w.sa}
    r = client.get("/api/v1/audits", headers=headers).get_json()
    assert {a["id"] for a in r["audits"]} == {w.A}
