"""Notifications: devices, the in-app centre, quiet hours, muting, reach, commit semantics."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.errors import ProblemError
from tests.integration.flows import dept_org_id, drive_to

# 23:00 in Wuhan (UTC+8): inside quiet hours 22:00-07:00.
LATE_EVENING = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
QUIET = {"quiet_hours": {"start": "22:00", "end": "07:00"}, "muted_kinds": []}


async def _items(api: Any, user: str, query: str = "") -> dict[str, Any]:
    r = await api.get(user, f"/notifications{query}")
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def _prefs(api: Any, user: str, body: dict[str, Any]) -> None:
    headers = await api.headers(user)
    r = await api.client.put("/api/v1/me/preferences", json=body, headers=headers)
    assert r.status_code == 200, r.text


async def test_devices_register_move_between_users_and_sign_out(notify_kit: Any, api: Any) -> None:
    body = {"token": "tok-shared-phone", "platform": "android", "app_version": "3.2.0"}
    r = await api.post("dept01a", "/devices", body)
    assert r.status_code == 201 and r.json()["active"] is True
    assert (await api.post("dept01a", "/devices", body)).status_code == 200
    # A push waiting out dept01a's quiet hours when the phone changes hands...
    notify_kit.ctx.clock.now = LATE_EVENING
    await _prefs(api, "dept01a", QUIET)
    await notify_kit.notify(["dept01a"])
    r = await api.post("dept01b", "/devices", body)
    assert r.status_code == 200
    # ...is never shown to the phone's new user.
    (held,) = await notify_kit.deliveries()
    assert (held.state, held.last_error) == ("skipped", "device moved to another user")
    notify_kit.ctx.clock.now = LATE_EVENING + timedelta(hours=9)
    assert await notify_kit.relay.drain() == 0
    await notify_kit.notify(["dept01b"])
    assert [m.token for m in notify_kit.sender.sent] == ["tok-shared-phone"]
    # Only the current owner may sign the device out; for anyone else it does not exist.
    r = await api.client.delete(
        "/api/v1/devices/tok-shared-phone", headers=await api.headers("dept01a")
    )
    assert r.status_code == 404
    r = await api.client.delete(
        "/api/v1/devices/tok-shared-phone", headers=await api.headers("dept01b")
    )
    assert r.status_code == 204
    await notify_kit.notify(["dept01b"])
    assert len(notify_kit.sender.sent) == 1
    assert len(await notify_kit.deliveries()) == 2  # none for the signed-out device
    bad = await api.post("dept01a", "/devices", {**body, "platform": "symbian"})
    assert bad.status_code == 400


async def test_dispatch_tells_the_assignee_org_once_per_device(notify_kit: Any, api: Any) -> None:
    await notify_kit.device("dept01a", "tok-a")
    await notify_kit.device("dept01b", "tok-b")
    await notify_kit.device("street01a", "tok-dispatcher")
    event = await drive_to(api, "dispatched")
    await notify_kit.relay.wait_idle()
    # One push, to these two devices; the dispatcher who acted hears nothing.
    assert sorted(m.token for m in notify_kit.sender.sent) == ["tok-a", "tok-b"]
    for user in ("dept01a", "dept01b"):
        (note,) = (await _items(api, user))["items"]
        assert note["kind"] == "event_assigned"
        assert event["case_no"] in note["title"]
        assert note["data"] == {"event_id": event["id"], "case_no": event["case_no"]}
        assert note["read_at"] is None
    assert (await _items(api, "street01a"))["items"] == []
    pushed = notify_kit.sender.sent[0]
    assert pushed.collapse_key == f"event_assigned:{event['id']}"
    assert pushed.data["notification_id"]


async def test_a_rolled_back_change_sends_nothing(notify_kit: Any, api: Any) -> None:
    await notify_kit.device("dept01a", "tok-a")
    heard: list[tuple[str, dict[str, Any]]] = []
    notify_kit.service.live_listeners.append(lambda user, wire: heard.append((user, wire)))
    event = await drive_to(api, "registered")

    async def fail_after_notify(session: Any, outcome: Any, now: datetime) -> None:
        if outcome.action == "dispatch":
            raise ProblemError(409, "conflict", "a later step of the change failed")

    # Runs after the notify hook has written its rows, inside the same transaction.
    notify_kit.ctx.events.hooks.action.append(fail_after_notify)
    r = await api.act("street01a", event["id"], "dispatch", org_id=await dept_org_id(api))
    assert r.status_code == 409
    await notify_kit.relay.wait_idle()
    assert notify_kit.sender.sent == []
    assert heard == []
    assert (await _items(api, "dept01a"))["items"] == []
    assert await notify_kit.deliveries() == []


async def test_quiet_hours_hold_normal_pushes_until_they_end(
    notify_kit: Any, api: Any, clock: Any
) -> None:
    clock.now = LATE_EVENING
    await notify_kit.device("dept01a", "tok-a")
    await _prefs(api, "dept01a", QUIET)
    await notify_kit.notify(["dept01a"], kind="supervised")
    assert notify_kit.sender.sent == []
    # High priority does not wait; the in-app centre has both at once.
    await notify_kit.notify(["dept01a"], kind="escalated", priority="high")
    assert [m.kind for m in notify_kit.sender.sent] == ["escalated"]
    assert (await _items(api, "dept01a"))["unread_count"] == 2
    clock.advance(hours=7, minutes=59)  # 06:59 in Wuhan
    assert await notify_kit.relay.drain() == 0
    clock.advance(minutes=1)  # 07:00
    assert await notify_kit.relay.drain() == 1
    assert [m.kind for m in notify_kit.sender.sent] == ["escalated", "supervised"]


async def test_muted_kinds_are_in_app_only_unless_high_priority(notify_kit: Any, api: Any) -> None:
    await notify_kit.device("dept01a", "tok-a")
    await _prefs(api, "dept01a", {"quiet_hours": None, "muted_kinds": ["supervised"]})
    await notify_kit.notify(["dept01a"], kind="supervised")
    await notify_kit.notify(["dept01a"], kind="event_assigned")
    await notify_kit.notify(["dept01a"], kind="supervised", priority="high")
    assert [(m.kind, m.priority) for m in notify_kit.sender.sent] == [
        ("event_assigned", "normal"),
        ("supervised", "high"),
    ]
    assert (await _items(api, "dept01a"))["unread_count"] == 3
    states = sorted((d.state, d.last_error) for d in await notify_kit.deliveries())
    assert states == [
        ("delivered", None),
        ("delivered", None),
        ("skipped", "muted kind supervised"),
    ]


async def test_harmony_and_web_devices_get_the_in_app_copy_only(notify_kit: Any, api: Any) -> None:
    await notify_kit.device("dept01a", "tok-android")
    await notify_kit.device("dept01a", "tok-harmony", platform="harmony")
    await notify_kit.device("dept01a", "tok-web", platform="web")
    (note_id,) = await notify_kit.notify(["dept01a"])
    # No provider call for them at all, so no failed attempt either.
    assert [m.token for m, _ in notify_kit.sender.results] == ["tok-android"]
    r = await api.get("admin", f"/notifications/{note_id}/deliveries")
    view = sorted((d["platform"], d["state"], len(d["attempts"])) for d in r.json())
    assert view == [("android", "delivered", 1), ("harmony", "skipped", 0), ("web", "skipped", 0)]
    assert (await api.get("dept01a", f"/notifications/{note_id}/deliveries")).status_code == 403


async def test_list_pages_newest_first_and_marks_read(
    notify_kit: Any, api: Any, clock: Any
) -> None:
    ids = []
    for title in ("一", "二", "三"):
        ids += await notify_kit.notify(["dept01a"], title=title)
        clock.advance(minutes=1)
    page = await _items(api, "dept01a", "?limit=2")
    assert [n["title"] for n in page["items"]] == ["三", "二"]
    assert page["unread_count"] == 3
    rest = await _items(api, "dept01a", f"?limit=2&cursor={page['next_cursor']}")
    assert [n["title"] for n in rest["items"]] == ["一"] and rest["next_cursor"] is None
    r = await api.post("dept01a", f"/notifications/{ids[0]}/read")
    assert r.status_code == 200 and r.json()["read_at"] is not None
    clock.advance(minutes=5)
    again = await api.post("dept01a", f"/notifications/{ids[0]}/read")
    assert again.json()["read_at"] == r.json()["read_at"]
    assert (await api.post("dept01b", f"/notifications/{ids[1]}/read")).status_code == 404
    assert [n["title"] for n in (await _items(api, "dept01a", "?unread=true"))["items"]] == [
        "三",
        "二",
    ]
    r = await api.post("dept01a", "/notifications/read-all")
    assert r.json() == {"marked": 2}
    assert (await _items(api, "dept01a", "?unread=true"))["items"] == []
    assert (await _items(api, "dept01a"))["unread_count"] == 0


async def test_live_listeners_hear_each_user_after_commit(notify_kit: Any) -> None:
    heard: list[tuple[str, dict[str, Any]]] = []
    notify_kit.service.live_listeners.append(lambda user, wire: heard.append((user, wire)))
    ids = await notify_kit.notify(["dept01a", "dept01b", "dept01a"], data={"room_id": "r1"})
    assert [user for user, _ in heard] == [
        await notify_kit.user_id("dept01a"),
        await notify_kit.user_id("dept01b"),
    ]
    assert [wire["id"] for _, wire in heard] == ids
    assert heard[0][1]["data"] == {"room_id": "r1"}
    assert isinstance(heard[0][1]["created_at"], str)


async def test_stale_devices_are_dropped_after_270_days(
    notify_kit: Any, api: Any, clock: Any
) -> None:
    from backend.notify.jobs import device_cleanup

    await notify_kit.device("dept01a", "tok-old")
    clock.advance(days=200)
    await notify_kit.device("dept01b", "tok-recent")
    clock.advance(days=71)
    await device_cleanup(notify_kit.ctx)
    await notify_kit.notify(["dept01a", "dept01b"])
    assert [m.token for m in notify_kit.sender.sent] == ["tok-recent"]
