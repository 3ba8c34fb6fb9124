"""GET /calendar/working-periods: the SLA planner's calendar, as the pages count with it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.sla.calendar import load_default_calendar

SH = ZoneInfo("Asia/Shanghai")
PATH = "/calendar/working-periods"


async def _periods(api: Any, start: str, end: str, user: str = "dept01a") -> list[tuple[str, str]]:
    r = await api.get(user, PATH, params={"from": start, "to": end})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["timezone"] == "Asia/Shanghai"
    return [(p["start"], p["end"]) for p in body["periods"]]


def _day(d: str) -> list[tuple[str, str]]:
    return [
        (f"{d}T08:30:00+08:00", f"{d}T12:00:00+08:00"),
        (f"{d}T14:00:00+08:00", f"{d}T17:30:00+08:00"),
    ]


async def test_lunch_break_splits_the_day_and_periods_are_whole(api) -> None:
    # 11:00-15:00 overlaps both periods; both come back whole, the lunch break is not counted.
    got = await _periods(api, "2026-11-23T11:00:00+08:00", "2026-11-23T15:00:00+08:00")
    assert got == _day("2026-11-23")
    # The same window in UTC gives the same instants.
    assert await _periods(api, "2026-11-23T03:00:00Z", "2026-11-23T07:00:00Z") == got
    # Entirely inside the lunch break: nothing.
    assert await _periods(api, "2026-11-23T12:00:00+08:00", "2026-11-23T14:00:00+08:00") == []


async def test_weekend_holidays_and_make_up_days(api) -> None:
    # National Day 2026: Wed 30 Sep works, 1-7 Oct are holidays, Thu 8 and Fri 9 Oct work,
    # Sat 10 Oct is a make-up working day (调休上班), Sun 11 Oct is off.
    got = await _periods(api, "2026-09-30T00:00:00+08:00", "2026-10-12T00:00:00+08:00")
    assert got == _day("2026-09-30") + _day("2026-10-08") + _day("2026-10-09") + _day("2026-10-10")
    # An ordinary weekend has no periods.
    assert await _periods(api, "2026-11-21T00:00:00+08:00", "2026-11-23T00:00:00+08:00") == []


async def test_periods_sum_to_the_planners_working_time(api) -> None:
    calendar = load_default_calendar()
    start = datetime(2026, 2, 10, 9, 15, tzinfo=SH)  # crosses Spring Festival and 14 Feb
    end = start + timedelta(days=30)
    got = await _periods(api, start.isoformat(), end.isoformat())
    total = sum(
        (
            min(end, datetime.fromisoformat(b)) - max(start, datetime.fromisoformat(a))
            for a, b in got
        ),
        timedelta(0),
    )
    assert total == calendar.working_time_between(start, end)
    assert ("2026-02-14T08:30:00+08:00", "2026-02-14T12:00:00+08:00") in got


async def test_any_role_may_read_it(api) -> None:
    for user in ("street01a", "district01", "dept01a"):
        assert await _periods(api, "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", user)


async def test_anonymous_is_refused(client) -> None:
    r = await client.get(
        f"/api/v1{PATH}", params={"from": "2026-11-23T00:00:00Z", "to": "2026-11-24T00:00:00Z"}
    )
    assert r.status_code == 401


@pytest.mark.parametrize(
    "params",
    [
        {"from": "2026-11-24T00:00:00Z", "to": "2026-11-23T00:00:00Z"},  # reversed
        {"from": "2026-11-23T00:00:00Z", "to": "2026-11-23T00:00:00Z"},  # empty
        {"from": "2026-01-01T00:00:00Z", "to": "2026-03-05T00:00:00Z"},  # 63 days
        {"from": "2026-11-23T00:00:00", "to": "2026-11-24T00:00:00Z"},  # no offset
        {"from": "yesterday", "to": "2026-11-24T00:00:00Z"},
        {"from": "2026-13-01T00:00:00Z", "to": "2026-11-24T00:00:00Z"},
        {"from": "0.5", "to": "2026-11-24T00:00:00Z"},
        {"to": "2026-11-24T00:00:00Z"},  # missing
        {"from": "2026-11-23T00:00:00Z"},
    ],
)
async def test_bad_windows_are_problems(api, params) -> None:
    r = await api.get("dept01a", PATH, params=params)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "validation_failed"


async def test_the_answer_may_be_cached(api) -> None:
    r = await api.get(
        "dept01a", PATH, params={"from": "2026-11-23T00:00:00Z", "to": "2026-11-24T00:00:00Z"}
    )
    assert "max-age" in r.headers["cache-control"]
