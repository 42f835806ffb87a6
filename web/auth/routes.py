"""Log in and out (rate limited), and API tokens for phone capture apps."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from web.auth import bp
from web.db import session
from web.models import User
from web.security import client_addr, login_blocked, new_api_token, note_login, verify_password
from web.services.trail import record


class LoginForm(FlaskForm):
    username = StringField(_l("User name"), validators=[DataRequired(), Length(max=80)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])


class TokenForm(FlaskForm):
    name = StringField(_l("Token name"), validators=[Length(max=80)])


@bp.route("/login", methods=["GET", "POST"])
def login():
    from web.views_common import home_for

    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        username = form.username.data.strip()
        cfg = current_app.config
        if login_blocked(username, client_addr(), cfg["LOGIN_MAX_FAILURES"], cfg["LOGIN_WINDOW_S"]):
            flash(_("Too many failed logins. Wait a few minutes and try again."), "bad")
            return render_template("auth/login.html", form=form), 429
        user = session().execute(select(User).where(User.username == username)).scalar_one_or_none()
        if user is None or not user.active or not verify_password(user, form.password.data):
            note_login(username, client_addr(), False)
            flash(_("Wrong user name or password."), "bad")
            return render_template("auth/login.html", form=form), 401
        note_login(username, client_addr(), True)
        login_user(user)
        nxt = request.args.get("next", "")
        if nxt.startswith("/") and not nxt.startswith("//"):
            return redirect(nxt)
        return redirect(home_for(user))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = TokenForm()
    token = None
    if form.validate_on_submit():
        token = new_api_token(current_user, form.name.data or "")
        record(current_user, "api_token", current_user.id, "created", None, {"name": form.name.data})
        session().commit()
    return render_template("auth/account.html", form=form, token=token)
