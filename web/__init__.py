"""The review interface: a Flask app for auditors, head office, dealers and admins.

`create_app(config=None)` builds the app (flaskr style): settings from the environment
(web.config), overridden by `config`; blueprints auth, auditor, review, dealer, admin
and api (JSON under /api/v1).
"""
from __future__ import annotations

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    from web import config as config_mod
    from web import db, i18n, security

    app = Flask(__name__, instance_relative_config=True)
    app.config.update(config_mod.defaults())
    app.config.update(config_mod.config_from_env(app.instance_path))
    app.config.update(config or {})
    config_mod.finish(app.config)

    db.init_app(app)
    security.init_app(app)
    i18n.init_app(app)

    from web.admin import bp as admin_bp
    from web.api import bp as api_bp
    from web.auditor import bp as auditor_bp
    from web.auth import bp as auth_bp
    from web.dealer import bp as dealer_bp
    from web.review import bp as review_bp

    for bp in (auth_bp, auditor_bp, review_bp, dealer_bp, admin_bp, api_bp):
        app.register_blueprint(bp)

    from web import views_common

    views_common.init_app(app)

    if app.config["QUEUE"] == "embedded" and app.config.get("EMBEDDED_WORKER"):
        from web.jobs.queue import start_embedded_worker

        start_embedded_worker(app, threads=int(app.config.get("WORKER_THREADS", 1)))
    return app
