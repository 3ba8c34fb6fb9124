"""Who is online in a room, across processes, sent to its members debounced.

Each process announces its subscribed users on the room's channel when they change (and
when another process asks); the entries of other processes expire after ``ttl`` unless
re-announced.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import msgspec

from backend.rooms import envelope
from backend.rooms.local_room import LocalRoom, room_channel
from schemas.rooms import PresenceFrame

__all__ = ["PRESENCE_MAX", "Presence"]

PRESENCE_DEBOUNCE_SECONDS = 0.2
# A change is sent to every local socket of the room, each compressing the whole list
# (permessage-deflate has a context per socket): above this many sockets the debounce
# grows with them, so a room's presence costs about as much per second at any size. In a
# reconnect storm this was 70 % of the server's CPU (bench/reconnect.py).
PRESENCE_FULL_RATE_SOCKETS = 50
# Above this many online members, presence is sent on subscribe only (a full list to
# every member on every change would be quadratic), truncated to this many ids.
PRESENCE_MAX = 500

_enc = msgspec.json.Encoder()


class Presence:
    def __init__(self, proc_id: str, publish: Callable[[bytes, str], None], ttl: float) -> None:
        self.proc_id = proc_id
        self.publish = publish
        self.ttl = ttl

    def online(self, lr: LocalRoom) -> set[str]:
        now = time.monotonic()
        users = set(lr.local_users)
        for proc, (remote, at) in list(lr.remote.items()):
            if now - at > self.ttl:
                del lr.remote[proc]
            else:
                users |= remote
        return users

    def frame(self, lr: LocalRoom) -> str:
        online = sorted(self.online(lr))
        frame = PresenceFrame(
            room_id=lr.room_id, online=online[:PRESENCE_MAX], online_count=len(online)
        )
        return _enc.encode(frame).decode()

    def announce(self, lr: LocalRoom) -> None:
        payload = envelope.encode(envelope.Announce(self.proc_id, sorted(lr.local_users)))
        self.publish(payload, room_channel(lr.room_id))

    def query(self, room_id: str) -> None:
        self.publish(envelope.encode(envelope.Query(self.proc_id)), room_channel(room_id))

    def on_announce(self, lr: LocalRoom, proc: str, users: list[str]) -> None:
        if proc != self.proc_id:
            lr.remote[proc] = (frozenset(users), time.monotonic())
            self.dirty(lr, announce=False)

    def on_query(self, lr: LocalRoom, proc: str) -> None:
        if proc != self.proc_id and lr.local_users:
            self.announce(lr)

    def joined(self, lr: LocalRoom, user_id: str) -> None:
        lr.local_users[user_id] += 1
        if lr.local_users[user_id] == 1:
            self.dirty(lr, announce=True)

    def left(self, lr: LocalRoom, user_id: str) -> None:
        lr.local_users[user_id] -= 1
        if lr.local_users[user_id] <= 0:
            del lr.local_users[user_id]
            self.dirty(lr, announce=True)

    def dirty(self, lr: LocalRoom, *, announce: bool) -> None:
        if announce:
            lr.announce_pending = True
        if lr.presence_handle is None:
            scale = max(1.0, len(lr.conns) / PRESENCE_FULL_RATE_SOCKETS)
            lr.presence_handle = asyncio.get_running_loop().call_later(
                PRESENCE_DEBOUNCE_SECONDS * scale, self._flush, lr
            )

    def _flush(self, lr: LocalRoom) -> None:
        lr.presence_handle = None
        if lr.announce_pending:
            lr.announce_pending = False
            self.announce(lr)
        if len(self.online(lr)) > PRESENCE_MAX:
            return
        text = self.frame(lr)
        for conn in list(lr.conns):
            sub = conn.rooms.get(lr.room_id)
            if sub is not None and sub.pending is None:
                conn.enqueue(text)
