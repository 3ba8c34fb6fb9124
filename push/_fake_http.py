"""A tiny asyncio HTTP server speaking HTTP/1.1 and HTTP/2, for the fake FCM only.

Why not http.server or uvicorn: firebase-admin's client is httpx with HTTP/2 enabled, so
the fake must answer whatever httpx chooses: HTTP/1.1 keep-alive over plain TCP, HTTP/2
with prior knowledge ("h2c"), or HTTP/2 negotiated by ALPN over TLS, with hundreds of
requests in flight at once. h2 (already installed for httpx[http2]) does the framing.
"""

from __future__ import annotations

import asyncio
import http
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import h2.config
import h2.connection
import h2.events
import h2.exceptions

__all__ = ["HttpRequest", "HttpResponse", "serve_connection"]

_H2_PREFACE_LINE = b"PRI * HTTP/2.0\r\n"
_MAX_HEADER_LINES = 100


@dataclass(frozen=True, slots=True)
class HttpRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    http_version: str  # "HTTP/1.1" or "HTTP/2"


@dataclass(frozen=True, slots=True)
class HttpResponse:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[[HttpRequest], Awaitable[HttpResponse]]


async def serve_connection(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, handler: Handler
) -> None:
    """Serve one client connection until it closes, then close our side."""
    try:
        ssl_object = writer.get_extra_info("ssl_object")
        if ssl_object is not None and ssl_object.selected_alpn_protocol() == "h2":
            await _serve_h2(reader, writer, handler, b"")
            return
        first = await reader.readline()
        if first == _H2_PREFACE_LINE:
            await _serve_h2(reader, writer, handler, first)
        elif first:
            await _serve_h1(reader, writer, handler, first)
    except (ConnectionError, asyncio.IncompleteReadError, h2.exceptions.ProtocolError):
        pass  # the client went away or spoke nonsense: nothing useful to answer
    finally:
        writer.close()


async def _serve_h1(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    handler: Handler,
    request_line: bytes,
) -> None:
    while request_line:
        method, target, _version = request_line.decode("latin-1").rstrip("\r\n").split(" ", 2)
        headers: dict[str, str] = {}
        for _ in range(_MAX_HEADER_LINES):
            line = await reader.readline()
            if line in (b"\r\n", b"\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0"))
        body = await reader.readexactly(length) if length else b""
        response = await handler(HttpRequest(method, target, headers, body, "HTTP/1.1"))
        writer.write(_h1_bytes(response))
        await writer.drain()
        if headers.get("connection", "").lower() == "close":
            return
        request_line = await reader.readline()


def _h1_bytes(response: HttpResponse) -> bytes:
    phrase = http.HTTPStatus(response.status).phrase
    head = [f"HTTP/1.1 {response.status} {phrase}", f"content-length: {len(response.body)}"]
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body


class _H2Session:
    """One HTTP/2 connection: requests are answered concurrently, each in its own task."""

    def __init__(self, writer: asyncio.StreamWriter, handler: Handler) -> None:
        config = h2.config.H2Configuration(client_side=False, header_encoding="utf-8")
        self.conn = h2.connection.H2Connection(config=config)
        self.writer = writer
        self.handler = handler
        self.partial: dict[int, tuple[dict[str, str], bytearray]] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.window_opened = asyncio.Event()

    def flush(self) -> None:
        data = self.conn.data_to_send()
        if data:
            self.writer.write(data)

    def on_events(self, events: list[h2.events.Event]) -> bool:
        """Handle received events; False once the client has ended the connection."""
        for event in events:
            if isinstance(event, h2.events.RequestReceived):
                headers = {str(k): str(v) for k, v in event.headers or []}
                self.partial[event.stream_id] = (headers, bytearray())
            elif isinstance(event, h2.events.DataReceived):
                self.partial[event.stream_id][1].extend(event.data)
                self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                headers, body = self.partial.pop(event.stream_id)
                task = asyncio.create_task(self.answer(event.stream_id, headers, bytes(body)))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            elif isinstance(event, h2.events.StreamReset):
                self.partial.pop(event.stream_id, None)
            elif isinstance(event, h2.events.WindowUpdated):
                self.window_opened.set()
            elif isinstance(event, h2.events.ConnectionTerminated):
                return False
        return True

    async def answer(self, stream_id: int, headers: dict[str, str], body: bytes) -> None:
        request = HttpRequest(
            headers.get(":method", ""),
            headers.get(":path", ""),
            {k: v for k, v in headers.items() if not k.startswith(":")},
            body,
            "HTTP/2",
        )
        response = await self.handler(request)
        wire_headers = [(":status", str(response.status))]
        wire_headers += [("content-length", str(len(response.body)))]
        wire_headers += [(k.lower(), v) for k, v in response.headers.items()]
        try:
            self.conn.send_headers(stream_id, wire_headers)
            # Honour flow control: with thousands of responses the client's connection
            # window fills up until it sends WINDOW_UPDATE.
            while self.conn.local_flow_control_window(stream_id) < len(response.body):
                self.window_opened.clear()
                await self.window_opened.wait()
            self.conn.send_data(stream_id, response.body, end_stream=True)
        except h2.exceptions.StreamClosedError:
            return  # the client gave up on this request (e.g. a timeout)
        self.flush()


async def _serve_h2(
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    handler: Handler,
    already_read: bytes,
) -> None:
    session = _H2Session(writer, handler)
    session.conn.initiate_connection()
    data = already_read
    try:
        while True:
            if data and not session.on_events(session.conn.receive_data(data)):
                break
            session.flush()
            await writer.drain()
            data = await reader.read(65536)
            if not data:
                break
    finally:
        for task in session.tasks:
            task.cancel()
        await asyncio.gather(*session.tasks, return_exceptions=True)
