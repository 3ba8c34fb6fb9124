"""Incidents (战时): declaring opens an `incident` room with the plan's departments and the
officials and sends one high-priority `incident_declared` to each on-duty department
member and official; the active list; closing archives the room."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from backend.incidents.plans import PLANS
from tests.integration.demo import demo
from tests.integration.flows import dept_org_id
from tests.integration.rooms_helpers import me, notes, put_roster

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai")).astimezone(UTC)


async def _ids(api: Any, *users: str) -> list[str]:
    return [await me(api, u) for u in users]


async def _active(api: Any, user: str, active: str = "true") -> list[str]:
    r = await api.get(user, "/incidents", params={"active": active})
    assert r.status_code == 200, r.text
    return [i["id"] for i in r.json()]


async def test_declaring_opens_the_room_and_alerts_on_duty_staff_and_officials(
    api: Any, app: Any, clock: Any
) -> None:
    clock.now = T0
    yjgl = await dept_org_id(api, "dept-yjgl")
    d07a, d07b, l1, l2, dis = await _ids(
        api, "dept07a", "dept07b", "leader01", "leader02", "district01"
    )
    await put_roster(api, yjgl, "2026-11-24", "day", [d07a], None)

    body = {"title": "珞喻路燃气管道泄漏", "level": 2}
    headers = {"Idempotency-Key": "incident-1"}
    r = await api.post("district01", "/incidents", body, headers=headers)
    assert r.status_code == 201, r.text
    inc = r.json()
    assert (inc["plan_code"], inc["department_org_ids"], inc["status"]) == (
        "general",
        [yjgl],
        "active",
    )
    again = await api.post("district01", "/incidents", body, headers=headers)
    assert (again.status_code, again.json(), again.headers["Idempotent-Replayed"]) == (
        201,
        inc,
        "true",
    )

    r = await api.get("leader01", f"/rooms/{inc['room_id']}")
    assert r.status_code == 200, r.text
    room = r.json()
    assert (room["kind"], room["status"], room["member_org_ids"]) == ("incident", "active", [yjgl])
    roles = {m["user_id"]: m["role"] for m in room["members"]}
    assert {d07a, d07b, l1, l2, dis} <= set(roles) and roles[dis] == "owner"
    assert inc["member_count"] == len(roles)

    # One alert each to whoever is on duty in the plan's departments and to the officials;
    # not to the off-duty colleague, not to the declarer.
    alerts = await notes(app, "incident_declared")
    assert Counter(n.user_id for n in alerts) == {d07a: 1, l1: 1, l2: 1}
    assert {(n.priority, n.data["room_id"], n.data["incident_id"]) for n in alerts} == {
        ("high", inc["room_id"], inc["id"])
    }

    # A plan of several departments, no rosters: each department's active users.
    clock.advance(minutes=1)
    r = await api.post(
        "leader01", "/incidents", {"title": "暴雨内涝", "level": 1, "plan_code": "flood"}
    )
    assert r.status_code == 201, r.text
    flood = r.json()
    assert len(flood["department_org_ids"]) == len(PLANS["flood"].departments)
    # (dept-yjgl has a roster: only dept07a there.)
    dept_users = [
        u.username
        for u in demo().users
        if u.org_code in PLANS["flood"].departments and u.username != "dept07b"
    ]
    expected = Counter(await _ids(api, *dept_users, "leader02"))
    alerts = [
        n for n in await notes(app, "incident_declared") if n.data["incident_id"] == flood["id"]
    ]
    assert Counter(n.user_id for n in alerts) == expected

    for user, expect in (
        ("district02", [flood["id"], inc["id"]]),
        ("leader02", [flood["id"], inc["id"]]),
        ("dept07b", [flood["id"], inc["id"]]),  # dept-yjgl is in both plans
        ("dept01b", [flood["id"]]),  # dept-cgzf only in the flood plan
        ("street01a", []),
    ):
        assert await _active(api, user) == expect, user

    refusals = [
        ("street01a", {"title": "x", "level": 3}, 403),
        ("dept07a", {"title": "x", "level": 3}, 403),
        ("district01", {"title": "x", "level": 3, "plan_code": "meteor"}, 422),
        ("district01", {"title": "x", "level": 5}, 400),
    ]
    for user, payload, status in refusals:
        r = await api.post(user, "/incidents", payload)
        assert r.status_code == status, (user, payload, r.text)
    r = await api.get("district01", "/incidents")
    assert len(r.json()) == 2


async def test_closing_archives_the_room(api: Any) -> None:
    r = await api.post("district01", "/incidents", {"title": "大型活动保障", "level": 4})
    assert r.status_code == 201, r.text
    inc = r.json()
    path = f"/incidents/{inc['id']}/close"
    for user, status in (("dept07a", 403), ("street01a", 404)):  # a member; not one
        r = await api.post(user, path)
        assert r.status_code == status, (user, r.text)
    assert await _active(api, "district01") == [inc["id"]]

    r = await api.post("leader02", path)
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["closed_at"] is not None) == ("closed", True)
    r = await api.post("district01", path)  # again: still closed, no error
    assert (r.status_code, r.json()["status"]) == (200, "closed")
    assert await _active(api, "district01") == []
    assert await _active(api, "district01", "false") == [inc["id"]]
    r = await api.get("dept07a", f"/rooms/{inc['room_id']}")
    assert r.json()["status"] == "archived"
    body = {"client_msg_id": "late", "kind": "text", "text": "收到"}
    r = await api.post("dept07a", f"/rooms/{inc['room_id']}/messages", body)
    assert (r.status_code, r.json()["code"]) == (409, "room_archived")
