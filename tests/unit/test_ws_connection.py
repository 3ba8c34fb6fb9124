"""The socket writer: direct writes to an idle socket, a queue behind a busy one, 4008."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from backend.rooms.connection import CLOSE_SLOW, Connection, direct_send


class FakeAsgiSocket:
    """An ASGI send shaped like uvicorn's: waits while the transport is paused, then writes."""

    def __init__(self) -> None:
        self.writable = asyncio.Event()
        self.writable.set()
        self.gone = False
        self.sent: list[dict[str, Any]] = []
        self._changed = asyncio.Event()

    async def send(self, message: dict[str, Any]) -> None:
        await self.writable.wait()
        if self.gone:
            raise OSError("client disconnected")
        self.sent.append(message)
        self._changed.set()

    @property
    def texts(self) -> list[str]:
        return [m["text"] for m in self.sent if m["type"] == "websocket.send"]

    async def until(self, predicate: Any) -> None:
        async with asyncio.timeout(5):
            while not predicate():
                self._changed.clear()
                await self._changed.wait()


def _conn(sock: FakeAsgiSocket, eager: bool = True, **kw: Any) -> Connection:
    direct = sock.send if eager else None
    return Connection(
        sock.send, user_id="u1", queue_max=kw.pop("queue_max", 8), direct=direct, **kw
    )


async def test_a_frame_to_an_idle_socket_is_written_before_enqueue_returns() -> None:
    sock = FakeAsgiSocket()
    conn = _conn(sock)
    conn.enqueue("a")
    conn.enqueue("b")
    # No task ran in between: the writes happened inside enqueue.
    assert sock.texts == ["a", "b"]
    assert not conn.backlog


async def test_a_paused_transport_queues_frames_in_order_and_drains_when_it_resumes() -> None:
    sock = FakeAsgiSocket()
    conn = _conn(sock)
    sock.writable.clear()
    for text in ("1", "2", "3"):
        conn.enqueue(text)
    assert sock.texts == []
    assert conn.backlog and list(conn.queue) == ["2", "3"]
    sock.writable.set()
    await sock.until(lambda: len(sock.texts) == 3)
    assert sock.texts == ["1", "2", "3"]
    await sock.until(lambda: not conn.backlog)
    conn.enqueue("4")  # idle again: straight through
    assert sock.texts[-1] == "4"


async def test_a_consumer_whose_queue_overflows_is_closed_4008() -> None:
    sock = FakeAsgiSocket()
    closed: list[Connection] = []
    conn = _conn(sock, queue_max=3, on_closed=closed.append)
    sock.writable.clear()
    for n in range(5):  # one in flight, three queued, the fifth overflows
        conn.enqueue(str(n))
    assert conn.closed and conn.close_code == CLOSE_SLOW and closed == [conn]
    assert not conn.queue
    conn.enqueue("after")  # ignored once closed
    sock.writable.set()
    async with asyncio.timeout(5):
        await conn.done.wait()
    assert sock.sent[-1] == {"type": "websocket.close", "code": CLOSE_SLOW, "reason": "too slow"}
    assert "after" not in sock.texts


async def test_a_client_gone_during_a_direct_write_marks_the_connection_closed() -> None:
    sock = FakeAsgiSocket()
    conn = _conn(sock)
    sock.gone = True
    conn.enqueue("x")
    assert conn.closed and not conn.backlog


async def test_stop_cancels_a_send_stuck_on_a_paused_transport() -> None:
    sock = FakeAsgiSocket()
    conn = _conn(sock)
    sock.writable.clear()
    conn.enqueue("stuck")
    conn.enqueue("behind")
    await conn.stop()
    assert conn.done.is_set() and not conn.backlog and not conn.queue
    sock.writable.set()
    assert sock.texts == []


@pytest.mark.parametrize("eager", [True, False])
async def test_both_paths_deliver_every_frame_once_in_order(eager: bool) -> None:
    sock = FakeAsgiSocket()
    conn = _conn(sock, eager=eager, queue_max=1000)
    expected = [str(n) for n in range(300)]
    for n, text in enumerate(expected):
        if n % 50 == 10:
            sock.writable.clear()  # the transport pushes back now and then
        if n % 50 == 30:
            sock.writable.set()
        conn.enqueue(text)
    sock.writable.set()
    await sock.until(lambda: len(sock.texts) == len(expected))
    assert sock.texts == expected


async def test_only_uvicorn_websocket_sends_are_started_outside_the_socket_task() -> None:
    from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

    protocol = object.__new__(WebSocketsSansIOProtocol)
    assert direct_send(protocol.send) == protocol.send

    def litestar_wrapper(send: Any) -> Any:
        async def wrapped(message: dict[str, Any]) -> None:
            await send(message)

        wrapped.__module__ = "litestar.connection.websocket"
        return wrapped

    # Under Litestar's pass-through wrappers, the protocol's own send is found.
    assert direct_send(litestar_wrapper(litestar_wrapper(protocol.send))) == protocol.send
    assert direct_send(FakeAsgiSocket().send) is None
    assert direct_send(litestar_wrapper(FakeAsgiSocket().send)) is None

    async def plain(message: dict[str, Any]) -> None:
        return None

    assert direct_send(plain) is None
    plain.__module__ = "litestar.middleware"
    assert direct_send(plain) is None  # wraps nothing
