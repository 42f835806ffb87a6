"""What every page shares: the home redirect, the language switch, error pages, template helpers."""
from __future__ import annotations

from flask import Flask, Response, abort, jsonify, redirect, render_template, request, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from web import vision
from web.i18n import is_english
from web.models import Role

AREA_LABELS = {
    "facade": _l("Facade"), "entrance": _l("Entrance"), "driveway": _l("Driveway"),
    "reception": _l("Reception"), "workshop": _l("Workshop"), "lounge": _l("Lounge"),
    "staff": _l("Staff"), "other": _l("Other"),
}
STATUS_LABELS = {
    "pass": _l("Pass"), "fail": _l("Fail"), "unsure": _l("Unsure"), "needs_review": _l("Needs review"),
    "not_applicable": _l("Not applicable"), "not_implemented": _l("Not implemented"), "manual": _l("Manual"),
    "draft": _l("Draft"), "analysing": _l("Analysing"), "submitted": _l("Submitted"), "approved": _l("Approved"),
    "returned": _l("Returned"), "open": _l("Open"), "proof_uploaded": _l("Pending verification"),
    "verified": _l("Verified"), "reopened": _l("Reopened"), "queued": _l("Queued"), "done": _l("Done"),
    "error": _l("Error"),
}
STATUS_CLASS = {
    "pass": "ok", "verified": "ok", "approved": "ok", "done": "ok",
    "fail": "bad", "error": "bad", "returned": "bad", "reopened": "bad",
    "unsure": "warn", "needs_review": "warn", "proof_uploaded": "warn", "submitted": "warn", "manual": "warn",
    "analysing": "info", "queued": "info", "open": "info", "draft": "info",
}
FLAG_LABELS = {
    "reused_exact": _l("Same file used in another audit"),
    "reused_similar": _l("Looks like a photo of another audit"),
    "exif_time_far": _l("Taken far from the audit date"),
    "gps_far": _l("Taken far from the site"),
}
# What a finding is, in the reader's language (the library writes its one-line message in English).
FINDING_LABELS = {
    "logo": _l("Brand logo"), "wrong_mark": _l("Outdated or foreign mark"), "placement_zone": _l("Logo placement zone"),
    "text": _l("Sign text"), "signboard": _l("Signboard colour"), "arrow": _l("Directional arrow"),
    "lit_sign": _l("Lit sign"), "dark_sign": _l("Unlit sign"),
    "litter": _l("Litter"), "clutter": _l("Clutter"), "stain": _l("Stain"), "rust": _l("Rust"),
    "damage": _l("Damage"), "dirty_glass": _l("Dirty glass"), "dead_greenery": _l("Dead or bare greenery"),
    "change": _l("Changed since the reference photo"),
    "person": _l("Person"), "uniform": _l("Uniform"), "badge": _l("Name badge"), "no_badge": _l("No name badge"),
    "area_mismatch": _l("Area tag disagrees"),
}
ROLE_LABELS = {"auditor": _l("Auditor"), "head_office": _l("Head office"), "dealer": _l("Dealer"),
               "admin": _l("Administrator")}


def jpeg_response(render) -> Response:
    """Every image route's answer: `render()` -> JPEG bytes, served privately cacheable; a stored
    file that is gone or that the library cannot decode is a 404 (with the reason), never a 500."""
    from auditor.errors import AuditorError
    from web.storage import BlobNotFound

    try:
        data = render()
    except (AuditorError, BlobNotFound) as exc:
        abort(404, str(exc))
    resp = Response(data, mimetype="image/jpeg")
    resp.headers["Cache-Control"] = "private, max-age=3600"
    return resp


def item_text(checklist_ref: str, item_id: str) -> str:
    try:
        item = vision.checklist(checklist_ref).item(item_id)
    except Exception:
        return item_id
    return item.text_en if is_english() else item.text_zh


def check_title(check_id: str) -> str:
    try:
        from auditor.checks import CHECKS

        spec = CHECKS[check_id]
    except Exception:
        return check_id
    return spec.title_en if is_english() else spec.title_zh


def home_for(user) -> str:
    return {
        Role.AUDITOR.value: url_for("auditor.audits"),
        Role.HEAD_OFFICE.value: url_for("review.queue"),
        Role.DEALER.value: url_for("dealer.home"),
        Role.ADMIN.value: url_for("admin.index"),
    }.get(user.role, url_for("auth.login"))


def init_app(app: Flask) -> None:
    @app.route("/")
    def index():
        if not current_user.is_authenticated:
            return redirect(url_for("auth.login"))
        return redirect(home_for(current_user))

    @app.route("/lang/<code>", methods=["POST"])
    def set_language(code: str):
        if code not in ("zh", "en"):
            abort(404)
        session["lang"] = code
        target = request.form.get("next") or "/"
        if not target.startswith("/") or target.startswith("//"):
            target = "/"
        return redirect(target)

    @app.route("/healthz")
    def healthz():
        return jsonify(ok=True)

    @app.context_processor
    def helpers():
        return {
            "AREA_LABELS": AREA_LABELS, "STATUS_LABELS": STATUS_LABELS, "STATUS_CLASS": STATUS_CLASS,
            "FLAG_LABELS": FLAG_LABELS, "ROLE_LABELS": ROLE_LABELS, "FINDING_LABELS": FINDING_LABELS, "item_text": item_text,
            "check_title": check_title, "is_english": is_english, "Role": Role,
        }

    for code in (400, 403, 404, 405, 413, 429, 500):
        app.register_error_handler(code, _error_page)


def wants_json() -> bool:
    """The client asked for JSON rather than a page (XHR uploads, progress polling)."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


def _error_page(err):
    code = getattr(err, "code", 500) or 500
    if request.path.startswith("/api/") or wants_json():
        return jsonify(error=getattr(err, "name", "error"), message=getattr(err, "description", str(err))), code
    return render_template("error.html", code=code, message=getattr(err, "description", "")), code
