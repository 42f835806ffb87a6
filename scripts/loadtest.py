#!/usr/bin/env python3
"""Bounded load test on loopback: N auditors upload photos while M head-office users load the dashboard.

    .venv/bin/python scripts/loadtest.py --mode defaults            # SQLite, local files, embedded queue
    .venv/bin/python scripts/loadtest.py --mode scaled              # PostgreSQL + Redis + 2 Celery workers
    .venv/bin/python scripts/loadtest.py --mode both --auditors 50 --photos 20 --viewers 20

Everything it starts (gunicorn, workers, PostgreSQL, Redis) binds 127.0.0.1 only, lives in a temp
folder and is stopped at the end. Every loop is bounded in count and time. It reports
requests/s, p50/p95 latency per request kind, the error count, and verifies that every uploaded
photo has a row and a file; then it waits (at most --drain-timeout s after the uploads) until
every photo has its verdicts and reports the time to drain (first request -> last verdict) and
the drain rate (verdicts per second once the uploads are over). On a 2-core machine analysis
(~1 photo/s per core at best) bounds the drain: 1000 photos need 10-20 min there, so a run
that must finish within ~15 min uses fewer photos per auditor (e.g. --photos 4).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "infra"))  # the launchers shared with the fault tests

from infra_servers import PostgresServer, RedisServer  # noqa: E402
from webharness import CeleryWorker, DbView, WebServer, app_env, photo  # noqa: E402

PASSWORD = "loadtest-pass-123"


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    error_samples: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, kind: str, seconds: float, ok: bool, detail: str = "") -> None:
        with self.lock:
            self.latencies.setdefault(kind, []).append(seconds)
            if not ok:
                self.errors[kind] = self.errors.get(kind, 0) + 1
                if len(self.error_samples) < 10:
                    self.error_samples.append(f"{kind}: {detail[:200]}")

    def summary(self, wall_s: float) -> dict:
        out = {}
        total = 0
        for kind, values in sorted(self.latencies.items()):
            values = sorted(values)
            total += len(values)
            out[kind] = {"requests": len(values), "errors": self.errors.get(kind, 0),
                         "p50_ms": round(1000 * _pct(values, 50), 1), "p95_ms": round(1000 * _pct(values, 95), 1),
                         "max_ms": round(1000 * values[-1], 1), "per_s": round(len(values) / wall_s, 2)}
        out["all"] = {"requests": total, "errors": sum(self.errors.values()), "per_s": round(total / wall_s, 2),
                      "wall_s": round(wall_s, 1)}
        return out


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _as_datetime(value):
    from datetime import datetime

    return datetime.fromisoformat(value) if isinstance(value, str) else value


def create_users(env: dict, auditors: int, viewers: int) -> dict:
    """Auditor users with API tokens, head-office users with passwords; returns tokens and names."""
    import subprocess

    code = f"""
import json
from sqlalchemy import select
from web import create_app
from web.cli import init_db
from web.demo import ensure_org
from web.models import Region, Role, User
from web.security import hash_password, new_api_token
app = create_app()
with app.app_context():
    init_db(app)
    ensure_org(app)
    s = app.extensions['db'].session()
    regions = s.execute(select(Region)).scalars().all()
    pw = hash_password({PASSWORD!r})
    tokens = []
    for i in range({auditors}):
        u = User(username=f'lt-aud-{{i:03d}}', display_name='load', password_hash=pw, role=Role.AUDITOR.value)
        u.regions = list(regions)
        s.add(u)
        s.commit()
        tokens.append(new_api_token(u, 'loadtest'))
    for i in range({viewers}):
        s.add(User(username=f'lt-head-{{i:03d}}', display_name='load', password_hash=pw, role=Role.HEAD_OFFICE.value))
    s.commit()
print('USERS=' + json.dumps({{'tokens': tokens, 'viewers': [f'lt-head-{{i:03d}}' for i in range({viewers})]}}))
"""
    proc = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        raise SystemExit(f"creating users failed:\n{proc.stderr[-3000:]}")
    line = next(x for x in proc.stdout.splitlines() if x.startswith("USERS="))
    return json.loads(line[len("USERS="):])


def auditor_session(base: str, token: str, n_photos: int, seed: int, stats: Stats, uploaded: list, lock) -> None:
    import requests

    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {token}"
    t0 = time.perf_counter()
    sites = http.get(f"{base}/api/v1/sites", timeout=60)
    stats.record("api_sites", time.perf_counter() - t0, sites.status_code == 200, sites.text)
    if sites.status_code != 200:
        return
    site_id = sites.json()["sites"][seed % len(sites.json()["sites"])]["id"]
    t0 = time.perf_counter()
    r = http.post(f"{base}/api/v1/audits", json={"site_id": site_id, "audit_date": "2026-11-26"}, timeout=60)
    stats.record("api_create_audit", time.perf_counter() - t0, r.status_code == 201, r.text)
    if r.status_code != 201:
        return
    audit_id = r.json()["id"]
    areas = ["facade", "entrance", "reception", "workshop", "lounge"]
    for k in range(n_photos):
        data = photo(seed * 1000 + k, size=(320, 240))
        t0 = time.perf_counter()
        try:
            r = http.post(f"{base}/api/v1/audits/{audit_id}/photos", data={"area": areas[k % len(areas)]},
                          files=[("photos", (f"a{seed}-{k}.jpg", data, "image/jpeg"))], timeout=120)
            ok = r.status_code == 200 and r.json()["results"][0]["ok"]
            detail = r.text
        except Exception as exc:  # a timeout or reset is an error to count, not a crash
            ok, detail = False, repr(exc)
        stats.record("upload", time.perf_counter() - t0, ok, detail)
        if ok:
            with lock:
                uploaded.append(r.json()["results"][0]["photo_id"])


def viewer_session(base: str, username: str, stop: threading.Event, max_loads: int, stats: Stats) -> None:
    import requests

    http = requests.Session()
    page = http.get(f"{base}/login", timeout=60)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text) or re.search(
        r'name="csrf_token" value="([^"]+)"', page.text) or re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    t0 = time.perf_counter()
    r = http.post(f"{base}/login", data={"username": username, "password": PASSWORD,
                                          "csrf_token": token.group(1) if token else ""}, timeout=60,
                  allow_redirects=False)
    stats.record("login", time.perf_counter() - t0, r.status_code == 302, r.text)
    if r.status_code != 302:
        return
    for _ in range(max_loads):
        if stop.is_set():
            return
        for kind, path in (("dashboard_html", "/dashboard"), ("dashboard_json", "/dashboard/data.json")):
            t0 = time.perf_counter()
            try:
                r = http.get(base + path, timeout=60)
                ok, detail = r.status_code == 200, r.text
            except Exception as exc:
                ok, detail = False, repr(exc)
            stats.record(kind, time.perf_counter() - t0, ok, detail)
        time.sleep(0.5)  # a person looks at the page


def wait_for_drain(db: DbView, rows: int, timeout: float, t_start: float, upload_wall: float) -> dict:
    """Poll until no photo waits for analysis, at most `timeout` s after the uploads; a progress line
    every 30 s. Returns the verdict count, time to drain (from the first request) and drain rate."""
    t_drain = time.perf_counter()
    last_print = 0.0

    def counts():
        done = db.scalar("SELECT COUNT(*) FROM photos WHERE status = 'done'")
        settled = db.scalar("SELECT COUNT(*) FROM photos WHERE status IN ('done', 'error')")
        return done, settled

    done, settled = counts()
    at_upload_end = done
    while settled < rows and time.perf_counter() - t_drain < timeout:
        time.sleep(2)
        done, settled = counts()
        if time.perf_counter() - last_print >= 30:
            last_print = time.perf_counter()
            print(f"  drain: {done}/{rows} verdicts, {time.perf_counter() - t_start:.0f} s since the first request",
                  flush=True)
    drained = settled >= rows
    end = time.perf_counter()
    time_to_drain = end - t_start
    after_uploads = end - t_drain
    return {
        "drained": drained,
        "verdicts": done,
        "verdicts_when_uploads_ended": at_upload_end,
        "time_to_drain_s": round(time_to_drain, 1) if drained else None,
        "drain_after_uploads_s": round(after_uploads, 1) if drained else None,
        "waited_s": round(after_uploads, 1),
        "drain_timeout_s": timeout,
        # verdicts per second over the whole run, and over the drain alone (uploads over, queue emptying)
        "verdicts_per_s": round(done / max(1e-9, time_to_drain), 2),
        "drain_rate_per_s": round((done - at_upload_end) / max(1e-9, after_uploads), 2),
    }


def headline(summary: dict) -> dict:
    """The numbers to quote: requests/s, p50/p95 over every request, errors, time to drain, drain rate."""
    kinds = [k for k in summary if isinstance(summary[k], dict) and "p50_ms" in summary[k]]
    uploads = summary.get("upload", {})
    dash = summary.get("dashboard_html", {})
    return {
        "requests_per_s": summary["all"]["per_s"], "errors": summary["all"]["errors"],
        "upload_p50_ms": uploads.get("p50_ms"), "upload_p95_ms": uploads.get("p95_ms"),
        "dashboard_p50_ms": dash.get("p50_ms"), "dashboard_p95_ms": dash.get("p95_ms"),
        "p95_ms_worst_kind": max((summary[k]["p95_ms"] for k in kinds), default=None),
        "photos": summary["verification"]["photo_rows"], "verdicts": summary["drain"]["verdicts"],
        "time_to_drain_s": summary["drain"]["time_to_drain_s"], "drain_rate_per_s": summary["drain"]["drain_rate_per_s"],
        "verdicts_per_s": summary["drain"]["verdicts_per_s"],
        "all_arrived": summary["verification"]["all_photos_and_verdicts_arrived"],
    }


def run_mode(mode: str, args, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    children = []
    servers = []
    try:
        data = work / "data"
        if mode == "defaults":
            env = app_env(data, QUEUE="embedded", EMBEDDED_WORKER="1")
            db_url = f"sqlite:///{data / 'audit.db'}"
        else:
            pg_base = Path(tempfile.mkdtemp(prefix="loadtest-pg-"))
            os.chmod(pg_base, 0o755)
            pg = PostgresServer(pg_base / "pg").start()
            servers.append((pg, pg_base))
            redis = RedisServer(work / "redis").start()
            servers.append((redis, None))
            db_url = pg.url()
            env = app_env(data, QUEUE="celery", DATABASE_URL=db_url, REDIS_URL=redis.url,
                          CELERY_VISIBILITY_TIMEOUT="900")
        users = create_users(env, args.auditors, args.viewers)
        web = WebServer(env, work, workers=args.web_workers, threads=args.web_threads).start()
        children.append(web)
        if mode == "scaled":
            for i in range(args.celery_workers):
                children.append(CeleryWorker(env, work, f"worker{i}").start(timeout=120))
        print(f"[{mode}] web on {web.url}; {args.auditors} auditors x {args.photos} photos, "
              f"{args.viewers} dashboard users", flush=True)

        stats = Stats()
        uploaded: list[int] = []
        lock = threading.Lock()
        stop = threading.Event()
        t_start = time.perf_counter()
        with ThreadPoolExecutor(args.auditors + args.viewers) as pool:
            viewers = [pool.submit(viewer_session, web.url, name, stop, args.max_dashboard_loads, stats)
                       for name in users["viewers"]]
            auditors = [pool.submit(auditor_session, web.url, tok, args.photos, i, stats, uploaded, lock)
                        for i, tok in enumerate(users["tokens"])]
            deadline = time.monotonic() + args.upload_timeout
            for f in auditors:
                f.result(timeout=max(1.0, deadline - time.monotonic()))
            upload_wall = time.perf_counter() - t_start
            stop.set()
            for f in viewers:
                f.result(timeout=120)
        load_wall = time.perf_counter() - t_start
        summary = stats.summary(load_wall)
        summary["upload_phase_s"] = round(upload_wall, 1)

        # Drain: wait (bounded by --drain-timeout) until every photo has its verdicts.
        db = DbView(db_url)
        expected = args.auditors * args.photos
        rows = db.scalar("SELECT COUNT(*) FROM photos")
        drain = wait_for_drain(db, rows, args.drain_timeout, t_start, upload_wall)
        results = db.scalar("SELECT COUNT(*) FROM photo_results")
        duplicates = db.scalar("SELECT COUNT(*) - COUNT(DISTINCT photo_id) FROM photo_results")
        errors = db.scalar("SELECT COUNT(*) FROM photos WHERE status = 'error'")
        first_done = _as_datetime(db.scalar("SELECT MIN(analysed_at) FROM photo_results"))
        last_done = _as_datetime(db.scalar("SELECT MAX(analysed_at) FROM photo_results"))
        db.close()
        from webharness import run_cli

        doctor = run_cli(env, "doctor")
        summary["drain"] = drain
        summary["verification"] = {
            "photos_expected": expected, "uploads_acknowledged": len(uploaded), "photo_rows": rows,
            "verdicts": drain["verdicts"], "analysis_errors": errors, "result_rows": results,
            "duplicate_results": duplicates,
            "analysis_photos_per_s": round(results / max(1e-9, (last_done - first_done).total_seconds()), 2)
            if results and first_done and last_done and last_done > first_done else None,
            "integrity": doctor.stdout.strip().splitlines()[-1] if doctor.stdout else doctor.stderr[-300:],
            "all_photos_and_verdicts_arrived": rows == expected == len(uploaded) == drain["verdicts"] == results
            and duplicates == 0 and errors == 0,
        }
        summary["headline"] = headline(summary)
        summary["error_samples"] = stats.error_samples
        return summary
    finally:
        for child in reversed(children):
            child.stop()
        for server, base in reversed(servers):
            try:
                server.stop() if not isinstance(server, PostgresServer) else server.stop("fast")
            except Exception as exc:
                print(f"warning: stopping {server}: {exc}", file=sys.stderr)
            if base:
                shutil.rmtree(base, ignore_errors=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mode", choices=["defaults", "scaled", "both"], default="both")
    ap.add_argument("--auditors", type=int, default=50)
    ap.add_argument("--photos", type=int, default=20, help="photos per auditor")
    ap.add_argument("--viewers", type=int, default=20, help="head-office users loading the dashboard")
    ap.add_argument("--max-dashboard-loads", type=int, default=200, help="per viewer, a bound")
    ap.add_argument("--web-workers", type=int, default=2)
    ap.add_argument("--web-threads", type=int, default=8)
    ap.add_argument("--celery-workers", type=int, default=2)
    ap.add_argument("--upload-timeout", type=float, default=900, help="seconds for the upload phase (a bound)")
    ap.add_argument("--drain-timeout", type=float, default=900,
                    help="seconds to wait, after the uploads, for every photo's verdicts (a bound)")
    ap.add_argument("--batch-size", type=int, default=None,
                    help="AUDITOR_BATCH_SIZE for the analysis workers (default: the app's, 1 on CPU)")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    ap.add_argument("--workdir", type=Path, default=None)
    args = ap.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="loadtest-"))
    modes = ["defaults", "scaled"] if args.mode == "both" else [args.mode]
    report = {"args": {k: str(v) for k, v in vars(args).items()}, "cpus": os.cpu_count()}
    if args.batch_size:
        os.environ["AUDITOR_BATCH_SIZE"] = str(args.batch_size)  # app_env passes it to every process
    failed = False
    for mode in modes:
        result = run_mode(mode, args, work / mode)
        report[mode] = result
        print(json.dumps({mode: result}, indent=2), flush=True)
        print(f"[{mode}] " + ", ".join(f"{k}={v}" for k, v in result["headline"].items()), flush=True)
        failed |= result["all"]["errors"] > 0 or not result["verification"]["all_photos_and_verdicts_arrived"]
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
