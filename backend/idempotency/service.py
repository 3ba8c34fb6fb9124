"""Idempotency-Key handling: a retried request never creates a second thing.

The claim is committed on its own before the work starts, so a concurrent repeat sees it
(409 while in flight); the outcome is written in the same transaction as the change it
describes, so the stored answer and the change commit or vanish together.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import msgspec
from litestar import Request, Response
from sqlalchemy import delete, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.db.models import IdempotencyRecord
from backend.errors import ProblemError

__all__ = ["IdempotencyPolicy", "run_idempotent"]

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
JSON = "application/json"

Produce = Callable[[], Awaitable[tuple[int, Any]]]


class IdempotencyPolicy(msgspec.Struct, frozen=True):
    keep_hours: int = 48
    stale_seconds: int = 120


def _request_hash(scope: str, raw: bytes) -> str:
    # The body passed the decoding layer's checks when it was read (CheckedRequest); a body
    # that still fails to decode is hashed as sent, and the handler answers its 400.
    try:
        canonical = msgspec.json.encode(msgspec.json.decode(raw), order="sorted")
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        canonical = raw
    return hashlib.sha256(scope.encode() + b"\n" + canonical).hexdigest()


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.bind.dialect.name == "postgresql" else sqlite_insert


def _encode(body: Any) -> bytes:
    return body if isinstance(body, bytes) else msgspec.json.encode(body)


async def _claim(
    session: AsyncSession,
    *,
    user_id: str,
    key: str,
    request_hash: str,
    policy: IdempotencyPolicy,
) -> str | Response[bytes]:
    """Return our claim token, or the response to give instead of running."""
    claim = str(uuid.uuid4())
    for _ in range(2):
        now = utcnow()
        stmt = (
            _insert(session)(IdempotencyRecord)
            .values(
                user_id=user_id,
                key=key,
                request_hash=request_hash,
                claim=claim,
                state="in_flight",
                created_at=now,
                expires_at=now + timedelta(hours=policy.keep_hours),
            )
            .on_conflict_do_nothing(index_elements=["user_id", "key"])
            .returning(IdempotencyRecord.claim)
        )
        if (await session.execute(stmt)).scalar_one_or_none() == claim:
            await session.commit()
            return claim
        row = (
            await session.execute(
                select(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key
                )
            )
        ).scalar_one_or_none()
        if row is None:
            continue  # deleted between our insert and select: try again
        if row.expires_at <= now:
            await session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.user_id == user_id,
                    IdempotencyRecord.key == key,
                    IdempotencyRecord.claim == row.claim,
                )
            )
            await session.commit()
            continue
        if row.request_hash != request_hash:
            raise ProblemError(
                422,
                "idempotency_conflict",
                "this Idempotency-Key was already used with a different request",
            )
        if row.state == "done":
            await session.commit()
            return Response(
                content=row.body or b"",
                status_code=row.status_code or 200,
                media_type=row.content_type or JSON,
                headers={"Idempotent-Replayed": "true"},
            )
        if now - row.created_at < timedelta(seconds=policy.stale_seconds):
            raise ProblemError(
                409,
                "idempotency_in_flight",
                "a request with this Idempotency-Key is still being processed",
                headers={"Retry-After": "1"},
            )
        # The first attempt died mid-way (process killed): its claim is stale, take it over.
        taken = await session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.user_id == user_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.claim == row.claim,
            )
            .values(claim=claim, created_at=now)
        )
        await session.commit()
        if taken.rowcount == 1:  # type: ignore[attr-defined]
            return claim
    raise ProblemError(409, "idempotency_in_flight", "please retry", headers={"Retry-After": "1"})


async def run_idempotent(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    *,
    user_id: str,
    scope: str,
    produce: Produce,
    policy: IdempotencyPolicy,
) -> Response[bytes]:
    """Run ``produce`` at most once per (user, Idempotency-Key); replay its answer after."""
    key = request.headers.get("idempotency-key")
    if key is None:
        status, body = await produce()
        return Response(content=_encode(body), status_code=status, media_type=JSON)
    if not _KEY.match(key):
        raise ProblemError(
            400,
            "validation_failed",
            "Idempotency-Key must be 1-255 visible ASCII characters",
            errors=[{"field": "Idempotency-Key", "message": "invalid", "source": "header"}],
        )
    raw = await request.body()
    claimed = await _claim(
        session,
        user_id=user_id,
        key=key,
        request_hash=_request_hash(scope, raw),
        policy=policy,
    )
    if isinstance(claimed, Response):
        return claimed
    try:
        status, body = await produce()
        content = _encode(body)
        await session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.user_id == user_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.claim == claimed,
            )
            .values(state="done", status_code=status, content_type=JSON, body=content)
        )
    except BaseException:
        # Release the claim so a retry runs again instead of waiting out the stale period.
        await session.rollback()
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.user_id == user_id,
                IdempotencyRecord.key == key,
                IdempotencyRecord.claim == claimed,
            )
        )
        await session.commit()
        raise
    return Response(content=content, status_code=status, media_type=JSON)
