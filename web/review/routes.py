"""Head office: review queue, approve / return, dashboard, exports (CSV, labelled set)."""
from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import DateField
from wtforms.validators import Optional

from web import permissions as perm
from web.auditor.routes import CommentForm
from web.dashboard import breadcrumbs, dashboard_data
from web.db import session
from web.i18n import is_english
from web.models import Audit, AuditStatus, Dealer, Photo, Region, Role, Site
from web.review import bp
from web.services import audits as svc

HO = (Role.HEAD_OFFICE, Role.ADMIN)


@bp.route("/review")
@perm.roles_required(*HO)
def queue():
    s = session()
    waiting = s.execute(select(Audit).where(Audit.status == AuditStatus.SUBMITTED.value)
                        .order_by(Audit.submitted_at)).scalars().all()
    recent = s.execute(select(Audit).where(Audit.status.in_([AuditStatus.APPROVED.value, AuditStatus.RETURNED.value]))
                       .order_by(Audit.reviewed_at.desc()).limit(20)).scalars().all()
    return render_template("review/queue.html", waiting=waiting, recent=recent)


class ApproveForm(CommentForm):
    due_date = DateField(_l("Actions due"), validators=[Optional()])


@bp.route("/review/<int:audit_id>/approve", methods=["POST"])
@perm.roles_required(*HO)
def approve(audit_id: int):
    a = perm.audit_or_404(audit_id)
    form = ApproveForm()
    if not form.validate_on_submit():
        if form.due_date.errors:
            flash(_("Not approved: the due date is not a date."), "bad")
            return redirect(url_for("auditor.audit", audit_id=a.id))
        abort(400)
    try:
        created = svc.approve(current_user, a, form.comment.data or "", form.due_date.data)
    except (ValueError, svc.AuditStateError) as exc:
        flash(str(exc), "bad")
        return redirect(url_for("auditor.audit", audit_id=a.id))
    session().commit()
    flash(_("Audit approved; %(n)d improvement actions sent to the dealer.", n=len(created)), "ok")
    return redirect(url_for("review.queue"))


@bp.route("/review/<int:audit_id>/return", methods=["POST"])
@perm.roles_required(*HO)
def return_(audit_id: int):
    a = perm.audit_or_404(audit_id)
    form = CommentForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        svc.return_audit(current_user, a, form.comment.data or "")
    except (ValueError, svc.AuditStateError) as exc:
        flash(str(exc), "bad")
        return redirect(url_for("auditor.audit", audit_id=a.id))
    session().commit()
    flash(_("Audit returned to the auditor."), "ok")
    return redirect(url_for("review.queue"))


@bp.route("/photos/<int:photo_id>/reference", methods=["POST"])
@perm.roles_required(*HO)
def reference(photo_id: int):
    """Approve the photo as the reference of its site's area (action=approve), or withdraw it."""
    from web.auditor.routes import PlainForm
    from web.services import references

    p = perm.photo_or_404(photo_id)
    if not PlainForm().validate_on_submit():
        abort(400)
    action = request.form.get("action", "approve")
    if action not in ("approve", "withdraw"):
        abort(400)
    try:
        if action == "approve":
            references.approve(current_user, p)
            message = _("Approved as the reference photo of this view; later photos of this area are compared with it.")
        else:
            references.withdraw(current_user, p)
            message = _("No longer a reference photo.")
    except references.ReferenceError as exc:
        flash(str(exc), "bad")
        return redirect(url_for("auditor.photo", photo_id=p.id))
    session().commit()
    flash(message, "ok")
    return redirect(url_for("auditor.photo", photo_id=p.id))


def _filters():
    return {k: request.args.get(k, type=int) for k in ("region", "dealer", "site")} | {
        "months": min(max(request.args.get("months", 12, type=int), 1), 60)}


@bp.route("/dashboard")
@perm.roles_required(*HO)
def dashboard():
    f = _filters()
    data = dashboard_data(f["months"], f["region"], f["dealer"], f["site"], english=is_english())
    return render_template("review/dashboard.html", data=data, f=f,
                           crumbs=breadcrumbs(f["region"], f["dealer"], f["site"]))


@bp.route("/dashboard/data.json")
@perm.roles_required(*HO)
def dashboard_json():
    f = _filters()
    return jsonify(dashboard_data(f["months"], f["region"], f["dealer"], f["site"], english=is_english()))


def _csv(rows, header, name) -> Response:
    buf = io.StringIO()
    buf.write("\ufeff")  # Excel opens UTF-8 Chinese correctly with a BOM
    w = csv.writer(buf)
    w.writerow(header)
    for r in rows:
        w.writerow([_cell(v) for v in r])
    return Response(buf.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _cell(v):
    # Neutralise spreadsheet formulas in user-supplied text.
    if isinstance(v, str) and v[:1] in ("=", "+", "-", "@"):
        return "'" + v
    return v


def _export_audits():
    q = (select(Audit, Site, Dealer, Region).join(Site, Audit.site_id == Site.id)
         .join(Dealer, Site.dealer_id == Dealer.id).join(Region, Dealer.region_id == Region.id)
         .where(Audit.status.in_([AuditStatus.APPROVED.value, AuditStatus.SUBMITTED.value]))
         .order_by(Audit.audit_date, Audit.id))
    return session().execute(q).all()


@bp.route("/export/scores.csv")
@perm.roles_required(*HO)
def export_scores():
    rows = []
    for a, site, dealer, region in _export_audits():
        for it in (a.score or {}).get("items", []):
            rows.append([a.id, a.audit_date.isoformat(), a.status, region.code, dealer.code, dealer.name, site.name,
                         a.score_total, it["item_id"], it["status"], it.get("score"), it.get("weight"),
                         it.get("confidence"), (it.get("override") or {}).get("by", ""),
                         (it.get("override") or {}).get("reason", "")])
    return _csv(rows, ["audit_id", "audit_date", "audit_status", "region", "dealer_code", "dealer", "site",
                       "audit_score", "item_id", "item_status", "item_score", "weight", "confidence",
                       "override_by", "override_reason"], "scores.csv")


@bp.route("/export/findings.csv")
@perm.roles_required(*HO)
def export_findings():
    rows = []
    s = session()
    for a, site, dealer, region in _export_audits():
        for p in s.execute(select(Photo).where(Photo.audit_id == a.id)).scalars():
            for r in (p.result.results if p.result else []):
                for f in r.get("findings") or [{}]:
                    rows.append([a.id, site.name, p.id, p.original_name, p.area, r["check_id"], r["verdict"],
                                 r.get("confidence"), f.get("kind", ""), (f.get("region") or {}).get("xywh", ""),
                                 f.get("message", r.get("message", ""))])
    return _csv(rows, ["audit_id", "site", "photo_id", "file", "area", "check_id", "verdict", "confidence",
                       "finding", "region_xywh", "message"], "findings.csv")


@bp.route("/export/labels.zip")
@perm.roles_required(*HO)
def export_labels():
    from web.labels import labelled_set_zip

    data = labelled_set_zip()
    return Response(data, mimetype="application/zip",
                    headers={"Content-Disposition": 'attachment; filename="reviewed-labels.zip"'})
