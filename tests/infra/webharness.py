"""The real deployment in miniature for fault tests and the load test: gunicorn web processes and
Celery workers as child processes on 127.0.0.1, an API client with a bearer token, and a
direct database view. Every process runs in its own session (process group) so a test can
SIGKILL exactly the processes it started, and every wait is bounded.
"""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from infra_servers import ProbeFailed, free_port, wait_until

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
_SCRUB = ("DATABASE_URL", "QUEUE", "STORAGE", "DATA_DIR", "EMBEDDED_WORKER", "SECRET_KEY", "REDIS_URL",
          "CELERY_BROKER_URL", "S3_BUCKET", "S3_PREFIX")


def app_env(data_dir: Path, **settings: str) -> dict[str, str]:
    """Environment for a web or worker process: this process's, with the app settings replaced."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env.update({"DATA_DIR": str(data_dir), "SECRET_KEY": "infra-test-secret", "PYTHONUNBUFFERED": "1",
                "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"})
    env.update({k: str(v) for k, v in settings.items() if v is not None})
    return env


def init_site(env: dict[str, str], users: tuple[str, ...] = ("auditor",)) -> dict[str, str]:
    """Migrate the database of `env`, create the demo organisation, return {username: API token}."""
    code = (
        "import json, sys\n"
        "from sqlalchemy import select\n"
        "from web import create_app\n"
        "from web.cli import init_db\n"
        "from web.demo import ensure_org\n"
        "from web.models import User\n"
        "from web.security import new_api_token\n"
        "app = create_app()\n"
        "with app.app_context():\n"
        "    init_db(app)\n"
        "    ensure_org(app)\n"
        "    s = app.extensions['db'].session()\n"
        "    out = {u: new_api_token(s.execute(select(User).where(User.username == u)).scalar_one(), 'infra')\n"
        "           for u in sys.argv[1:]}\n"
        "print('TOKENS=' + json.dumps(out))\n"
    )
    proc = subprocess.run([PYTHON, "-c", code, *users], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if proc.returncode != 0:
        raise RuntimeError(f"init_site failed: {proc.stderr[-3000:]}")
    import json

    line = next(l for l in proc.stdout.splitlines() if l.startswith("TOKENS="))
    return json.loads(line[len("TOKENS="):])


class Child:
    """A child process in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = Path(log_dir) / f"{name}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Child":
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        return self

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def signal_group(self, sig: int) -> None:
        if self.proc is not None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL the whole process group (the master and every worker it forked)."""
        self.signal_group(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(10)

    def stop(self, timeout: float = 20) -> None:
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        self.signal_group(signal.SIGKILL)  # stragglers of the group, if any
        if self.proc is not None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        if getattr(self, "log", None):
            self.log.close()

    def tail(self, n: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-n:]
        except OSError:
            return ""


class WebServer(Child):
    """gunicorn serving web.wsgi:app on a free loopback port."""

    def __init__(self, env, log_dir, workers: int = 2, threads: int = 4, name: str = "web", port: int | None = None):
        self.port = port or free_port()
        argv = [PYTHON, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
                "--bind", f"127.0.0.1:{self.port}", "--timeout", "300", "--graceful-timeout", "5",
                # clients reuse connections: a 2 s keep-alive closes sockets they are about to send on
                "--keep-alive", "30",
                "web.wsgi:app"]
        super().__init__(name, argv, env, log_dir)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 120) -> "WebServer":
        super().start()
        import requests

        def up():
            if not self.alive():
                raise ProbeFailed(f"gunicorn exited: {self.tail()}")
            return requests.get(self.url + "/api/v1/openapi.json", timeout=2).status_code == 200

        wait_until(up, timeout, f"web server on {self.port}", interval=0.5)
        return self


class CeleryWorker(Child):
    """A Celery worker (prefork pool) for QUEUE=celery, optionally made slow for fault injection."""

    def __init__(self, env, log_dir, name: str, concurrency: int = 1, slow_s: float = 0.0,
                 slow_once_file: Path | None = None):
        env = dict(env)
        if slow_s:
            env["INFRA_SLOW_ANALYSIS_S"] = str(slow_s)
        if slow_once_file:
            env["INFRA_SLOW_ONCE_FILE"] = str(slow_once_file)
        argv = [PYTHON, str(Path(__file__).with_name("slow_worker.py")), "worker", "--loglevel=INFO",
                f"--concurrency={concurrency}", f"--hostname={name}@infra", "--without-gossip", "--without-mingle",
                "--pool=prefork"]
        super().__init__(name, argv, env, log_dir)

    def start(self, timeout: float = 60) -> "CeleryWorker":
        super().start()
        def ready():
            if not self.alive():
                raise ProbeFailed(f"worker exited: {self.tail()}")
            return b"ready." in self.log_path.read_bytes()

        wait_until(ready, timeout, f"celery worker {self.name}", interval=0.3)
        return self


class Api:
    """The JSON API with a bearer token (requests)."""

    def __init__(self, base_url: str, token: str, timeout: float = 120):
        import requests

        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self.timeout = timeout

    def get(self, path: str, **kw):
        return self.http.get(self.base + path, timeout=self.timeout, **kw)

    def post(self, path: str, **kw):
        return self.http.post(self.base + path, timeout=self.timeout, **kw)

    def new_audit(self) -> int:
        sites = self.get("/sites").json()["sites"]
        r = self.post("/audits", json={"site_id": sites[0]["id"], "audit_date": "2026-11-26"})
        assert r.status_code == 201, r.text[:500]
        return r.json()["id"]

    def upload(self, audit_id: int, files: list[tuple[str, bytes]], area: str = "facade"):
        return self.post(f"/audits/{audit_id}/photos", data={"area": area},
                         files=[("photos", (name, data, "image/jpeg")) for name, data in files])


def photo(seed: int, size=(320, 240)) -> bytes:
    """A small photo-like JPEG, distinct per seed (so uploads are not duplicates)."""
    rng = np.random.default_rng(seed)
    w, h = size
    y = np.linspace(0, 1, h)[:, None, None]
    base = (np.array([150, 180, 220]) * (1 - y) + np.array([90, 90, 80]) * y).astype(np.float32)
    arr = np.broadcast_to(base, (h, w, 3)).copy() + rng.normal(0, 8, (h, w, 3))
    img = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB")
    d = ImageDraw.Draw(img)
    x0 = int(rng.integers(5, w // 3))
    d.rectangle([x0, h // 3, x0 + w // 2, h - 10], fill=tuple(int(v) for v in rng.integers(40, 220, 3)))
    d.text((x0 + 8, h // 3 + 8), f"#{seed}", fill=(255, 255, 255))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=88)
    return buf.getvalue()


class DbView:
    """Read the app's tables directly (SQLAlchemy Core), outside any app process."""

    def __init__(self, url: str):
        from sqlalchemy import create_engine

        self.engine = create_engine(url, pool_pre_ping=True)

    def scalar(self, sql: str, **params):
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()

    def rows(self, sql: str, **params):
        from sqlalchemy import text

        with self.engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql), params)]

    def close(self):
        self.engine.dispose()


def run_cli(env: dict[str, str], *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    """`python -m web.cli_maintenance ARGS` in the environment of the deployment."""
    return subprocess.run([PYTHON, "-m", "web.cli_maintenance", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def sleep_until(deadline: float) -> None:
    time.sleep(max(0.0, deadline - time.monotonic()))
