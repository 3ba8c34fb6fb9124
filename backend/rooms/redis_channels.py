"""Room frames between processes over Redis pub/sub, surviving a Redis outage.

Litestar's own Redis backend routes even a process's frames to its own sockets through
Redis, and its publish and read tasks end at the first connection error: with Redis gone
for a minute, rooms stopped working inside every worker, and stayed stopped after Redis
came back. Here:

- a frame for a channel this process subscribes to is delivered locally at once, never
  through Redis (its Redis echo, tagged with our origin id, is skipped);
- the copy for other processes is published to Redis; while Redis is known to be away it
  is not even tried (a message is a row first: nothing is lost, only late);
- one reader task owns the pub/sub connection and reconnects every ``retry_seconds``,
  subscribing again to every channel; then it calls ``on_reconnect`` so the hub can read
  back from the database what other processes published meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncGenerator, Callable, Iterable
from typing import Any

from litestar.channels.backends.base import ChannelsBackend
from redis.asyncio import Redis
from redis.exceptions import RedisError

__all__ = ["ResilientRedisBackend"]

log = logging.getLogger("chengyun.rooms.redis")

_ORIGIN_LEN = 12
# Always subscribed, so the reader's connection exists before any room is.
_ALIVE = "_alive"


class ResilientRedisBackend(ChannelsBackend):
    def __init__(self, redis: Redis, *, key_prefix: str, retry_seconds: float = 0.5) -> None:
        self._redis = redis
        self._prefix = key_prefix + "_"
        self._retry = retry_seconds
        self._origin = uuid.uuid4().hex[:_ORIGIN_LEN].encode()
        self._queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
        self._outgoing: asyncio.Queue[tuple[bytes, set[str]]] = asyncio.Queue()
        self._sender: asyncio.Task[None] | None = None
        self._channels: set[str] = set()
        self._pubsub: Any = None
        self._reader: asyncio.Task[None] | None = None
        self.connected = False
        self._up = asyncio.Event()
        self.on_reconnect: list[Callable[[], None]] = []
        #: Frames not sent to other processes because Redis was away.
        self.dropped = 0

    async def wait_connected(self) -> None:
        """Until the reader is subscribed on a live connection."""
        await self._up.wait()

    def _key(self, channel: str) -> str:
        return self._prefix + channel

    async def on_startup(self) -> None:
        self._reader = asyncio.create_task(self._read_loop())
        self._sender = asyncio.create_task(self._send_loop())

    async def on_shutdown(self) -> None:
        for task in (self._reader, self._sender):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self._close_pubsub()

    async def subscribe(self, channels: Iterable[str]) -> None:
        new = set(channels) - self._channels
        self._channels |= new
        if new and self.connected:
            try:
                await self._pubsub.subscribe(*map(self._key, new))
            except (RedisError, OSError) as exc:
                self._lost(exc)  # the reader subscribes to everything again

    async def unsubscribe(self, channels: Iterable[str]) -> None:
        gone = set(channels) & self._channels
        self._channels -= gone
        if gone and self.connected:
            try:
                await self._pubsub.unsubscribe(*map(self._key, gone))
            except (RedisError, OSError) as exc:
                self._lost(exc)

    async def publish(self, data: bytes, channels: Iterable[str]) -> None:
        targets = set(channels)
        for channel in targets & self._channels:
            self._queue.put_nowait((channel, data))
        if not self.connected:
            self.dropped += 1
            return
        # Sent by a task of our own, so a Redis that hangs never delays local delivery.
        self._outgoing.put_nowait((self._origin + data, targets))

    async def _send_loop(self) -> None:
        while True:
            envelope, targets = await self._outgoing.get()
            if not self.connected:
                self.dropped += 1
                continue
            try:
                for channel in targets:
                    await self._redis.publish(self._key(channel), envelope)
            except (RedisError, OSError) as exc:
                self.dropped += 1
                self._lost(exc)

    async def stream_events(self) -> AsyncGenerator[tuple[str, bytes], None]:
        while True:
            yield await self._queue.get()

    async def get_history(self, channel: str, limit: int | None = None) -> list[bytes]:
        raise NotImplementedError("room history is in the database")

    # -- the reader -------------------------------------------------------------------
    def _lost(self, exc: BaseException) -> None:
        """A command failed: make the reader start over on a fresh connection."""
        if self.connected:
            log.warning("redis lost, rooms fan out inside this process only: %s", exc)
        self.connected = False
        self._up.clear()
        if self._pubsub is not None:
            asyncio.get_running_loop().create_task(self._close_pubsub())

    async def _close_pubsub(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    async def _read_loop(self) -> None:
        was_lost = False
        while True:
            try:
                self._pubsub = self._redis.pubsub()
                await self._pubsub.subscribe(*map(self._key, {_ALIVE, *self._channels}))
                self.connected = True
                self._up.set()
                if was_lost:
                    log.warning("redis is back: fan-out between processes resumed")
                    for callback in self.on_reconnect:
                        callback()
                was_lost = False
                while True:
                    msg = await self._pubsub.get_message(
                        ignore_subscribe_messages=True, timeout=1.0
                    )
                    if msg is None or msg.get("type") != "message":
                        continue
                    data: bytes = msg["data"]
                    if data[:_ORIGIN_LEN] == self._origin:
                        continue
                    channel = msg["channel"].decode()[len(self._prefix) :]
                    if channel in self._channels:
                        self._queue.put_nowait((channel, data[_ORIGIN_LEN:]))
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - any failure: reconnect and resubscribe
                self._lost(exc)
                was_lost = True
                await self._close_pubsub()
                await asyncio.sleep(self._retry)
