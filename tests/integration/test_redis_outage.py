"""Redis goes away under two server processes (issue 12): rooms keep working inside each
process, and once Redis is back the frames the other process published meanwhile arrive
(read back from the database) without a new message, and fan-out between them resumes.

A private redis-server (tests/integration/private_services.py) the test kills and starts
again; two apps served on their own ports share the test's database and that Redis.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from tests.conftest import Api, serving
from tests.integration.private_services import PrivateRedis, redis_binary
from tests.integration.rooms_helpers import make_room
from tests.integration.wsclient import WS, connect

pytestmark = pytest.mark.skipif(redis_binary() is None, reason="needs redis-server")

# Only so that a broken build fails instead of hanging: without the catch-up and the
# reconnect these frames never arrive at all.
GIVE_UP = 30.0


@pytest.fixture
def redis_server() -> Iterator[PrivateRedis]:
    r = PrivateRedis()
    try:
        r.start()
        yield r
    finally:
        r.destroy()


@pytest.fixture
async def two_servers(
    settings: Settings, redis_server: PrivateRedis, tmp_path: Path
) -> AsyncIterator[list[tuple[str, Any]]]:
    from backend.app import create_app

    async with AsyncExitStack() as stack:
        urls = []
        for n in range(2):
            app = create_app(
                settings.with_overrides(redis_url=redis_server.url, data_dir=tmp_path / f"p{n}")
            )
            urls.append((await stack.enter_async_context(serving(app)), app))
            stack.push_async_callback(app.state["ctx"].db.dispose)
        yield urls


async def _member(url: str, api: Api, username: str, room: str) -> WS:
    ws = await connect(url, await api.token(username))
    await ws.send(op="subscribe", room_id=room)
    await ws.expect("subscribed", room_id=room)
    return ws


async def _send(ws: WS, room: str, cid: str) -> int:
    await ws.send(op="send", room_id=room, client_msg_id=cid, kind="text", text=cid)
    return (await ws.expect("sent", client_msg_id=cid))["seq"]  # type: ignore[no-any-return]


async def test_rooms_work_in_each_process_without_redis_and_catch_up_when_it_returns(
    two_servers: list[tuple[str, Any]], redis_server: PrivateRedis
) -> None:
    (one, app_one), (two, app_two) = two_servers
    async with httpx.AsyncClient(base_url=one.replace("ws://", "http://"), timeout=30) as c:
        api = Api(client=c, tokens={})
        room = await make_room(api, members=("street01a", "dept01a", "dept01b"))
        street = await _member(one, api, "street01a", room)  # sends on process one
        boss = await _member(one, api, "district01", room)  # reads on process one
        dept = await _member(two, api, "dept01a", room)  # sends on process two
        helper = await _member(two, api, "dept01b", room)  # reads on process two
        assert await _send(street, room, "before") == 1
        assert await helper.messages(room, 1) == [1]
        assert await boss.messages(room, 1) == [1]

        redis_server.stop()
        assert await _send(street, room, "one-during") == 2
        assert await boss.messages(room, 1) == [2]  # same process: delivered at once
        assert await _send(dept, room, "two-during") == 3
        # Process two holds 3 until it has read the missing 2 from the database.
        assert await helper.messages(room, 2) == [2, 3]

        redis_server.start()
        # What process two published meanwhile reaches process one without a new message
        # (read back from the database once process one is subscribed again) ...
        assert await boss.messages(room, 1, timeout=GIVE_UP) == [3]
        # ... and live fan-out between the processes has resumed.
        for app in (app_one, app_two):
            await app.state["ctx"].channels._backend.wait_connected()
        assert await _send(street, room, "after") == 4
        assert await helper.messages(room, 1, timeout=GIVE_UP) == [4]
        for ws in (street, boss, dept, helper):
            await ws.close()
