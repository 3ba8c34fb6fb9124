"""Reading the daily roll-up (PostgreSQL): whole days from ``event_day_rollups``, the
partial days at the window's edges from the events.

The roll-up holds, per UTC day of ``created_at`` and per (street, status, category,
source), the count and the sums of exactly the per-event terms the raw grouped pass sums
(backend/stats/rollup_sql.py, kept by a trigger in every writer's transaction). A window
``[start, end)`` is cut at UTC midnights into ``[start, d0)``, the whole days
``[d0, d1)`` and ``[d1, end)``: the edges are scanned raw, the days summed from the roll-up,
and since the three parts are disjoint and cover the window, and sums of the same integers
are the same whatever their grouping, the answer is the raw scan's, in one statement (one
snapshot). Scopes the roll-up cannot express (anything but the district or one street) fall
back to raw.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, Date, Select, String, column, func, table, text
from sqlalchemy import select as sa_select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter, True_

from backend.db.models import Event
from backend.stats.rollup2_sql import REBUILD as REBUILD_SPOTS_AND_ASSESSMENT
from backend.stats.rollup_sql import REBUILD
from backend.stats.scope import Window

__all__ = [
    "ROLLUP",
    "ROLLUP_TABLES",
    "SUMS",
    "rebuild",
    "rollup_part",
    "rollup_scope",
    "whole_days",
]

SUMS = ("n", "hd", "ot", "hs", "hn", "ss", "sn")
ROLLUP = table(
    "event_day_rollups",
    column("day", Date),
    column("scope", String),
    column("dim", String),
    column("key", String),
    *(column(s, BigInteger) for s in SUMS),
)


def whole_days(window: Window) -> tuple[datetime, datetime] | None:
    """The first and the past-the-last UTC midnight of the whole days inside the window,
    or None when it holds no whole day."""
    start, end = window.start.astimezone(UTC), window.end.astimezone(UTC)
    d0 = datetime.combine(start.date(), time(), UTC)
    if d0 < start:
        d0 += timedelta(days=1)
    d1 = datetime.combine(end.date(), time(), UTC)
    return (d0, d1) if d0 < d1 else None


def rollup_scope(scope: ColumnElement[bool]) -> str | None:
    """The roll-up's scope for the caller's: ``*`` for the whole district, the street's id
    for ``events.street_id = :id``; None for anything else (the caller then reads raw)."""
    if isinstance(scope, True_):
        return "*"
    if (
        isinstance(scope, BinaryExpression)
        and scope.operator is operators.eq
        and getattr(scope.left, "table", None) is Event.__table__
        and getattr(scope.left, "name", None) == "street_id"
        and isinstance(scope.right, BindParameter)
        and isinstance(scope.right.value, str)
    ):
        return scope.right.value
    return None


def rollup_part(scope: str, days: tuple[datetime, datetime]) -> Select[Any]:
    """The whole days' breakdowns: (dim, key, sums...)."""
    r = ROLLUP.c
    return (
        sa_select(r.dim, r.key, *(func.sum(r[s]).label(s) for s in SUMS))
        .where(r.scope == scope, r.day >= days[0].date(), r.day < days[1].date())
        .group_by(r.dim, r.key)
    )


ROLLUP_TABLES = (
    "event_day_rollups",
    "event_spot_rollups",
    "assignment_day_rollups",
    "assignment_event_terms",
)


async def rebuild(session: AsyncSession) -> dict[str, int] | None:
    """Recompute every roll-up from the events, assignments and timeline (``chengyun
    rebuild-rollups``; the bench after a COPY load that bypassed the triggers). Writers
    wait while it runs, so nothing changes between the scan and the triggers taking over
    again. Rows per table; None on SQLite (no roll-up)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    await session.execute(
        text("LOCK TABLE events, event_assignments, event_timeline IN SHARE ROW EXCLUSIVE MODE")
    )
    for statement in (*REBUILD, *REBUILD_SPOTS_AND_ASSESSMENT):
        await session.execute(text(statement))
    return {
        t: int(await session.scalar(text(f"SELECT count(*) FROM {t}")) or 0)  # noqa: S608
        for t in ROLLUP_TABLES
    }
