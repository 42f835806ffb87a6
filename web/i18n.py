"""Simplified Chinese by default, English on request (Flask-Babel; catalogues in web/translations)."""
from __future__ import annotations

from flask import Flask, session
from flask_babel import Babel
from flask_login import current_user

babel = Babel()


def select_locale() -> str:
    lang = session.get("lang")
    if lang in ("zh", "en"):
        return lang
    if getattr(current_user, "is_authenticated", False) and current_user.locale in ("zh", "en"):
        return current_user.locale
    return "zh"


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories="translations")


def is_english() -> bool:
    return select_locale() == "en"
