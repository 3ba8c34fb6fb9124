"""Working calendar for SLA deadlines (工作日历).

A dispatch without an explicit ``due_at`` takes the category's SLA hours, counted either on
the working calendar (Mon-Fri 08:30-12:00 and 14:00-17:30 Asia/Shanghai, minus public
holidays, plus the official make-up working days 调休上班) or in plain elapsed hours. Both
counting rules share the :class:`SlaClock` interface so SLA code never branches on the kind.

Days outside the years listed in the holiday file are treated as ordinary weeks (Mon-Fri
working, Sat/Sun off). The State Council publishes the next year's arrangement each November;
``years_covered()`` lets operations warn before the shipped file runs out, because deadlines
that cross into an uncovered year would silently ignore that year's holidays.

Working periods are wall-clock times in the calendar's time zone. Asia/Shanghai has no DST;
for a zone with DST the periods are still taken as wall-clock ranges (transitions happen at
night, outside working hours).

Everything here is pure: the data file is read only when ``from_file`` or
``load_default_calendar`` is called.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any, Literal, Protocol, runtime_checkable
from zoneinfo import ZoneInfo

__all__ = [
    "DEFAULT_PERIODS",
    "DEFAULT_TZ",
    "ClockKind",
    "NaturalClock",
    "SlaClock",
    "WorkingCalendar",
    "clock_for",
    "load_default_calendar",
]

DEFAULT_TZ = ZoneInfo("Asia/Shanghai")
DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(8, 30), time(12, 0)),
    (time(14, 0), time(17, 30)),
)
_ZERO = timedelta(0)
_ONE_DAY = timedelta(days=1)

ClockKind = Literal["working", "natural"]


@runtime_checkable
class SlaClock(Protocol):
    """How SLA time is counted: the working calendar or the plain (natural) clock."""

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of counted time has elapsed after ``start``."""
        ...

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Counted time from ``a`` to ``b``; zero when ``b <= a``."""
        ...


def _require_aware(value: datetime, name: str) -> None:
    # A naive datetime has no defined instant; guessing a zone here would shift deadlines by
    # eight hours when a caller passes UTC-naive values, so refuse instead.
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}")


def _require_non_negative(duration: timedelta) -> None:
    if duration < _ZERO:
        raise ValueError(f"duration must not be negative, got {duration!r}")


@dataclass(frozen=True)
class NaturalClock:
    """Plain elapsed time, for urgent categories (积水, 井盖缺失, 燃气泄漏 ...) that run 24/7."""

    tz: ZoneInfo = DEFAULT_TZ

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        _require_aware(start, "start")
        _require_non_negative(duration)
        # Add in UTC: aware arithmetic within one tzinfo is wall-clock arithmetic in Python,
        # which would be wrong across a DST change in a zone that has one.
        return (start.astimezone(UTC) + duration).astimezone(self.tz)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        _require_aware(a, "a")
        _require_aware(b, "b")
        return max(_ZERO, b.astimezone(UTC) - a.astimezone(UTC))


def _validate_periods(periods: tuple[tuple[time, time], ...]) -> None:
    if not periods:
        raise ValueError("a working calendar needs at least one working period")
    previous_end: time | None = None
    for start, end in periods:
        if start.tzinfo is not None or end.tzinfo is not None:
            raise ValueError("working periods are wall-clock times; give naive times")
        if not start < end:
            raise ValueError(f"working period {start}-{end} is empty or reversed")
        if previous_end is not None and start < previous_end:
            raise ValueError("working periods must be sorted and must not overlap")
        previous_end = end


def _parse_dates(values: Iterable[Any], year: int, what: str) -> set[date]:
    parsed: set[date] = set()
    for raw in values:
        day = date.fromisoformat(raw)
        if day.year != year:
            raise ValueError(f"{what} {raw} is listed under year {year}")
        parsed.add(day)
    return parsed


@dataclass(frozen=True)
class WorkingCalendar:
    """Mon-Fri working periods, minus public holidays, plus make-up working days."""

    holidays: frozenset[date]
    make_up_workdays: frozenset[date]
    tz: ZoneInfo = DEFAULT_TZ
    periods: tuple[tuple[time, time], ...] = DEFAULT_PERIODS
    # Years whose arrangement is known. When not given, the years that appear in the dates.
    years: frozenset[int] | None = None
    _day_length: timedelta = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        periods = tuple((start, end) for start, end in self.periods)
        _validate_periods(periods)
        clash = self.holidays & self.make_up_workdays
        if clash:
            raise ValueError(f"dates are both holiday and make-up workday: {sorted(clash)}")
        object.__setattr__(self, "periods", periods)
        if self.years is None:
            covered = {d.year for d in self.holidays | self.make_up_workdays}
            object.__setattr__(self, "years", frozenset(covered))
        length = sum(
            (
                datetime.combine(date.min, end) - datetime.combine(date.min, start)
                for start, end in periods
            ),
            _ZERO,
        )
        object.__setattr__(self, "_day_length", length)

    # -- construction -------------------------------------------------------------------

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> WorkingCalendar:
        """Build from the parsed ``cn-holidays.json`` structure."""
        tz = ZoneInfo(data.get("timezone", "Asia/Shanghai"))
        holidays: set[date] = set()
        make_up: set[date] = set()
        years: set[int] = set()
        for year_key, entry in data["years"].items():
            year = int(year_key)
            years.add(year)
            holidays |= _parse_dates(entry.get("holidays", ()), year, "holiday")
            make_up |= _parse_dates(entry.get("make_up_workdays", ()), year, "make-up workday")
        return cls(frozenset(holidays), frozenset(make_up), tz=tz, years=frozenset(years))

    @classmethod
    def from_file(cls, path: str | os.PathLike[str] | Traversable) -> WorkingCalendar:
        """Read a holiday file in the ``cn-holidays.json`` format."""
        if isinstance(path, str | os.PathLike):
            with open(path, encoding="utf-8") as fh:
                data = json.load(fh)
        else:
            data = json.loads(path.read_text(encoding="utf-8"))
        return cls.from_mapping(data)

    # -- calendar questions --------------------------------------------------------------

    @property
    def day_length(self) -> timedelta:
        """Working time in one full working day (7 h with the default periods)."""
        return self._day_length

    def years_covered(self) -> tuple[int, ...]:
        """Years with a known holiday arrangement, ascending."""
        return tuple(sorted(self.years or ()))

    def covers(self, day: date) -> bool:
        """Whether ``day`` falls in a year whose holiday arrangement is known."""
        return day.year in (self.years or ())

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def is_working_time(self, at: datetime) -> bool:
        """Whether ``at`` lies inside a working period (start inclusive, end exclusive)."""
        _require_aware(at, "at")
        local = at.astimezone(self.tz)
        if not self.is_working_day(local.date()):
            return False
        wall = local.time().replace(tzinfo=None)
        return any(start <= wall < end for start, end in self.periods)

    def working_periods(self, a: datetime, b: datetime) -> list[tuple[datetime, datetime]]:
        """The working periods overlapping ``[a, b)``, whole and in order, as aware instants
        in the calendar's zone. Summing ``min(end, b) - max(start, a)`` over them gives
        ``working_time_between(a, b)``; pages count time left with the same periods."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        found: list[tuple[datetime, datetime]] = []
        if b <= a:
            return found
        lo = a.astimezone(self.tz).replace(tzinfo=None)
        hi = b.astimezone(self.tz).replace(tzinfo=None)
        day = lo.date()
        while day <= hi.date():
            if self.is_working_day(day):
                for period_start, period_end in self.periods:
                    begin = datetime.combine(day, period_start)
                    end = datetime.combine(day, period_end)
                    if end > lo and begin < hi:
                        found.append((begin.replace(tzinfo=self.tz), end.replace(tzinfo=self.tz)))
            day += _ONE_DAY
        return found

    # -- SlaClock --------------------------------------------------------------------------

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The earliest instant by which ``duration`` of working time has elapsed.

        A start outside working hours begins counting at the next working period. A result
        that falls exactly on the end of a period stays there (12:00, 17:30) rather than
        moving to the next period's start, since that is when the time has run out.
        """
        _require_aware(start, "start")
        _require_non_negative(duration)
        local = start.astimezone(self.tz).replace(tzinfo=None)
        if duration == _ZERO:
            return local.replace(tzinfo=self.tz)
        remaining = duration
        day = local.date()
        cursor = local
        while True:
            if self.is_working_day(day):
                day_start = datetime.combine(day, time.min)
                if cursor == day_start and remaining > self._day_length:
                    # A whole working day fits: skip it without walking its periods, so a
                    # long SLA costs O(days) cheap steps.
                    remaining -= self._day_length
                else:
                    for period_start, period_end in self.periods:
                        begin = max(cursor, datetime.combine(day, period_start))
                        end = datetime.combine(day, period_end)
                        if begin >= end:
                            continue
                        available = end - begin
                        if remaining <= available:
                            return (begin + remaining).replace(tzinfo=self.tz)
                        remaining -= available
            day += _ONE_DAY
            cursor = datetime.combine(day, time.min)

    def working_time_between(self, a: datetime, b: datetime) -> timedelta:
        """Working time from ``a`` to ``b``; zero when ``b <= a``."""
        _require_aware(a, "a")
        _require_aware(b, "b")
        if b <= a:
            return _ZERO
        lo = a.astimezone(self.tz).replace(tzinfo=None)
        hi = b.astimezone(self.tz).replace(tzinfo=None)
        total = _ZERO
        day = lo.date()
        last_day = hi.date()
        while day <= last_day:
            if self.is_working_day(day):
                if lo.date() < day < last_day:
                    total += self._day_length
                else:
                    for period_start, period_end in self.periods:
                        begin = max(lo, datetime.combine(day, period_start))
                        end = min(hi, datetime.combine(day, period_end))
                        if end > begin:
                            total += end - begin
            day += _ONE_DAY
        return total


def clock_for(kind: ClockKind, calendar: WorkingCalendar) -> SlaClock:
    """The clock a category's SLA is counted on."""
    if kind == "working":
        return calendar
    if kind == "natural":
        return NaturalClock(tz=calendar.tz)
    raise ValueError(f"unknown SLA clock kind {kind!r}")


def load_default_calendar() -> WorkingCalendar:
    """Read the shipped ``backend/data/cn-holidays.json`` (on every call, never at import)."""
    return WorkingCalendar.from_file(files("backend") / "data" / "cn-holidays.json")
