"""Event rooms: one room per event (201 then 200 with the same room), its members follow
the event (creator, the event's street, the assignee once dispatched), and every event
action posts a `system` line into it once committed."""

from __future__ import annotations

from typing import Any

from tests.integration.flows import body_for, dept_org_id, drive_to, report
from tests.integration.wsclient import connect

STREET01 = "420111001"


async def _open(api: Any, user: str, event_id: str) -> Any:
    body = {"title": "事件协同", "kind": "event", "event_id": event_id}
    return await api.post(user, "/rooms", body)


async def test_an_event_room_is_made_once_and_follows_its_event(live: Any) -> None:
    api = live.api
    street, dept01 = await dept_org_id(api, STREET01), await dept_org_id(api, "dept-cgzf")
    event = await report(api)

    r = await _open(api, "street01a", event["id"])
    assert r.status_code == 201, r.text
    room = r.json()
    assert (room["kind"], room["event_id"], room["member_org_ids"]) == (
        "event",
        event["id"],
        [street],
    )
    roles = {m["user_id"]: m["role"] for m in room["members"]}
    sid = (await api.get("street01a", "/me")).json()["id"]
    assert roles[sid] == "owner"
    for user in ("street01a", "district01"):  # again, and by another who may see it
        r = await _open(api, user, event["id"])
        assert (r.status_code, r.json()["id"]) == (200, room["id"]), (user, r.text)
    did = (await api.get("district01", "/me")).json()["id"]
    assert {m["user_id"]: m["role"] for m in r.json()["members"]}[did] == "member"
    r = await _open(api, "dept01a", event["id"])  # cannot see the event yet
    assert r.status_code == 404, r.text
    r = await api.get("dept01a", f"/rooms/{room['id']}")
    assert r.status_code == 404, r.text
    r = await api.get("district01", "/rooms")
    assert [x["id"] for x in r.json()] == [room["id"]]

    ws = await connect(live.ws_url, await api.token("street01a"))
    await ws.send(op="subscribe", room_id=room["id"])
    await ws.expect("subscribed", room_id=room["id"])

    steps = [
        ("street01a", "accept", "事件已受理"),
        ("street01a", "dispatch", "事件已派遣至区城管执法局"),
        ("dept01a", "start", "处置单位已开始处置"),
        ("dept01a", "report", "处置单位已反馈处置结果：已清理"),
    ]
    for user, action, _ in steps:
        r = await api.act(user, event["id"], action, **await body_for(api, user, action))
        assert r.status_code == 200, (action, r.text)
        if action == "accept":
            r = await api.act("dept01a", event["id"], "start")  # refused: posts nothing
            assert r.status_code in (403, 404, 409), r.text
    frames = [await ws.expect("message", room_id=room["id"]) for _ in steps]
    assert [(f["message"]["seq"], f["message"]["kind"]) for f in frames] == [
        (i, "system") for i in range(1, len(steps) + 1)
    ]
    r = await api.get("district01", f"/rooms/{room['id']}/messages")
    items = r.json()["items"]
    assert [(m["kind"], m["text"], m["sender"]) for m in items] == [
        ("system", text, None) for _, _, text in steps
    ]

    # The assignee department joined when dispatched to.
    r = await api.get("dept01a", f"/rooms/{room['id']}")
    assert r.status_code == 200, r.text
    assert r.json()["member_org_ids"] == sorted([street, dept01])
    assert r.json()["last_seq"] == len(steps)
    r = await _open(api, "dept01b", event["id"])
    assert (r.status_code, r.json()["id"]) == (200, room["id"])
    await ws.close()

    # An event dispatched before its room is opened: the assignee is in from the start.
    # (Its actions before that posted nowhere and failed nothing.)
    other = await drive_to(api, "dispatched")
    r = await _open(api, "district01", other["id"])
    assert r.status_code == 201, r.text
    assert r.json()["member_org_ids"] == sorted([street, dept01])
    assert r.json()["last_seq"] == 0
    r = await api.act("dept01a", other["id"], "start")
    assert r.status_code == 200, r.text
    r = await api.get("district01", "/rooms")
    by_event = {x["event_id"]: x for x in r.json()}
    assert by_event[other["id"]]["last_seq"] == 1
