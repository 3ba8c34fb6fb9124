"""Shared steps of the room tests: user ids, a room, messages over HTTP."""

from __future__ import annotations

from typing import Any

__all__ = ["make_room", "me", "notes", "put_roster", "send_http"]


async def me(api: Any, username: str) -> str:
    r = await api.get(username, "/me")
    assert r.status_code == 200, r.text
    return r.json()["id"]  # type: ignore[no-any-return]


async def make_room(
    api: Any,
    owner: str = "district01",
    members: tuple[str, ...] = ("street01a", "dept01a"),
    observers: tuple[str, ...] = (),
    title: str = "联勤联动 · 测试",
) -> str:
    ids = [await me(api, u) for u in members]
    r = await api.post(
        owner, "/rooms", {"title": title, "kind": "joint_operation", "member_user_ids": ids}
    )
    assert r.status_code == 201, r.text
    room_id: str = r.json()["id"]
    if observers:
        obs = [await me(api, u) for u in observers]
        r = await api.post(
            owner, f"/rooms/{room_id}/members", {"user_ids": obs, "role": "observer"}
        )
        assert r.status_code == 200, r.text
    return room_id


async def send_http(api: Any, username: str, room_id: str, text: str, cid: str, **kw: Any) -> Any:
    body = {"client_msg_id": cid, "kind": "text", "text": text, **kw}
    return await api.post(username, f"/rooms/{room_id}/messages", body)


async def notes(app: Any, kind: str) -> list[Any]:
    """Stored notifications of this kind, oldest first."""
    from sqlalchemy import select

    from backend.db.models import Notification

    async with app.state["ctx"].db.sessions() as s:
        q = select(Notification).where(Notification.kind == kind)
        return list(await s.scalars(q.order_by(Notification.created_at, Notification.id)))


async def put_roster(
    api: Any, org_id: str, day: str, shift: str, user_ids: list[str], leader_id: str | None
) -> None:
    body = [
        {
            "org_id": org_id,
            "date": day,
            "shift": shift,
            "user_ids": user_ids,
            "leader_id": leader_id,
        }
    ]
    headers = await api.headers("admin")
    r = await api.client.put("/api/v1/duty/rosters", json=body, headers=headers)
    assert r.status_code == 200, r.text
