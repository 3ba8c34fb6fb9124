"""Shared steps of the room tests: user ids, a room, messages over HTTP."""

from __future__ import annotations

from typing import Any

__all__ = ["make_room", "me", "send_http"]


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
