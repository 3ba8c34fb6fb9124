"""``/api/v1/ws``: one socket per client, many rooms on it.

The handler never holds a database session across frames: each frame that needs the
database opens a short one. Frames are decoded once into a tagged union and dispatched
with ``match``; a bad frame gets an ``error`` frame and the socket stays open.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from backend.auth.principal import Principal
from backend.auth.tokens import AccessClaims, TokenError
from backend.common.jsonbody import BodyError, decode_json
from backend.context import AppContext
from backend.db.transaction import transaction
from backend.deps import PUBLIC
from backend.errors import ProblemError
from backend.rooms.connection import (
    CLOSE_AUTH,
    CLOSE_IDLE,
    CLOSE_ORIGIN,
    Connection,
    fanout_send,
)
from backend.rooms.core import Rooms
from backend.rooms.service import load_member_room
from schemas.rooms import (
    AckFrame,
    AuthFrame,
    ClientFrame,
    ErrorFrame,
    PingFrame,
    PongFrame,
    ReadFrame,
    ReadNoticeFrame,
    ReadyFrame,
    SendFrame,
    SentFrame,
    ServerPingFrame,
    ServerPongFrame,
    SubscribeFrame,
    TypingFrame,
    UnsubscribeFrame,
)

__all__ = ["ws_endpoint"]

log = logging.getLogger("chengyun.ws")

_decoder = msgspec.json.Decoder(ClientFrame)
_enc = msgspec.json.Encoder()
PONG = _enc.encode(ServerPongFrame()).decode()
PING = _enc.encode(ServerPingFrame()).decode()


def origin_allowed(socket: WebSocket[Any, Any, Any], allowed: tuple[str, ...]) -> bool:
    """Native apps send no Origin; a browser page must be on the allowlist or our own host."""
    origin = socket.headers.get("origin")
    if origin is None or origin in allowed:
        return True
    host = socket.headers.get("host", "")
    return origin.split("://", 1)[-1] == host and "*" not in allowed and bool(host)


def _error(code: str, detail: str, ref: str | None = None) -> str:
    return _enc.encode(ErrorFrame(code=code, detail=detail, ref=ref)).decode()


async def _receive_text(socket: WebSocket[Any, Any, Any], wait: float) -> str | bytes | None:
    """The next data frame, or None when the client disconnected."""
    async with asyncio.timeout(wait):  # no extra task per frame, unlike wait_for
        message = await socket.receive()
    if message["type"] == "websocket.disconnect":
        return None
    text = message.get("text")
    if isinstance(text, str):
        return text
    data = message.get("bytes")
    return data if isinstance(data, bytes) else b""


async def _caller(ctx: AppContext, token: str) -> tuple[Principal, AccessClaims]:
    """Who an access token belongs to, and its claims (for its expiry); raises
    ``TokenError`` or ``ProblemError`` for a bad, expired or revoked one."""
    claims = ctx.auth.tokens.decode_access(token)
    async with ctx.db.read_sessions() as session:
        return await ctx.auth.authenticate(session, token, claims), claims


async def _authenticate(
    ctx: AppContext, socket: WebSocket[Any, Any, Any]
) -> tuple[Principal, AccessClaims] | None:
    try:
        raw = await _receive_text(socket, ctx.settings.ws_auth_seconds)
    except TimeoutError:
        await socket.close(CLOSE_AUTH, "auth frame expected within 5 s")
        return None
    if raw is None:
        return None
    try:
        frame = decode_json(raw, decoder=_decoder)
    except BodyError:
        frame = None
    if not isinstance(frame, AuthFrame):
        await socket.close(CLOSE_AUTH, "the first frame must be auth")
        return None
    try:
        return await _caller(ctx, frame.token)
    except (TokenError, ProblemError):
        await socket.close(CLOSE_AUTH, "invalid or expired token")
        return None


# PUBLIC: the socket authenticates itself (its own auth step), not the bearer guard.
@websocket("/ws", opt={"exclude_from_metrics": False, **PUBLIC})
async def ws_endpoint(socket: WebSocket[Any, Any, Any]) -> None:
    ctx: AppContext = socket.app.state["ctx"]
    rooms: Rooms = ctx.rooms
    hub = rooms.hub
    await socket.accept()
    if not origin_allowed(socket, ctx.settings.allowed_origins):
        await socket.close(CLOSE_ORIGIN, "origin not allowed")
        return
    authenticated = await _authenticate(ctx, socket)
    if authenticated is None:
        return
    principal, claims = authenticated
    conn = Connection(
        # Connection sends only {"type": "websocket.send", "text": ...} dicts, typed loosely
        # so the eager path stays a plain dict; Litestar types Send over every ASGI event.
        socket.send,  # type: ignore[arg-type]  # see above
        user_id=principal.id,
        session_id=principal.session_id,
        queue_max=ctx.settings.ws_queue_max,
        direct=fanout_send(socket.send),
        counts=hub.writes,
        on_closed=hub.remove_connection,
    )
    # The socket lives no longer than its token, unless the client sends a refreshed one
    # on it (``_reauthenticate``). A logout ends it at once (the hub hears of it on every
    # process).
    conn.close_at(claims.expires_at.timestamp(), CLOSE_AUTH, "token expired")
    hub.add_connection(conn)
    conn.enqueue(_enc.encode(ReadyFrame(user_id=principal.id)).decode())
    conn.start_pinging(ctx.settings.ws_ping_seconds, PING)
    session = _Session(ctx, rooms, principal, conn)
    try:
        while not conn.closed:
            try:
                raw = await _receive_text(socket, ctx.settings.ws_idle_seconds)
            except TimeoutError:
                conn.close(CLOSE_IDLE, "silent for too long")
                break
            if raw is None:
                break
            await session.handle(raw)
    except WebSocketDisconnect:
        pass
    finally:
        if conn.close_code is not None:
            await conn.done.wait()  # we closed it: the close frame is on its way
        else:
            await conn.stop()  # the client left (maybe noticed first by a failed send)
        hub.remove_connection(conn)


class _Session:
    """One authenticated socket's frame handling."""

    def __init__(self, ctx: AppContext, rooms: Rooms, principal: Principal, conn: Connection):
        self.ctx = ctx
        self.rooms = rooms
        self.principal = principal
        self.conn = conn

    async def handle(self, raw: str | bytes) -> None:
        limit = self.ctx.settings.ws_max_frame_bytes
        # Characters are up to 4 bytes: only encode to measure a frame that may be too big.
        size = len(raw) if isinstance(raw, bytes) or len(raw) * 4 <= limit else len(raw.encode())
        if size > limit:
            self.conn.enqueue(_error("payload_too_large", "frames are limited to 64 KiB"))
            return
        try:
            frame = decode_json(raw, decoder=_decoder)
        except BodyError as exc:
            self.conn.enqueue(_error("bad_frame", exc.detail))
            return
        try:
            await self._dispatch(frame)
        except ProblemError as exc:
            self.conn.enqueue(
                _error(
                    exc.code,
                    exc.detail,
                    getattr(frame, "client_msg_id", None) or getattr(frame, "room_id", None),
                )
            )

    async def _dispatch(self, frame: Any) -> None:
        hub = self.rooms.hub
        match frame:
            case PingFrame():
                self.conn.enqueue(PONG)
            case PongFrame():
                pass
            case AuthFrame(token=token):
                await self._reauthenticate(token)
            case SubscribeFrame(room_id=room_id, since_seq=since):
                async with self.ctx.db.read_sessions() as s:
                    await load_member_room(s, room_id, self.principal)
                await hub.subscribe(self.conn, room_id, since, self.ctx.settings.ws_replay_max)
            case UnsubscribeFrame(room_id=room_id):
                hub.leave(self.conn, room_id)
            case SendFrame():
                self._rate_limit()
                await self._write(self._send, frame)
            case AckFrame():
                self._rate_limit()
                await self._write(self._ack, frame)
            case ReadFrame():
                await self._write(self._read, frame)
            case TypingFrame(room_id=room_id):
                if room_id not in self.conn.rooms:
                    raise ProblemError(404, "not_subscribed", "subscribe to the room first")
                hub.publish_ephemeral(
                    room_id, self.rooms.typing_frame(room_id, self.principal.id), self.principal.id
                )

    async def _reauthenticate(self, token: str) -> None:
        """A refreshed token for the same user on the open socket: it then lives until the
        new token expires, with no reconnect; the answer is ``ready`` again."""
        try:
            principal, claims = await _caller(self.ctx, token)
        except (TokenError, ProblemError) as exc:
            raise ProblemError(401, "unauthenticated", "invalid or expired token") from exc
        if principal.id != self.principal.id:
            raise ProblemError(400, "already_authenticated", "this socket is another user's")
        self.principal = principal
        self.conn.session_id = principal.session_id
        self.conn.close_at(claims.expires_at.timestamp(), CLOSE_AUTH, "token expired")
        self.conn.enqueue(_enc.encode(ReadyFrame(user_id=principal.id)).decode())

    def _rate_limit(self) -> None:
        wait = self.rooms.hub.allow_send(self.principal.id)
        if wait is not None:
            raise ProblemError(429, "rate_limited", f"slow down; retry in {wait:.1f} s")

    async def _write(self, op: Any, frame: Any) -> None:
        async with self.ctx.db.sessions() as session, transaction(session):
            reply = await op(session, frame)
        if reply is not None:
            self.conn.enqueue(reply)

    async def _send(self, session: Any, frame: SendFrame) -> str:
        room, role = await load_member_room(session, frame.room_id, self.principal)
        out, _ = await self.rooms.send(
            session, self.principal, room, role, frame.as_message(), self.ctx.now()
        )
        sent = SentFrame(client_msg_id=frame.client_msg_id, room_id=room.id, seq=out.seq)
        return _enc.encode(sent).decode()

    async def _ack(self, session: Any, frame: AckFrame) -> str:
        room, role = await load_member_room(session, frame.room_id, self.principal)
        out = await self.rooms.ack(
            session, self.principal, room, role, frame.seq, frame.text, self.ctx.now()
        )
        sent = SentFrame(client_msg_id=out.client_msg_id, room_id=room.id, seq=out.seq)
        return _enc.encode(sent).decode()

    async def _read(self, session: Any, frame: ReadFrame) -> None:
        room, _ = await load_member_room(session, frame.room_id, self.principal)
        seq = await self.rooms.mark_read(session, self.principal, room, frame.seq, self.ctx.now())
        read = ReadNoticeFrame(room_id=room.id, user_id=self.principal.id, seq=seq)
        from backend.db.engine import on_commit

        on_commit(session, lambda: self.rooms.hub.publish_ephemeral(room.id, read))
        return None
