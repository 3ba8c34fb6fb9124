"""The in-app notification centre (reading, marking read) and the admin delivery view."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.common.pagination import checked_instant, decode_cursor, encode_cursor
from backend.db.models import Device, Notification, PushAttempt, PushDelivery
from backend.errors import ProblemError
from push import token_fingerprint
from schemas.notify import AttemptOut, DeliveryOut

__all__ = ["deliveries_of", "list_notifications", "mark_all_read", "mark_read", "unread_count"]


def _not_found() -> ProblemError:
    return ProblemError(404, "not_found", "notification not found")


async def list_notifications(
    session: AsyncSession, user_id: str, *, unread: bool | None, limit: int, cursor: str | None
) -> tuple[list[Notification], str | None]:
    """Newest first; the cursor is the last item's (created_at, id)."""
    query = select(Notification).where(Notification.user_id == user_id)
    if unread is True:
        query = query.where(Notification.read_at.is_(None))
    elif unread is False:
        query = query.where(Notification.read_at.is_not(None))
    if cursor:
        c = decode_cursor(cursor, ("t", "id"))
        at = checked_instant(c["t"], "cursor", "query")
        if at is None or not isinstance(c["id"], str):
            raise ProblemError(400, "validation_failed", "cursor is not valid")
        query = query.where(
            or_(
                Notification.created_at < at,
                and_(Notification.created_at == at, Notification.id < c["id"]),
            )
        )
    rows = list(
        await session.scalars(
            query.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit + 1)
        )
    )
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor({"t": last.created_at.isoformat(), "id": last.id})
    return rows, next_cursor


async def unread_count(session: AsyncSession, user_id: str) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        )
        or 0
    )


async def mark_read(
    session: AsyncSession, user_id: str, notification_id: str, now: datetime
) -> Notification:
    """Idempotent: a second read keeps the first read_at. Someone else's is 404."""
    note = await session.get(Notification, notification_id)
    if note is None or note.user_id != user_id:
        raise _not_found()
    if note.read_at is None:
        note.read_at = now
    return note


async def mark_all_read(session: AsyncSession, user_id: str, now: datetime) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult at runtime


async def deliveries_of(session: AsyncSession, notification_id: str) -> list[DeliveryOut]:
    if await session.get(Notification, notification_id) is None:
        raise _not_found()
    rows = (
        await session.execute(
            select(PushDelivery, Device.token)
            .outerjoin(Device, Device.id == PushDelivery.device_id)
            .where(PushDelivery.notification_id == notification_id)
            .order_by(PushDelivery.created_at, PushDelivery.id)
        )
    ).all()
    attempts: dict[str, list[AttemptOut]] = {}
    if rows:
        for a in await session.scalars(
            select(PushAttempt)
            .where(PushAttempt.delivery_id.in_([d.id for d, _ in rows]))
            .order_by(PushAttempt.at, PushAttempt.id)
        ):
            attempts.setdefault(a.delivery_id, []).append(
                AttemptOut(at=a.at, outcome=a.outcome, reason=a.reason, provider_id=a.provider_id)
            )
    return [
        DeliveryOut(
            id=d.id,
            device_id=d.device_id,
            platform=d.platform,
            token_fingerprint=token_fingerprint(token) if token else None,
            state=d.state,
            attempt_count=d.attempts,
            next_attempt_at=d.next_attempt_at,
            last_error=d.last_error,
            provider_id=d.provider_id,
            created_at=d.created_at,
            updated_at=d.updated_at,
            attempts=attempts.get(d.id, []),
        )
        for d, token in rows
    ]
