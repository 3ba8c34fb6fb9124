"""Who hears about which event action (kinds, recipients, priority, duty rosters)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from tests.integration.flows import dept_org_id, drive_to, upload


async def _kinds(api: Any, user: str) -> list[tuple[str, str]]:
    r = await api.get(user, "/notifications")
    assert r.status_code == 200, r.text
    return [(n["kind"], n["priority"]) for n in reversed(r.json()["items"])]


async def test_each_action_reaches_the_right_people(api: Any, notify_kit: Any, clock: Any) -> None:
    event = await drive_to(api, "handling")
    eid = event["id"]
    photo = await upload(api, "dept01a")
    for user, action, body in [
        ("dept01a", "request_extension", {"hours": 4, "reason": "需要协调"}),
        ("street01a", "decide_extension", {"approve": True, "note": "同意"}),
        ("street01a", "supervise", {"note": "请尽快处理"}),
        ("street01a", "escalate", {"reason": "跨部门"}),
        ("dept01a", "report", {"note": "已清理完毕", "media_ids": [photo]}),
    ]:
        clock.advance(minutes=1)  # the centre lists newest first
        r = await api.act(user, eid, action, **body)
        assert r.status_code == 200, (action, r.text)
    # dept01a acted on the dispatch's follow-ups itself, so it hears the others only.
    assert await _kinds(api, "dept01a") == [
        ("event_assigned", "normal"),
        ("extension_decided", "normal"),
        ("supervised", "normal"),
    ]
    assert await _kinds(api, "dept01b") == [
        ("event_assigned", "normal"),
        ("supervised", "normal"),
    ]
    for district in ("district01", "district02"):
        assert await _kinds(api, district) == [("escalated", "high")]
    assert await _kinds(api, "grid001") == [("event_handled", "normal")]
    assert await _kinds(api, "street01a") == []
    r = await api.get("dept01a", "/notifications")
    (decided,) = [n for n in r.json()["items"] if n["kind"] == "extension_decided"]
    assert decided["title"] == f"延期申请已批准 {event['case_no']}"
    assert decided["body"] == "延期 4 小时已批准: 同意"


async def test_return_tells_the_street_dispatchers(api: Any, notify_kit: Any) -> None:
    event = await drive_to(api, "dispatched")
    r = await api.act("dept01b", event["id"], "return", reason="不属于本部门职责")
    assert r.status_code == 200
    for user in ("street01a", "street01b"):
        r = await api.get(user, "/notifications")
        (note,) = r.json()["items"]
        assert note["kind"] == "event_returned"
        assert note["body"] == "退回原因: 不属于本部门职责"
    assert [k for k, _ in await _kinds(api, "street02a")] == []


async def test_an_org_with_a_duty_roster_is_told_through_whoever_is_on_duty(
    api: Any, notify_kit: Any, clock: Any
) -> None:
    clock.now = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 10:00 in Wuhan: the day shift
    dept = await dept_org_id(api)
    on_duty = await notify_kit.user_id("dept01b")
    r = await api.client.put(
        "/api/v1/duty/rosters",
        json=[{"org_id": dept, "date": "2026-11-24", "shift": "day", "user_ids": [on_duty]}],
        headers=await api.headers("admin"),
    )
    assert r.status_code == 200, r.text
    await drive_to(api, "dispatched")
    assert await _kinds(api, "dept01b") == [("event_assigned", "normal")]
    assert await _kinds(api, "dept01a") == []
