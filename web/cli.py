"""`auditor-web`: set up the database, load demo data, run the web server or a queue worker.

Production: `gunicorn -w 4 -b 0.0.0.0:8000 'web.wsgi:app'` plus `auditor-web worker`
(or QUEUE=celery with Celery workers; see docs/DEPLOY.md).
"""
from __future__ import annotations

import sys
import time

import click


def _app(**overrides):
    from web import create_app

    return create_app(overrides or None)


@click.group()
def main() -> None:
    """Dealer audit review interface."""


@main.command("init-db")
def init_db_cmd() -> None:
    """Create or upgrade the database schema (Alembic migrations) and register the built-in packs."""
    app = _app()
    with app.app_context():
        init_db(app)
    click.echo(f"database ready: {_safe_url(app.config['DATABASE_URL'])}")


def init_db(app) -> None:
    from web.migrate import upgrade

    upgrade(app.config["DATABASE_URL"])
    register_catalogue(app)


def register_catalogue(app) -> None:
    """Make every brand pack and checklist version the auditor library ships selectable."""
    from sqlalchemy import select

    from web.db import get_db
    from web.models import BrandPackRef, ChecklistVersion

    s = get_db(app).session()
    try:
        from auditor.brandpack import list_brands, load_brand

        for ref in list_brands():
            if s.execute(select(BrandPackRef).where(BrandPackRef.ref == ref)).first() is None:
                b = load_brand(ref)
                s.add(BrandPackRef(ref=ref, name=f"{b.name_zh} / {b.name_en}"))
    except Exception as exc:  # a broken pack must not stop the database from being created
        click.echo(f"warning: brand packs not registered: {exc}", err=True)
    try:
        from auditor.checklist import list_checklists, load_checklist

        for ref in list_checklists():
            cl = load_checklist(ref)
            full = cl.ref
            if s.execute(select(ChecklistVersion).where(ChecklistVersion.ref == full)).first() is None:
                s.add(ChecklistVersion(ref=full, title=f"{cl.title_zh} v{cl.version}"))
    except Exception as exc:
        click.echo(f"warning: checklists not registered: {exc}", err=True)
    s.commit()


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@main.command()
@click.option("--photos", "photos_dir", type=click.Path(exists=True, file_okay=False), default=None,
              help="folder of photos with labels.json (default: samples/demo)")
@click.option("--max-photos", default=16, show_default=True, help="photos in the finished demo audit")
def demo(photos_dir, max_photos) -> None:
    """Create demo regions, dealers, sites, users for every role and a finished audit from sample photos."""
    from web.demo import load_demo

    app = _app(QUEUE="immediate")
    with app.app_context():
        init_db(app)
        report = load_demo(app, photos_dir, max_photos=max_photos, echo=click.echo)
    click.echo("")
    click.echo("demo users (user name / password / role):")
    for u, p, r in report["users"]:
        click.echo(f"  {u:<12} {p:<20} {r}")
    if report.get("audit_id"):
        click.echo(f"finished demo audit: #{report['audit_id']} (score {report['score']})")
    click.echo("start the server with: auditor-web serve   (then open http://127.0.0.1:5000)")


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--threads", default=1, show_default=True, help="embedded queue worker threads")
@click.option("--no-worker", is_flag=True, help="do not consume the embedded queue in this process")
@click.option("--demo", "with_demo", is_flag=True, help="load the demo data first when the database has no users")
def serve(host, port, threads, no_worker, with_demo) -> None:
    """Development server (for production use gunicorn 'web.wsgi:app')."""
    app = _app()
    with app.app_context():
        init_db(app)
        if with_demo:
            from sqlalchemy import func, select

            from web.db import get_db
            from web.models import User

            if get_db(app).session().execute(select(func.count()).select_from(User)).scalar_one() == 0:
                click.get_current_context().invoke(demo)
    if app.config["QUEUE"] == "embedded" and not no_worker:
        from web.jobs.queue import start_embedded_worker

        start_embedded_worker(app, threads=threads)
    app.run(host=host, port=port, threaded=True, use_reloader=False)


@main.command()
@click.option("--threads", default=1, show_default=True)
def worker(threads) -> None:
    """Consume the embedded (SqliteHuey) queue until interrupted."""
    from web.jobs.queue import start_embedded_worker

    app = _app()
    if app.config["QUEUE"] != "embedded":
        click.echo(f"QUEUE={app.config['QUEUE']}: use that backend's worker (celery -A web.jobs.celery_app worker)",
                   err=True)
        sys.exit(2)
    w = start_embedded_worker(app, threads=threads)
    click.echo(f"worker consuming {app.config['DATA_DIR']}/queue.db with {threads} thread(s); Ctrl-C stops")
    try:
        while True:
            time.sleep(1)
    except KeyboardInterrupt:
        w.stop()


@main.command()
def requeue() -> None:
    """Queue again every photo and proof still waiting for analysis (after a queue or broker outage)."""
    from sqlalchemy import select

    from web.db import get_db
    from web.jobs.queue import enqueue
    from web.models import Photo, PhotoStatus, ProofPhoto

    app = _app()
    with app.app_context():
        s = get_db(app).session()
        waiting = [PhotoStatus.QUEUED.value, PhotoStatus.ANALYSING.value]
        photos = s.execute(select(Photo.id).where(Photo.status.in_(waiting))).scalars().all()
        proofs = s.execute(select(ProofPhoto.id).where(ProofPhoto.status.in_(waiting))).scalars().all()
        for pid in photos:
            enqueue("analyse_photo", pid, app=app)
        for pid in proofs:
            enqueue("check_proof", pid, app=app)
    click.echo(f"queued {len(photos)} photo(s) and {len(proofs)} proof(s) again")


from web.cli_maintenance import register as _register_maintenance  # noqa: E402  doctor, backup, restore, celery-worker

_register_maintenance(main)

if __name__ == "__main__":
    main()
