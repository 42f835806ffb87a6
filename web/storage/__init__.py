"""Photo storage: content-addressed blobs behind one small interface.

A key is the blob's SHA-256 hex digest (optionally with a namespace prefix such as
``derived/``), so storing the same bytes twice is a no-op and a key never points at
different bytes. The default backend keeps files under ``DATA_DIR/blobs``; an
S3-compatible backend lives in ``web.storage.s3`` (selected by ``STORAGE=s3``).
"""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import IO, Protocol, runtime_checkable

_KEY_RE = re.compile(r"^(?:[a-z0-9_-]+/)?[0-9a-f]{64}(?:\.[a-z0-9_-]+)?$")


class StorageError(Exception):
    """A blob could not be stored or read; the message names the key and the reason."""


class BlobNotFound(StorageError, KeyError):
    def __init__(self, key: str):
        super().__init__(f"blob {key!r} not found")
        self.key = key


def content_key(data: bytes, namespace: str = "") -> str:
    """The key that `put(data, namespace)` returns: '<namespace>/<sha256>' or '<sha256>'."""
    digest = hashlib.sha256(data).hexdigest()
    return f"{namespace}/{digest}" if namespace else digest


def check_key(key: str) -> str:
    """Reject anything that is not a well-formed key (no path traversal through keys)."""
    if not isinstance(key, str) or not _KEY_RE.match(key):
        raise StorageError(f"invalid storage key {key!r}")
    return key


@runtime_checkable
class Storage(Protocol):
    """What the web app needs from a blob store."""

    def put(self, data: bytes, namespace: str = "") -> str:
        """Store bytes; return their content key. Idempotent."""

    def put_as(self, key: str, data: bytes) -> str:
        """Store bytes under a caller-chosen well-formed key (derived images keyed by their source)."""

    def get(self, key: str) -> bytes:
        """The bytes of `key`; raises BlobNotFound."""

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove `key`; no error if it is already gone."""

    def open(self, key: str) -> IO[bytes]:
        """A readable binary file object for `key`; raises BlobNotFound."""

    def keys(self) -> list[str]:
        """Every stored key (for integrity checks and backups)."""


class LocalStorage:
    """Blobs as files under `root`, fanned out by the first two hex digits of the hash."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        check_key(key)
        ns, _, name = key.rpartition("/")
        return self.root / (ns or "_") / name[:2] / name

    def put(self, data: bytes, namespace: str = "") -> str:
        key = content_key(data, namespace)
        if not self.exists(key):
            self._write(self._path(key), data)
        return key

    def put_as(self, key: str, data: bytes) -> str:
        self._write(self._path(key), data)
        return key

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        # Write to a temp file then rename: a crash never leaves a half-written blob under its key.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass

    def open(self, key: str) -> IO[bytes]:
        try:
            return self._path(key).open("rb")
        except FileNotFoundError:
            raise BlobNotFound(key) from None

    def keys(self) -> list[str]:
        out = []
        for p in self.root.glob("*/*/*"):
            if p.name.startswith(".tmp-") or not p.is_file():
                continue
            ns = p.parent.parent.name
            out.append(p.name if ns == "_" else f"{ns}/{p.name}")
        return sorted(out)


def get_storage(app) -> Storage:
    """The storage backend configured for `app` (`STORAGE=local|s3`), created once per app."""
    existing = app.extensions.get("storage")
    if existing is not None:
        return existing
    kind = app.config.get("STORAGE", "local")
    if kind == "local":
        store: Storage = LocalStorage(Path(app.config["DATA_DIR"]) / "blobs")
    elif kind == "s3":
        from web.storage.s3 import S3Storage  # written in the scale-out issue

        store = S3Storage.from_config(app.config)
    else:
        raise StorageError(f"unknown STORAGE={kind!r} (expected local or s3)")
    app.extensions["storage"] = store
    return store
