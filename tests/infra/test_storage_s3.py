"""S3Storage against a real SeaweedFS server: same behaviour as LocalStorage."""
from __future__ import annotations

import hashlib
import threading

import pytest

from web.storage import BlobNotFound, LocalStorage, Storage, StorageError, content_key
from web.storage.s3 import S3Storage

pytestmark = pytest.mark.s3


def test_is_a_storage(s3_storage):
    assert isinstance(s3_storage, Storage)


def test_put_get_roundtrip_content_addressed(s3_storage):
    data = b"\xff\xd8\xff\xe0 not really a jpeg" * 100
    key = s3_storage.put(data)
    assert key == hashlib.sha256(data).hexdigest() == content_key(data)
    assert s3_storage.exists(key)
    assert s3_storage.get(key) == data
    with s3_storage.open(key) as fh:
        assert fh.read() == data
    # Same bytes again: same key, still one object.
    assert s3_storage.put(data) == key
    assert s3_storage.keys() == [key]


def test_namespaces_and_put_as(s3_storage):
    photo = s3_storage.put(b"photo bytes")
    derived = s3_storage.put(b"thumbnail", namespace="derived")
    assert derived.startswith("derived/")
    chosen = f"evidence/{hashlib.sha256(b'source').hexdigest()}.png"
    assert s3_storage.put_as(chosen, b"png 1") == chosen
    s3_storage.put_as(chosen, b"png 2")  # caller-chosen keys may be overwritten
    assert s3_storage.get(chosen) == b"png 2"
    assert s3_storage.keys() == sorted([photo, derived, chosen])


def test_missing_key_and_delete(s3_storage):
    key = content_key(b"never stored")
    assert not s3_storage.exists(key)
    with pytest.raises(BlobNotFound):
        s3_storage.get(key)
    with pytest.raises(BlobNotFound):
        s3_storage.open(key)
    s3_storage.delete(key)  # absent: no error
    stored = s3_storage.put(b"to delete")
    s3_storage.delete(stored)
    assert not s3_storage.exists(stored)
    assert s3_storage.keys() == []


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/../../b", "ABC", "", "x" * 64, "derived//" + "a" * 64])
def test_rejects_malformed_keys(s3_storage, bad):
    with pytest.raises(StorageError):
        s3_storage.get(bad)
    with pytest.raises(StorageError):
        s3_storage.put_as(bad, b"x")


def test_prefix_isolates_two_stores_in_one_bucket(s3_endpoint):
    url, key, secret = s3_endpoint
    a = S3Storage("shared-bucket-prefix", endpoint_url=url, access_key_id=key, secret_access_key=secret, prefix="a")
    b = S3Storage("shared-bucket-prefix", endpoint_url=url, access_key_id=key, secret_access_key=secret, prefix="b/")
    ka = a.put(b"only in a")
    assert a.exists(ka) and not b.exists(ka)
    assert ka in a.keys() and ka not in b.keys()
    a.delete(ka)


def test_large_blob_and_concurrent_writers(s3_storage):
    big = bytes(range(256)) * (12 * 1024 * 4)  # 12 MiB
    blobs = [big] + [f"photo {i}".encode() * 1000 for i in range(16)]
    errors: list[BaseException] = []

    def writer(data):
        try:
            assert s3_storage.get(s3_storage.put(data)) == data
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(d,)) for d in blobs + blobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    assert s3_storage.keys() == sorted({content_key(d) for d in blobs})


def test_same_keys_as_local_storage(s3_storage, tmp_path):
    local = LocalStorage(tmp_path / "blobs")
    for data, ns in [(b"one", ""), (b"two", "derived"), (b"three", "proof")]:
        assert s3_storage.put(data, ns) == local.put(data, ns)
    assert s3_storage.keys() == local.keys()


def test_unreachable_server_gives_a_clear_error():
    from infra_servers import free_port

    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StorageError) as info:
        S3Storage("b", endpoint_url=url, access_key_id="k", secret_access_key="s", connect_timeout=1, max_attempts=1)
    assert "s3://b/" in str(info.value) and url in str(info.value)


def test_wrong_credentials_are_named(s3_endpoint):
    url, _, _ = s3_endpoint
    with pytest.raises(StorageError) as info:
        S3Storage("b", endpoint_url=url, access_key_id="nobody", secret_access_key="wrong", max_attempts=1)
    assert "failed" in str(info.value)


def test_from_config_and_get_storage(s3_endpoint, monkeypatch):
    url, key, secret = s3_endpoint
    monkeypatch.setenv("S3_ACCESS_KEY_ID", key)
    monkeypatch.setenv("S3_SECRET_ACCESS_KEY", secret)
    store = S3Storage.from_config({"S3_ENDPOINT_URL": url, "S3_BUCKET": "from-config"})
    assert store.bucket == "from-config"
    assert store.get(store.put(b"cfg")) == b"cfg"

    from web.storage import get_storage

    class FakeApp:  # get_storage only reads config and extensions
        config = {"STORAGE": "s3", "S3_ENDPOINT_URL": url, "S3_BUCKET": "via-factory", "DATA_DIR": "/nonexistent"}
        extensions: dict = {}

    app = FakeApp()
    chosen = get_storage(app)
    assert isinstance(chosen, S3Storage) and chosen.bucket == "via-factory"
    assert get_storage(app) is chosen
