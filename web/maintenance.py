"""Integrity check, backup and restore for the database and the photo store.

- `check_integrity(app)`: every photo/proof row has its blob, every photo/proof blob has its row.
  Blobs in any other namespace (``derived/``, ``thumbs/``) are caches and are not checked.
- `fix_orphans(app, grace_s)`: delete blobs that no row references and that are older than
  `grace_s` (a younger one may belong to an upload whose row is being committed right now).
- `backup(app, out)`: one ``.tar.gz`` with ``manifest.json``, every table as JSON lines
  (``db/<table>.jsonl``, portable: a SQLite backup restores into PostgreSQL and back) and every
  referenced blob (``blobs/<key>``).
- `restore(app, path)`: into an empty database (migrated to head first) and any storage
  backend; content-addressed blobs are verified against their SHA-256 on the way in.

`web.cli_maintenance` puts these behind ``auditor-web doctor|backup|restore``.
"""
from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import tarfile
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import Date, DateTime, inspect, select, text

BACKUP_FORMAT = 1
# Blobs whose rows are tracked: namespace -> (model name, column). Others (derived/) are caches.
TRACKED_NAMESPACES = ("photos", "proofs")


class MaintenanceError(Exception):
    """Backup or restore refused: the message says why (one line)."""


@dataclass(frozen=True)
class IntegrityReport:
    rows_checked: int
    blobs_checked: int
    rows_without_blob: tuple[tuple[str, int, str], ...]  # (table, id, storage key)
    blobs_without_row: tuple[str, ...]
    cache_blobs: int = 0

    @property
    def ok(self) -> bool:
        return not self.rows_without_blob and not self.blobs_without_row

    def lines(self) -> list[str]:
        out = [f"checked {self.rows_checked} photo/proof rows and {self.blobs_checked} stored photo/proof files"
               f" ({self.cache_blobs} cached derived images not checked)"]
        for table, row_id, key in self.rows_without_blob:
            out.append(f"MISSING FILE: {table} #{row_id} refers to {key}, which is not in the store")
        for key in self.blobs_without_row:
            out.append(f"ORPHAN FILE: {key} is stored but no row refers to it")
        out.append("integrity: OK" if self.ok else
                   f"integrity: {len(self.rows_without_blob)} rows without file, "
                   f"{len(self.blobs_without_row)} files without row")
        return out


def _db(app):
    return app.extensions["db"]


def _storage(app):
    from web.storage import get_storage

    return get_storage(app)


def referenced_keys(app) -> dict[str, list[tuple[str, int]]]:
    """storage key -> [(table, id), ...] for every photo and proof row."""
    from web.models import Photo, ProofPhoto

    refs: dict[str, list[tuple[str, int]]] = {}
    with _db(app).engine.connect() as conn:
        for model in (Photo, ProofPhoto):
            for row_id, key in conn.execute(select(model.id, model.storage_key)):
                refs.setdefault(key, []).append((model.__tablename__, row_id))
    return refs


def check_integrity(app) -> IntegrityReport:
    refs = referenced_keys(app)
    all_keys = _storage(app).keys()
    tracked = {k for k in all_keys if k.split("/", 1)[0] in TRACKED_NAMESPACES or "/" not in k}
    missing = tuple(sorted((table, row_id, key) for key, owners in refs.items() if key not in tracked
                           for table, row_id in owners))
    orphans = tuple(sorted(k for k in tracked if k not in refs))
    return IntegrityReport(rows_checked=sum(len(v) for v in refs.values()), blobs_checked=len(tracked),
                           rows_without_blob=missing, blobs_without_row=orphans,
                           cache_blobs=len(all_keys) - len(tracked))


def blob_age_s(store, key: str) -> float | None:
    """Seconds since the blob was written, where the backend can tell (local files, S3)."""
    path_of = getattr(store, "_path", None)
    if path_of is not None:
        try:
            return time.time() - path_of(key).stat().st_mtime
        except OSError:
            return None
    modified = getattr(store, "modified_at", None)
    if modified is not None:
        when = modified(key)
        return None if when is None else (datetime.now(timezone.utc) - when).total_seconds()
    return None


def fix_orphans(app, grace_s: float = 600.0) -> list[str]:
    """Delete orphan blobs older than `grace_s`; returns the deleted keys."""
    store = _storage(app)
    deleted = []
    for key in check_integrity(app).blobs_without_row:
        age = blob_age_s(store, key)
        if age is not None and age < grace_s:
            continue  # maybe an upload in flight: its row may be committed in a moment
        # Re-check just before deleting: a row may have appeared since the scan.
        if key in referenced_keys(app):
            continue
        store.delete(key)
        deleted.append(key)
    return deleted


# --- backup -----------------------------------------------------------------------------------

def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$date": value.isoformat()}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b64": base64.b64encode(bytes(value)).decode()}
    return value


def _decode(value: Any, column) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        (tag, raw), = value.items()
        if tag == "$dt":
            return datetime.fromisoformat(raw)
        if tag == "$date":
            return date.fromisoformat(raw)
        if tag == "$b64":
            return base64.b64decode(raw)
    if value is not None and isinstance(column.type, DateTime) and isinstance(value, str):
        return datetime.fromisoformat(value)
    if value is not None and isinstance(column.type, Date) and isinstance(value, str):
        return date.fromisoformat(value)
    return value


def _tables():
    from web.models import Base

    return Base.metadata.sorted_tables  # parents before children


def _alembic_revision(conn) -> str | None:
    try:
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:
        return None


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def backup(app, out: str | os.PathLike) -> dict:
    """Write database + referenced blobs to `out` (.tar.gz); returns the manifest.

    The database is read in one transaction (a consistent snapshot on PostgreSQL and SQLite);
    blobs are content-addressed and never change under a key, so reading them afterwards is safe.
    """
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    store = _storage(app)
    database = _db(app)
    tmp = out.with_name(out.name + ".part")
    counts: dict[str, int] = {}
    keys: set[str] = set()
    with tarfile.open(tmp, "w:gz") as tar:
        with database.engine.connect() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY"))
            revision = _alembic_revision(conn)
            for table in _tables():
                lines = []
                pk = list(table.primary_key.columns)
                for row in conn.execute(select(table).order_by(*pk)):
                    record = {k: _encode(v) for k, v in row._mapping.items()}
                    lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True))
                    if table.name in ("photos", "proof_photos"):
                        keys.add(row._mapping["storage_key"])
                counts[table.name] = len(lines)
                _add_bytes(tar, f"db/{table.name}.jsonl", ("\n".join(lines) + ("\n" if lines else "")).encode())
            dialect = conn.dialect.name
        missing = []
        for key in sorted(keys):
            try:
                _add_bytes(tar, f"blobs/{key}", store.get(key))
            except KeyError:
                missing.append(key)
        manifest = {
            "format": BACKUP_FORMAT,
            "created_at": datetime.now(timezone.utc).isoformat(),
            "database_dialect": dialect,
            "alembic_revision": revision,
            "tables": counts,
            "blobs": len(keys) - len(missing),
            "missing_blobs": missing,
        }
        _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
    os.replace(tmp, out)
    return manifest


def read_manifest(path: str | os.PathLike) -> dict:
    try:
        with tarfile.open(path, "r:gz") as tar:
            member = tar.extractfile("manifest.json")
            return json.loads(member.read())
    except (OSError, KeyError, tarfile.TarError, json.JSONDecodeError) as exc:
        raise MaintenanceError(f"{path}: not a backup made by `auditor-web backup` ({exc})") from None


def _database_is_empty(conn) -> bool:
    names = set(inspect(conn).get_table_names())
    for table in _tables():
        if table.name in names and conn.execute(select(table).limit(1)).first() is not None:
            return False
    return True


def restore(app, path: str | os.PathLike, *, replace: bool = False) -> dict:
    """Restore a backup into the app's database and storage; returns the manifest.

    The database must be empty unless `replace` (then every table is emptied first).
    """
    from web.migrate import upgrade

    manifest = read_manifest(path)
    if manifest.get("format") != BACKUP_FORMAT:
        raise MaintenanceError(f"{path}: backup format {manifest.get('format')} (this version reads {BACKUP_FORMAT})")
    database = _db(app)
    upgrade(app.config["DATABASE_URL"])
    store = _storage(app)
    tables = _tables()
    with tarfile.open(path, "r:gz") as tar:
        # Blobs first: a restored row must never point at a file that is not there yet.
        for member in tar.getmembers():
            if not member.isfile() or not member.name.startswith("blobs/"):
                continue
            key = member.name[len("blobs/"):]
            data = tar.extractfile(member).read()
            digest = key.rsplit("/", 1)[-1].split(".", 1)[0]
            if hashlib.sha256(data).hexdigest() != digest:
                raise MaintenanceError(f"{path}: blob {key} is corrupt (its SHA-256 does not match its name)")
            store.put_as(key, data)
        with database.engine.begin() as conn:
            if not _database_is_empty(conn):
                if not replace:
                    raise MaintenanceError("the database is not empty: restore into a new database, or use --replace")
                for table in reversed(tables):
                    conn.execute(table.delete())
            for table in tables:
                try:
                    member = tar.extractfile(f"db/{table.name}.jsonl")
                except KeyError:
                    continue  # a table newer than the backup: stays empty
                rows = []
                for line in member.read().decode().splitlines():
                    if not line.strip():
                        continue
                    record = json.loads(line)
                    rows.append({c.name: _decode(record[c.name], c) for c in table.columns if c.name in record})
                for i in range(0, len(rows), 500):
                    conn.execute(table.insert(), rows[i: i + 500])
            if conn.dialect.name == "postgresql":
                _reset_sequences(conn, tables)
    database.session.remove()
    return manifest


def _reset_sequences(conn, tables: Iterable) -> None:
    """After inserting explicit ids, move each serial sequence past the largest id."""
    for table in tables:
        for column in table.primary_key.columns:
            if not column.autoincrement or not str(column.type).upper().startswith(("INTEGER", "BIGINT")):
                continue
            seq = conn.execute(text("SELECT pg_get_serial_sequence(:t, :c)"),
                               {"t": table.name, "c": column.name}).scalar()
            if seq:
                conn.execute(text(f"SELECT setval(:s, COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"),
                             {"s": seq})
