"""The views broadcast: "I committed a write a polled read shows", between processes.

Each process keeps polled answers per generation (``backend.common.views``); its own
commits bump it directly, and this tells the others, over the rooms' channels (Redis with
``CHENGYUN_REDIS_URL``), as the session-ended broadcast does. Several commits in one turn
of the event loop go out as one message. The payload is the sender's id, so a process
skips its own (the channels deliver locally too). While Redis is away another process's
message can be lost, so the kept answers are not used (``ViewCache.live``), and when it is
back every process drops them (``on_reconnect``). Without Redis there is one process (the
memory backend reaches no other) and nothing is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable

from litestar.channels import ChannelsPlugin, Subscriber
from litestar.channels.backends.base import ChannelsBackend

from backend.common.views import ViewCache
from backend.rooms.redis_channels import ResilientRedisBackend

__all__ = ["VIEWS_CHANNEL", "install_view_broadcast"]

VIEWS_CHANNEL = "_views"

Hook = Callable[[], Awaitable[None]]


def install_view_broadcast(
    views: ViewCache, channels: ChannelsPlugin, backend: ChannelsBackend
) -> tuple[Hook, Hook]:
    """The (start, stop) steps, run once the channels are up and before they go down."""
    if not isinstance(backend, ResilientRedisBackend):
        return _nothing, _nothing
    me = uuid.uuid4().hex.encode()
    pending = False
    tasks: list[asyncio.Task[None]] = []
    subscribers: list[Subscriber] = []

    def send() -> None:
        nonlocal pending
        pending = False
        channels.publish(me, VIEWS_CHANNEL)

    def changed() -> None:
        nonlocal pending
        if not pending:
            pending = True
            asyncio.get_running_loop().call_soon(send)

    views.live = lambda: backend.connected
    backend.on_reconnect.append(lambda: views.bump(broadcast=False))

    async def start() -> None:
        subscriber = await channels.subscribe(VIEWS_CHANNEL)
        subscribers.append(subscriber)

        async def consume() -> None:
            async for sender in subscriber.iter_events():
                if sender != me:
                    views.bump(broadcast=False)

        tasks.append(asyncio.create_task(consume()))
        views.changed.append(changed)

    async def stop() -> None:
        with contextlib.suppress(ValueError):
            views.changed.remove(changed)
        for subscriber in subscribers:
            await channels.unsubscribe(subscriber, VIEWS_CHANNEL)
        for task in tasks:
            task.cancel()

    return start, stop


async def _nothing() -> None:
    return None
