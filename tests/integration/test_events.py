"""Reporting: case numbers, duplicates, SLA due times on the working calendar, sla_state."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from tests.integration.demo import grid_point
from tests.integration.flows import dept_org_id, drive_to, report

SH = ZoneInfo("Asia/Shanghai")


def _at(s: str) -> datetime:
    return datetime.fromisoformat(s)


async def test_case_numbers_are_daily_sequences(api, clock) -> None:
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=SH)
    a = await report(api)
    b = await report(api)
    assert a["case_no"] == "HS20261124000001"
    assert b["case_no"] == "HS20261124000002"
    # 23:59 UTC is already the next day in Shanghai.
    clock.now = datetime(2026, 11, 24, 16, 30, tzinfo=ZoneInfo("UTC"))
    c = await report(api)
    assert c["case_no"] == "HS20261125000001"
    assert re.fullmatch(r"HS\d{8}\d{6}", c["case_no"])


async def test_possible_duplicates_are_nearby_same_category_open_events(api) -> None:
    p = grid_point(1)
    first = await report(api, location={**p})
    near = {"lat": p["lat"] + 0.0002, "lng": p["lng"]}  # about 22 m north
    far = {"lat": p["lat"] + 0.002, "lng": p["lng"]}  # about 220 m
    second = await report(api, location=near)
    assert [d["id"] for d in second["possible_duplicates"]] == [first["id"]]
    assert 15 < second["possible_duplicates"][0]["distance_m"] < 30
    assert (await report(api, location=far))["possible_duplicates"] == []
    other = await report(api, category="graffiti", location=near)
    assert other["possible_duplicates"] == []
    # Nearest first.
    third = await report(api, location={"lat": p["lat"] + 0.0001, "lng": p["lng"]})
    assert [d["id"] for d in third["possible_duplicates"]] == [first["id"], second["id"]]


async def test_closed_events_are_not_duplicates(api) -> None:
    closed = await drive_to(api, "cancelled")
    loc = closed["location"]
    again = await report(api, location={"lat": loc["lat"], "lng": loc["lng"]})
    assert again["possible_duplicates"] == []


async def test_working_clock_due_time_skips_nights_and_weekends(api, clock) -> None:
    # Friday 2026-11-20 16:00; garbage_exposed grade 4 allows 8 working hours:
    # 1.5 h on Friday, then Monday 08:30-12:00 (3.5 h) and 14:00-17:00 (3 h).
    clock.now = datetime(2026, 11, 20, 16, 0, tzinfo=SH)
    event = await drive_to(api, "registered")
    r = await api.act("street01a", event["id"], "dispatch", org_id=await dept_org_id(api))
    assert r.status_code == 200
    assert _at(r.json()["due_at"]) == datetime(2026, 11, 23, 17, 0, tzinfo=SH)
    assert r.json()["sla_state"] == "normal"


async def test_natural_clock_due_time_counts_plain_hours(api, clock) -> None:
    # cable_hanging is an urgent hazard on the natural clock: grade 1 allows 1 hour.
    clock.now = datetime(2026, 11, 21, 23, 30, tzinfo=SH)  # a Saturday night
    event = await report(api, category="cable_hanging", grade=1)
    await api.act("street01a", event["id"], "accept")
    water = await dept_org_id(api, "dept-cgzf")
    r = await api.act("street01a", event["id"], "dispatch", org_id=water)
    assert _at(r.json()["due_at"]) == datetime(2026, 11, 22, 0, 30, tzinfo=SH)


async def test_dispatch_over_the_spring_festival(api, clock) -> None:
    # Friday 2026-02-13 17:00; 1 working hour of grade 1 lands on the make-up Saturday.
    clock.now = datetime(2026, 2, 13, 17, 0, tzinfo=SH)
    event = await report(api, grade=1)
    await api.act("street01a", event["id"], "accept")
    r = await api.act("street01a", event["id"], "dispatch", org_id=await dept_org_id(api))
    assert _at(r.json()["due_at"]) == datetime(2026, 2, 14, 9, 0, tzinfo=SH)


async def test_sla_state_follows_elapsed_working_time(api, clock) -> None:
    clock.now = datetime(2026, 11, 23, 8, 30, tzinfo=SH)  # Monday morning
    event = await drive_to(api, "registered")
    r = await api.act("street01a", event["id"], "dispatch", org_id=await dept_org_id(api))
    # 8 working hours from Monday 08:30: 3.5 h + 3.5 h on Monday, 1 h on Tuesday → 09:30.
    # The warning comes at 80 % = 6 h 24 min: Monday 14:00 + 2 h 54 min = 16:54.
    assert _at(r.json()["due_at"]) == datetime(2026, 11, 24, 9, 30, tzinfo=SH)

    async def state() -> str:
        got = await api.get("dept01a", f"/events/{event['id']}")
        return got.json()["sla_state"]  # type: ignore[no-any-return]

    clock.now = datetime(2026, 11, 23, 16, 53, tzinfo=SH)
    assert await state() == "normal"
    clock.now = datetime(2026, 11, 23, 16, 54, tzinfo=SH)
    assert await state() == "warning"
    clock.now = datetime(2026, 11, 24, 9, 30, tzinfo=SH)  # due, not yet past it
    assert await state() == "warning"
    clock.now = datetime(2026, 11, 24, 9, 31, tzinfo=SH)
    assert await state() == "overdue"
    listed = await api.get("dept01a", "/events?sla_state=overdue")
    assert [e["id"] for e in listed.json()["items"]] == [event["id"]]
    assert (await api.get("dept01a", "/events?sla_state=normal")).json()["items"] == []
