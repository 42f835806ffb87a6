"""Dealers: their own sites, latest approved audit and score, improvement actions, proof photos.

Verification of a proof (verify / reopen) is done here too, by auditors and head office.
"""
from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from web import permissions as perm
from web.auditor.routes import CommentForm, PlainForm
from web.views_common import jpeg_response
from web.db import session
from web.dealer import bp
from web.views_common import wants_json
from web.models import Action, ActionStatus, Audit, AuditStatus, Role, Site
from web.services import actions as act
from web.services import images
from web.services.audits import AuditStateError


@bp.route("/dealer")
@login_required
def home():
    s = session()
    sites = s.execute(select(Site).where(Site.id.in_(perm.visible_site_ids(current_user))).order_by(Site.name)
                      .limit(500)).scalars().all()
    rows = []
    for site in sites:
        latest = s.execute(select(Audit).where(Audit.site_id == site.id, Audit.status == AuditStatus.APPROVED.value)
                           .order_by(Audit.audit_date.desc(), Audit.id.desc()).limit(1)).scalar_one_or_none()
        open_actions = s.execute(select(Action).where(Action.site_id == site.id,
                                                      Action.status != ActionStatus.VERIFIED.value)).scalars().all()
        rows.append((site, latest, open_actions))
    return render_template("dealer/home.html", rows=rows)


@bp.route("/dealer/sites/<int:site_id>")
@login_required
def site(site_id: int):
    s = session()
    site = s.get(Site, site_id)
    if site is None or not perm.can_see_site(current_user, site_id):
        abort(404)
    history = s.execute(select(Audit).where(Audit.site_id == site.id, Audit.status == AuditStatus.APPROVED.value)
                        .order_by(Audit.audit_date)).scalars().all()
    actions = s.execute(select(Action).where(Action.site_id == site.id).order_by(Action.due_date, Action.id)).scalars().all()
    actions = [a for a in actions if perm.can_see_action(current_user, a)]
    return render_template("dealer/site.html", site=site, history=history, actions=actions,
                           latest=history[-1] if history else None)


@bp.route("/actions/<int:action_id>")
@login_required
def action(action_id: int):
    a = perm.action_or_404(action_id)
    return render_template("dealer/action.html", action=a, form=PlainForm(), comment_form=CommentForm(),
                           can_upload=current_user.role in (Role.DEALER.value, Role.ADMIN.value)
                           and a.status != ActionStatus.VERIFIED.value,
                           can_verify=perm.can_verify(current_user, a)
                           and a.status == ActionStatus.PROOF_UPLOADED.value)


@bp.route("/actions/<int:action_id>/proofs", methods=["POST"])
@login_required
def upload_proof(action_id: int):
    a = perm.action_or_404(action_id)
    if current_user.role not in (Role.DEALER.value, Role.ADMIN.value):
        abort(403)
    files = request.files.getlist("photos")
    if not files:
        abort(400, "no file")
    out = []
    for f in files:
        o = act.add_proof(current_user, a, f.read(), f.filename or "proof")
        out.append({"name": o.name, "ok": o.ok, "message": o.message})
    if not wants_json():
        for r in out:
            flash(f"{r['name']}: {r['message']}", "ok" if r["ok"] else "bad")
        return redirect(url_for("dealer.action", action_id=a.id))
    return jsonify(results=out), 200 if any(r["ok"] for r in out) else 422


@bp.route("/actions/<int:action_id>/status.json")
@login_required
def action_status(action_id: int):
    a = perm.action_or_404(action_id)
    return jsonify(id=a.id, status=a.status,
                   proofs=[{"id": p.id, "status": p.status, "verdict": p.verdict, "error": p.error} for p in a.proofs])


@bp.route("/actions/<int:action_id>/verify", methods=["POST"])
@login_required
def verify(action_id: int):
    a = perm.action_or_404(action_id)
    if not perm.can_verify(current_user, a):
        abort(403)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    verified = request.form.get("decision") == "verify"
    try:
        act.verify(current_user, a, verified, form.comment.data or "")
    except AuditStateError as exc:
        flash(str(exc), "bad")
        return redirect(url_for("dealer.action", action_id=a.id))
    session().commit()
    flash(_("Action verified.") if verified else _("Action reopened."), "ok")
    return redirect(url_for("dealer.action", action_id=a.id))


@bp.route("/actions/<int:action_id>/evidence.jpg")
@login_required
def evidence(action_id: int):
    a = perm.action_or_404(action_id)
    if a.evidence_photo_id is None:
        abort(404)
    from web.db import session as _s
    from web.models import Photo

    p = _s().get(Photo, a.evidence_photo_id)
    if p is None:
        abort(404)
    return jpeg_response(lambda: images.crop(p.storage_key, p.sha256, (a.evidence_region or {}).get("xywh"),
                                             p.original_name, act.evidence_results(a)))


@bp.route("/proofs/<int:proof_id>/image.jpg")
@login_required
def proof_image(proof_id: int):
    p = perm.proof_or_404(proof_id)
    return jpeg_response(lambda: images.view_image(p.storage_key, p.sha256, p.results, p.original_name, overlay=True))
