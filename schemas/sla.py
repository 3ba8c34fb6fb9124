"""The working calendar as the SLA planner counts it (工作日历)."""

from __future__ import annotations

from datetime import datetime

import msgspec

__all__ = ["WorkingPeriodOut", "WorkingPeriodsOut"]


class WorkingPeriodOut(msgspec.Struct, kw_only=True):
    start: datetime
    end: datetime


class WorkingPeriodsOut(msgspec.Struct, kw_only=True):
    timezone: str
    # The window asked for, as instants.
    from_: datetime = msgspec.field(name="from")
    to: datetime
    # Whole periods overlapping [from, to), ascending; the first may start before from and
    # the last may end after to.
    periods: list[WorkingPeriodOut]
