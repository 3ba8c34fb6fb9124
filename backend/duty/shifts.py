"""Shift arithmetic: which (local date, shift) covers an instant, and a shift's bounds.

Day shift: 08:00-20:00 Asia/Shanghai. Night shift of date D: D 20:00 to D+1 08:00. Bounds
are half-open, so 08:00 belongs to the day shift and 20:00 to the night shift.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["DAY_START", "NIGHT_START", "SHIFTS", "TZ", "shift_at", "shift_bounds"]

TZ = ZoneInfo("Asia/Shanghai")
DAY_START = time(8, 0)
NIGHT_START = time(20, 0)
SHIFTS = ("day", "night")


def shift_at(at: datetime) -> tuple[date, str]:
    """The roster key (local date, shift) on duty at the aware instant ``at``."""
    if at.tzinfo is None:
        raise ValueError("shift_at needs an aware datetime")
    local = at.astimezone(TZ)
    t = local.time()
    if DAY_START <= t < NIGHT_START:
        return local.date(), "day"
    if t >= NIGHT_START:
        return local.date(), "night"
    # 00:00-07:59 still belongs to the night shift that started the evening before.
    return local.date() - timedelta(days=1), "night"


def shift_bounds(day: date, shift: str) -> tuple[datetime, datetime]:
    """[start, end) of a shift as aware Asia/Shanghai datetimes."""
    if shift == "day":
        return datetime.combine(day, DAY_START, TZ), datetime.combine(day, NIGHT_START, TZ)
    if shift == "night":
        return (
            datetime.combine(day, NIGHT_START, TZ),
            datetime.combine(day + timedelta(days=1), DAY_START, TZ),
        )
    raise ValueError(f"unknown shift {shift!r}")
