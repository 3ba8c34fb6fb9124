"""The WebSocket protocol through real sockets: auth, origin, membership, bad frames."""

from __future__ import annotations

import json
from typing import Any

import pytest

from backend.settings import Settings
from tests.integration.rooms_helpers import make_room, me
from tests.integration.wsclient import connect


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(
        ws_auth_seconds=0.5,
        allowed_origins=("https://app.hongshan.gov.cn",),
        ws_send_rate=0.001,
        ws_send_burst=3,
    )


async def test_no_auth_frame_within_the_limit_closes_4001(live: Any) -> None:
    ws = await connect(live.ws_url)
    assert await ws.closed_with() == 4001


async def test_bad_token_and_a_first_frame_that_is_not_auth_close_4001(live: Any) -> None:
    ws = await connect(live.ws_url)
    await ws.send(op="auth", token="not-a-token")
    assert await ws.closed_with() == 4001
    ws = await connect(live.ws_url)
    await ws.send(op="ping")
    assert await ws.closed_with() == 4001


async def test_foreign_origin_closes_4003_listed_origin_and_native_apps_pass(live: Any) -> None:
    token = await live.api.token("street01a")
    ws = await connect(live.ws_url, origin="https://evil.example")
    assert await ws.closed_with() == 4003
    ws = await connect(live.ws_url, token, origin="https://app.hongshan.gov.cn")
    await ws.close()
    ws = await connect(live.ws_url, token)  # no Origin header: a native app
    await ws.close()


async def test_non_member_may_not_subscribe_or_send_and_keeps_the_socket(live: Any) -> None:
    room = await make_room(live.api)
    ws = await connect(live.ws_url, await live.api.token("street02a"))
    await ws.send(op="subscribe", room_id=room, since_seq=0)
    err = await ws.expect("error")
    assert (err["code"], err["ref"]) == ("not_found", room)
    await ws.send(op="send", room_id=room, client_msg_id="c1", kind="text", text="你好")
    err = await ws.expect("error")
    assert (err["code"], err["ref"]) == ("not_found", "c1")
    await ws.send(op="ping")
    await ws.expect("pong")
    r = await live.api.get("district01", f"/rooms/{room}/messages")
    assert r.json()["items"] == []


async def test_observer_may_subscribe_but_not_send(live: Any) -> None:
    room = await make_room(live.api, observers=("leader01",))
    ws = await connect(live.ws_url, await live.api.token("leader01"))
    await ws.send(op="subscribe", room_id=room)
    sub = await ws.expect("subscribed")
    assert (sub["last_seq"], sub["recovered"]) == (0, True)
    await ws.send(op="send", room_id=room, client_msg_id="o1", kind="text", text="我说两句")
    err = await ws.expect("error")
    assert err["code"] == "forbidden"
    r = await live.api.get("district01", f"/rooms/{room}")
    roles = {m["user_id"]: m["role"] for m in r.json()["members"]}
    assert roles[await me(live.api, "leader01")] == "observer"
    assert r.json()["last_seq"] == 0


async def test_bad_and_oversized_frames_get_errors_and_the_socket_stays(live: Any) -> None:
    ws = await connect(live.ws_url, await live.api.token("street01a"))
    bad = [
        "{not json",
        json.dumps({"op": "fly"}),
        json.dumps({"op": "subscribe"}),
        json.dumps({"op": "subscribe", "room_id": "r", "since_seq": "3"}),
        json.dumps({"op": "ping", "extra": 1}),
        json.dumps([1, 2]),
    ]
    for raw in bad:
        await ws.conn.send(raw)
        assert (await ws.expect("error"))["code"] == "bad_frame", raw
    await ws.send(op="send", room_id="r", client_msg_id="big", kind="text", text="字" * 30000)
    assert (await ws.expect("error"))["code"] == "payload_too_large"
    await ws.send(op="ping")
    await ws.expect("pong")
    await ws.close()


async def test_send_rate_limit_per_user_answers_rate_limited(live: Any) -> None:
    room = await make_room(live.api)
    ws = await connect(live.ws_url, await live.api.token("street01a"))
    for i in range(3):
        await ws.send(op="send", room_id=room, client_msg_id=f"r{i}", kind="text", text=f"{i}")
        assert (await ws.expect("sent"))["seq"] == i + 1
    await ws.send(op="send", room_id=room, client_msg_id="r3", kind="text", text="3")
    err = await ws.expect("error")
    assert (err["code"], err["ref"]) == ("rate_limited", "r3")
    r = await live.api.get("district01", f"/rooms/{room}")
    assert r.json()["last_seq"] == 3


async def test_a_socket_closes_4001_when_its_token_expires(live: Any) -> None:
    auth = live.app.state["ctx"].auth
    auth.tokens.access_seconds = 2  # the token is minted with this lifetime
    r = await live.api.client.post(
        "/api/v1/auth/login", json={"username": "street01a", "password": "chengyun-demo"}
    )
    ws = await connect(live.ws_url, r.json()["access_token"])  # accepted: it got `ready`
    await ws.send(op="ping")
    await ws.expect("pong")
    assert await ws.closed_with(timeout=10) == 4001
    assert ws.close_reason == "token expired"


async def test_logout_closes_that_sessions_sockets_and_no_others(live: Any) -> None:
    async def login() -> str:
        r = await live.api.client.post(
            "/api/v1/auth/login", json={"username": "dept01a", "password": "chengyun-demo"}
        )
        return str(r.json()["access_token"])

    phone, tablet = await login(), await login()  # one user, two sessions
    on_phone = await connect(live.ws_url, phone)
    on_tablet = await connect(live.ws_url, tablet)
    r = await live.api.client.post(
        "/api/v1/auth/logout", headers={"Authorization": f"Bearer {phone}"}
    )
    assert r.status_code == 204
    assert await on_phone.closed_with() == 4001
    assert on_phone.close_reason == "session ended"
    await on_tablet.send(op="ping")
    await on_tablet.expect("pong")
    await on_tablet.close()


async def test_a_refreshed_token_sent_on_the_open_socket_moves_its_end(live: Any) -> None:
    auth = live.app.state["ctx"].auth
    auth.tokens.access_seconds = 60
    r = await live.api.client.post(
        "/api/v1/auth/login", json={"username": "street01a", "password": "chengyun-demo"}
    )
    first, refresh = r.json()["access_token"], r.json()["refresh_token"]
    ws = await connect(live.ws_url, first)
    hub = live.app.state["ctx"].rooms.hub
    user_id = await me(live.api, "street01a")
    (conn,) = hub.users[user_id]
    assert conn.closes_at == auth.tokens.decode_access(first).expires_at.timestamp()

    auth.tokens.access_seconds = 3600
    r = await live.api.client.post("/api/v1/auth/refresh", json={"refresh_token": refresh})
    second = r.json()["access_token"]
    await ws.send(op="auth", token=second)
    assert (await ws.expect("ready"))["user_id"] == user_id
    assert conn.closes_at == auth.tokens.decode_access(second).expires_at.timestamp()
    assert conn.closes_at > auth.tokens.decode_access(first).expires_at.timestamp() + 3000

    # Another user's token, or a bad one, changes nothing and keeps the socket.
    await ws.send(op="auth", token=await live.api.token("dept01a"))
    assert (await ws.expect("error"))["code"] == "already_authenticated"
    await ws.send(op="auth", token="not-a-token")
    assert (await ws.expect("error"))["code"] == "unauthenticated"
    assert conn.closes_at == auth.tokens.decode_access(second).expires_at.timestamp()
    await ws.send(op="ping")
    await ws.expect("pong")
    await ws.close()
