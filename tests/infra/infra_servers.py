"""Throw-away servers on 127.0.0.1 for the infrastructure tests: Redis, PostgreSQL, SeaweedFS (S3).

Each binds a free loopback port, keeps its data in a temp folder and is stopped by the
fixture that started it. Every wait is bounded.
"""
from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ProbeFailed(Exception):
    """Raised by a probe when waiting longer is pointless (the process died)."""


def wait_until(probe, timeout: float, what: str, interval: float = 0.2):
    """Call `probe` until it returns a truthy value; raise TimeoutError naming `what`."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value:
                return value
        except ProbeFailed:
            raise
        except Exception as exc:  # the probe's own failure is "not yet"
            last_exc = exc
        time.sleep(interval)
    raise TimeoutError(f"{what} not ready after {timeout:.0f} s" + (f" (last error: {last_exc})" if last_exc else ""))


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def stop_process(proc: subprocess.Popen | None, timeout: float = 10.0) -> None:
    if proc is None or proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


# --- Redis -----------------------------------------------------------------------------------

def redis_binary() -> str | None:
    return shutil.which("redis-server")


class RedisServer:
    """redis-server in the foreground (a child we can SIGKILL/restart), append-only persistence."""

    def __init__(self, workdir: Path, port: int | None = None):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        self.proc = subprocess.Popen(
            [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.dir),
             "--appendonly", "yes", "--appendfsync", "always", "--save", "", "--daemonize", "no",
             "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        import redis

        wait_until(lambda: redis.Redis.from_url(self.url, socket_timeout=1).ping(), 20, f"redis on {self.port}")
        return self

    def stop(self) -> None:
        stop_process(self.proc)
        self.proc = None

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(5)
        self.proc = None

    def restart(self) -> None:
        self.stop()
        self.start()


# --- PostgreSQL ------------------------------------------------------------------------------

def pg_bindir() -> Path | None:
    explicit = os.environ.get("PG_BINDIR")
    if explicit and (Path(explicit) / "pg_ctl").exists():
        return Path(explicit)
    found = shutil.which("pg_ctl")
    if found:
        return Path(os.path.realpath(found)).parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda d: int(d.split("/")[-2]), reverse=True)
    for d in dirs:
        if Path(d, "pg_ctl").exists():
            return Path(d)
    return None


def _as_cluster_owner(cmd: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root: run them as the Debian 'postgres' user.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PostgresServer:
    """A private PostgreSQL cluster (trust auth, superuser 'auditor') on a free loopback port."""

    def __init__(self, workdir: Path):
        self.dir = Path(workdir)
        self.bindir = pg_bindir()
        self.port = free_port()
        self.data = self.dir / "data"

    def url(self, db: str = "auditor") -> str:
        return f"postgresql+psycopg://auditor@127.0.0.1:{self.port}/{db}"

    def init(self) -> "PostgresServer":
        self.dir.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        subprocess.run(_as_cluster_owner([str(self.bindir / "initdb"), "-D", str(self.data), "-U", "auditor",
                                          "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"]),
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=120)
        return self

    def start(self) -> "PostgresServer":
        fresh = not self.data.exists()
        if fresh:
            self.init()
        opts = f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c max_connections=200"
        subprocess.run(_as_cluster_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l",
                                          str(self.dir / "server.log"), "-w", "-t", "60", "-o", opts, "start"]),
                       check=True, stdout=subprocess.DEVNULL, timeout=90)
        if fresh:
            self.createdb("auditor")
        return self

    def createdb(self, name: str) -> str:
        subprocess.run([str(self.bindir / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "auditor",
                        name], check=True, timeout=60)
        return self.url(name)

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            proc = subprocess.run(_as_cluster_owner([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode,
                                                     "-w", "-t", "30", "stop"]),
                                  capture_output=True, text=True, timeout=60)
            if proc.returncode != 0:
                raise RuntimeError(f"pg_ctl stop failed: {proc.stderr.strip()}")


# --- SeaweedFS (S3) --------------------------------------------------------------------------

def weed_binary() -> str | None:
    for candidate in (os.environ.get("WEED_BIN"), str(ROOT / ".venv" / "bin" / "weed"), shutil.which("weed")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


class WeedServer:
    """`weed server -s3` (master, volume, filer and S3 gateway in one process), all ports free."""

    access_key = "infra-test"
    secret_key = "infra-test-secret"

    def __init__(self, workdir: Path):
        self.dir = Path(workdir)
        self.s3_port = free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.s3_port}"

    def start(self, timeout: float = 90) -> "WeedServer":
        (self.dir / "data").mkdir(parents=True, exist_ok=True)
        cfg = self.dir / "s3.json"
        cfg.write_text(
            '{"identities": [{"name": "t", "credentials": [{"accessKey": "%s", "secretKey": "%s"}],'
            ' "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}' % (self.access_key, self.secret_key))
        ports = [f"-{name}={free_port()}" for name in ("master.port", "master.port.grpc", "volume.port",
                                                        "volume.port.grpc", "filer.port", "filer.port.grpc",
                                                        "s3.port.grpc")]
        self.log = open(self.dir / "weed.log", "wb")
        self.proc = subprocess.Popen(
            [weed_binary(), "server", f"-dir={self.dir / 'data'}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", *ports,
             "-s3", f"-s3.port={self.s3_port}", f"-s3.config={cfg}", "-s3.port.iceberg=0", "-s3.port.lance=0",
             "-volume.max=0", "-master.volumeSizeLimitMB=64"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

        def answers():
            if self.proc.poll() is not None:
                raise RuntimeError(f"weed exited with {self.proc.returncode}: see {self.dir / 'weed.log'}")
            try:
                urllib.request.urlopen(self.endpoint_url, timeout=2)
            except urllib.error.HTTPError:
                pass
            return True

        wait_until(answers, timeout, f"SeaweedFS S3 gateway on {self.s3_port}", interval=0.5)
        return self

    def stop(self) -> None:
        stop_process(self.proc, timeout=5)
        self.proc = None
        if getattr(self, "log", None):
            self.log.close()
