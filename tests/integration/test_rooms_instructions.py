"""Instructions (指令) in rooms: targets (users, orgs resolved to their on-duty staff), the
`instruction` inbox task per target, acknowledgements over HTTP and the socket, the
reminder sweep and its escalation, mentions and live notification frames."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.rooms.jobs import instruction_sweep
from tests.integration.flows import dept_org_id
from tests.integration.rooms_helpers import me, notes, put_roster
from tests.integration.wsclient import connect

TZ = ZoneInfo("Asia/Shanghai")
# 10:00 on a Tuesday, Shanghai: inside the day shift, with hours to spare.
T0 = datetime(2026, 11, 24, 10, 0, tzinfo=TZ).astimezone(UTC)
DAY = "2026-11-24"


async def _room(api: Any, users: list[str], org_ids: list[str]) -> str:
    ids = [await me(api, u) for u in users]
    body = {
        "title": "联勤联动 · 指令",
        "kind": "joint_operation",
        "member_user_ids": ids,
        "member_org_ids": org_ids,
    }
    r = await api.post("district01", "/rooms", body)
    assert r.status_code == 201, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


async def _instruct(api: Any, room: str, cid: str, **body: Any) -> Any:
    payload = {"client_msg_id": cid, "kind": "instruction", "text": "请立即到场处置", **body}
    return await api.post("district01", f"/rooms/{room}/messages", payload)


async def _tasks(api: Any, username: str) -> list[tuple[str, int]]:
    r = await api.get(username, "/inbox")
    assert r.status_code == 200, r.text
    return [
        (t["room_id"], t["message_seq"]) for t in r.json()["items"] if t["kind"] == "instruction"
    ]


async def _both(ws: Any, *ops: str) -> dict[str, dict[str, Any]]:
    """The next frame of each op, whatever order they come in."""
    got: dict[str, dict[str, Any]] = {}
    async with asyncio.timeout(10):
        while len(got) < len(ops):
            frame = await ws.recv()
            if frame["op"] in ops and frame["op"] not in got:
                got[frame["op"]] = frame
    return got


async def test_targets_get_a_task_and_a_push_and_an_ack_closes_it(
    api: Any, app: Any, clock: Any
) -> None:
    clock.now = T0
    dept02 = await dept_org_id(api, "dept-swhp")
    street01a, _dept02a, dept02b, grid050 = [
        await me(api, u) for u in ("street01a", "dept02a", "dept02b", "grid050")
    ]
    await put_roster(api, dept02, DAY, "day", [dept02b], None)
    room = await _room(api, ["street01a"], [dept02])

    # The org target is whoever is on duty there now: dept02b, not dept02a.
    due = (T0 + timedelta(minutes=30)).isoformat()
    r = await _instruct(api, room, "i-1", targets=[street01a], target_org_ids=[dept02], due_at=due)
    assert r.status_code == 201, r.text
    seq = r.json()["seq"]
    assert r.json()["instruction"]["targets"] == sorted([street01a, dept02b])
    assert r.json()["instruction"]["acked"] == []
    # A resend is the same instruction: no second task, no second push.
    r = await _instruct(api, room, "i-1", targets=[street01a], target_org_ids=[dept02], due_at=due)
    assert (r.status_code, r.json()["seq"]) == (200, seq)

    pushes = await notes(app, "instruction")
    assert Counter(n.user_id for n in pushes) == {street01a: 1, dept02b: 1}
    assert all(n.priority == "high" and n.data["room_id"] == room for n in pushes)
    for user in ("street01a", "dept02b"):
        assert await _tasks(api, user) == [(room, seq)]
    assert await _tasks(api, "dept02a") == []

    # Refusals: a target outside the room; a plain member instructing; no targets at all.
    r = await _instruct(api, room, "i-2", targets=[grid050])
    assert (r.status_code, r.json()["code"]) == (422, "not_a_member")
    body = {"client_msg_id": "i-3", "kind": "instruction", "text": "x", "targets": [street01a]}
    r = await api.post("dept02a", f"/rooms/{room}/messages", body)
    assert (r.status_code, r.json()["code"]) == (403, "forbidden")
    r = await _instruct(api, room, "i-4")
    assert r.status_code == 422, r.text

    # The ack: an `ack` message, idempotent, the task closed, the others untouched.
    path = f"/rooms/{room}/messages/{seq}/ack"
    r = await api.post("street01a", path, {"text": "收到，10分钟到"})
    assert r.status_code == 200, r.text
    ack = r.json()
    assert (ack["kind"], ack["ack_of_seq"], ack["client_msg_id"], ack["seq"]) == (
        "ack",
        seq,
        f"ack:{seq}",
        seq + 1,
    )
    again = await api.post("street01a", path, {"text": "收到，10分钟到"})
    assert (again.status_code, again.json()["seq"]) == (200, ack["seq"])
    assert await _tasks(api, "street01a") == []
    assert await _tasks(api, "dept02b") == [(room, seq)]
    r = await api.post("dept02a", path, {})  # not a target
    assert (r.status_code, r.json()["code"]) == (404, "not_found")

    r = await api.get("district01", f"/rooms/{room}/messages/{seq}/acks")
    assert r.status_code == 200, r.text
    acks = {a["user_id"]: a for a in r.json()}
    assert set(acks) == {street01a, dept02b}
    assert (acks[street01a]["text"], acks[street01a]["acked_at"] is not None) == (
        "收到，10分钟到",
        True,
    )
    assert (acks[dept02b]["text"], acks[dept02b]["acked_at"]) == ("", None)
    r = await api.get("district01", f"/rooms/{room}/messages/{ack['seq']}/acks")
    assert r.status_code == 404  # not an instruction
    r = await api.get("district01", f"/rooms/{room}/messages", params={"after_seq": seq - 1})
    assert r.json()["items"][0]["instruction"]["acked"] == [street01a]
    assert [m["seq"] for m in r.json()["items"]] == [seq, seq + 1]


async def test_the_sweep_reminds_once_at_due_then_escalates_once_to_the_leader(
    api: Any, app: Any, clock: Any, settings: Any
) -> None:
    clock.now = T0
    ctx = app.state["ctx"]
    dept01 = await dept_org_id(api, "dept-cgzf")
    street01a, dept01a, dept01b = [await me(api, u) for u in ("street01a", "dept01a", "dept01b")]
    await put_roster(api, dept01, DAY, "day", [dept01b], dept01a)
    room = await _room(api, ["street01a"], [dept01])
    due = (T0 + timedelta(minutes=30)).isoformat()
    r = await _instruct(api, room, "due", targets=[street01a, dept01b], due_at=due)
    assert r.status_code == 201, r.text
    seq = r.json()["seq"]
    r = await _instruct(api, room, "no-due", targets=[dept01b])  # no due time: never chased
    assert r.status_code == 201, r.text
    r = await api.post("street01a", f"/rooms/{room}/messages/{seq}/ack", {"text": "收到"})
    assert r.status_code == 200, r.text

    async def sweep() -> list[tuple[str, str | None]]:
        await instruction_sweep(ctx)
        return [
            (n.user_id, n.data.get("target_user_id"))
            for n in await notes(app, "instruction_reminder")
        ]

    wait = settings.instruction_escalate_minutes
    steps = [
        (0, []),  # not yet due
        (29, []),
        (1, [(dept01b, None)]),  # due: one reminder, to the one who has not acked
        (0, [(dept01b, None)]),  # a doubled tick repeats nothing
        (wait - 1, [(dept01b, None)]),
        (1, [(dept01b, None), (dept01a, dept01b)]),  # then once to the on-duty leader
        (60, [(dept01b, None), (dept01a, dept01b)]),
    ]
    for minutes, expected in steps:
        clock.advance(minutes=minutes)
        assert await sweep() == expected, (clock.now, expected)
    reminders = await notes(app, "instruction_reminder")
    assert all(n.priority == "high" and n.data["seq"] == str(seq) for n in reminders)


async def test_ack_frame_live_notifications_and_mentions(live: Any) -> None:
    api, app = live.api, live.app
    names = {}
    for u in ("street01a", "dept01a", "dept01b", "grid001"):
        r = await api.get(u, "/me")
        names[u] = (r.json()["id"], r.json()["display_name"])
    sid, did, bid, gid = (names[u][0] for u in ("street01a", "dept01a", "dept01b", "grid001"))
    room = await _room(api, ["street01a", "dept01a", "dept01b"], [])
    street = await connect(live.ws_url, await api.token("street01a"))
    await street.send(op="subscribe", room_id=room)
    await street.expect("subscribed", room_id=room)
    dept = await connect(live.ws_url, await api.token("dept01a"))  # connected, not in the room

    r = await _instruct(api, room, "w-1", targets=[sid])
    assert r.status_code == 201, r.text
    seq = r.json()["seq"]
    got = await _both(street, "notification", "message")  # in either order
    assert got["notification"]["notification"]["kind"] == "instruction"
    assert got["notification"]["notification"]["data"]["room_id"] == room
    assert got["message"]["message"]["seq"] == seq
    assert await _tasks(api, "street01a") == [(room, seq)]

    await street.send(op="ack", room_id=room, seq=seq, text="收到")
    got = await _both(street, "sent", "message")
    assert (got["sent"]["client_msg_id"], got["sent"]["seq"]) == (f"ack:{seq}", seq + 1)
    msg = got["message"]["message"]
    assert (msg["kind"], msg["ack_of_seq"], msg["text"]) == ("ack", seq, "收到")
    assert await _tasks(api, "street01a") == []
    await street.send(op="ack", room_id=room, seq=seq + 1)  # not an instruction to them
    assert (await street.expect("error"))["code"] == "not_found"

    # Mentions by name and by id; a non-member is dropped; only those not in the room
    # (not subscribed to it) get a push, and the connected one also gets it live.
    text = f"@{names['street01a'][1]} @{names['dept01a'][1]}请速到桥下"
    body = {"client_msg_id": "w-2", "kind": "text", "text": text, "mentions": [bid, gid]}
    r = await api.post("district01", f"/rooms/{room}/messages", body)
    assert r.status_code == 201, r.text
    assert sorted(r.json()["mentions"]) == sorted([sid, did, bid])
    frame = await dept.expect("notification")
    assert (frame["notification"]["kind"], frame["notification"]["data"]["room_id"]) == (
        "room_mention",
        room,
    )
    mentions = await notes(app, "room_mention")
    assert Counter(n.user_id for n in mentions) == {did: 1, bid: 1}
    await street.send(op="ping")
    await street.expect("pong")
    kinds = [f["notification"]["kind"] for f in street.seen if f["op"] == "notification"]
    assert kinds == ["instruction"]
    for ws in (street, dept):
        await ws.close()
