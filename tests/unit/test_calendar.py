"""Working calendar: exact deadlines across lunch, nights, weekends and the 2026 holidays."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backend.sla.calendar import (
    DEFAULT_PERIODS,
    NaturalClock,
    SlaClock,
    WorkingCalendar,
    clock_for,
    load_default_calendar,
)

SH = ZoneInfo("Asia/Shanghai")
H = timedelta(hours=1)
CAL = load_default_calendar()


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def add(start: datetime, hours: float) -> datetime:
    return CAL.add_working_time(start, timedelta(hours=hours))


# -- the shipped data file -----------------------------------------------------------------


def test_shipped_file_has_the_2026_spring_festival_arrangement() -> None:
    assert CAL.years_covered() == (2025, 2026)
    festival = [date(2026, 2, 15) + timedelta(days=i) for i in range(9)]
    assert festival[-1] == date(2026, 2, 23)
    assert all(d in CAL.holidays for d in festival)
    assert {date(2026, 2, 14), date(2026, 2, 28)} <= CAL.make_up_workdays
    assert CAL.tz == SH


def test_default_calendar_is_read_fresh_on_each_call() -> None:
    first, second = load_default_calendar(), load_default_calendar()
    assert first == second
    assert first is not second


def test_day_length_is_seven_hours() -> None:
    assert CAL.day_length == timedelta(hours=7)
    assert CAL.periods == DEFAULT_PERIODS


# -- is_working_day ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 11, 20), True),  # Friday
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 11, 22), False),  # Sunday
        (date(2026, 2, 14), True),  # make-up Saturday before the Spring Festival
        (date(2026, 2, 16), False),  # Monday inside the festival
        (date(2026, 2, 23), False),  # last festival day, a Monday
        (date(2026, 2, 24), True),  # back to work
        (date(2026, 2, 28), True),  # make-up Saturday after the festival
        (date(2026, 10, 10), True),  # make-up Saturday after National Day
        (date(2026, 10, 1), False),  # National Day, a Thursday
        (date(2025, 1, 26), True),  # 2025 make-up Sunday
    ],
)
def test_is_working_day(day: date, expected: bool) -> None:
    assert CAL.is_working_day(day) is expected


def test_days_after_the_covered_years_are_plain_weeks() -> None:
    # 2027 is not in the file: 1 January 2027 (a Friday) counts as a working day.
    assert not CAL.covers(date(2027, 1, 1))
    assert CAL.covers(date(2026, 12, 31))
    assert CAL.is_working_day(date(2027, 1, 1))
    assert not CAL.is_working_day(date(2027, 1, 2))


# -- add_working_time: exact instants ------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        # inside the morning period
        (at(2026, 11, 24, 9, 30), 1, at(2026, 11, 24, 10, 30)),
        # across lunch: one hour before 12:00, the second from 14:00
        (at(2026, 11, 24, 11), 2, at(2026, 11, 24, 15)),
        # lands exactly on the end of the morning: stays at 12:00, not 14:00
        (at(2026, 11, 24, 11), 1, at(2026, 11, 24, 12)),
        # lands exactly at the end of the day: stays at 17:30
        (at(2026, 11, 24, 17), 0.5, at(2026, 11, 24, 17, 30)),
        # overnight
        (at(2026, 11, 24, 17), 1, at(2026, 11, 25, 9)),
        # a full day from the morning start ends at the same day's close
        (at(2026, 11, 24, 8, 30), 7, at(2026, 11, 24, 17, 30)),
        # weekend: Fri 17:00 + 2 h -> Mon 10:00
        (at(2026, 11, 20, 17), 2, at(2026, 11, 23, 10)),
        # start inside lunch: counting begins at 14:00
        (at(2026, 11, 24, 12, 30), 1, at(2026, 11, 24, 15)),
        # start at the lunch break's first instant
        (at(2026, 11, 24, 12), 0.5, at(2026, 11, 24, 14, 30)),
        # start before work
        (at(2026, 11, 24, 6), 1, at(2026, 11, 24, 9, 30)),
        # start after work
        (at(2026, 11, 24, 20), 1, at(2026, 11, 25, 9, 30)),
        # start on a Saturday
        (at(2026, 11, 21, 10), 1, at(2026, 11, 23, 9, 30)),
        # Spring Festival: Fri before -> make-up Saturday 2026-02-14
        (at(2026, 2, 13, 17), 1, at(2026, 2, 14, 9)),
        # make-up Saturday itself counts
        (at(2026, 2, 14, 9), 2, at(2026, 2, 14, 11)),
        # make-up Saturday evening skips the whole festival to Tue 2026-02-24
        (at(2026, 2, 14, 17), 1, at(2026, 2, 24, 9)),
        # a start inside the festival
        (at(2026, 2, 18, 10), 1, at(2026, 2, 24, 9, 30)),
        # Fri 2026-02-27 evening -> make-up Saturday 2026-02-28
        (at(2026, 2, 27, 17, 30), 1, at(2026, 2, 28, 9, 30)),
        # National Day week 2026-10-01..07, then a normal Thursday 10-08
        (at(2026, 9, 30, 17), 1, at(2026, 10, 8, 9)),
        # three full working days from Monday morning -> Wednesday close
        (at(2026, 11, 23, 8, 30), 21, at(2026, 11, 25, 17, 30)),
        # 70 working hours = 10 working days, from Mon 2026-11-23 09:00 -> Mon 2026-12-07 09:00
        (at(2026, 11, 23, 9), 70, at(2026, 12, 7, 9)),
    ],
)
def test_add_working_time_exact(start: datetime, hours: float, expected: datetime) -> None:
    result = add(start, hours)
    assert result == expected
    assert result.tzinfo == SH


def test_add_zero_returns_start_even_outside_working_hours() -> None:
    start = at(2026, 11, 21, 3)
    assert CAL.add_working_time(start, timedelta(0)) == start


def test_add_working_time_converts_utc_input_and_answers_in_shanghai() -> None:
    start = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)  # 11:00 in Shanghai
    result = CAL.add_working_time(start, 2 * H)
    assert result == at(2026, 11, 24, 15)
    assert result.utcoffset() == timedelta(hours=8)
    assert result.tzinfo == SH


def test_long_durations_skip_whole_days() -> None:
    # 2026 has 248 working days (365 - 104 weekend days - 19 weekday holidays + 6 make-up).
    weekday_holidays = [d for d in CAL.holidays if d.year == 2026 and d.weekday() < 5]
    assert len(weekday_holidays) == 19
    start = at(2026, 1, 1)
    end = CAL.add_working_time(start, 248 * 7 * H)
    assert end == at(2026, 12, 31, 17, 30)
    assert CAL.working_time_between(start, at(2027, 1, 1)) == 248 * 7 * H


def test_naive_datetimes_are_rejected() -> None:
    naive = datetime(2026, 11, 24, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.add_working_time(naive, H)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.working_time_between(naive, at(2026, 11, 25))
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.working_time_between(at(2026, 11, 23), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        NaturalClock().add_working_time(naive, H)
    with pytest.raises(ValueError, match="timezone-aware"):
        CAL.is_working_time(naive)


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="negative"):
        CAL.add_working_time(at(2026, 11, 24, 9), -H)


# -- working_time_between ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (at(2026, 11, 24, 11), at(2026, 11, 24, 15), 2 * H),
        (at(2026, 11, 24, 12, 10), at(2026, 11, 24, 13, 50), timedelta(0)),
        (at(2026, 11, 20, 17), at(2026, 11, 23, 10), 2 * H),
        (at(2026, 11, 21, 0), at(2026, 11, 23, 0), timedelta(0)),  # a plain weekend
        (at(2026, 2, 14, 0), at(2026, 2, 15, 0), 7 * H),  # the make-up Saturday
        (at(2026, 2, 15, 0), at(2026, 2, 24, 0), timedelta(0)),  # the whole festival
        (at(2026, 11, 23, 0), at(2026, 11, 28, 0), 35 * H),  # a normal week
    ],
)
def test_working_time_between_exact(a: datetime, b: datetime, expected: timedelta) -> None:
    assert CAL.working_time_between(a, b) == expected


def test_working_time_between_is_zero_when_reversed() -> None:
    assert CAL.working_time_between(at(2026, 11, 24, 15), at(2026, 11, 24, 9)) == timedelta(0)
    assert CAL.working_time_between(at(2026, 11, 24, 9), at(2026, 11, 24, 9)) == timedelta(0)


def test_is_working_time_boundaries() -> None:
    assert CAL.is_working_time(at(2026, 11, 24, 8, 30))
    assert not CAL.is_working_time(at(2026, 11, 24, 12))
    assert CAL.is_working_time(at(2026, 11, 24, 14))
    assert not CAL.is_working_time(at(2026, 11, 24, 17, 30))
    assert CAL.is_working_time(at(2026, 2, 14, 10))
    assert not CAL.is_working_time(at(2026, 2, 16, 10))


# -- properties against an independent minute-by-minute model -----------------------------


def _minute_model(a: datetime, b: datetime) -> timedelta:
    """Count working minutes in [a, b) one by one, straight from the rules."""
    t = a.astimezone(SH)
    end = b.astimezone(SH)
    minutes = 0
    while t < end:
        d = t.date()
        working_day = d in CAL.make_up_workdays or (d not in CAL.holidays and d.weekday() < 5)
        wall = t.time().replace(tzinfo=None)
        if working_day and (time(8, 30) <= wall < time(12) or time(14) <= wall < time(17, 30)):
            minutes += 1
        t += timedelta(minutes=1)
    return timedelta(minutes=minutes)


_minute_starts = st.datetimes(
    min_value=datetime(2025, 12, 20), max_value=datetime(2027, 1, 10)
).map(lambda d: d.replace(second=0, microsecond=0, tzinfo=SH))
_any_starts = st.datetimes(
    min_value=datetime(2024, 12, 1),
    max_value=datetime(2027, 6, 1),
    timezones=st.sampled_from([SH, UTC]),
)


@settings(max_examples=60, database=None, deadline=None)
@given(start=_minute_starts, minutes=st.integers(min_value=0, max_value=4 * 24 * 60))
def test_working_time_between_matches_minute_model(start: datetime, minutes: int) -> None:
    end = start + timedelta(minutes=minutes)
    assert CAL.working_time_between(start, end) == _minute_model(start, end)


@settings(max_examples=60, database=None, deadline=None)
@given(start=_minute_starts, minutes=st.integers(min_value=1, max_value=3 * 7 * 60))
def test_add_working_time_is_the_earliest_instant(start: datetime, minutes: int) -> None:
    due = CAL.add_working_time(start, timedelta(minutes=minutes))
    assert _minute_model(start, due) == timedelta(minutes=minutes)
    # One minute earlier is not enough: the deadline is not pushed past lunch or night.
    assert _minute_model(start, due - timedelta(minutes=1)) < timedelta(minutes=minutes)


@settings(max_examples=300, database=None, deadline=None)
@given(start=_any_starts, duration=st.timedeltas(min_value=timedelta(0), max_value=800 * H))
def test_round_trip(start: datetime, duration: timedelta) -> None:
    due = CAL.add_working_time(start, duration)
    assert due >= start
    assert CAL.working_time_between(start, due) == duration


# -- construction -----------------------------------------------------------------------------


def test_from_file_and_custom_calendar(tmp_path) -> None:
    path = tmp_path / "h.json"
    path.write_text(
        json.dumps(
            {
                "timezone": "Asia/Shanghai",
                "years": {"2030": {"holidays": ["2030-01-01"], "make_up_workdays": ["2030-01-05"]}},
            }
        ),
        encoding="utf-8",
    )
    cal = WorkingCalendar.from_file(path)
    assert cal.years_covered() == (2030,)
    assert not cal.is_working_day(date(2030, 1, 1))  # a Tuesday holiday
    assert cal.is_working_day(date(2030, 1, 5))  # a make-up Saturday
    assert cal.add_working_time(at(2029, 12, 31, 17), H) == at(2030, 1, 2, 9)
    assert WorkingCalendar.from_file(str(path)) == cal


def test_inconsistent_data_is_rejected() -> None:
    with pytest.raises(ValueError, match="listed under year"):
        WorkingCalendar.from_mapping({"years": {"2026": {"holidays": ["2027-01-01"]}}})
    with pytest.raises(ValueError, match="both holiday and make-up"):
        WorkingCalendar(frozenset({date(2026, 1, 1)}), frozenset({date(2026, 1, 1)}))
    with pytest.raises(ValueError, match="sorted"):
        WorkingCalendar(
            frozenset(), frozenset(), periods=((time(14), time(17)), (time(9), time(12)))
        )
    with pytest.raises(ValueError, match="empty or reversed"):
        WorkingCalendar(frozenset(), frozenset(), periods=((time(12), time(9)),))


def test_custom_periods() -> None:
    cal = WorkingCalendar(frozenset(), frozenset(), periods=((time(9), time(17)),))
    assert cal.day_length == 8 * H
    assert cal.years_covered() == ()
    assert cal.add_working_time(at(2026, 11, 24, 16), 2 * H) == at(2026, 11, 25, 10)


# -- natural clock and clock_for --------------------------------------------------------------


def test_natural_clock_is_plain_time() -> None:
    clock = NaturalClock()
    start = at(2026, 2, 14, 17)
    assert clock.add_working_time(start, 4 * H) == at(2026, 2, 14, 21)
    assert clock.add_working_time(start, 24 * H) == at(2026, 2, 15, 17)
    assert clock.working_time_between(start, at(2026, 2, 16, 17)) == 48 * H
    assert clock.working_time_between(at(2026, 2, 16, 17), start) == timedelta(0)
    utc_result = clock.add_working_time(datetime(2026, 2, 14, 9, tzinfo=UTC), H)
    assert utc_result == at(2026, 2, 14, 18)
    assert utc_result.tzinfo == SH


def test_clock_for() -> None:
    working = clock_for("working", CAL)
    natural = clock_for("natural", CAL)
    assert working is CAL
    assert isinstance(natural, NaturalClock)
    assert isinstance(working, SlaClock) and isinstance(natural, SlaClock)
    start = at(2026, 11, 20, 17)
    assert working.add_working_time(start, 2 * H) == at(2026, 11, 23, 10)
    assert natural.add_working_time(start, 2 * H) == at(2026, 11, 20, 19)
    with pytest.raises(ValueError, match="unknown SLA clock"):
        clock_for("lunar", CAL)  # type: ignore[arg-type]


@settings(max_examples=60, database=None, deadline=None)
@given(start=_any_starts, minutes=st.integers(min_value=1, max_value=40 * 24 * 60))
def test_working_periods_clipped_sum_to_working_time(start: datetime, minutes: int) -> None:
    # The pages count time left from these periods; they must agree with the planner.
    end = start + timedelta(minutes=minutes)
    periods = CAL.working_periods(start, end)
    clipped = sum((min(b, end) - max(a, start) for a, b in periods), timedelta(0))
    assert clipped == CAL.working_time_between(start, end)
    assert all(a < b <= c for (a, b), (c, _) in pairwise(periods))
    assert all(b > start and a < end for a, b in periods)  # each overlaps the window
    assert all(CAL.is_working_time(a) for a, _ in periods)


def test_working_periods_of_an_empty_window() -> None:
    assert CAL.working_periods(at(2026, 11, 23, 10), at(2026, 11, 23, 10)) == []
