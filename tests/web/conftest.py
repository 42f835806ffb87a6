"""flaskr-style fixtures for the web app: app, client, auth helpers, images made in the test.

SQLite in a temporary data folder by default; set DATABASE_URL (e.g. a PostgreSQL URL)
to run the same tests against that server (its tables are dropped and migrated afresh
for every test). QUEUE defaults to `immediate` (the same task functions, run in the
request thread); tests marked for the real queue use `embedded` with a worker thread.
"""
from __future__ import annotations

import io
import os
import re
from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image, ImageDraw

from web import create_app
from web.cli import init_db
from web.demo import DEMO_USERS, ensure_org

PASSWORDS = {u: p for u, p, *_ in DEMO_USERS}


def _reset_database(url: str) -> None:
    if url.startswith("sqlite"):
        return
    from sqlalchemy import create_engine, text

    from web.models import Base

    engine = create_engine(url)
    with engine.begin() as conn:
        Base.metadata.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    engine.dispose()


_TEMPLATE_DB: dict[str, bytes] = {}


def _template_sqlite(tmp_root) -> bytes:
    """One migrated and seeded SQLite file per test session; each test starts from a copy."""
    if "db" not in _TEMPLATE_DB:
        import tempfile
        from pathlib import Path

        d = Path(tempfile.mkdtemp(prefix="web-template-"))
        app = create_app({"DATA_DIR": str(d), "SECRET_KEY": "test-secret", "QUEUE": "immediate",
                          "DATABASE_URL": f"sqlite:///{d / 'audit.db'}"})
        with app.app_context():
            init_db(app)
            ensure_org(app)
        app.extensions["db"].dispose()
        _TEMPLATE_DB["db"] = (d / "audit.db").read_bytes()
    return _TEMPLATE_DB["db"]


def make_app(tmp_path, **config):
    cfg = {
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret",
        "QUEUE": "immediate",
        "TESTING": True,
        "LOGIN_MAX_FAILURES": 5,
    }
    if os.environ.get("DATABASE_URL"):
        cfg["DATABASE_URL"] = os.environ["DATABASE_URL"]
    cfg.update(config)
    if "DATABASE_URL" not in cfg:
        data = tmp_path / "data"
        data.mkdir(parents=True, exist_ok=True)
        (data / "audit.db").write_bytes(_template_sqlite(tmp_path))
        return create_app(cfg)
    app = create_app(cfg)
    _reset_database(app.config["DATABASE_URL"])
    with app.app_context():
        init_db(app)
        ensure_org(app)
    return app


@pytest.fixture
def app(tmp_path):
    app = make_app(tmp_path)
    yield app
    worker = app.extensions.get("embedded_worker")
    if worker:
        worker.stop()
    app.extensions["db"].dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html) or re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


@dataclass
class Auth:
    client: object

    def login(self, username: str, password: str | None = None):
        page = self.client.get("/login")
        token = csrf_from(page.get_data(as_text=True))
        return self.client.post("/login", data={"username": username, "password": password or PASSWORDS[username],
                                                "csrf_token": token})

    def token(self) -> str:
        """A CSRF token for the logged-in session."""
        return csrf_from(self.client.get("/account").get_data(as_text=True))

    def post(self, url: str, data: dict | None = None, **kw):
        data = dict(data or {})
        data.setdefault("csrf_token", self.token())
        return self.client.post(url, data=data, **kw)

    def logout(self):
        return self.client.post("/logout", data={"csrf_token": self.token()})


@pytest.fixture
def auth(client):
    return Auth(client)


def photo_bytes(seed: int = 0, size=(320, 240), fmt="JPEG", exif=None) -> bytes:
    """A small photo-like image: gradient sky, a building block, a sign with text-like bars."""
    rng = np.random.default_rng(seed)
    w, h = size
    y = np.linspace(0, 1, h)[:, None, None]
    base = (np.array([150, 180, 220]) * (1 - y) + np.array([90, 90, 80]) * y).astype(np.float32)
    arr = np.broadcast_to(base, (h, w, 3)).copy()
    arr += rng.normal(0, 6, arr.shape)
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    x0 = int(rng.integers(10, w // 3))
    d.rectangle([x0, h // 3, x0 + w // 2, h - 10], fill=tuple(int(v) for v in rng.integers(60, 200, 3)))
    d.rectangle([x0 + 10, h // 3 + 8, x0 + w // 2 - 10, h // 3 + 30], fill=(200, 20, 40))
    for i in range(5):
        d.rectangle([x0 + 20 + i * 18, h // 3 + 12, x0 + 30 + i * 18, h // 3 + 26], fill=(255, 255, 255))
    buf = io.BytesIO()
    kwargs = {"quality": 90} if fmt == "JPEG" else {}
    if exif is not None:
        kwargs["exif"] = exif
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.fixture
def make_photo():
    return photo_bytes
