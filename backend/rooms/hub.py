"""Live fan-out of room frames through Litestar channels, per process: the registry.

Each process subscribes once to the channel of every room that has a local subscriber
(memory backend in one process, Redis across several), and hands each frame to the
local sockets. The parts each do one job: ``envelope`` what processes tell each other,
``sequencer`` seq order and gap-fill, ``presence`` who is online, ``ratelimit`` posts per
user. Nothing here outlives its sockets: a room is dropped with its last local socket,
a user's entry and send bucket with their last socket.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from functools import partial

import msgspec
from litestar.channels import ChannelsPlugin, Subscriber

from backend.rooms import envelope
from backend.rooms.connection import (
    CLOSE_AUTH,
    CLOSE_SHUTDOWN,
    Connection,
    RoomSub,
    WriteCounts,
)
from backend.rooms.local_room import LocalRoom, room_channel
from backend.rooms.presence import Presence
from backend.rooms.ratelimit import SendLimiter
from backend.rooms.sequencer import FetchFrames, Sequencer
from schemas.notify import NotificationOut
from schemas.rooms import NotificationFrame, ServerFrame, SubscribedFrame

__all__ = ["FetchFrames", "RoomHub", "room_channel"]

NOTIFY_CHANNEL = "user-notify"
SESSION_CHANNEL = "session-ended"

_enc = msgspec.json.Encoder()


class RoomHub:
    def __init__(
        self,
        channels: ChannelsPlugin,
        *,
        fetch_frames: FetchFrames,
        send_rate: float,
        send_burst: int,
        presence_ttl: float = 60.0,
    ) -> None:
        self.channels = channels
        self.fetch_frames = fetch_frames
        self.proc_id = uuid.uuid4().hex[:12]
        self.rooms: dict[str, LocalRoom] = {}
        self.users: dict[str, set[Connection]] = {}
        # True when frames reach only this process's sockets (the in-memory channels
        # backend): then nobody connected here means nobody to tell (``may_reach_users``).
        self.local_only = False
        self.limiter = SendLimiter(send_rate, send_burst)
        self.presence = Presence(self.proc_id, self.channels.publish, presence_ttl)
        self.sequencer = Sequencer(fetch_frames, lambda lr: self.rooms.get(lr.room_id) is lr)
        # How frames reached the sockets (eager, queued, fallback), read by /metrics.
        self.writes = WriteCounts()
        # Rooms being started (channel subscribed, head read): later subscribers wait.
        self._starting: dict[str, asyncio.Future[LocalRoom]] = {}
        self._notify_sub: Subscriber | None = None
        self._notify_task: asyncio.Task[None] | None = None
        self._session_sub: Subscriber | None = None
        self._session_task: asyncio.Task[None] | None = None
        # Called with the id of a login that ended anywhere (the session-ended broadcast).
        self.session_ended_listeners: list[Callable[[str], None]] = []
        self._catch_up_task: asyncio.Task[None] | None = None

    @property
    def fanout_observer(self) -> Callable[[float], None] | None:
        return self.sequencer.fanout_observer

    @fanout_observer.setter
    def fanout_observer(self, observe: Callable[[float], None] | None) -> None:
        self.sequencer.fanout_observer = observe

    # -- lifecycle --------------------------------------------------------------------
    async def start(self) -> None:
        self._notify_sub = await self.channels.subscribe(NOTIFY_CHANNEL)
        self._notify_task = asyncio.create_task(self._consume(self._notify_sub, self._on_notify))
        self._session_sub = await self.channels.subscribe(SESSION_CHANNEL)
        self._session_task = asyncio.create_task(
            self._consume(self._session_sub, self._on_session_ended)
        )

    def close_all_now(self, code: int = CLOSE_SHUTDOWN) -> list[Connection]:
        conns = [c for cs in self.users.values() for c in cs]
        for conn in conns:
            conn.close(code, "server shutting down")
        return conns

    async def close_all(self, code: int = CLOSE_SHUTDOWN) -> None:
        conns = self.close_all_now(code)
        if conns:
            await asyncio.wait([asyncio.create_task(c.done.wait()) for c in conns], timeout=5)

    async def stop(self) -> None:
        await self.close_all()
        for lr in list(self.rooms.values()):
            await self._drop_room(lr)
        subs = ((self._notify_sub, NOTIFY_CHANNEL), (self._session_sub, SESSION_CHANNEL))
        for sub, channel in subs:
            if sub is not None:
                await self.channels.unsubscribe(sub, channel)
        tasks = [t for t in (self._notify_task, self._session_task) if t is not None]
        if tasks:
            await asyncio.wait(tasks, timeout=1)

    def may_reach_users(self) -> bool:
        """Whether a frame to users could reach anyone: always with a shared backend
        (other processes' sockets are unknown here), else only with a socket open here."""
        return not self.local_only or bool(self.users)

    @property
    def open_sockets(self) -> int:
        return sum(len(cs) for cs in self.users.values())

    # -- connections ------------------------------------------------------------------
    def add_connection(self, conn: Connection) -> None:
        self.users.setdefault(conn.user_id, set()).add(conn)

    def remove_connection(self, conn: Connection) -> None:
        conns = self.users.get(conn.user_id)
        if conns is not None:
            conns.discard(conn)
            if not conns:
                del self.users[conn.user_id]
                self.limiter.forget(conn.user_id)
        for room_id in list(conn.rooms):
            self.leave(conn, room_id)

    def allow_send(self, user_id: str) -> float | None:
        """Token bucket per user (this process): None if allowed, else seconds to wait."""
        return self.limiter.allow(user_id)

    # -- rooms ------------------------------------------------------------------------
    async def _room(self, room_id: str) -> LocalRoom:
        lr = self.rooms.get(room_id)
        if lr is not None and lr.delivered is not None:
            return lr
        starting = self._starting.get(room_id)
        if starting is None:
            starting = asyncio.ensure_future(self._start_room(room_id))
            self._starting[room_id] = starting
            starting.add_done_callback(lambda _f: self._starting.pop(room_id, None))
        # Shielded: a subscriber that goes away does not cancel the start for the others.
        return await asyncio.shield(starting)

    async def _start_room(self, room_id: str) -> LocalRoom:
        lr = self.rooms.get(room_id)
        if lr is not None:  # started while the previous one was being dropped
            return lr
        lr = LocalRoom(room_id)
        self.rooms[room_id] = lr
        try:
            # Subscribed before reading last_seq: anything committed after the read
            # arrives on the channel, anything before it is in the database.
            lr.subscriber = await self.channels.subscribe(room_channel(room_id))
            lr.consumer = asyncio.create_task(
                self._consume(lr.subscriber, partial(self._on_room, lr))
            )
            last_seq, _ = await self.fetch_frames(room_id, -1, None)
        except BaseException:
            await self._drop_room(lr)
            raise
        lr.delivered = last_seq
        self.sequencer.drain(lr)
        self.presence.query(room_id)
        return lr

    async def _drop_room(self, lr: LocalRoom) -> None:
        if self.rooms.get(lr.room_id) is lr:
            del self.rooms[lr.room_id]
        if lr.gap_task is not None:
            lr.gap_task.cancel()
        if lr.presence_handle is not None:
            lr.presence_handle.cancel()
        if lr.subscriber is not None:
            await self.channels.unsubscribe(lr.subscriber, room_channel(lr.room_id))
        if lr.consumer is not None:
            await asyncio.wait([lr.consumer], timeout=1)

    async def subscribe(
        self, conn: Connection, room_id: str, since_seq: int | None, replay_max: int
    ) -> None:
        """Replay from the database after ``since_seq``, then live, with nothing missing or
        doubled at the seam: live frames that arrive meanwhile are held and merged by seq."""
        self.leave(conn, room_id)
        lr = await self._room(room_id)
        if conn.closed:
            return
        sub = RoomSub(last_seq=0, pending=[])
        conn.rooms[room_id] = sub
        lr.conns.add(conn)
        self.presence.joined(lr, conn.user_id)
        # Read with no await since the socket joined lr.conns: every seq after
        # ``delivered`` reaches it through fan-out (held in sub.pending until the switch
        # below), so a live-only subscribe, or a client already there, reads no database.
        delivered = lr.delivered
        assert delivered is not None
        if since_seq is None or since_seq == delivered:
            last_seq, frames = delivered, list[tuple[int, str]]()
        else:
            last_seq, frames = await self.fetch_frames(room_id, since_seq, replay_max)
        recovered = True
        if since_seq is None:
            frames, start = [], last_seq
        elif last_seq - since_seq > replay_max:
            frames, start, recovered = [], last_seq, False
        else:
            start = since_seq
        head = SubscribedFrame(room_id=room_id, last_seq=last_seq, recovered=recovered)
        await conn.send_now(_enc.encode(head).decode())
        for seq, text in frames:
            if conn.closed:
                return
            await conn.send_now(text)
            start = max(start, seq)
        if conn.closed or conn.rooms.get(room_id) is not sub:
            return
        # No await from here on: the switch to live is atomic with respect to fan-out.
        pending, sub.pending = sub.pending or [], None
        sub.last_seq = start
        for seq, text in pending:
            if seq > sub.last_seq:
                sub.last_seq = seq
                conn.enqueue(text)
        conn.enqueue(self.presence.frame(lr))

    def leave(self, conn: Connection, room_id: str) -> None:
        if conn.rooms.pop(room_id, None) is None:
            return
        lr = self.rooms.get(room_id)
        if lr is None:
            return
        lr.conns.discard(conn)
        self.presence.left(lr, conn.user_id)
        if not lr.conns:
            self.rooms.pop(room_id, None)
            asyncio.get_running_loop().create_task(self._drop_room(lr))

    def subscribed_users(self, room_id: str) -> set[str]:
        """Users subscribed to the room on any process (as last announced)."""
        lr = self.rooms.get(room_id)
        if lr is None:
            return set()
        return self.presence.online(lr)

    def announce_all(self) -> None:
        """Re-announce every room's local users, so other processes' entries stay fresh."""
        for lr in list(self.rooms.values()):
            if lr.local_users:
                self.presence.announce(lr)

    # -- publishing (called after commit) ---------------------------------------------
    def publish_message(self, room_id: str, seq: int, frame: str) -> None:
        payload = envelope.encode(envelope.Posted(seq, frame))
        self.channels.publish(payload, room_channel(room_id))

    def publish_ephemeral(self, room_id: str, frame: ServerFrame, exclude: str = "") -> None:
        text = _enc.encode(frame).decode()
        self.channels.publish(
            envelope.encode(envelope.Ephemeral(exclude, text)), room_channel(room_id)
        )

    def end_session(self, session_id: str) -> None:
        """A login session ended (logout, a reused refresh token): close its sockets on
        every process with 4001. Called after the revocation commits."""
        self.channels.publish(session_id.encode(), SESSION_CHANNEL)

    def publish_notification(self, user_id: str, notification: dict[str, object]) -> None:
        # The notify domain hands over NotificationOut's builtins; the frame type checks it.
        out = msgspec.convert(notification, NotificationOut)
        self.publish_to_user(user_id, _enc.encode(NotificationFrame(notification=out)))

    def publish_to_user(self, user_id: str, frame: bytes) -> None:
        """An encoded frame to every socket of ``user_id``, on every process."""
        self.publish_to_users([user_id], frame)

    def publish_to_users(self, user_ids: list[str], frame: bytes) -> None:
        """An encoded frame to every socket of each of ``user_ids``, on every process."""
        if user_ids:
            payload = envelope.encode(envelope.ToUsers(user_ids, frame.decode()))
            self.channels.publish(payload, NOTIFY_CHANNEL)

    # -- receiving --------------------------------------------------------------------
    async def _consume(self, sub: Subscriber, handle: Callable[[bytes], None]) -> None:
        async for payload in sub.iter_events():
            handle(payload)

    def _on_notify(self, payload: bytes) -> None:
        to = envelope.decode_to_users(payload)
        for user_id in to.users:
            conns = self.users.get(user_id)
            if conns:
                for conn in list(conns):
                    conn.enqueue(to.frame)

    def _on_session_ended(self, payload: bytes) -> None:
        session_id = payload.decode()
        for listener in self.session_ended_listeners:
            listener(session_id)
        for conns in list(self.users.values()):
            for conn in [c for c in conns if c.session_id == session_id]:
                conn.close(CLOSE_AUTH, "session ended")

    def _on_room(self, lr: LocalRoom, payload: bytes) -> None:
        env = envelope.decode(payload)
        if type(env) is envelope.Posted:
            self.sequencer.accept(lr, env.seq, env.frame)
        elif type(env) is envelope.Ephemeral:
            for conn in list(lr.conns):
                sub = conn.rooms.get(lr.room_id)
                if sub is not None and sub.pending is None and conn.user_id != env.exclude:
                    conn.enqueue(env.frame)
        elif type(env) is envelope.Announce:
            self.presence.on_announce(lr, env.proc, env.users)
        elif type(env) is envelope.Query:
            self.presence.on_query(lr, env.proc)

    def after_outage(self) -> None:
        """The channels were away (a Redis restart): frames other processes published
        meanwhile never came. Read them back from the database, and re-announce presence."""
        rooms = list(self.rooms.values())
        self._catch_up_task = asyncio.get_running_loop().create_task(self.sequencer.catch_up(rooms))
        self.announce_all()
