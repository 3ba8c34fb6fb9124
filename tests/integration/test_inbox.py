"""Inbox tasks follow the lifecycle; offline sync returns upserts and removals."""

from __future__ import annotations

from typing import Any

from tests.integration.flows import body_for, drive_to, report


async def kinds(api: Any, user: str, event_id: str | None = None) -> list[str]:
    r = await api.get(user, "/inbox")
    assert r.status_code == 200, r.text
    return sorted(
        t["kind"]
        for t in r.json()["items"]
        if event_id is None or (t["event"] or {}).get("id") == event_id
    )


async def test_each_status_opens_the_right_task_for_the_right_people(api) -> None:
    event = await report(api)
    eid = event["id"]
    assert await kinds(api, "street01a", eid) == ["triage"]
    assert await kinds(api, "street01b", eid) == ["triage"]  # every dispatcher of the street
    assert await kinds(api, "street02a", eid) == []
    steps = [
        ("street01a", "accept", {"street01a": ["dispatch"]}),
        ("street01a", "dispatch", {"dept01a": ["handle"], "dept01b": ["handle"], "street01a": []}),
        ("dept01a", "start", {"dept01a": ["handle"]}),
        ("dept01a", "request_extension", {"street01a": ["extension"], "dept01a": ["handle"]}),
        ("street01a", "decide_extension", {"street01a": [], "dept01a": ["handle"]}),
        ("dept01a", "report", {"dept01a": [], "grid001": ["verify"]}),
        ("grid001", "verify", {"grid001": [], "street01a": ["close"]}),
        ("street01a", "close", {"street01a": [], "grid001": ["visit"]}),
        ("grid001", "visit", {"grid001": []}),
    ]
    for user, action, expected in steps:
        r = await api.act(user, eid, action, **await body_for(api, user, action))
        assert r.status_code == 200, (action, r.text)
        for who, want in expected.items():
            assert await kinds(api, who, eid) == want, (action, who)


async def test_handle_task_carries_the_due_time(api) -> None:
    event = await drive_to(api, "dispatched")
    items = (await api.get("dept01a", "/inbox")).json()["items"]
    (task,) = [t for t in items if t["event"]["id"] == event["id"]]
    assert task["due_at"] == event["due_at"]
    assert task["sla_state"] == "normal"
    assert task["event"]["case_no"] == event["case_no"]


async def test_verification_goes_to_a_worker_who_did_not_report(api) -> None:
    # Grid 005 has two workers: grid005 reports, grid005b verifies.
    event = await report(api, "grid005", grid=5)
    eid = event["id"]
    await api.act("district01", eid, "accept")
    await api.act("district01", eid, "dispatch", **await body_for(api, "district01", "dispatch"))
    await api.act("dept01a", eid, "start")
    await api.act("dept01a", eid, "report", **await body_for(api, "dept01a", "report"))
    assert await kinds(api, "grid005b", eid) == ["verify"]
    assert await kinds(api, "grid005", eid) == []


async def test_a_returned_case_is_removed_from_the_department(api) -> None:
    event = await drive_to(api, "dispatched")
    first = (await api.get("dept01a", "/inbox/sync")).json()
    assert [t["event"]["id"] for t in first["upserts"]] == [event["id"]]
    assert first["has_more"] is False
    await api.act("dept01a", event["id"], "return", reason="不属于本部门")
    r = await api.get("dept01a", f"/inbox/sync?cursor={first['cursor']}")
    later = r.json()
    assert later["upserts"] == []
    assert later["removed"] == [first["upserts"][0]["id"]]
    again = (await api.get("dept01a", f"/inbox/sync?cursor={later['cursor']}")).json()
    assert again == {**again, "upserts": [], "removed": [], "has_more": False}


async def test_a_cursor_from_another_user_is_refused(api) -> None:
    await drive_to(api, "reported")
    mine = (await api.get("street01a", "/inbox/sync")).json()["cursor"]
    r = await api.get("street01b", f"/inbox/sync?cursor={mine}")
    assert r.status_code == 400
    assert r.json()["code"] == "validation_failed"
    assert (await api.get("street01a", "/inbox/sync?cursor=garbage")).status_code == 400


async def test_sync_pages_with_has_more(api) -> None:
    for _ in range(5):
        await report(api)
    seen: list[str] = []
    cursor = None
    while True:
        path = "/inbox/sync?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get("street01a", path)).json()
        assert len(page["upserts"]) <= 2
        seen += [t["id"] for t in page["upserts"]]
        cursor = page["cursor"]
        if not page["has_more"]:
            break
    inbox = (await api.get("street01a", "/inbox")).json()["items"]
    assert sorted(seen) == sorted(t["id"] for t in inbox)
    assert len(seen) == 5
