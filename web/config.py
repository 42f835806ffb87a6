"""Configuration from the environment, with defaults that run on one machine with nothing to start."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def config_from_env(instance_path: str) -> dict:
    """Settings read from environment variables (see README: web)."""
    data_dir = Path(os.environ.get("DATA_DIR") or Path(instance_path) / "data")
    return {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": os.environ.get("DATABASE_URL"),  # None: SQLite file in DATA_DIR
        "SECRET_KEY": os.environ.get("SECRET_KEY"),  # None: a random key kept in DATA_DIR
        "QUEUE": os.environ.get("QUEUE", "embedded"),  # embedded | celery | immediate
        "STORAGE": os.environ.get("STORAGE", "local"),  # local | s3
        "EMBEDDED_WORKER": _bool(os.environ.get("EMBEDDED_WORKER"), False),
        "SESSION_COOKIE_SECURE": _bool(os.environ.get("SESSION_COOKIE_SECURE"), False),
        "MAX_UPLOAD_BYTES": int(os.environ.get("MAX_UPLOAD_BYTES", 50_000_000)),
        "LOGIN_MAX_FAILURES": int(os.environ.get("LOGIN_MAX_FAILURES", 5)),
        "LOGIN_WINDOW_S": int(os.environ.get("LOGIN_WINDOW_S", 300)),
        "EXIF_MAX_DAYS": float(os.environ.get("EXIF_MAX_DAYS", 2)),
        "GPS_MAX_KM": float(os.environ.get("GPS_MAX_KM", 2)),
        "PHASH_MAX_DISTANCE": int(os.environ.get("PHASH_MAX_DISTANCE", 6)),
        # Days a dealer gets to fix a failed item, unless the head office sets a date on approval.
        "ACTION_DUE_DAYS": int(os.environ.get("ACTION_DUE_DAYS", 30)),
        "S3_ENDPOINT_URL": os.environ.get("S3_ENDPOINT_URL"),
        "S3_BUCKET": os.environ.get("S3_BUCKET", "dealer-audit"),
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        # Photos one worker analyses together; 0 = automatic (8 with CUDA, 1 on CPU).
        "BATCH_SIZE": int(os.environ.get("AUDITOR_BATCH_SIZE") or 0),
        # A batch's claim on its photo jobs; after this a job's own message may take it over.
        "BATCH_LEASE_S": float(os.environ.get("AUDITOR_BATCH_LEASE_S") or 900),
    }


def finish(config: dict) -> None:
    """Fill the settings that depend on others (after env and explicit overrides are merged)."""
    data_dir = Path(config["DATA_DIR"])
    data_dir.mkdir(parents=True, exist_ok=True)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{data_dir / 'audit.db'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _persistent_secret(data_dir)
    config["MAX_CONTENT_LENGTH"] = config["MAX_UPLOAD_BYTES"] + 1_000_000


def defaults() -> dict:
    return {
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "LANGUAGES": ("zh", "en"),
    }


def _persistent_secret(data_dir: Path) -> str:
    """A random secret kept in the data folder, so sessions survive restarts without SECRET_KEY."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_hex(32)
    path.write_text(key)
    os.chmod(path, 0o600)
    return key
