"""Auditor pages: audits, uploads, live progress, photos with findings, overrides, answers, submit."""
from __future__ import annotations

from datetime import date

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import DateField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from web import permissions as perm
from web.auditor import bp
from web.views_common import jpeg_response, wants_json
from web.auditview import audit_page_data, evidence_shown, evidence_values
from web.db import session
from web.models import Audit, BrandPackRef, ChecklistVersion, Photo, PhotoStatus, Role, Site
from web.services import audits as svc
from web.services import images


class NewAuditForm(FlaskForm):
    site_id = SelectField(_l("Site"), coerce=int, validators=[DataRequired()])
    checklist_id = SelectField(_l("Checklist version"), coerce=int, validators=[DataRequired()])
    brand_id = SelectField(_l("Brand pack"), coerce=int, validators=[DataRequired()])
    audit_date = DateField(_l("Audit date"), validators=[DataRequired()], default=date.today)


class OverrideForm(FlaskForm):
    status = SelectField(_l("Verdict"), choices=[("pass", _l("Pass")), ("fail", _l("Fail")),
                                                  ("needs_review", _l("Needs review")),
                                                  ("not_applicable", _l("Not applicable"))])
    reason = TextAreaField(_l("Reason"), validators=[DataRequired(), Length(max=2000)])


class ManualForm(FlaskForm):
    answer = SelectField(_l("Answer"), choices=[("yes", _l("Meets the standard")), ("no", _l("Does not meet it"))])
    note = StringField(_l("Note"), validators=[Length(max=2000)])


class PlainForm(FlaskForm):
    """A form with only the CSRF token (buttons that post)."""


class CommentForm(FlaskForm):
    comment = TextAreaField(_l("Comment"), validators=[Length(max=4000)])


@bp.route("/audits")
@perm.roles_required(Role.AUDITOR, Role.ADMIN, Role.HEAD_OFFICE)
def audits():
    rows = session().execute(perm.audits_query(current_user).order_by(Audit.audit_date.desc(), Audit.id.desc())
                             .limit(200)).scalars().all()
    return render_template("auditor/audits.html", audits=rows)


def _new_audit_form() -> NewAuditForm:
    s = session()
    form = NewAuditForm()
    sites = s.execute(select(Site).where(Site.id.in_(perm.visible_site_ids(current_user))).order_by(Site.name)).scalars()
    form.site_id.choices = [(x.id, f"{x.dealer.name} · {x.name}") for x in sites]
    form.checklist_id.choices = [(c.id, c.title or c.ref) for c in
                                 s.execute(select(ChecklistVersion).where(ChecklistVersion.active.is_(True))).scalars()]
    form.brand_id.choices = [(b.id, b.name or b.ref) for b in
                             s.execute(select(BrandPackRef).where(BrandPackRef.active.is_(True))).scalars()]
    return form


@bp.route("/audits/new", methods=["GET", "POST"])
@perm.roles_required(Role.AUDITOR, Role.ADMIN)
def new_audit():
    form = _new_audit_form()
    if form.validate_on_submit():
        s = session()
        site = s.get(Site, form.site_id.data)
        if site is None or not perm.can_see_site(current_user, site.id):
            abort(404)
        audit = svc.create_audit(current_user, site, s.get(BrandPackRef, form.brand_id.data),
                                 s.get(ChecklistVersion, form.checklist_id.data), form.audit_date.data)
        s.commit()
        return redirect(url_for("auditor.audit", audit_id=audit.id))
    return render_template("auditor/new.html", form=form)


@bp.route("/audits/<int:audit_id>")
@login_required
def audit(audit_id: int):
    a = perm.audit_or_404(audit_id)
    data = audit_page_data(a)
    return render_template(
        "auditor/audit.html", **data, areas=svc.AREAS, evidence_values=evidence_values, evidence_shown=evidence_shown,
        can_edit=perm.can_edit_audit(current_user, a), can_override=perm.can_override(current_user, a),
        can_review=perm.can_review(current_user, a), override_form=OverrideForm(), manual_form=ManualForm(),
        plain_form=PlainForm(), comment_form=CommentForm(), progress=svc.progress(a),
        default_due=svc.default_due_date(),
    )


@bp.route("/audits/<int:audit_id>/photos", methods=["POST"])
@login_required
def upload(audit_id: int):
    """Accepts one or more files in `photos`; answers per file (JSON), never failing the batch."""
    a = perm.audit_or_404(audit_id)
    if not perm.can_edit_audit(current_user, a):
        abort(403)
    area = request.form.get("area") or None
    files = request.files.getlist("photos")
    if not files:
        return jsonify(error="bad_request", message=_("No file in the request (field 'photos').")), 400
    out = []
    for f in files:
        outcome = svc.add_photo(current_user, a, f.read(), f.filename or "photo", area)
        out.append({"name": outcome.name, "ok": outcome.ok, "message": outcome.message,
                    "photo_id": outcome.photo.id if outcome.photo else None,
                    "flags": [f["kind"] for f in outcome.flags]})
    if not wants_json():
        for r in out:
            flash(f"{r['name']}: {r['message']}", "ok" if r["ok"] else "bad")
        return redirect(url_for("auditor.audit", audit_id=a.id))
    status = 200 if any(r["ok"] for r in out) else 422
    return jsonify(results=out, progress=svc.progress(a)), status


@bp.route("/audits/<int:audit_id>/progress.json")
@login_required
def progress(audit_id: int):
    a = perm.audit_or_404(audit_id)
    p = svc.progress(a)
    p["photos_status"] = [
        {"id": pid, "status": st, "error": err}
        for pid, st, err in session().execute(select(Photo.id, Photo.status, Photo.error)
                                              .where(Photo.audit_id == a.id).order_by(Photo.id))
    ]
    return jsonify(p)


def _change_item(audit_id: int, item_id: str, allowed, form_cls, apply, invalid: str | None = None,
                 done: str | None = None):
    """One checklist item's form (override, manual answer): scope, permission, form, service call, redirect.

    `apply(audit, form)` changes the item; an unknown item is 404, a refused change a flashed
    message. An invalid form flashes `invalid`, or answers 400 when there is no message for it.
    """
    a = perm.audit_or_404(audit_id)
    if not allowed(current_user, a):
        abort(403)
    back = url_for("auditor.audit", audit_id=a.id, _anchor=f"item-{item_id}")
    form = form_cls()
    if not form.validate_on_submit():
        if invalid is None:
            abort(400)
        flash(invalid, "bad")
        return redirect(back)
    try:
        apply(a, form)
    except KeyError:
        abort(404)
    except (ValueError, svc.AuditStateError) as exc:
        flash(str(exc), "bad")
        return redirect(url_for("auditor.audit", audit_id=a.id))
    session().commit()
    if done:
        flash(done, "ok")
    return redirect(back)


@bp.route("/audits/<int:audit_id>/items/<item_id>/override", methods=["POST"])
@login_required
def override(audit_id: int, item_id: str):
    return _change_item(
        audit_id, item_id, perm.can_override, OverrideForm,
        lambda a, form: svc.set_override(current_user, a, item_id, form.status.data, form.reason.data),
        invalid=_("An override needs a verdict and a reason."),
        done=_("Verdict of %(item)s overridden.", item=item_id))


@bp.route("/audits/<int:audit_id>/items/<item_id>/manual", methods=["POST"])
@login_required
def manual(audit_id: int, item_id: str):
    return _change_item(
        audit_id, item_id, perm.can_edit_audit, ManualForm,
        lambda a, form: svc.set_manual_answer(current_user, a, item_id, form.answer.data == "yes", form.note.data or ""))


@bp.route("/audits/<int:audit_id>/submit", methods=["POST"])
@login_required
def submit(audit_id: int):
    a = perm.audit_or_404(audit_id)
    if not perm.can_edit_audit(current_user, a):
        abort(403)
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        svc.submit(current_user, a)
    except svc.AuditStateError as exc:
        flash(str(exc), "bad")
        return redirect(url_for("auditor.audit", audit_id=a.id))
    session().commit()
    flash(_("Audit submitted for review."), "ok")
    return redirect(url_for("auditor.audit", audit_id=a.id))


@bp.route("/photos/<int:photo_id>/retry", methods=["POST"])
@login_required
def retry_photo(photo_id: int):
    from web.jobs.queue import enqueue

    p = perm.photo_or_404(photo_id)
    if not perm.can_edit_audit(current_user, p.audit):
        abort(403)
    if not PlainForm().validate_on_submit():
        abort(400)
    p.status, p.error = PhotoStatus.QUEUED.value, ""
    session().commit()
    enqueue("analyse_photo", p.id)
    return redirect(url_for("auditor.audit", audit_id=p.audit_id))


@bp.route("/photos/<int:photo_id>")
@login_required
def photo(photo_id: int):
    from web.services.references import reference_of

    p = perm.photo_or_404(photo_id)
    can_approve = current_user.role in (Role.HEAD_OFFICE.value, Role.ADMIN.value)
    return render_template("auditor/photo.html", photo=p, results=svc.photo_results(p),
                           overlay=request.args.get("overlay", "1") != "0", reference=reference_of(p),
                           can_approve_reference=can_approve, form=PlainForm())


@bp.route("/photos/<int:photo_id>/image.jpg")
@login_required
def photo_image(photo_id: int):
    p = perm.photo_or_404(photo_id)
    overlay = request.args.get("overlay", "1") != "0"
    return jpeg_response(lambda: images.view_image(p.storage_key, p.sha256, svc.photo_results(p) if overlay else None,
                                                   p.original_name, overlay=overlay))


@bp.route("/photos/<int:photo_id>/thumb.jpg")
@login_required
def photo_thumb(photo_id: int):
    p = perm.photo_or_404(photo_id)
    return jpeg_response(lambda: images.thumbnail(p.storage_key, p.sha256, p.original_name))


@bp.route("/photos/<int:photo_id>/crop.jpg")
@login_required
def photo_crop(photo_id: int):
    """A finding's region: ?check=<check id>&i=<finding index>."""
    p = perm.photo_or_404(photo_id)
    check_id, idx = request.args.get("check", ""), request.args.get("i", 0, type=int)
    for r in svc.photo_results(p):
        if r["check_id"] == check_id:
            findings = r.get("findings") or []
            if 0 <= idx < len(findings) and findings[idx].get("region"):
                region = findings[idx]["region"]["xywh"]
                return jpeg_response(lambda: images.crop(p.storage_key, p.sha256, region, p.original_name, [r]))
    abort(404)


@bp.route("/audits/<int:audit_id>/report.pdf")
@login_required
def report_pdf(audit_id: int):
    from web.reports import audit_pdf

    a = perm.audit_or_404(audit_id)
    pdf = audit_pdf(a)
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="audit-{a.id}.pdf"'})
