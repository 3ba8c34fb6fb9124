"""Idempotency-Key handling: a retried request never creates a second thing.

The claim is written in the request's own transaction, with the change it guards and the
answer it stores: all three commit or vanish together. So a request that dies with its
process (``kill -9``, a lost database connection) leaves no claim behind, and the phone's
retry with the same key runs at once instead of waiting out a timeout.

While the first request runs, a repeat must not run too:

- PostgreSQL: the claim holds a transaction-level advisory lock on (user, key); a repeat
  that cannot take it at once answers 409 ``idempotency_in_flight`` (Retry-After: 1). The
  lock dies with the owner's transaction, so a dead process's claim is visibly dead.
- SQLite (one process): a writing transaction holds the database's one write lock from its
  ``BEGIN IMMEDIATE``, so the repeat queues behind the first and then replays its answer.

An ``in_flight`` row that is committed can only be a claim left by a release that committed
its claims before working; its owner is gone, and the retry takes it over.
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
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import utcnow
from backend.db.models import IdempotencyRecord
from backend.errors import ProblemError

__all__ = ["IdempotencyPolicy", "claim_lock_key", "run_idempotent"]

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
JSON = "application/json"
# The first half of the two-int advisory lock key: our claims' own space (the scheduler's
# single-bigint lock lives in another one).
LOCK_CLASS = 0x63790001

Produce = Callable[[], Awaitable[tuple[int, Any]]]


class IdempotencyPolicy(msgspec.Struct, frozen=True):
    keep_hours: int = 48


def claim_lock_key(user_id: str, key: str) -> int:
    """The second half of the advisory lock key of (user, key): a signed 32-bit hash."""
    digest = hashlib.sha256(f"{user_id}\n{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big", signed=True)


def _in_flight() -> ProblemError:
    return ProblemError(
        409,
        "idempotency_in_flight",
        "a request with this Idempotency-Key is still being processed",
        headers={"Retry-After": "1"},
    )


def _request_hash(scope: str, raw: bytes) -> str:
    # The body passed the decoding layer's checks when it was read (CheckedRequest); a body
    # that still fails to decode is hashed as sent, and the handler answers its 400.
    try:
        canonical = msgspec.json.encode(msgspec.json.decode(raw), order="sorted")
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):
        canonical = raw
    return hashlib.sha256(scope.encode() + b"\n" + canonical).hexdigest()


def _insert(session: AsyncSession) -> Any:
    return pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert


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
    """Return our claim token (uncommitted), or the response to give instead of running."""
    if session.get_bind().dialect.name == "postgresql":
        locked = await session.scalar(
            select(func.pg_try_advisory_xact_lock(LOCK_CLASS, claim_lock_key(user_id, key)))
        )
        if not locked:
            raise _in_flight()
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
            continue
        if row.request_hash != request_hash:
            raise ProblemError(
                422,
                "idempotency_conflict",
                "this Idempotency-Key was already used with a different request",
            )
        if row.state == "done":
            return Response(
                content=row.body or b"",
                status_code=row.status_code or 200,
                media_type=row.content_type or JSON,
                headers={"Idempotent-Replayed": "true"},
            )
        # A committed in-flight claim: its owner is gone (see the module docstring).
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
            .values(claim=claim, created_at=now)
        )
        return claim
    raise _in_flight()


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
    # A failure rolls the whole transaction back, the claim with it: a retry runs again.
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
    return Response(content=content, status_code=status, media_type=JSON)
