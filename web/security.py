"""Sessions, CSRF, password hashing, login rate limiting, API tokens and security headers."""
from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import Flask, request
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from web.db import session
from web.models import ApiToken, LoginAttempt, User, utcnow

login_manager = LoginManager()
csrf = CSRFProtect()

# Pages load only what the app serves itself: no inline script, no inline style attribute
# (styles in /static/app.css), images from this origin (and blob: previews of picked files).
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def verify_password(user: User, password: str) -> bool:
    return bool(user.password_hash) and check_password_hash(user.password_hash, password)


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        try:
            user = session().get(User, int(user_id))
        except ValueError:
            return None
        return user if user is not None and user.active else None

    @app.after_request
    def headers(resp):
        resp.headers.setdefault("Content-Security-Policy", CSP)
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        resp.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            resp.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if resp.mimetype == "text/html":
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp


# --- login rate limiting (database-backed, so it holds across processes) ---------------------

def login_blocked(username: str, remote_addr: str, max_failures: int, window_s: int) -> bool:
    """Too many failed logins for this user name or from this address within the window."""
    since = utcnow() - timedelta(seconds=window_s)
    s = session()
    by_name = s.execute(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.username == username, LoginAttempt.success.is_(False), LoginAttempt.at >= since)).scalar_one()
    by_addr = s.execute(select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.remote_addr == remote_addr, LoginAttempt.success.is_(False), LoginAttempt.at >= since)).scalar_one()
    return by_name >= max_failures or by_addr >= max_failures * 4


def note_login(username: str, remote_addr: str, success: bool) -> None:
    s = session()
    s.add(LoginAttempt(username=username[:80], remote_addr=(remote_addr or "")[:64], success=success))
    s.commit()


# --- API tokens ------------------------------------------------------------------------------

def new_api_token(user: User, name: str = "") -> str:
    """Create a token for `user`; only its SHA-256 is stored, so it is shown once."""
    token = "da_" + secrets.token_urlsafe(32)
    s = session()
    s.add(ApiToken(user_id=user.id, token_sha256=hashlib.sha256(token.encode()).hexdigest(), name=name[:80]))
    s.commit()
    return token


def user_for_token(token: str) -> User | None:
    if not token:
        return None
    s = session()
    row = s.execute(select(ApiToken).where(ApiToken.token_sha256 == hashlib.sha256(token.encode()).hexdigest(),
                                           ApiToken.revoked.is_(False))).scalar_one_or_none()
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    s.commit()
    return row.user


def client_addr() -> str:
    return request.remote_addr or ""
