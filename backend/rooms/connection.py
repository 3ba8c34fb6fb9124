"""One client socket: a bounded outbound queue drained by its own writer task.

Fan-out only appends to the queue (never awaits a socket), so a member whose network is
slow cannot hold up the others. When its queue overflows the socket is closed with 4008
and the client resubscribes with ``since_seq``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from litestar.exceptions import WebSocketDisconnect

__all__ = ["CLOSE_AUTH", "CLOSE_IDLE", "CLOSE_ORIGIN", "CLOSE_SHUTDOWN", "CLOSE_SLOW", "Connection"]

log = logging.getLogger("chengyun.ws")

CLOSE_AUTH = 4001
CLOSE_ORIGIN = 4003
CLOSE_SLOW = 4008
CLOSE_IDLE = 4000
CLOSE_SHUTDOWN = 1001

# A close frame waits behind whatever the transport still holds; a client that reads
# nothing at all is left to the server's protocol ping timeout after this.
CLOSE_SEND_TIMEOUT = 5.0

Send = Callable[[dict[str, Any]], Awaitable[None]]


@dataclass(slots=True)
class RoomSub:
    """One room on one socket: the last seq sent, and frames held while replaying."""

    last_seq: int = 0
    pending: list[tuple[int, str]] | None = field(default_factory=list)


class Connection:
    def __init__(
        self,
        send: Send,
        *,
        user_id: str,
        queue_max: int,
        on_closed: Callable[[Connection], None] | None = None,
    ) -> None:
        self._send = send
        self.user_id = user_id
        self.queue_max = queue_max
        self.queue: deque[str] = deque()
        self.rooms: dict[str, RoomSub] = {}
        self.closed = False
        self.close_code: int | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._writer: asyncio.Task[None] | None = None
        self._on_closed = on_closed
        self.done = asyncio.Event()

    def start(self) -> None:
        self._writer = asyncio.create_task(self._write_loop())

    def enqueue(self, text: str) -> None:
        if self.closed:
            return
        if len(self.queue) >= self.queue_max:
            log.info("closing slow consumer user=%s queued=%d", self.user_id, len(self.queue))
            self.close(CLOSE_SLOW, "too slow")
            return
        self.queue.append(text)
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def send_now(self, text: str) -> None:
        """Send from the socket's own handler (replay), bypassing the queue limit."""
        if self.closed:
            return
        try:
            await self._send({"type": "websocket.send", "text": text})
        except (OSError, RuntimeError, WebSocketDisconnect):
            self.closed = True

    async def _write_loop(self) -> None:
        loop = asyncio.get_running_loop()
        queue = self.queue
        send = self._send
        while not self.closed:
            if not queue:
                self._waiter = loop.create_future()
                await self._waiter
                self._waiter = None
                continue
            # Drain everything queued in one wake-up: under load this batches frames.
            try:
                while queue and not self.closed:
                    await send({"type": "websocket.send", "text": queue.popleft()})
            except (OSError, RuntimeError, WebSocketDisconnect):
                # The client went away; the receive loop sees the disconnect and cleans up.
                self.closed = True
                queue.clear()

    def close(self, code: int, reason: str = "") -> None:
        """Stop sending, drop what is queued, and close the socket with ``code``."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        self.queue.clear()
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
        if self._on_closed is not None:
            self._on_closed(self)
        task = asyncio.get_running_loop().create_task(self._send_close(code, reason))
        task.add_done_callback(lambda _t: self.done.set())

    async def _send_close(self, code: int, reason: str) -> None:
        try:
            await asyncio.wait_for(
                self._send({"type": "websocket.close", "code": code, "reason": reason}),
                CLOSE_SEND_TIMEOUT,
            )
        except (TimeoutError, OSError, RuntimeError, WebSocketDisconnect) as exc:
            # Already gone (disconnected, or the ASGI server refused a second close).
            log.debug("close %s not sent: %r", code, exc)

    async def stop(self) -> None:
        """The client went away: stop the writer without sending anything."""
        self.closed = True
        self.queue.clear()
        if self._writer is not None and not self._writer.done():
            self._writer.cancel()
            await asyncio.wait([self._writer])
        if self._on_closed is not None:
            self._on_closed(self)
        self.done.set()
