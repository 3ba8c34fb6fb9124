"""S3-compatible object store (AWS S3, MinIO, Ceph RGW, OSS/COS S3 endpoints) via boto3.

boto3 is synchronous; every call runs in `asyncio.to_thread`. A boto3 client (unlike a
session) is thread-safe, so one client serves all of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Any, Final, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from media.store import (
    MediaNotFound,
    MediaStore,
    StoreUnavailable,
    _require_aware,
    validate_key,
)

__all__ = ["S3MediaStore"]

_NOT_FOUND: Final = frozenset({"NoSuchKey", "404", "NotFound"})


_TRANSIENT: Final = frozenset(
    {"SlowDown", "ServiceUnavailable", "RequestTimeout", "InternalError", "Throttling"}
)


def _is_not_found(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND


def _transient(exc: BaseException) -> bool:
    """Connection errors and timeouts (BotoCoreError), 5xx answers and throttling."""
    if isinstance(exc, BotoCoreError):
        return True
    if isinstance(exc, ClientError):
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        return int(status) >= 500 or str(exc.response.get("Error", {}).get("Code")) in _TRANSIENT
    return False


_T = TypeVar("_T")


async def _call(fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """Run a blocking boto3 call in a thread; an unreachable store is StoreUnavailable."""
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    except (BotoCoreError, ClientError) as exc:
        if _transient(exc):
            raise StoreUnavailable(str(exc)) from exc
        raise


class S3MediaStore(MediaStore):
    """One bucket. A `put` is a single PutObject, which S3 makes atomic: readers see the
    old object or the new one. Path-style addressing by default, as MinIO and most
    self-hosted servers expect."""

    def __init__(
        self,
        endpoint_url: str | None,
        bucket: str,
        access_key: str,
        secret_key: str,
        region: str = "us-east-1",
        *,
        addressing_style: str = "path",
        max_pool_connections: int = 20,
    ) -> None:
        self._bucket = bucket
        self._client: Any = boto3.session.Session().client(
            "s3",
            endpoint_url=endpoint_url,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
            region_name=region,
            config=Config(
                signature_version="s3v4",
                s3={"addressing_style": addressing_style},
                retries={"max_attempts": 3, "mode": "standard"},
                connect_timeout=5,
                read_timeout=30,
                max_pool_connections=max_pool_connections,
            ),
        )

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await _call(
            self._client.put_object,
            Bucket=self._bucket,
            Key=validate_key(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes:
        return await _call(self._get_sync, validate_key(key))

    def _get_sync(self, key: str) -> bytes:
        try:
            response = self._client.get_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _is_not_found(exc):
                raise MediaNotFound(key) from None
            raise
        with response["Body"] as body:
            data: bytes = body.read()  # boto3 is untyped: the body is a StreamingBody
        return data

    async def delete(self, key: str) -> None:
        # DeleteObject already succeeds on a missing key.
        await _call(self._client.delete_object, Bucket=self._bucket, Key=validate_key(key))

    async def exists(self, key: str) -> bool:
        return await _call(self._exists_sync, validate_key(key))

    def _exists_sync(self, key: str) -> bool:
        try:
            self._client.head_object(Bucket=self._bucket, Key=key)
        except ClientError as exc:
            if _is_not_found(exc):
                return False
            raise
        return True

    async def list_older_than(self, prefix: str, cutoff: datetime) -> AsyncIterator[str]:
        _require_aware(cutoff)
        token: str | None = None
        while True:  # one page (up to 1000 keys) per thread hop
            page = await _call(self._list_page, prefix, token)
            for item in page.get("Contents", []):
                if item["LastModified"] < cutoff:
                    yield item["Key"]
            if not page.get("IsTruncated"):
                return
            token = page["NextContinuationToken"]

    def _list_page(self, prefix: str, token: str | None) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"Bucket": self._bucket, "Prefix": prefix}
        if token:
            kwargs["ContinuationToken"] = token
        result: dict[str, Any] = self._client.list_objects_v2(**kwargs)
        return result

    async def ping(self) -> bool:
        try:
            await asyncio.to_thread(self._client.head_bucket, Bucket=self._bucket)
        except (BotoCoreError, ClientError):
            return False
        return True

    async def close(self) -> None:
        await asyncio.to_thread(self._client.close)
