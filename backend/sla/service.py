"""SLA plans: due and warning instants on the category's clock, and the state at a moment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

from backend.sla.calendar import WorkingCalendar, clock_for

__all__ = ["WARNING_FRACTION", "SlaPlan", "SlaPlanner", "sla_state"]

#: ``warning`` from 80 % of the allowed time (API.md, Events).
WARNING_FRACTION = 0.8


@dataclass(frozen=True, slots=True)
class SlaPlan:
    clock: str
    started_at: datetime
    warn_at: datetime
    due_at: datetime


def sla_state(
    *, running: bool, warn_at: datetime | None, due_at: datetime | None, now: datetime
) -> Literal["normal", "warning", "overdue"] | None:
    if not running or due_at is None:
        return None
    if now > due_at:
        return "overdue"
    if warn_at is not None and now >= warn_at:
        return "warning"
    return "normal"


class SlaPlanner:
    def __init__(self, calendar: WorkingCalendar) -> None:
        self.calendar = calendar

    def _warn_at(self, clock: str, start: datetime, due: datetime) -> datetime:
        c = clock_for(clock, self.calendar)  # type: ignore[arg-type]  # Category.sla_clock is a String column of ClockKind
        allowed = c.working_time_between(start, due)
        return c.add_working_time(start, allowed * WARNING_FRACTION)

    def plan(
        self, *, clock: str, hours: float, start: datetime, due_override: datetime | None = None
    ) -> SlaPlan:
        c = clock_for(clock, self.calendar)  # type: ignore[arg-type]  # Category.sla_clock is a String column of ClockKind
        due = (due_override or c.add_working_time(start, timedelta(hours=hours))).astimezone(UTC)
        return SlaPlan(clock, start, self._warn_at(clock, start, due).astimezone(UTC), due)

    def extend(self, plan: SlaPlan, hours: float) -> SlaPlan:
        c = clock_for(plan.clock, self.calendar)  # type: ignore[arg-type]  # Category.sla_clock is a String column of ClockKind
        due = c.add_working_time(plan.due_at, timedelta(hours=hours)).astimezone(UTC)
        return SlaPlan(
            plan.clock, plan.started_at, self._warn_at(plan.clock, plan.started_at, due), due
        )
