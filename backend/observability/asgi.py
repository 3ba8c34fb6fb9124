"""The outermost ASGI layer of the app: request id, one access line, request latency.

It wraps Litestar's own handler (exceptions and routing inside it), so 404s and errors
are timed and logged too, and the route template Litestar's router writes into the scope
is there once the inner call returns.
"""

from __future__ import annotations

import itertools
import logging
import os
import re
import secrets
import time
from typing import Any

from backend.observability.logs import request_id_var
from backend.observability.metrics import AppMetrics

__all__ = ["REQUEST_ID_HEADER", "ObservabilityMiddleware", "request_id_from"]

log = logging.getLogger("chengyun.access")

REQUEST_ID_HEADER = b"x-request-id"
# What we accept from a client or proxy: short, and nothing a log reader could trip on.
_SANE = re.compile(rb"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


# A generated id is this process's random half and a counter: 32 hex digits like a uuid4's,
# unique across processes, without a getrandom() system call on every request.
_PROCESS_HALF = secrets.token_hex(8)
_sequence = itertools.count()


def _new_process_half() -> None:  # a forked worker must not repeat its parent's ids
    global _PROCESS_HALF
    _PROCESS_HALF = secrets.token_hex(8)


os.register_at_fork(after_in_child=_new_process_half)


def request_id_from(headers: list[tuple[bytes, bytes]]) -> str:
    for name, value in headers:
        if name == REQUEST_ID_HEADER and _SANE.fullmatch(value):
            return value.decode()
    return f"{_PROCESS_HALF}{next(_sequence) & 0xFFFFFFFFFFFFFFFF:016x}"


class ObservabilityMiddleware:
    def __init__(self, app: Any, metrics: AppMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        request_id = request_id_from(scope.get("headers", []))
        token = request_id_var.set(request_id)
        try:
            if kind == "websocket":
                # Log lines of the socket's life carry the id of its upgrade request.
                await self.app(scope, receive, send)
                return
            await self._http(scope, receive, send, request_id)
        finally:
            request_id_var.reset(token)

    async def _http(self, scope: Any, receive: Any, send: Any, request_id: str) -> None:
        started = time.perf_counter()
        status = 500
        header = (REQUEST_ID_HEADER, request_id.encode())

        async def send_with_id(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            route = scope.get("path_template") or "unmatched"
            method = scope.get("method", "GET")
            self.metrics.observe_request(method, route, status, seconds)
            log.info(
                "%s %s %d",
                method,
                route,
                status,
                extra={"status": status, "duration_ms": round(seconds * 1000, 2)},
            )
