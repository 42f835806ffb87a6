"""Admin: users and their scopes, regions, dealers, sites, brand packs and checklist versions."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import BooleanField, FloatField, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length, Optional

from web import permissions as perm
from web import vision
from web.admin import bp
from web.db import session
from web.models import BrandPackRef, ChecklistVersion, Dealer, Region, Role, Site, User
from web.security import hash_password
from web.services.trail import record


class UserForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    display_name = StringField(_l("Name"), validators=[Length(max=120)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(min=10, max=200)])
    role = SelectField(_l("Role"), choices=[(r.value, r.value) for r in Role])
    dealer_id = SelectField(_l("Dealer (dealer users)"), coerce=int, validators=[Optional()])
    region_ids = SelectMultipleField(_l("Regions (auditors)"), coerce=int, validators=[Optional()])


class EditUserForm(FlaskForm):
    display_name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), choices=[(r.value, r.value) for r in Role])
    dealer_id = SelectField(_l("Dealer (dealer users)"), coerce=int, validators=[Optional()])
    region_ids = SelectMultipleField(_l("Regions (auditors)"), coerce=int, validators=[Optional()])
    active = BooleanField(_l("Active (may sign in and use API tokens)"))
    password = PasswordField(_l("New password (leave empty to keep)"), validators=[Optional(), Length(min=10, max=200)])


class RegionForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name_zh = StringField(_l("Name (Chinese)"), validators=[DataRequired(), Length(max=120)])
    name_en = StringField(_l("Name (English)"), validators=[DataRequired(), Length(max=120)])


class DealerForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=32)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    region_id = SelectField(_l("Region"), coerce=int)


class SiteForm(FlaskForm):
    dealer_id = SelectField(_l("Dealer"), coerce=int)
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    address = StringField(_l("Address"), validators=[Length(max=300)])
    lat = FloatField(_l("Latitude"), validators=[Optional()])
    lon = FloatField(_l("Longitude"), validators=[Optional()])


class CatalogueForm(FlaskForm):
    kind = SelectField(_l("Kind"), choices=[("brand", _l("Brand pack")), ("checklist", _l("Checklist version"))])
    ref = StringField(_l("Reference (e.g. demo, default@1)"), validators=[DataRequired(), Length(max=120)])
    title = StringField(_l("Title"), validators=[Length(max=200)])


def _forms():
    s = session()
    regions = s.execute(select(Region).order_by(Region.code)).scalars().all()
    dealers = s.execute(select(Dealer).order_by(Dealer.code)).scalars().all()
    uf, df, sf = UserForm(prefix="u"), DealerForm(prefix="d"), SiteForm(prefix="s")
    uf.dealer_id.choices = [(0, "-")] + [(d.id, d.name) for d in dealers]
    uf.region_ids.choices = [(r.id, r.name_zh) for r in regions]
    df.region_id.choices = [(r.id, r.name_zh) for r in regions]
    sf.dealer_id.choices = [(d.id, d.name) for d in dealers]
    return {"user_form": uf, "region_form": RegionForm(prefix="r"), "dealer_form": df, "site_form": sf,
            "catalogue_form": CatalogueForm(prefix="c")}


@bp.route("/")
@perm.roles_required(Role.ADMIN)
def index():
    s = session()
    return render_template(
        "admin/index.html", **_forms(),
        users=s.execute(select(User).order_by(User.role, User.username)).scalars().all(),
        regions=s.execute(select(Region).order_by(Region.code)).scalars().all(),
        dealers=s.execute(select(Dealer).order_by(Dealer.code)).scalars().all(),
        sites=s.execute(select(Site).order_by(Site.id).limit(500)).scalars().all(),
        brands=s.execute(select(BrandPackRef)).scalars().all(),
        checklists=s.execute(select(ChecklistVersion)).scalars().all(),
    )


def _save(obj, what: str, after: dict):
    s = session()
    s.add(obj)
    try:
        s.flush()
        record(current_user, what, obj.id, "created", None, after)
        s.commit()
        flash(_("Saved."), "ok")
    except IntegrityError:
        s.rollback()
        flash(_("Not saved: that code or name is already taken."), "bad")


@bp.route("/users", methods=["POST"])
@perm.roles_required(Role.ADMIN)
def add_user():
    form = _forms()["user_form"]
    if form.validate_on_submit():
        role = form.role.data
        if role == Role.DEALER.value and not form.dealer_id.data:
            flash(_("A dealer user needs a dealer."), "bad")
            return redirect(url_for("admin.index"))
        u = User(username=form.username.data.strip(), display_name=form.display_name.data or "",
                 password_hash=hash_password(form.password.data), role=role,
                 dealer_id=form.dealer_id.data if role == Role.DEALER.value else None)
        if role == Role.AUDITOR.value:
            u.regions = [session().get(Region, rid) for rid in form.region_ids.data or []]
        _save(u, "user", {"username": u.username, "role": role})
    else:
        flash(_("Check the form: %(e)s", e="; ".join(f"{k}: {v[0]}" for k, v in form.errors.items())), "bad")
    return redirect(url_for("admin.index"))


def _user_scope(u: User) -> dict:
    return {"role": u.role, "display_name": u.display_name, "active": bool(u.active), "dealer_id": u.dealer_id,
            "region_ids": sorted(r.id for r in u.regions)}


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@perm.roles_required(Role.ADMIN)
def edit_user(user_id: int):
    """Change a user's name, role, scope, password, or deactivate them (sessions and API tokens stop at once)."""
    s = session()
    u = s.get(User, user_id)
    if u is None:
        abort(404)
    form = EditUserForm(obj=u, prefix="e")
    choices = _forms()["user_form"]
    form.dealer_id.choices, form.region_ids.choices = choices.dealer_id.choices, choices.region_ids.choices
    if not form.is_submitted():
        form.dealer_id.data = u.dealer_id or 0
        form.region_ids.data = [r.id for r in u.regions]
    elif form.validate():
        error = _edit_refused(u, form)
        if error:
            flash(error, "bad")
            return redirect(url_for("admin.edit_user", user_id=u.id))
        before = _user_scope(u)
        role = form.role.data
        u.display_name, u.role, u.active = form.display_name.data or "", role, bool(form.active.data)
        u.dealer_id = form.dealer_id.data if role == Role.DEALER.value else None
        u.regions = ([s.get(Region, rid) for rid in form.region_ids.data or []] if role == Role.AUDITOR.value else [])
        after = _user_scope(u)
        if form.password.data:
            u.password_hash = hash_password(form.password.data)
            after["password"] = "changed"
        record(current_user, "user", u.id, "updated", before, after)
        s.commit()
        flash(_("Saved."), "ok")
        return redirect(url_for("admin.index"))
    else:
        flash(_("Check the form: %(e)s", e="; ".join(f"{k}: {v[0]}" for k, v in form.errors.items())), "bad")
    return render_template("admin/user.html", user=u, form=form)


def _edit_refused(u: User, form: EditUserForm) -> str | None:
    """Why an edit must not be saved: an admin never locks themself out; a dealer user needs a dealer."""
    if u.id == current_user.id and (form.role.data != Role.ADMIN.value or not form.active.data):
        return _("You cannot remove your own admin role or deactivate yourself.")
    if form.role.data == Role.DEALER.value and not form.dealer_id.data:
        return _("A dealer user needs a dealer.")
    return None


@bp.route("/regions", methods=["POST"])
@perm.roles_required(Role.ADMIN)
def add_region():
    form = _forms()["region_form"]
    if form.validate_on_submit():
        _save(Region(code=form.code.data, name_zh=form.name_zh.data, name_en=form.name_en.data), "region",
              {"code": form.code.data})
    return redirect(url_for("admin.index"))


@bp.route("/dealers", methods=["POST"])
@perm.roles_required(Role.ADMIN)
def add_dealer():
    form = _forms()["dealer_form"]
    if form.validate_on_submit():
        _save(Dealer(code=form.code.data, name=form.name.data, region_id=form.region_id.data), "dealer",
              {"code": form.code.data})
    return redirect(url_for("admin.index"))


@bp.route("/sites", methods=["POST"])
@perm.roles_required(Role.ADMIN)
def add_site():
    form = _forms()["site_form"]
    if form.validate_on_submit():
        _save(Site(dealer_id=form.dealer_id.data, name=form.name.data, address=form.address.data or "",
                   lat=form.lat.data, lon=form.lon.data), "site", {"name": form.name.data})
    return redirect(url_for("admin.index"))


@bp.route("/catalogue", methods=["POST"])
@perm.roles_required(Role.ADMIN)
def add_catalogue():
    form = _forms()["catalogue_form"]
    if form.validate_on_submit():
        ref = form.ref.data.strip()
        try:  # only references the auditor library can load
            (vision.brand if form.kind.data == "brand" else vision.checklist)(ref)
        except Exception as exc:
            flash(_("Cannot load %(ref)s: %(err)s", ref=ref, err=str(exc)), "bad")
            return redirect(url_for("admin.index"))
        if form.kind.data == "brand":
            _save(BrandPackRef(ref=ref, name=form.title.data or ref), "brand_pack", {"ref": ref})
        else:
            _save(ChecklistVersion(ref=ref, title=form.title.data or ref), "checklist_version", {"ref": ref})
    return redirect(url_for("admin.index"))
