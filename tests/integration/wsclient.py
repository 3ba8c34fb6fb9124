"""A small WebSocket test client: connect, authenticate, await frames by op."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import msgspec
import websockets
from websockets.asyncio.client import ClientConnection

from schemas.rooms import ServerFrame

__all__ = ["WS", "connect"]

QUIET = {"ping", "presence", "typing", "read"}
_server_frame = msgspec.json.Decoder(ServerFrame)


class WS:
    def __init__(self, conn: ClientConnection) -> None:
        self.conn = conn
        self.seen: list[dict[str, Any]] = []
        self.close_reason: str | None = None

    async def send(self, **frame: Any) -> None:
        await self.conn.send(json.dumps(frame, ensure_ascii=False))

    async def recv(self, timeout: float = 10) -> dict[str, Any]:  # noqa: ASYNC109
        async with asyncio.timeout(timeout):
            raw = await self.conn.recv()
        frame = json.loads(raw)
        # Every frame the server sends is one the contract's types (and so the AsyncAPI
        # document) describe: anything else fails the test that received it.
        _server_frame.decode(raw)
        self.seen.append(frame)
        return frame  # type: ignore[no-any-return]

    async def expect(self, op: str, timeout: float = 10, **match: Any) -> dict[str, Any]:  # noqa: ASYNC109
        """The next frame with this op (and fields), skipping others."""
        async with asyncio.timeout(timeout):
            while True:
                frame = await self.recv(timeout)
                if frame["op"] == op and all(frame.get(k) == v for k, v in match.items()):
                    return frame

    async def messages(self, room_id: str, count: int, timeout: float = 30) -> list[int]:  # noqa: ASYNC109
        """Seqs of the next ``count`` message frames of the room."""
        seqs: list[int] = []
        async with asyncio.timeout(timeout):
            while len(seqs) < count:
                frame = await self.recv(timeout)
                if frame["op"] == "message" and frame["room_id"] == room_id:
                    seqs.append(frame["message"]["seq"])
        return seqs

    async def closed_with(self, timeout: float = 10) -> int | None:  # noqa: ASYNC109
        """Read until the server closes; its close code."""
        async with asyncio.timeout(timeout):
            try:
                while True:
                    await self.conn.recv()
            except websockets.ConnectionClosed as exc:
                self.close_reason = exc.rcvd.reason if exc.rcvd else None
                return exc.rcvd.code if exc.rcvd else None

    async def close(self) -> None:
        await self.conn.close()


async def connect(
    url: str, token: str | None = None, *, origin: str | None = None, **kw: Any
) -> WS:
    headers = {"Origin": origin} if origin else None
    conn = await websockets.connect(
        f"{url}/api/v1/ws", additional_headers=headers, max_size=None, **kw
    )
    ws = WS(conn)
    if token is not None:
        await ws.send(op="auth", token=token)
        ready = await ws.expect("ready")
        assert ready["user_id"]
    return ws
