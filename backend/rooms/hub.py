"""Live fan-out of room frames through Litestar channels, per process.

Each process subscribes once to the channel of every room that has a local subscriber
(memory backend in one process, Redis across several), and hands each frame to the
local sockets' queues. Messages carry their seq: the hub delivers them in seq order with
no repeats, holding a frame that overtook another (two writers publish independently)
and reading a missing one back from the database if it does not arrive.

Envelopes on a room channel: ``M<seq>\\n<frame>`` a message, ``E<user>\\n<frame>`` an
ephemeral frame (typing, read) not echoed to ``<user>``, ``P<proc>\\n<json users>`` a
process's subscribed users (presence), ``Q<proc>`` asks the others to announce theirs.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import msgspec
from litestar.channels import ChannelsPlugin, Subscriber

from backend.rooms.connection import CLOSE_AUTH, CLOSE_SHUTDOWN, Connection, RoomSub

__all__ = ["FetchFrames", "RoomHub"]

log = logging.getLogger("chengyun.rooms.hub")

FetchFrames = Callable[[str, int, int | None], Awaitable[tuple[int, list[tuple[int, str]]]]]
NOTIFY_CHANNEL = "user-notify"
SESSION_CHANNEL = "session-ended"
GAP_WAIT_SECONDS = 0.5
PRESENCE_DEBOUNCE_SECONDS = 0.2
# Above this many online members, presence is sent on subscribe only (a full list to
# every member on every change would be quadratic), truncated to this many ids.
PRESENCE_MAX = 500

_enc = msgspec.json.Encoder()


def room_channel(room_id: str) -> str:
    return f"room.{room_id}"


@dataclass
class LocalRoom:
    room_id: str
    conns: set[Connection] = field(default_factory=set)
    delivered: int | None = None
    held: dict[int, str] = field(default_factory=dict)
    subscriber: Subscriber | None = None
    consumer: asyncio.Task[None] | None = None
    gap_task: asyncio.Task[None] | None = None
    local_users: Counter[str] = field(default_factory=Counter)
    remote: dict[str, tuple[frozenset[str], float]] = field(default_factory=dict)
    presence_handle: asyncio.TimerHandle | None = None
    announce_pending: bool = False


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
        self.send_rate = send_rate
        self.send_burst = send_burst
        self.presence_ttl = presence_ttl
        self._buckets: dict[str, tuple[float, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._notify_sub: Subscriber | None = None
        self._notify_task: asyncio.Task[None] | None = None
        self._session_sub: Subscriber | None = None
        self._session_task: asyncio.Task[None] | None = None
        self.fanout_observer: Callable[[float], None] | None = None

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
        for room_id in list(conn.rooms):
            self.leave(conn, room_id)

    def allow_send(self, user_id: str) -> float | None:
        """Token bucket per user (this process): None if allowed, else seconds to wait."""
        now = time.monotonic()
        tokens, at = self._buckets.get(user_id, (float(self.send_burst), now))
        tokens = min(float(self.send_burst), tokens + (now - at) * self.send_rate)
        if tokens < 1.0:
            self._buckets[user_id] = (tokens, now)
            return (1.0 - tokens) / self.send_rate
        self._buckets[user_id] = (tokens - 1.0, now)
        return None

    # -- rooms ------------------------------------------------------------------------
    async def _room(self, room_id: str) -> LocalRoom:
        lr = self.rooms.get(room_id)
        if lr is not None and lr.delivered is not None:
            return lr
        lock = self._locks.setdefault(room_id, asyncio.Lock())
        async with lock:
            lr = self.rooms.get(room_id)
            if lr is None:
                lr = LocalRoom(room_id)
                self.rooms[room_id] = lr
                # Subscribed before reading last_seq: anything committed after the read
                # arrives on the channel, anything before it is in the database.
                lr.subscriber = await self.channels.subscribe(room_channel(room_id))
                lr.consumer = asyncio.create_task(
                    self._consume(lr.subscriber, lambda p, lr=lr: self._on_room(lr, p))
                )
                last_seq, _ = await self.fetch_frames(room_id, -1, None)
                lr.delivered = last_seq
                self._drain(lr)
                self.channels.publish(b"Q" + self.proc_id.encode(), room_channel(room_id))
        return lr

    async def _drop_room(self, lr: LocalRoom) -> None:
        self.rooms.pop(lr.room_id, None)
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
        lr.local_users[conn.user_id] += 1
        if lr.local_users[conn.user_id] == 1:
            self._presence_dirty(lr, announce=True)
        # Read with no await since the socket joined lr.conns: every seq after
        # ``delivered`` reaches it through fan-out (held in sub.pending until the switch
        # below), so a live-only subscribe, or a client already there, reads no database.
        delivered = lr.delivered
        assert delivered is not None
        if since_seq is None or since_seq == delivered:
            last_seq, frames = delivered, []
        else:
            last_seq, frames = await self.fetch_frames(room_id, since_seq, replay_max)
        recovered = True
        if since_seq is None:
            frames, start = [], last_seq
        elif last_seq - since_seq > replay_max:
            frames, start, recovered = [], last_seq, False
        else:
            start = since_seq
        head = {"op": "subscribed", "room_id": room_id, "last_seq": last_seq}
        head["recovered"] = recovered
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
        conn.enqueue(self._presence_frame(lr))

    def leave(self, conn: Connection, room_id: str) -> None:
        if conn.rooms.pop(room_id, None) is None:
            return
        lr = self.rooms.get(room_id)
        if lr is None:
            return
        lr.conns.discard(conn)
        lr.local_users[conn.user_id] -= 1
        if lr.local_users[conn.user_id] <= 0:
            del lr.local_users[conn.user_id]
            self._presence_dirty(lr, announce=True)
        if not lr.conns:
            self.rooms.pop(room_id, None)
            asyncio.get_running_loop().create_task(self._drop_room(lr))

    def subscribed_users(self, room_id: str) -> set[str]:
        """Users subscribed to the room on any process (as last announced)."""
        lr = self.rooms.get(room_id)
        if lr is None:
            return set()
        return self._online(lr)

    # -- publishing (called after commit) ---------------------------------------------
    def publish_message(self, room_id: str, seq: int, frame: str) -> None:
        payload = b"M%d\n%s" % (seq, frame.encode())
        self.channels.publish(payload, room_channel(room_id))

    def publish_ephemeral(self, room_id: str, frame: dict[str, object], exclude: str = "") -> None:
        payload = b"E" + exclude.encode() + b"\n" + _enc.encode(frame)
        self.channels.publish(payload, room_channel(room_id))

    def end_session(self, session_id: str) -> None:
        """A login session ended (logout, a reused refresh token): close its sockets on
        every process with 4001. Called after the revocation commits."""
        self.channels.publish(session_id.encode(), SESSION_CHANNEL)

    def publish_notification(self, user_id: str, notification: dict[str, object]) -> None:
        frame = _enc.encode({"op": "notification", "notification": notification})
        self.publish_to_user(user_id, frame)

    def publish_to_user(self, user_id: str, frame: bytes) -> None:
        """An encoded frame to every socket of ``user_id``, on every process."""
        self.channels.publish(user_id.encode() + b"\n" + frame, NOTIFY_CHANNEL)

    # -- receiving --------------------------------------------------------------------
    async def _consume(self, sub: Subscriber, handle: Callable[[bytes], None]) -> None:
        async for payload in sub.iter_events():
            handle(payload)

    def _on_notify(self, payload: bytes) -> None:
        user, _, frame = payload.partition(b"\n")
        conns = self.users.get(user.decode())
        if conns:
            text = frame.decode()
            for conn in list(conns):
                conn.enqueue(text)

    def _on_session_ended(self, payload: bytes) -> None:
        session_id = payload.decode()
        for conns in list(self.users.values()):
            for conn in [c for c in conns if c.session_id == session_id]:
                conn.close(CLOSE_AUTH, "session ended")

    def _on_room(self, lr: LocalRoom, payload: bytes) -> None:
        kind, body = payload[:1], payload[1:]
        if kind == b"M":
            head, _, frame = body.partition(b"\n")
            self._accept(lr, int(head), frame.decode())
        elif kind == b"E":
            exclude, _, frame = body.partition(b"\n")
            text, skip = frame.decode(), exclude.decode()
            for conn in list(lr.conns):
                sub = conn.rooms.get(lr.room_id)
                if sub is not None and sub.pending is None and conn.user_id != skip:
                    conn.enqueue(text)
        elif kind == b"P":
            proc, _, users = body.partition(b"\n")
            if proc.decode() != self.proc_id:
                lr.remote[proc.decode()] = (frozenset(msgspec.json.decode(users)), time.monotonic())
                self._presence_dirty(lr, announce=False)
        elif kind == b"Q" and body.decode() != self.proc_id and lr.local_users:
            self._announce(lr)

    def _accept(self, lr: LocalRoom, seq: int, text: str) -> None:
        if lr.delivered is not None and seq <= lr.delivered:
            return  # already delivered, or older than our start (it is in the database)
        lr.held[seq] = text
        if lr.delivered is None:
            return
        self._drain(lr)

    def _drain(self, lr: LocalRoom) -> None:
        assert lr.delivered is not None
        for old in [s for s in lr.held if s <= lr.delivered]:
            del lr.held[old]
        started = time.perf_counter()
        while lr.delivered + 1 in lr.held:
            seq = lr.delivered + 1
            self._fanout(lr, seq, lr.held.pop(seq))
            lr.delivered = seq
        if self.fanout_observer is not None:
            self.fanout_observer(time.perf_counter() - started)
        if lr.held and (lr.gap_task is None or lr.gap_task.done()):
            lr.gap_task = asyncio.get_running_loop().create_task(self._fill_gap(lr))

    def _fanout(self, lr: LocalRoom, seq: int, text: str) -> None:
        room_id = lr.room_id
        for conn in list(lr.conns):
            sub = conn.rooms.get(room_id)
            if sub is None:
                continue
            if sub.pending is not None:
                sub.pending.append((seq, text))
            elif seq > sub.last_seq:
                sub.last_seq = seq
                conn.enqueue(text)

    async def _fill_gap(self, lr: LocalRoom) -> None:
        await asyncio.sleep(GAP_WAIT_SECONDS)
        if not lr.held or lr.delivered is None or self.rooms.get(lr.room_id) is not lr:
            return
        upto = min(lr.held)
        want = upto - lr.delivered - 1
        if want > 0:
            _, frames = await self.fetch_frames(lr.room_id, lr.delivered, want)
            for seq, text in frames:
                if seq < upto:
                    lr.held.setdefault(seq, text)
        if lr.delivered + 1 not in lr.held:
            # Not in the database either: never committed under this seq. Move on.
            log.warning("room %s: seq %d..%d never arrived", lr.room_id, lr.delivered + 1, upto - 1)
            lr.delivered = upto - 1
        self._drain(lr)

    # -- presence ---------------------------------------------------------------------
    def _online(self, lr: LocalRoom) -> set[str]:
        now = time.monotonic()
        users = set(lr.local_users)
        for proc, (remote, at) in list(lr.remote.items()):
            if now - at > self.presence_ttl:
                del lr.remote[proc]
            else:
                users |= remote
        return users

    def _presence_frame(self, lr: LocalRoom) -> str:
        online = sorted(self._online(lr))
        frame: dict[str, object] = {"op": "presence", "room_id": lr.room_id}
        frame["online"] = online[:PRESENCE_MAX]
        frame["online_count"] = len(online)
        return _enc.encode(frame).decode()

    def _announce(self, lr: LocalRoom) -> None:
        payload = b"P" + self.proc_id.encode() + b"\n" + _enc.encode(sorted(lr.local_users))
        self.channels.publish(payload, room_channel(lr.room_id))

    def announce_all(self) -> None:
        """Re-announce every room's local users, so other processes' entries stay fresh."""
        for lr in list(self.rooms.values()):
            if lr.local_users:
                self._announce(lr)

    def _presence_dirty(self, lr: LocalRoom, *, announce: bool) -> None:
        if announce:
            lr.announce_pending = True
        if lr.presence_handle is None:
            lr.presence_handle = asyncio.get_running_loop().call_later(
                PRESENCE_DEBOUNCE_SECONDS, self._presence_flush, lr
            )

    def _presence_flush(self, lr: LocalRoom) -> None:
        lr.presence_handle = None
        if lr.announce_pending:
            lr.announce_pending = False
            self._announce(lr)
        if len(self._online(lr)) > PRESENCE_MAX:
            return
        text = self._presence_frame(lr)
        for conn in list(lr.conns):
            sub = conn.rooms.get(lr.room_id)
            if sub is not None and sub.pending is None:
                conn.enqueue(text)
