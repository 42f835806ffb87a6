"""JSON API for phone capture apps and scripts: bearer-token auth, same operations as the pages.

Only `Authorization: Bearer <token>` authenticates here (tokens from /account); the
session cookie is ignored, which is why these endpoints need no CSRF token.
"""
from __future__ import annotations

from datetime import date

from flask import abort, g, jsonify, request
from flask_login import current_user
from sqlalchemy import select

from web import permissions as perm
from web.api import bp
from web.api.openapi import openapi_document
from web.db import session
from web.models import Action, Audit, BrandPackRef, ChecklistVersion, Photo, Role, Site
from web.security import csrf, user_for_token
from web.services import actions as act
from web.services import audits as svc

csrf.exempt(bp)
PUBLIC = {"api.openapi"}


@bp.before_request
def require_token():
    if request.endpoint in PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    user = user_for_token(header[7:].strip()) if header.lower().startswith("bearer ") else None
    if user is None:
        return _error(401, "unauthorized", "send Authorization: Bearer <token> (create one on /account)")
    g._login_user = user  # the token's user, whatever session cookie came along
    return None


def _error(code: int, error: str, message: str):
    resp = jsonify(error=error, message=message)
    resp.status_code = code
    return resp


def _body() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "expected a JSON object body")
    return data


def site_json(s: Site) -> dict:
    return {"id": s.id, "name": s.name, "dealer_id": s.dealer_id, "dealer": s.dealer.name,
            "region_id": s.dealer.region_id, "lat": s.lat, "lon": s.lon}


def audit_json(a: Audit, full: bool = False) -> dict:
    d = {"id": a.id, "site_id": a.site_id, "status": a.status, "audit_date": a.audit_date.isoformat(),
         "checklist": a.checklist_version.ref, "brand": a.brand_pack.ref, "score": a.score_total,
         "auditor": a.auditor.username, "review_comment": a.review_comment or ""}
    if full:
        d["items"] = (a.score or {}).get("items", [])
        d["sections"] = (a.score or {}).get("sections", [])
        d["photos"] = [photo_json(p) for p in a.photos]
    return d


def photo_json(p: Photo, results: bool = False) -> dict:
    d = {"id": p.id, "audit_id": p.audit_id, "area": p.area, "name": p.original_name, "status": p.status,
         "error": p.error or "", "sha256": p.sha256, "width": p.width, "height": p.height,
         "flags": list(p.flags or [])}
    if results:
        d["results"] = svc.photo_results(p)
        d["reference"] = _is_reference(p)
    return d


def _is_reference(p: Photo) -> bool:
    from web.services.references import reference_of

    return reference_of(p) is not None


def action_json(a: Action) -> dict:
    return {"id": a.id, "audit_id": a.audit_id, "site_id": a.site_id, "item_id": a.item_id, "status": a.status,
            "due_date": a.due_date.isoformat(),
            "proofs": [{"id": p.id, "status": p.status, "verdict": p.verdict, "error": p.error or ""}
                       for p in a.proofs]}


@bp.route("/openapi.json")
def openapi():
    return jsonify(openapi_document())


@bp.route("/me")
def me():
    u = current_user
    return jsonify(id=u.id, username=u.username, role=u.role, dealer_id=u.dealer_id,
                   region_ids=[r.id for r in u.regions])


@bp.route("/sites")
def sites():
    rows = session().execute(select(Site).where(Site.id.in_(perm.visible_site_ids(current_user)))
                             .order_by(Site.id)).scalars()
    return jsonify(sites=[site_json(s) for s in rows])


@bp.route("/audits", methods=["GET"])
def audits():
    q = perm.audits_query(current_user).order_by(Audit.id.desc())
    status = request.args.get("status")
    if status:
        q = q.where(Audit.status == status)
    limit = min(max(request.args.get("limit", 100, type=int), 1), 500)
    return jsonify(audits=[audit_json(a) for a in session().execute(q.limit(limit)).scalars()])


@bp.route("/audits", methods=["POST"])
def create_audit():
    if current_user.role not in (Role.AUDITOR.value, Role.ADMIN.value):
        abort(403)
    body = _body()
    s = session()
    site = s.get(Site, body.get("site_id") if isinstance(body.get("site_id"), int) else -1)
    if site is None or not perm.can_see_site(current_user, site.id):
        abort(404, "no such site")
    cl = (s.get(ChecklistVersion, body["checklist_version_id"]) if "checklist_version_id" in body else
          s.execute(select(ChecklistVersion).where(ChecklistVersion.active.is_(True)).order_by(ChecklistVersion.id.desc())).scalars().first())
    br = (s.get(BrandPackRef, body["brand_pack_id"]) if "brand_pack_id" in body else
          s.execute(select(BrandPackRef).where(BrandPackRef.active.is_(True)).order_by(BrandPackRef.id)).scalars().first())
    if cl is None or br is None:
        abort(400, "unknown checklist_version_id or brand_pack_id")
    try:
        d = date.fromisoformat(body.get("audit_date") or date.today().isoformat())
    except (TypeError, ValueError):
        abort(400, "audit_date must be YYYY-MM-DD")
    a = svc.create_audit(current_user, site, br, cl, d)
    s.commit()
    return jsonify(audit_json(a)), 201


@bp.route("/audits/<int:audit_id>")
def audit(audit_id: int):
    return jsonify(audit_json(perm.audit_or_404(audit_id), full=True))


@bp.route("/audits/<int:audit_id>/progress")
def progress(audit_id: int):
    return jsonify(svc.progress(perm.audit_or_404(audit_id)))


@bp.route("/audits/<int:audit_id>/photos", methods=["POST"])
def upload(audit_id: int):
    a = perm.audit_or_404(audit_id)
    if not perm.can_edit_audit(current_user, a):
        abort(403)
    files = request.files.getlist("photos")
    if not files:
        abort(400, "no file in field 'photos'")
    area = request.form.get("area") or None
    out = []
    for f in files:
        o = svc.add_photo(current_user, a, f.read(), f.filename or "photo", area)
        out.append({"name": o.name, "ok": o.ok, "message": o.message,
                    "photo_id": o.photo.id if o.photo else None, "flags": [x["kind"] for x in o.flags]})
    return jsonify(results=out), 200 if any(r["ok"] for r in out) else 422


def _state_call(fn):
    try:
        fn()
    except KeyError:
        abort(404, "no such item")
    except (ValueError, svc.AuditStateError) as exc:
        abort(409, str(exc))
    session().commit()


@bp.route("/audits/<int:audit_id>/items/<item_id>/override", methods=["POST"])
def override(audit_id: int, item_id: str):
    a = perm.audit_or_404(audit_id)
    if not perm.can_override(current_user, a):
        abort(403)
    body = _body()
    _state_call(lambda: svc.set_override(current_user, a, item_id, str(body.get("status", "")),
                                         str(body.get("reason", ""))))
    return jsonify(audit_json(a, full=True))


@bp.route("/audits/<int:audit_id>/items/<item_id>/manual", methods=["POST"])
def manual(audit_id: int, item_id: str):
    a = perm.audit_or_404(audit_id)
    if not perm.can_edit_audit(current_user, a):
        abort(403)
    body = _body()
    if not isinstance(body.get("answer"), bool):
        abort(400, "answer must be true or false")
    _state_call(lambda: svc.set_manual_answer(current_user, a, item_id, body["answer"], str(body.get("note", ""))))
    return jsonify(audit_json(a, full=True))


@bp.route("/audits/<int:audit_id>/submit", methods=["POST"])
def submit(audit_id: int):
    a = perm.audit_or_404(audit_id)
    if not perm.can_edit_audit(current_user, a):
        abort(403)
    _state_call(lambda: svc.submit(current_user, a))
    return jsonify(audit_json(a))


@bp.route("/audits/<int:audit_id>/approve", methods=["POST"])
def approve(audit_id: int):
    a = perm.audit_or_404(audit_id)
    if current_user.role not in (Role.HEAD_OFFICE.value, Role.ADMIN.value):
        abort(403)
    body = request.get_json(silent=True) or {}
    due = None
    if body.get("due_date") is not None:
        try:
            due = date.fromisoformat(str(body["due_date"]))
        except ValueError:
            abort(400, "due_date: expected YYYY-MM-DD")
    _state_call(lambda: svc.approve(current_user, a, str(body.get("comment", "")), due))
    return jsonify(audit_json(a))


@bp.route("/audits/<int:audit_id>/return", methods=["POST"])
def return_(audit_id: int):
    a = perm.audit_or_404(audit_id)
    if current_user.role not in (Role.HEAD_OFFICE.value, Role.ADMIN.value):
        abort(403)
    body = _body()
    _state_call(lambda: svc.return_audit(current_user, a, str(body.get("comment", ""))))
    return jsonify(audit_json(a))


@bp.route("/photos/<int:photo_id>")
def photo(photo_id: int):
    return jsonify(photo_json(perm.photo_or_404(photo_id), results=True))


@bp.route("/photos/<int:photo_id>/reference", methods=["POST"])
def reference(photo_id: int):
    """Approve the photo as the reference of its site's area ({"action": "approve"}) or withdraw it."""
    from web.services import references

    p = perm.photo_or_404(photo_id)
    if current_user.role not in (Role.HEAD_OFFICE.value, Role.ADMIN.value):
        abort(403)
    action = (request.get_json(silent=True) or {}).get("action", "approve")
    if action not in ("approve", "withdraw"):
        abort(400, "action: approve or withdraw")
    try:
        if action == "approve":
            references.approve(current_user, p)
        else:
            references.withdraw(current_user, p)
    except references.ReferenceError as exc:
        abort(409, str(exc))
    session().commit()
    return jsonify(photo_json(p))


@bp.route("/actions")
def actions():
    rows = session().execute(select(Action).where(Action.site_id.in_(perm.visible_site_ids(current_user)))
                             .order_by(Action.id)).scalars()
    return jsonify(actions=[action_json(a) for a in rows if perm.can_see_action(current_user, a)])


@bp.route("/actions/<int:action_id>/proofs", methods=["POST"])
def proof(action_id: int):
    a = perm.action_or_404(action_id)
    if current_user.role not in (Role.DEALER.value, Role.ADMIN.value):
        abort(403)
    files = request.files.getlist("photos")
    if not files:
        abort(400, "no file in field 'photos'")
    out = [act.add_proof(current_user, a, f.read(), f.filename or "proof") for f in files]
    return jsonify(results=[{"name": o.name, "ok": o.ok, "message": o.message} for o in out]), \
        200 if any(o.ok for o in out) else 422


@bp.route("/actions/<int:action_id>/verify", methods=["POST"])
def verify(action_id: int):
    a = perm.action_or_404(action_id)
    if not perm.can_verify(current_user, a):
        abort(403)
    body = _body()
    if body.get("decision") not in ("verify", "reopen"):
        abort(400, "decision must be 'verify' or 'reopen'")
    _state_call(lambda: act.verify(current_user, a, body["decision"] == "verify", str(body.get("comment", ""))))
    return jsonify(action_json(a))
