"""Who may read statistics, over which events, and the SQL helpers the figures share."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, cast, false, func, true

from backend.auth.principal import Principal
from backend.common.pagination import checked_instant
from backend.db.models import Event
from backend.errors import ProblemError

__all__ = [
    "DEFAULT_WINDOW",
    "STATS_ROLES",
    "Window",
    "micros_between",
    "rate",
    "scope_clause",
    "window_of",
]

STATS_ROLES = frozenset({"district_dispatcher", "official", "admin", "street_dispatcher"})
DEFAULT_WINDOW = timedelta(days=30)


def scope_clause(p: Principal, street_id: str | None) -> ColumnElement[bool]:
    """Events the caller's statistics cover: all for the district roles, the caller's own
    street for a street dispatcher. Asking for another street narrows to nothing; it never
    widens (the same rule as the event list's filters)."""
    if p.role not in STATS_ROLES:
        raise ProblemError(403, "forbidden", "your role may not read statistics")
    if p.role == "street_dispatcher":
        if street_id is not None and street_id != p.street_id:
            return false()
        return Event.street_id == p.street_id
    return Event.street_id == street_id if street_id is not None else true()


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime

    def clause(self, column: Any = None) -> ColumnElement[bool]:
        col = Event.created_at if column is None else column
        return and_(col >= self.start, col < self.end)


def window_of(
    start: datetime | str | None,
    end: datetime | str | None,
    now: datetime,
    default: timedelta,
) -> Window:
    """``[from, to)``; ``to`` defaults to now and ``from`` to ``to`` minus the default."""
    end_at = checked_instant(end, "to", "query") or now
    start_at = checked_instant(start, "from", "query") or end_at - default
    if start_at >= end_at:
        raise ProblemError(
            400,
            "validation_failed",
            "from must be before to",
            errors=[{"field": "from", "message": "must be before to", "source": "query"}],
        )
    return Window(start_at, end_at)


def micros_between(later: Any, earlier: Any, *, sqlite: bool) -> Any:
    """``later - earlier`` in microseconds as SQL; null when either is null. On PostgreSQL
    an exact bigint (a double holds any duration's microseconds exactly up to 285 years, and
    bigint sums are exact and much cheaper than numeric ones); SQLite keeps times as text,
    so there it is a float from julianday."""
    if sqlite:
        return (func.julianday(later) - func.julianday(earlier)) * 86_400_000_000.0
    return cast(func.round(func.date_part("epoch", later - earlier) * 1_000_000), BigInteger)


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
