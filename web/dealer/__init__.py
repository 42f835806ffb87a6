from flask import Blueprint

bp = Blueprint("dealer", __name__)

from web.dealer import routes  # noqa: E402,F401
