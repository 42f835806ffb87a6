"""`auditor-web doctor|backup|restore|celery-worker`: maintenance commands (implementation in web.maintenance).

web/cli.py adds them to its group with ``register(main)``; ``python -m web.cli_maintenance``
runs them on their own.
"""
from __future__ import annotations

import sys

import click


def _app():
    from web import create_app

    return create_app()


@click.command()
@click.option("--fix", is_flag=True, help="delete stored files that no row refers to (older than --grace)")
@click.option("--grace", default=600.0, show_default=True, help="seconds an unreferenced file may be an upload in flight")
def doctor(fix: bool, grace: float) -> None:
    """Integrity check: every photo row has its file and every file its row. Exit 1 when not."""
    from web.maintenance import check_integrity, fix_orphans

    app = _app()
    with app.app_context():
        if fix:
            for key in fix_orphans(app, grace_s=grace):
                click.echo(f"deleted orphan file {key}")
        report = check_integrity(app)
    for line in report.lines():
        click.echo(line)
    sys.exit(0 if report.ok else 1)


@click.command()
@click.argument("out", type=click.Path(dir_okay=False))
def backup(out: str) -> None:
    """Write the database and every photo to OUT (.tar.gz)."""
    from web.maintenance import backup as do_backup

    app = _app()
    with app.app_context():
        manifest = do_backup(app, out)
    rows = sum(manifest["tables"].values())
    click.echo(f"backup {out}: {rows} rows in {len(manifest['tables'])} tables, {manifest['blobs']} files")
    if manifest["missing_blobs"]:
        click.echo(f"warning: {len(manifest['missing_blobs'])} rows refer to missing files (run doctor)", err=True)


@click.command()
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
@click.option("--replace", is_flag=True, help="empty a non-empty database first")
def restore(path: str, replace: bool) -> None:
    """Restore a backup made by `backup` into the configured database and storage."""
    from web.maintenance import MaintenanceError, restore as do_restore

    app = _app()
    try:
        with app.app_context():
            manifest = do_restore(app, path, replace=replace)
    except MaintenanceError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    click.echo(f"restored {path}: {sum(manifest['tables'].values())} rows, {manifest['blobs']} files")


@click.command("celery-worker")
@click.option("--concurrency", "-c", default=1, show_default=True)
@click.option("--loglevel", default="INFO", show_default=True)
@click.option("--hostname", "-n", default=None)
def celery_worker(concurrency: int, loglevel: str, hostname: str | None) -> None:
    """A Celery worker for QUEUE=celery (same as `celery -A web.jobs.celery_app worker`)."""
    from web.jobs.celery_app import run_worker

    run_worker(concurrency=concurrency, loglevel=loglevel, hostname=hostname)


COMMANDS = (doctor, backup, restore, celery_worker)


def register(group: click.Group) -> None:
    for command in COMMANDS:
        if command.name not in group.commands:
            group.add_command(command)


@click.group()
def main() -> None:
    """Maintenance commands."""


register(main)

if __name__ == "__main__":
    main()
