"""Nothing the hub keeps per user or per room outlives the sockets that made it."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from backend.settings import Settings
from tests.integration.rooms_helpers import make_room
from tests.integration.wsclient import connect

USERS = ("street01a", "dept01a", "dept01b", "street01b")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(ws_send_rate=10_000.0, ws_send_burst=10_000)


async def test_after_every_user_left_the_hub_holds_nothing(live: Any) -> None:
    api = live.api
    rooms = [await make_room(api, members=USERS) for _ in range(2)]
    hub = live.app.state["ctx"].rooms.hub
    for rnd in range(2):  # twice: a room and a user are set up again after their drop
        sockets = [await connect(live.ws_url, await api.token(u)) for u in USERS]
        for ws in sockets:
            for room in rooms:
                await ws.send(op="subscribe", room_id=room)
                await ws.expect("subscribed", room_id=room)
        for n, ws in enumerate(sockets):
            cid = f"b{rnd}-{n}"
            await ws.send(op="send", room_id=rooms[0], client_msg_id=cid, kind="text", text="在")
            await ws.expect("sent", client_msg_id=cid)
        assert set(hub.rooms) == set(rooms)
        assert len(hub.users) == len(hub.limiter) == len(USERS)
        conns = [c for cs in hub.users.values() for c in cs]
        # Their buckets have refilled by the time they leave (a drained one is kept).
        clock = hub.limiter.clock
        hub.limiter.clock = lambda clock=clock: clock() + 3600.0
        for ws in sockets:
            await ws.close()
        async with asyncio.timeout(10):
            for conn in conns:
                await conn.done.wait()
        hub.limiter.clock = clock
        assert hub.users == {}
        assert hub.rooms == {}
        assert hub._starting == {}
        assert len(hub.limiter) == 0
