"""S3-compatible blob storage (AWS S3, SeaweedFS, MinIO, Ceph RGW ...) behind the `Storage` interface.

Same content-addressed keys as `LocalStorage`: the object key is the storage key itself
(optionally under `prefix`), so two processes storing the same bytes write the same object
and a key never points at different bytes.

Settings (Flask config or environment, config wins):
  S3_ENDPOINT_URL       e.g. http://127.0.0.1:8333 (unset: AWS's own endpoint)
  S3_BUCKET             bucket name (created on first use when missing)
  S3_PREFIX             optional key prefix inside the bucket, e.g. "audit/"
  S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY, S3_REGION
                        credentials (unset: boto3's usual chain, AWS_* variables, instance role)
"""
from __future__ import annotations

import io
import os
import threading
from typing import IO, Mapping

from web.storage import BlobNotFound, StorageError, check_key, content_key



class S3Storage:
    """Blobs as objects in one bucket. Thread-safe; safe to use after fork (one client per process)."""

    def __init__(
        self,
        bucket: str,
        *,
        endpoint_url: str | None = None,
        prefix: str = "",
        access_key_id: str | None = None,
        secret_access_key: str | None = None,
        region: str | None = None,
        create_bucket: bool = True,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 4,
    ):
        if not bucket:
            raise StorageError("S3 storage needs a bucket name (S3_BUCKET)")
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        self.bucket = bucket
        self.prefix = prefix
        self.endpoint_url = endpoint_url or None
        self._client_kwargs = {
            "endpoint_url": self.endpoint_url,
            "aws_access_key_id": access_key_id or None,
            "aws_secret_access_key": secret_access_key or None,
            "region_name": region or "us-east-1",
        }
        self._timeouts = (connect_timeout, read_timeout, max_attempts)
        self._local = threading.local()
        self._pid = os.getpid()
        self._lock = threading.Lock()
        self._client_shared = None
        if create_bucket:
            self.ensure_bucket()

    @classmethod
    def from_config(cls, config: Mapping) -> "S3Storage":
        """Build from a Flask config, falling back to environment variables for unset settings."""
        def setting(name: str, default: str | None = None) -> str | None:
            value = config.get(name) if config is not None else None
            return value if value not in (None, "") else os.environ.get(name, default)

        return cls(
            setting("S3_BUCKET", "dealer-audit"),
            endpoint_url=setting("S3_ENDPOINT_URL"),
            prefix=setting("S3_PREFIX", "") or "",
            access_key_id=setting("S3_ACCESS_KEY_ID"),
            secret_access_key=setting("S3_SECRET_ACCESS_KEY"),
            region=setting("S3_REGION"),
        )

    # --- client --------------------------------------------------------------------------
    @property
    def _client(self):
        # A boto3 client is thread-safe but must not cross a fork (its connection pool would be
        # shared with the parent), so there is one per process.
        if self._client_shared is None or self._pid != os.getpid():
            with self._lock:
                if self._client_shared is None or self._pid != os.getpid():
                    import boto3
                    from botocore.config import Config

                    connect, read, attempts = self._timeouts
                    cfg = Config(
                        connect_timeout=connect,
                        read_timeout=read,
                        retries={"max_attempts": attempts, "mode": "standard"},
                        s3={"addressing_style": "path"},
                        signature_version="s3v4",
                        max_pool_connections=32,
                    )
                    session = boto3.session.Session()
                    self._client_shared = session.client("s3", config=cfg, **self._client_kwargs)
                    self._pid = os.getpid()
        return self._client_shared

    def _object(self, key: str) -> str:
        return self.prefix + check_key(key)

    def _error(self, action: str, key: str | None, exc: Exception) -> StorageError:
        where = f"s3://{self.bucket}/{self.prefix}{key or ''}"
        endpoint = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return StorageError(f"S3 {action} {where}{endpoint} failed: {_describe(exc)}")

    def ensure_bucket(self) -> None:
        """Create the bucket when it does not exist yet (idempotent, race-safe)."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.head_bucket(Bucket=self.bucket)
            return
        except ClientError as exc:
            if _status(exc) not in (404, 400) and _code(exc) not in ("404", "NoSuchBucket", "NotFound"):
                raise self._error("head_bucket", None, exc) from exc
        except BotoCoreError as exc:
            raise self._error("head_bucket", None, exc) from exc
        try:
            self._client.create_bucket(Bucket=self.bucket)
        except ClientError as exc:
            if _code(exc) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise self._error("create_bucket", None, exc) from exc
        except BotoCoreError as exc:
            raise self._error("create_bucket", None, exc) from exc

    # --- Storage interface -----------------------------------------------------------------
    def put(self, data: bytes, namespace: str = "") -> str:
        key = content_key(data, namespace)
        if not self.exists(key):
            self._put(key, data)
        return key

    def put_as(self, key: str, data: bytes) -> str:
        self._put(key, data)
        return key

    def _put(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        # S3 PUT is atomic: readers see the whole object or none, never a partial write.
        try:
            self._client.put_object(Bucket=self.bucket, Key=self._object(key), Body=bytes(data))
        except (ClientError, BotoCoreError) as exc:
            raise self._error("put", key, exc) from exc

    def get(self, key: str) -> bytes:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._object(key)
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=name)
            return response["Body"].read()
        except ClientError as exc:
            if _is_missing(exc):
                raise BlobNotFound(key) from None
            raise self._error("get", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("get", key, exc) from exc

    def exists(self, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        name = self._object(key)
        try:
            self._client.head_object(Bucket=self.bucket, Key=name)
            return True
        except ClientError as exc:
            if _is_missing(exc):
                return False
            raise self._error("head", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("head", key, exc) from exc

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._client.delete_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if not _is_missing(exc):
                raise self._error("delete", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("delete", key, exc) from exc

    def modified_at(self, key: str):
        """When the object was last written (aware UTC datetime), None when it does not exist."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self._client.head_object(Bucket=self.bucket, Key=self._object(key))["LastModified"]
        except ClientError as exc:
            if _is_missing(exc):
                return None
            raise self._error("head", key, exc) from exc
        except BotoCoreError as exc:
            raise self._error("head", key, exc) from exc

    def open(self, key: str) -> IO[bytes]:
        # A seekable in-memory copy: uploads are capped (MAX_UPLOAD_BYTES), and Flask's
        # send_file wants to seek and size the stream.
        return io.BytesIO(self.get(key))

    def keys(self) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        out: list[str] = []
        try:
            paginator = self._client.get_paginator("list_objects_v2")
            for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix):
                for item in page.get("Contents", ()):
                    key = item["Key"][len(self.prefix):]
                    try:
                        out.append(check_key(key))
                    except StorageError:
                        continue  # not ours (someone else's object in a shared bucket)
        except (ClientError, BotoCoreError) as exc:
            raise self._error("list", None, exc) from exc
        return sorted(out)

    def __repr__(self) -> str:
        return f"S3Storage(bucket={self.bucket!r}, prefix={self.prefix!r}, endpoint_url={self.endpoint_url!r})"


def _code(exc) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def _status(exc) -> int:
    return int(getattr(exc, "response", {}).get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def _is_missing(exc) -> bool:
    return _status(exc) == 404 or _code(exc) in ("404", "NoSuchKey", "NotFound")


def _describe(exc: Exception) -> str:
    code = _code(exc)
    if code:
        message = getattr(exc, "response", {}).get("Error", {}).get("Message", "") or str(exc)
        return f"{code}: {message}"
    return str(exc) or type(exc).__name__
