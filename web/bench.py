"""Web benchmarks: upload -> all verdicts for a 50-photo audit; page loads with 1,000 audits.

    .venv/bin/python -m web.bench [--photos 50] [--audits 1000] [--threads 1] [--megabytes 4] [--batch-size N]
    .venv/bin/python -m web.bench --batching 8     # analysis only: N photos in one batch vs one by one

Runs in a temporary data folder (SQLite, embedded queue with real worker threads) and
prints one JSON object. Photos: samples/demo when present (re-encoded at full size to
reach 3-5 MB each), else generated. Nothing here is asserted; timings belong here, not in tests.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np


def big_photos(n: int, megabytes: float, seed: int = 0) -> list[tuple[str, bytes, str]]:
    """n JPEGs of about `megabytes` MB: demo sample scenes upscaled with sensor-like noise."""
    from PIL import Image

    repo = Path(__file__).resolve().parent.parent
    sources = []
    labels = repo / "samples" / "demo" / "labels.json"
    if labels.exists():
        for e in json.loads(labels.read_text(encoding="utf-8"))["photos"]:
            sources.append((repo / "samples" / "demo" / e["file"], e.get("area")))
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if sources:
            path, area = sources[i % len(sources)]
            im = Image.open(path).convert("RGB")
        else:
            area = "facade"
            im = Image.fromarray(rng.integers(0, 255, (600, 800, 3), dtype=np.uint8))
        im = im.resize((4000, 3000), Image.BILINEAR)
        arr = np.asarray(im).astype(np.int16)
        arr = np.clip(arr + rng.normal(0, 9 + i % 3, arr.shape), 0, 255).astype(np.uint8)  # unique bytes, real size
        buf = io.BytesIO()
        Image.fromarray(arr).save(buf, "JPEG", quality=92)
        out.append((f"bench-{i:03d}.jpg", buf.getvalue(), area))
        if len(buf.getvalue()) < megabytes * 0.6e6:
            pass
    return out


def login(client, username, password):
    import re

    html = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    r = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    assert r.status_code == 302, r.status_code
    return token


def bench_audit(app, n_photos: int, megabytes: float) -> dict:
    import re

    from web.demo import DEMO_USERS

    pw = {u: p for u, p, *_ in DEMO_USERS}
    client = app.test_client()
    login(client, "auditor", pw["auditor"])
    html = client.get("/audits/new").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)
    r = client.post("/audits/new", data={"site_id": 1, "checklist_id": 1, "brand_id": 1,
                                         "audit_date": date.today().isoformat(), "csrf_token": token})
    audit_id = int(r.headers["Location"].rsplit("/", 1)[-1])
    t_make = time.perf_counter()
    photos = big_photos(n_photos, megabytes)
    make_s = time.perf_counter() - t_make
    sizes = [len(b) for _, b, _ in photos]
    t0 = time.perf_counter()
    failed = 0
    upload_latencies = []
    for name, data, area in photos:  # one request per file, like the page does
        t = time.perf_counter()
        r = client.post(f"/audits/{audit_id}/photos", data={"area": area or "facade", "csrf_token": token,
                                                             "photos": [(io.BytesIO(data), name)]},
                        content_type="multipart/form-data", headers={"Accept": "application/json"})
        upload_latencies.append(time.perf_counter() - t)
        failed += r.status_code != 200
    t_uploaded = time.perf_counter()
    while True:
        p = client.get(f"/audits/{audit_id}/progress.json").get_json()
        if p["finished"] and p["score"] is not None and p["status"] == "draft":
            break
        time.sleep(0.5)
    t_done = time.perf_counter()
    return {"audit_id": audit_id, "photos": n_photos, "mean_mb": round(statistics.mean(sizes) / 1e6, 2),
            "failed_requests": failed, "photo_errors": p["errors"], "make_photos_s": round(make_s, 1),
            "upload_s": round(t_uploaded - t0, 1),
            "upload_request_p50_s": round(statistics.median(upload_latencies), 2),
            "upload_request_max_s": round(max(upload_latencies), 2),
            "upload_to_all_verdicts_s": round(t_done - t0, 1),
            "analysis_after_last_upload_s": round(t_done - t_uploaded, 1),
            "score": p["score"]}


def bench_batching(n: int) -> dict:
    """Seconds to analyse n demo photos one at a time and as one batch (vision.analyse_batch),
    on whatever device the network runs (the number that decides AUDITOR_BATCH_SIZE)."""
    from auditor import inference
    from auditor.brandpack import list_brands
    from auditor.checklist import list_checklists, load_checklist
    from web import vision

    photos = [(vision.load_photo(data, name), area or "facade") for name, data, area in demo_photos(n)]
    brand_ref, checklist_ref = list_brands()[0], load_checklist(list_checklists()[0]).ref
    items = [(p, area, brand_ref, checklist_ref) for p, area in photos]
    vision.analyse_batch(items[:1])  # load the models first
    t0 = time.perf_counter()
    for item in items:
        vision.analyse_batch([item])
    single = time.perf_counter() - t0
    t0 = time.perf_counter()
    vision.analyse_batch(items)
    batched = time.perf_counter() - t0
    return {"photos": n, "device": str(inference.get_model().device), "one_at_a_time_s": round(single, 2),
            "one_batch_s": round(batched, 2), "speedup": round(single / max(batched, 1e-9), 2)}


def demo_photos(n: int) -> list[tuple[str, bytes, str | None]]:
    repo = Path(__file__).resolve().parent.parent
    entries = json.loads((repo / "samples" / "demo" / "labels.json").read_text(encoding="utf-8"))["photos"]
    return [(e["file"], (repo / "samples" / "demo" / e["file"]).read_bytes(), e.get("area"))
            for e in (entries * (n // max(1, len(entries)) + 1))[:n]]


def populate(app, template_audit_id: int, n_audits: int) -> None:
    """Copy the analysed audit into n approved audits spread over sites and 12 months (rows only)."""
    from sqlalchemy import insert, select

    from web.db import get_db
    from web.models import Audit, AuditItem, Dealer, Photo, PhotoResult, Region, Site

    s = get_db(app).session()
    tpl = s.get(Audit, template_audit_id)
    photos = s.execute(select(Photo).where(Photo.audit_id == tpl.id)).scalars().all()
    regions = [s.execute(select(Region).where(Region.code == c)).scalar_one() for c in ("EAST", "SOUTH")]
    sites = []
    for d in range(40):
        dealer = Dealer(code=f"B-{d:03d}", name=f"基准经销商 {d:03d}", region_id=regions[d % 2].id)
        s.add(dealer)
        s.flush()
        for k in range(3):
            site = Site(dealer_id=dealer.id, name=f"网点 {d:03d}-{k}", lat=31.0, lon=121.0)
            s.add(site)
            s.flush()
            sites.append(site.id)
    rnd = random.Random(1)
    today = date.today()
    for i in range(n_audits):
        score = json.loads(json.dumps(tpl.score))
        for it in score["items"]:  # vary the outcome so the dashboard has something to rank
            if it["status"] in ("pass", "fail") and rnd.random() < 0.25:
                it["status"] = "fail" if it["status"] == "pass" else "pass"
                it["score"] = 1.0 if it["status"] == "pass" else 0.0
        counted = [it for it in score["items"] if it["score"] is not None]
        total = 100.0 * sum(it["score"] * it["weight"] for it in counted) / max(1e-9, sum(it["weight"] for it in counted))
        score["total"] = total
        a = Audit(site_id=rnd.choice(sites), auditor_id=tpl.auditor_id, brand_pack_id=tpl.brand_pack_id,
                  checklist_version_id=tpl.checklist_version_id, status="approved",
                  audit_date=today - timedelta(days=rnd.randint(0, 360)), score=score, score_total=total)
        s.add(a)
        s.flush()
        s.execute(insert(AuditItem), [dict(audit_id=a.id, item_id=it["item_id"], status=it["status"],
                                           score=it["score"], weight=it["weight"]) for it in score["items"]])
        rows = [dict(audit_id=a.id, area=p.area, original_name=p.original_name, storage_key=p.storage_key,
                     sha256=p.sha256, phash=p.phash, size_bytes=p.size_bytes, width=p.width, height=p.height,
                     format=p.format, flags=[], status="done", error="", uploaded_by=p.uploaded_by) for p in photos]
        s.execute(insert(Photo), rows)
        if i % 50 == 0:
            s.commit()
    s.commit()
    # results for the copied photos (so every audit page has its check results)
    tpl_results = {p.sha256: p.result.results for p in photos if p.result}
    new = s.execute(select(Photo.id, Photo.sha256).where(Photo.audit_id != tpl.id)
                    .outerjoin(PhotoResult, PhotoResult.photo_id == Photo.id).where(PhotoResult.id.is_(None))).all()
    batch = []
    for pid, sha in new:
        batch.append(dict(photo_id=pid, results=tpl_results.get(sha, []), elapsed_ms=0.0))
        if len(batch) >= 2000:
            s.execute(insert(PhotoResult), batch)
            batch = []
    if batch:
        s.execute(insert(PhotoResult), batch)
    s.commit()


def time_pages(app, audit_id: int, repeats: int = 5) -> dict:
    from web.demo import DEMO_USERS

    pw = {u: p for u, p, *_ in DEMO_USERS}
    head = app.test_client()
    login(head, "head", pw["head"])

    def t(url):
        head.get(url)  # warm (derived images and caches are made on first view)
        xs = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            r = head.get(url)
            xs.append(time.perf_counter() - t0)
            assert r.status_code == 200, (url, r.status_code)
        return {"median_ms": round(1000 * statistics.median(xs), 1), "max_ms": round(1000 * max(xs), 1)}

    return {"audit_view": t(f"/audits/{audit_id}"), "audit_progress_json": t(f"/audits/{audit_id}/progress.json"),
            "dashboard": t("/dashboard"), "dashboard_data_json": t("/dashboard/data.json"),
            "dashboard_region_drilldown": t("/dashboard?region=1"), "review_queue": t("/review")}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--photos", type=int, default=50)
    ap.add_argument("--audits", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=1, help="embedded worker threads")
    ap.add_argument("--megabytes", type=float, default=4.0)
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--batch-size", type=int, default=0, help="AUDITOR_BATCH_SIZE for the worker (0: automatic)")
    ap.add_argument("--batching", type=int, default=0,
                    help="only time N photos analysed one by one vs in one batch, then exit")
    ap.add_argument("--reuse", action="store_true",
                    help="time the pages only, on a data dir an earlier run filled (audit #1 is the 50-photo one)")
    args = ap.parse_args(argv)
    if args.batching:
        print(json.dumps({"batching": bench_batching(args.batching), "loadavg": os.getloadavg()}, indent=1))
        return

    from web import create_app
    from web.cli import init_db
    from web.demo import ensure_org
    from web.jobs.queue import start_embedded_worker

    data_dir = args.data_dir or tempfile.mkdtemp(prefix="web-bench-")
    app = create_app({"DATA_DIR": data_dir, "QUEUE": "embedded", "SECRET_KEY": "bench", "BATCH_SIZE": args.batch_size,
                      "DATABASE_URL": os.environ.get("DATABASE_URL") or f"sqlite:///{Path(data_dir) / 'audit.db'}"})
    with app.app_context():
        init_db(app)
        ensure_org(app)
    if args.reuse:
        print(json.dumps({"pages": time_pages(app, 1), "loadavg": os.getloadavg()}, indent=1))
        return
    start_embedded_worker(app, threads=args.threads)
    result = {"machine": {"cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg()},
              "database": app.config["DATABASE_URL"].split(":")[0], "worker_threads": args.threads,
              "batch_size": args.batch_size or "auto"}
    result["audit_50"] = bench_audit(app, args.photos, args.megabytes)
    with app.app_context():
        t0 = time.perf_counter()
        populate(app, result["audit_50"]["audit_id"], args.audits)
        result["populate_s"] = round(time.perf_counter() - t0, 1)
    result["pages_with_%d_audits" % args.audits] = time_pages(app, result["audit_50"]["audit_id"])
    result["machine"]["loadavg_at_end"] = os.getloadavg()
    app.extensions["embedded_worker"].stop()
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
