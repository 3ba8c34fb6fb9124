"""Request limits the ASGI server does not enforce: header size and body speed.

uvicorn's httptools parser accepts any header size, and no uvicorn protocol times out a
body that trickles in. Both are decided here, around the whole app, so the test app and
every server configuration behave the same:

- Request headers (names and values, all lines) over ``max_header_bytes`` answer 431
  ``headers_too_large``; a WebSocket handshake with them is refused before it is accepted.
- A body must keep arriving: each chunk within ``body_idle_seconds``, and on average at
  least ``body_min_rate`` bytes a second after the first ``body_grace_seconds``. A phone on
  a poor 2G link still sends several KB a second; a body slower than that is a client
  holding a worker, and answers 408 ``request_timeout``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from backend.errors import PROBLEM_JSON, ProblemError, problem_body

__all__ = ["RequestLimits"]


class RequestLimits:
    def __init__(
        self,
        app: Any,
        *,
        max_header_bytes: int,
        body_idle_seconds: float,
        body_min_rate: float,
        body_grace_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.max_header_bytes = max_header_bytes
        self.body_idle_seconds = body_idle_seconds
        self.body_min_rate = body_min_rate
        self.body_grace_seconds = body_grace_seconds
        self.clock = clock

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind not in {"http", "websocket"}:
            await self.app(scope, receive, send)
            return
        size = sum(len(name) + len(value) + 4 for name, value in scope.get("headers", ()))
        if size > self.max_header_bytes:
            if kind == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            body = problem_body(
                431,
                "headers_too_large",
                f"request headers are limited to {self.max_header_bytes} bytes",
            )
            headers = [
                (b"content-type", PROBLEM_JSON.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
            await send({"type": "http.response.start", "status": 431, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if kind == "http":
            receive = self._timed(receive)
        await self.app(scope, receive, send)

    def _timed(self, receive: Any) -> Any:
        started = self.clock()
        received = 0
        done = False

        async def timed_receive() -> Any:
            nonlocal received, done
            if done:  # after the body: waiting for a disconnect is not bounded here
                return await receive()
            allowed = started + self.body_grace_seconds + received / self.body_min_rate
            wait = min(self.body_idle_seconds, allowed - self.clock())
            try:
                if wait <= 0:
                    raise TimeoutError
                async with asyncio.timeout(wait):
                    message = await receive()
            except TimeoutError:
                raise ProblemError(
                    408,
                    "request_timeout",
                    "the request body arrived too slowly",
                    headers={"Connection": "close"},
                ) from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                done = not message.get("more_body", False)
            else:
                done = True
            return message

        return timed_receive
