"""When a user's push may go out: quiet hours (Asia/Shanghai) and muted kinds."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

__all__ = ["SHANGHAI", "is_muted", "quiet_release"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _parse(hhmm: str | None) -> time | None:
    if not hhmm:
        return None
    try:
        hour, minute = (int(part) for part in hhmm.split(":"))
        return time(hour, minute)
    except ValueError:
        # Stored by PUT /me/preferences, which validates; a bad row means no quiet hours
        # rather than a notification that never goes out.
        return None


def quiet_release(start: str | None, end: str | None, now: datetime) -> datetime | None:
    """The end of the quiet period ``now`` falls in (UTC), or None when it is not quiet.

    Quiet hours are wall-clock times in Asia/Shanghai; "22:00"-"07:00" wraps midnight.
    Equal start and end mean no quiet hours (not a whole silent day).
    """
    s, e = _parse(start), _parse(end)
    if s is None or e is None or s == e:
        return None
    local = now.astimezone(SHANGHAI)
    t = local.time()
    if s < e:
        quiet = s <= t < e
        release_day = local.date()
    else:
        quiet = t >= s or t < e
        release_day = local.date() if t < e else local.date() + timedelta(days=1)
    if not quiet:
        return None
    return datetime.combine(release_day, e, tzinfo=SHANGHAI).astimezone(UTC)


def is_muted(muted_kinds: list[str] | None, kind: str, priority: str) -> bool:
    """High priority (incidents, overdue escalations) is never muted."""
    return priority != "high" and kind in (muted_kinds or [])
