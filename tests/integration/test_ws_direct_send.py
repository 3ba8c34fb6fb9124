"""Room fan-out under the server production runs writes to idle sockets directly.

The direct path (``backend.rooms.connection.direct_send``) reaches into uvicorn's
WebSocket protocol; an upgrade of uvicorn or Litestar that changes what it finds moves
fan-out to the slow writer-task path without any other test noticing. This one serves
``chengyun serve`` in a child process, fans a message out, and reads in ``/metrics``
which path the frames took.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.served import ServedProcess, login
from tests.integration.wsclient import connect


@pytest.fixture
def server(database_url: str, tmp_path: Path) -> Any:
    s = ServedProcess(database_url, tmp_path)
    yield s
    s.stop()


def _writes(metrics: str) -> dict[str, float]:
    found = re.findall(r'^chengyun_ws_direct_writes_total\{path="(\w+)"\} (\S+)$', metrics, re.M)
    return {path: float(value) for path, value in found}


async def test_fan_out_under_the_served_uvicorn_is_written_directly(server: ServedProcess) -> None:
    await server.start()
    ws_url = server.base.replace("http://", "ws://")
    async with httpx.AsyncClient(base_url=server.base, timeout=30) as client:
        owner = await login(client, "district01")
        tokens, ids = {}, []
        for name in ("street01a", "dept01a"):
            headers = await login(client, name)
            tokens[name] = headers["Authorization"].removeprefix("Bearer ")
            ids.append((await client.get("/api/v1/me", headers=headers)).json()["id"])
        r = await client.post(
            "/api/v1/rooms",
            json={"title": "直写", "kind": "joint_operation", "member_user_ids": ids},
            headers=owner,
        )
        assert r.status_code == 201, r.text
        room = r.json()["id"]
        sockets = [await connect(ws_url, tokens[name]) for name in tokens]
        try:
            for ws in sockets:
                await ws.send(op="subscribe", room_id=room)
                await ws.expect("subscribed", room_id=room)
            sender, reader = sockets
            await sender.send(op="send", room_id=room, client_msg_id="d1", kind="text", text="在")
            await sender.expect("sent", client_msg_id="d1")
            assert await reader.messages(room, 1) == [1]
        finally:
            for ws in sockets:
                await ws.close()
        writes = _writes((await client.get("/metrics")).text)
    assert writes["fallback"] == 0, writes
    assert writes["eager"] + writes["queued"] >= 4, writes  # ready x2, message, sent
    assert "slow path" not in server.log.read_text()
