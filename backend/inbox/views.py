"""Reading the inbox: most urgent first, and offline sync by change number."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.common.pagination import decode_cursor, encode_cursor
from backend.common.views import next_sla_change
from backend.db.models import Category, Event, Task, TaskTombstone
from backend.errors import ProblemError
from backend.inbox.service import task_visible_to, tombstone_visible_to
from backend.sla.service import sla_state
from schemas.inbox import EventSummary, SyncOut, TaskOut

__all__ = ["SyncCursors", "list_inbox", "sync_inbox", "tasks_out"]


_SUMMARY_COLUMNS = (
    Event.id,
    Event.case_no,
    Event.status,
    Event.category_code,
    Category.name.label("category_name"),
    Event.grade,
    Event.description,
    Event.lat,
    Event.lng,
    Event.address,
    Event.due_at,
    Event.escalated,
    Event.supervision_count,
)


async def tasks_out(session: AsyncSession, tasks: list[Task], now: datetime) -> list[TaskOut]:
    event_ids = {t.event_id for t in tasks if t.event_id}
    events: dict[str, Any] = {}
    if event_ids:
        # One statement of plain columns (category name joined), not entities + a lookup.
        rows = await (await session.connection()).execute(
            select(*_SUMMARY_COLUMNS)
            .outerjoin(Category, Category.code == Event.category_code)
            .where(Event.id.in_(event_ids))
        )
        events = {e.id: e for e in rows}
    out = []
    for t in tasks:
        e = events.get(t.event_id or "")
        out.append(
            TaskOut(
                id=t.id,
                kind=t.kind,
                event=(
                    EventSummary(
                        id=e.id,
                        case_no=e.case_no,
                        status=e.status,
                        category={"code": e.category_code, "name": e.category_name or ""},
                        grade=e.grade,
                        description=e.description,
                        location={"lat": e.lat, "lng": e.lng, "address": e.address},
                        due_at=e.due_at,
                        escalated=e.escalated,
                        supervision_count=e.supervision_count,
                    )
                    if e
                    else None
                ),
                room_id=t.room_id,
                message_seq=t.message_seq,
                due_at=t.due_at,
                sla_state=sla_state(
                    running=t.due_at is not None, warn_at=t.warn_at, due_at=t.due_at, now=now
                ),
                created_at=t.created_at,
                updated_at=t.updated_at,
            )
        )
    return out


def _urgency(t: TaskOut) -> tuple[int, float, float]:
    rank = {"overdue": 0, "warning": 1, "normal": 2, None: 3}[t.sla_state]
    due = t.due_at.timestamp() if t.due_at else float("inf")
    return (rank, due, t.created_at.timestamp())


async def list_inbox(
    session: AsyncSession, p: Principal, now: datetime
) -> tuple[list[TaskOut], datetime | None]:
    """The open tasks, most urgent first, and when the first ``sla_state`` moves."""
    tasks = list(
        (
            await session.execute(
                select(Task).where(Task.state == "open", task_visible_to(p)).limit(5000)
            )
        ).scalars()
    )
    until = next_sla_change(((t.due_at is not None, t.warn_at, t.due_at) for t in tasks), now)
    return sorted(await tasks_out(session, tasks, now), key=_urgency), until


class SyncCursors:
    """Opaque cursors bound to one user: a cursor from another account is refused."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret

    def _mac(self, user_id: str, rev: int) -> str:
        msg = f"{user_id}:{rev}".encode()
        return hmac.new(self.secret, msg, hashlib.sha256).hexdigest()[:32]

    def encode(self, user_id: str, rev: int) -> str:
        return encode_cursor({"r": rev, "m": self._mac(user_id, rev)})

    def decode(self, user_id: str, cursor: str) -> int:
        c = decode_cursor(cursor, ("r", "m"))
        rev = c["r"]
        if not isinstance(rev, int) or not isinstance(c["m"], str) or rev < 0:
            raise ProblemError(400, "validation_failed", "cursor is not valid")
        if not hmac.compare_digest(c["m"], self._mac(user_id, rev)):
            raise ProblemError(
                400,
                "validation_failed",
                "this sync cursor was issued to another user",
                errors=[{"field": "cursor", "message": "not yours", "source": "query"}],
            )
        return rev


async def sync_inbox(
    session: AsyncSession,
    p: Principal,
    cursors: SyncCursors,
    cursor: str | None,
    limit: int,
    now: datetime,
) -> SyncOut:
    since = cursors.decode(p.id, cursor) if cursor else 0
    tasks = list(
        (
            await session.execute(
                select(Task)
                .where(Task.rev > since, Task.state == "open", task_visible_to(p))
                .order_by(Task.rev)
                .limit(limit + 1)
            )
        ).scalars()
    )
    tombs: list[TaskTombstone] = []
    if since:  # a first sync has nothing to remove
        tombs = list(
            (
                await session.execute(
                    select(TaskTombstone)
                    .where(TaskTombstone.rev > since, tombstone_visible_to(p))
                    .order_by(TaskTombstone.rev)
                    .limit(limit + 1)
                )
            ).scalars()
        )
    # Merge both streams by change number and cut one page; the cursor is the last
    # change included, so the next page starts right after it.
    merged: list[tuple[int, Task | TaskTombstone]] = sorted(
        [(t.rev, t) for t in tasks] + [(x.rev, x) for x in tombs], key=lambda r: r[0]
    )
    page, more = merged[:limit], len(merged) > limit
    upserts = [item for _, item in page if isinstance(item, Task)]
    removed = [item.task_id for _, item in page if isinstance(item, TaskTombstone)]
    last = page[-1][0] if page else since
    return SyncOut(
        upserts=await tasks_out(session, upserts, now),
        removed=removed,
        cursor=cursors.encode(p.id, last),
        has_more=more,
    )
