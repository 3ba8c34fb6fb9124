"""One client socket: frames written straight to an idle socket, queued behind a busy one.

Fan-out never awaits a socket. A frame for a socket with nothing in flight is handed to
the ASGI ``send`` at once: uvicorn's send completes without suspending while the
transport takes data, so a 5,000-member message costs 5,000 plain writes and no task
switches. When a send does suspend (the transport pushed back), that send is finished by
a writer task and later frames wait in a bounded queue behind it; a member whose queue
overflows is closed with 4008 and resubscribes with ``since_seq``, so a slow network holds
up no one else. The writer task exists only while there is a backlog.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine, Generator
from dataclasses import dataclass, field
from typing import Any

from litestar.exceptions import WebSocketDisconnect

__all__ = [
    "CLOSE_AUTH",
    "CLOSE_IDLE",
    "CLOSE_ORIGIN",
    "CLOSE_SHUTDOWN",
    "CLOSE_SLOW",
    "Connection",
    "WriteCounts",
    "direct_send",
    "fanout_send",
]

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
_GONE = (OSError, RuntimeError, WebSocketDisconnect)


# The one protocol whose ``send`` is known to write synchronously unless the transport is
# paused, and to bind nothing to the calling task: the one ``chengyun serve`` and the
# tests run (``ws="websockets-sansio"``), in the uvicorn versions tested. Anything else
# takes the writer-task path, counted as "fallback" in /metrics and logged once; the
# test_ws_direct_send integration test fails when that happens under the real server.
DIRECT_PROTOCOLS = frozenset(
    {"uvicorn.protocols.websockets.websockets_sansio_impl.WebSocketsSansIOProtocol"}
)
DIRECT_UVICORN = ((0, 54), (1, 0))  # tested from, up to (not included)


def _uvicorn_tested() -> bool:
    try:
        import uvicorn
    except ImportError:  # pragma: no cover - it is a dependency
        return False
    version = tuple(int(p) for p in uvicorn.__version__.split(".")[:2] if p.isdigit())
    return DIRECT_UVICORN[0] <= version < DIRECT_UVICORN[1]


_UVICORN_TESTED = _uvicorn_tested()


@dataclass(slots=True)
class WriteCounts:
    """How fan-out frames reached sockets: written at once (eager), behind a send in
    flight (queued), or through the writer task because the server's send is not one
    fan-out may start itself (fallback)."""

    eager: int = 0
    queued: int = 0
    fallback: int = 0


_fallback_logged = False


def fanout_send(send: Any) -> Send | None:
    """``direct_send(send)``, logging once per process (WARNING) when there is none."""
    global _fallback_logged
    direct = direct_send(send)
    if direct is None and not _fallback_logged:
        _fallback_logged = True
        log.warning(
            "room fan-out takes the slow path (a writer task per frame): the ASGI send "
            "is not %s under uvicorn %s..%s",
            ", ".join(sorted(DIRECT_PROTOCOLS)),
            *(".".join(map(str, v)) for v in DIRECT_UVICORN),
        )
    return direct


def direct_send(send: Any, depth: int = 4) -> Send | None:
    """The send that fan-out may start outside the socket's own task, or None.

    That is the ``send`` of uvicorn's WebSocket protocol (``DIRECT_PROTOCOLS``), which
    writes synchronously unless the transport is paused and binds nothing to the calling
    task, found under Litestar's pass-through wrappers (connection state, exception
    middleware), which it then skips: the protocol itself refuses a send after a
    disconnect. Any other send (another server or protocol, anyio cancel scopes, a
    middleware we do not know) gives None: the writer task path.
    """
    owner = getattr(send, "__self__", None)
    if owner is not None:
        kind = type(owner)
        known = f"{kind.__module__}.{kind.__qualname__}" in DIRECT_PROTOCOLS
        return send if known and _UVICORN_TESTED else None
    if depth == 0 or not getattr(send, "__module__", "").startswith("litestar."):
        return None
    sends = [f for f in _closed_over(send) if callable(f) and not isinstance(f, type)]
    return direct_send(sends[0], depth - 1) if len(sends) == 1 else None


def _closed_over(fn: Any) -> list[Any]:
    out = []
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            out.append(cell.cell_contents)
        except ValueError:  # an empty cell
            continue
    return out


class _Resume:
    """Awaits a coroutine that was already started and suspended on ``first``.

    The eager send stepped the coroutine by hand; a task that awaits this finishes it
    (the same protocol as ``yield from``: values sent or thrown go to the coroutine).
    """

    __slots__ = ("coro", "first")

    def __init__(self, coro: Coroutine[Any, Any, None], first: Any) -> None:
        self.coro = coro
        self.first = first

    def __await__(self) -> Generator[Any, Any, None]:
        coro, value = self.coro, self.first
        self.first = None
        while True:
            try:
                sent = yield value
            except GeneratorExit:
                coro.close()
                raise
            except BaseException as exc:  # noqa: BLE001 - forwarded into the coroutine
                try:
                    value = coro.throw(exc)
                except StopIteration:
                    return
            else:
                try:
                    value = coro.send(sent)
                except StopIteration:
                    return


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
        session_id: str = "",
        on_closed: Callable[[Connection], None] | None = None,
        direct: Send | None = None,
        counts: WriteCounts | None = None,
    ) -> None:
        self._send = send
        self.user_id = user_id
        self.session_id = session_id
        self.queue_max = queue_max
        self.queue: deque[str] = deque()
        self.rooms: dict[str, RoomSub] = {}
        self.closed = False
        self.close_code: int | None = None
        # Set: a frame for an idle socket is written at once through this (``direct_send``).
        self._direct = direct
        self.counts = counts if counts is not None else WriteCounts()
        self._writer: asyncio.Task[None] | None = None
        self._pinger: asyncio.TimerHandle | None = None
        self._expiry: asyncio.TimerHandle | None = None
        self.closes_at: float | None = None
        self._on_closed = on_closed
        self.done = asyncio.Event()

    @property
    def eager(self) -> bool:
        return self._direct is not None

    @property
    def backlog(self) -> bool:
        """A send is in flight (the writer task runs) or frames wait behind one."""
        return self._writer is not None

    def enqueue(self, text: str) -> None:
        if self.closed:
            return
        if self._writer is None:
            if self._direct is not None:
                self._send_eagerly(self._direct, text)
                return
            self.counts.fallback += 1
            self.queue.append(text)
            self._writer = asyncio.get_running_loop().create_task(self._write_loop(None))
            return
        if len(self.queue) >= self.queue_max:
            log.info("closing slow consumer user=%s queued=%d", self.user_id, len(self.queue))
            self.close(CLOSE_SLOW, "too slow")
            return
        if self._direct is not None:
            self.counts.queued += 1
        else:
            self.counts.fallback += 1
        self.queue.append(text)

    def _send_eagerly(self, direct: Send, text: str) -> None:
        coro = direct({"type": "websocket.send", "text": text})
        try:
            suspended_on = coro.send(None)  # type: ignore[attr-defined]  # uvicorn's send is a coroutine, stepped by hand
        except StopIteration:
            self.counts.eager += 1
            return
        except _GONE:
            # The client went away; the receive loop sees the disconnect and cleans up.
            self.closed = True
            return
        self.counts.queued += 1  # the transport pushed back: finished by the writer task
        resume = _Resume(coro, suspended_on)  # type: ignore[arg-type]  # the coroutine stepped above, typed as Awaitable
        self._writer = asyncio.get_running_loop().create_task(self._write_loop(resume))

    async def _write_loop(self, first: _Resume | None) -> None:
        queue, send = self.queue, self._send
        try:
            if first is not None:
                await first
            # Drain everything queued meanwhile in one run: under load this batches frames.
            while queue and not self.closed:
                await send({"type": "websocket.send", "text": queue.popleft()})
        except _GONE:
            self.closed = True
            queue.clear()
        finally:
            if self._writer is asyncio.current_task():
                self._writer = None

    async def send_now(self, text: str) -> None:
        """Send from the socket's own handler (replay), bypassing the queue limit."""
        if self.closed:
            return
        try:
            await self._send({"type": "websocket.send", "text": text})
        except _GONE:
            self.closed = True

    def start_pinging(self, every: float, frame: str) -> None:
        """Enqueue ``frame`` every ``every`` seconds until the socket closes (a timer, not
        a task, so an idle socket costs little)."""
        loop = asyncio.get_running_loop()

        def tick() -> None:
            if self.closed:
                return
            self.enqueue(frame)
            self._pinger = loop.call_later(every, tick)

        self._pinger = loop.call_later(every, tick)

    def close_at(self, when: float, code: int, reason: str) -> None:
        """Close with ``code`` at ``when`` (epoch seconds: the token's expiry); a later
        call replaces the earlier deadline (a refreshed token)."""
        if self.closed:
            return
        if self._expiry is not None:
            self._expiry.cancel()
        self.closes_at = when
        self._expiry = asyncio.get_running_loop().call_later(
            max(0.0, when - time.time()), self.close, code, reason
        )

    def _stop_tasks(self) -> asyncio.Task[None] | None:
        """Cancel the timers and the writer; returns the writer to wait for."""
        self.queue.clear()
        for timer in (self._pinger, self._expiry):
            if timer is not None:
                timer.cancel()
        self._pinger = self._expiry = None
        writer, self._writer = self._writer, None
        if writer is not None and not writer.done():
            writer.cancel()
        return writer

    def close(self, code: int, reason: str = "") -> None:
        """Stop sending, drop what is queued, and close the socket with ``code``."""
        if self.closed:
            return
        self.closed = True
        self.close_code = code
        writer = self._stop_tasks()
        if self._on_closed is not None:
            self._on_closed(self)
        task = asyncio.get_running_loop().create_task(self._send_close(code, reason, writer))
        task.add_done_callback(lambda _t: self.done.set())

    async def _send_close(self, code: int, reason: str, writer: asyncio.Task[None] | None) -> None:
        if writer is not None:
            await asyncio.wait([writer])  # its cancelled send releases the protocol first
        try:
            await asyncio.wait_for(
                self._send({"type": "websocket.close", "code": code, "reason": reason}),
                CLOSE_SEND_TIMEOUT,
            )
        except (TimeoutError, *_GONE) as exc:
            # Already gone (disconnected, or the ASGI server refused a second close).
            log.debug("close %s not sent: %r", code, exc)

    async def stop(self) -> None:
        """The client went away: stop the writer without sending anything."""
        self.closed = True
        writer = self._stop_tasks()
        if writer is not None:
            await asyncio.wait([writer])
        if self._on_closed is not None:
            self._on_closed(self)
        self.done.set()
