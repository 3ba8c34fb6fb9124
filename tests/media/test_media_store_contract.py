"""One contract for every MediaStore: memory, local disk, and S3 against a real S3 server
(moto in server mode on 127.0.0.1, spoken to over HTTP by boto3)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from moto.server import ThreadedMotoServer

from media import LocalMediaStore, MediaNotFound, MediaStore, MemoryMediaStore
from media.s3 import S3MediaStore

CREDENTIALS = {"access_key": "testing", "secret_key": "testing", "region": "us-east-1"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def _make_bucket(endpoint: str) -> str:
    bucket = f"media-{uuid.uuid4().hex[:12]}"  # a fresh bucket per test: no shared state
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=bucket)
    client.close()
    return bucket


@pytest.fixture(params=["memory", "local", "s3"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[MediaStore]:
    impl: MediaStore
    if request.param == "memory":
        impl = MemoryMediaStore()
    elif request.param == "local":
        impl = LocalMediaStore(tmp_path / "media")
        (tmp_path / "media").mkdir()
    else:
        endpoint = request.getfixturevalue("s3_endpoint")
        impl = S3MediaStore(endpoint, _make_bucket(endpoint), **CREDENTIALS)
    yield impl
    await impl.close()


async def _listed(store: MediaStore, prefix: str, cutoff: datetime) -> list[str]:
    return sorted([key async for key in store.list_older_than(prefix, cutoff)])


async def test_put_then_get_returns_the_same_bytes(store: MediaStore) -> None:
    payload = bytes(range(256)) * 1000
    await store.put("orig/ab/abcdef", payload, "image/jpeg")
    assert await store.get("orig/ab/abcdef") == payload


async def test_put_replaces_the_whole_object(store: MediaStore) -> None:
    await store.put("display/x1", b"first version, longer", "image/jpeg")
    await store.put("display/x1", b"second", "image/jpeg")
    assert await store.get("display/x1") == b"second"


async def test_get_missing_raises_media_not_found(store: MediaStore) -> None:
    with pytest.raises(MediaNotFound):
        await store.get("orig/missing")


async def test_exists_and_idempotent_delete(store: MediaStore) -> None:
    assert await store.exists("thumb/t1") is False
    await store.put("thumb/t1", b"t", "image/jpeg")
    assert await store.exists("thumb/t1") is True
    await store.delete("thumb/t1")
    assert await store.exists("thumb/t1") is False
    await store.delete("thumb/t1")  # again: no error
    await store.delete("thumb/never-existed")
    with pytest.raises(MediaNotFound):
        await store.get("thumb/t1")


async def test_list_older_than_filters_by_prefix_and_age(store: MediaStore) -> None:
    for key in ("orig/a1", "orig/a2", "orig-x/a3", "thumb/a1"):
        await store.put(key, b"x", "image/jpeg")
    now = datetime.now(UTC)
    assert await _listed(store, "orig/", now + timedelta(minutes=5)) == ["orig/a1", "orig/a2"]
    assert await _listed(store, "orig", now + timedelta(minutes=5)) == [
        "orig-x/a3",
        "orig/a1",
        "orig/a2",
    ]
    assert await _listed(store, "orig/", now - timedelta(hours=1)) == []
    assert await _listed(store, "nothing/", now + timedelta(minutes=5)) == []


async def test_listing_while_deleting_is_safe(store: MediaStore) -> None:
    for i in range(5):
        await store.put(f"tmp/{i}", b"x", "image/jpeg")
    cutoff = datetime.now(UTC) + timedelta(minutes=5)
    async for key in store.list_older_than("tmp/", cutoff):
        await store.delete(key)
    assert await _listed(store, "tmp/", cutoff) == []


async def test_naive_cutoff_is_refused(store: MediaStore) -> None:
    with pytest.raises(ValueError):
        await _listed(store, "orig/", datetime(2026, 1, 1))


@pytest.mark.parametrize("key", ["../etc/passwd", "/abs", "a//b", ".hidden", "a/../b", "", "a/"])
async def test_unsafe_keys_are_refused(store: MediaStore, key: str) -> None:
    with pytest.raises(ValueError):
        await store.put(key, b"x", "image/jpeg")
    with pytest.raises(ValueError):
        await store.get(key)


async def test_ping(store: MediaStore) -> None:
    assert await store.ping() is True


# Implementation-specific behaviour the contract cannot express.


async def test_local_put_leaves_no_temporary_files(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    await store.put("orig/ab/abc", b"data", "image/jpeg")
    await store.put("orig/ab/abc", b"data2", "image/jpeg")
    assert sorted(p.name for p in (tmp_path / "orig" / "ab").iterdir()) == ["abc"]


async def test_local_listing_uses_file_age_and_skips_writes_in_flight(tmp_path: Path) -> None:
    store = LocalMediaStore(tmp_path)
    await store.put("orig/old", b"x", "image/jpeg")
    await store.put("orig/new", b"x", "image/jpeg")
    two_days_ago = (datetime.now(UTC) - timedelta(days=2)).timestamp()
    os.utime(tmp_path / "orig" / "old", (two_days_ago, two_days_ago))
    (tmp_path / "orig" / ".tmp-crashed").write_bytes(b"partial")
    os.utime(tmp_path / "orig" / ".tmp-crashed", (two_days_ago, two_days_ago))
    cutoff = datetime.now(UTC) - timedelta(days=1)
    assert await _listed(store, "orig/", cutoff) == ["orig/old"]


async def test_local_ping_fails_without_a_root(tmp_path: Path) -> None:
    assert await LocalMediaStore(tmp_path / "absent").ping() is False


async def test_memory_listing_follows_its_clock() -> None:
    now = datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    store = MemoryMediaStore(clock=lambda: now)
    await store.put("orig/a", b"x", "image/png")
    assert store.content_type("orig/a") == "image/png"
    assert await _listed(store, "orig/", now) == []
    assert await _listed(store, "orig/", now + timedelta(seconds=1)) == ["orig/a"]


async def test_s3_stores_the_content_type(s3_endpoint: str) -> None:
    bucket = _make_bucket(s3_endpoint)
    store = S3MediaStore(s3_endpoint, bucket, **CREDENTIALS)
    await store.put("display/d1", b"\xff\xd8\xff", "image/jpeg")
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    head = client.head_object(Bucket=bucket, Key="display/d1")
    client.close()
    await store.close()
    assert head["ContentType"] == "image/jpeg"
    assert head["ContentLength"] == 3


async def test_s3_listing_pages_past_a_thousand_keys(s3_endpoint: str) -> None:
    store = S3MediaStore(s3_endpoint, _make_bucket(s3_endpoint), **CREDENTIALS)
    client = store._client  # bulk-create through the same client, quicker than 1001 hops
    for i in range(1001):
        client.put_object(Bucket=store._bucket, Key=f"orig/{i:04d}", Body=b"")
    cutoff = datetime.now(UTC) + timedelta(minutes=5)
    listed = await _listed(store, "orig/", cutoff)
    await store.close()
    assert len(listed) == 1001
    assert listed[0] == "orig/0000" and listed[-1] == "orig/1000"


async def test_s3_ping_fails_for_a_missing_bucket(s3_endpoint: str) -> None:
    store = S3MediaStore(s3_endpoint, "no-such-bucket", **CREDENTIALS)
    assert await store.ping() is False
    await store.close()
