"""Builds the rooms domain into the app context: channels, hub, event hook, jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import Org, Room
from backend.events.hooks import DomainHooks
from backend.rooms.channels import RoomChannels
from backend.rooms.core import Rooms
from backend.rooms.hub import RoomHub
from backend.rooms.jobs import instruction_sweep
from backend.rooms.redis_channels import ResilientRedisBackend
from backend.rooms.service import add_org_member
from backend.rooms.view_broadcast import install_view_broadcast

__all__ = ["install", "system_line_hooks"]

log = logging.getLogger("chengyun.rooms")

# A system line per event action, in the room of the event (when it has one).
ACTION_TEXT = {
    "accept": "事件已受理",
    "reject": "事件不予受理",
    "register": "事件已立案",
    "dispatch": "事件已派遣至{org}",
    "start": "处置单位已开始处置",
    "return": "处置单位已退回事件",
    "report": "处置单位已反馈处置结果",
    "verify": "网格员已核查",
    "close": "事件已结案",
    "reopen": "事件已重新打开",
    "cancel": "事件已撤销",
    "merge": "事件已合并",
    "supervise": "事件被督办",
    "escalate": "事件已升级至区级",
    "request_extension": "处置单位申请延期",
    "decide_extension": "延期申请已处理",
    "comment": "新的评论",
    "visit": "已回访",
}


def _backend(ctx: AppContext) -> tuple[ChannelsBackend, Callable[[], Awaitable[Any]] | None]:
    url = ctx.settings.redis_url
    if not url:
        return MemoryChannelsBackend(), None
    from redis.asyncio import Redis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    # Bounded waits and no retries inside a command: the backend reconnects on its own
    # (backend/rooms/redis_channels.py), and a frame for other processes that cannot be
    # published now is read back from the database by them later.
    redis = Redis.from_url(
        url, socket_connect_timeout=2, socket_timeout=5, retry=Retry(NoBackoff(), 0)
    )

    async def probe() -> None:
        await redis.ping()

    async def close() -> None:
        await redis.aclose()

    ctx.on_shutdown.append(close)
    return ResilientRedisBackend(redis, key_prefix="chengyun_channels"), probe


def install(ctx: AppContext) -> Rooms:
    """After notify: the hub is its live ``notification`` frame listener."""
    backend, probe = _backend(ctx)
    channels = RoomChannels(backend)
    rooms_holder: dict[str, Rooms] = {}

    async def fetch(room_id: str, after: int, limit: int | None) -> Any:
        return await rooms_holder["rooms"].fetch_frames(room_id, after, limit)

    s = ctx.settings
    hub = RoomHub(
        channels,
        fetch_frames=fetch,
        send_rate=s.ws_send_rate,
        send_burst=s.ws_send_burst,
        presence_ttl=3 * s.ws_ping_seconds,
    )
    hub.local_only = isinstance(backend, MemoryChannelsBackend)
    rooms = Rooms(ctx.db, hub, ctx.media_links, ctx.notify)
    rooms_holder["rooms"] = rooms
    ctx.channels = channels
    ctx.rooms = rooms
    if probe is not None:
        ctx.probes["channels"] = probe

    announcer: list[asyncio.Task[None]] = []
    start_views, stop_views = install_view_broadcast(ctx.views, channels, backend)

    async def announce_loop() -> None:
        while True:
            await asyncio.sleep(s.ws_ping_seconds)
            hub.announce_all()

    async def start() -> None:
        await hub.start()
        await start_views()
        if isinstance(backend, ResilientRedisBackend):
            backend.on_reconnect.append(hub.after_outage)
        ctx.notify.live_listeners.append(hub.publish_notification)
        announcer.append(asyncio.create_task(announce_loop()))
        from backend.common.signals import install_sigterm_close

        undo.append(install_sigterm_close(hub.close_all_now))

    undo: list[Callable[[], None]] = []

    async def stop() -> None:
        for task in announcer:
            task.cancel()
        for step in undo:
            step()
        await stop_views()
        await hub.stop()

    channels.after_start.append(start)
    channels.before_stop.append(stop)

    ctx.auth.session_ended.append(hub.end_session)
    # Other processes drop their checked logins of an ended session when its broadcast comes.
    hub.session_ended_listeners.append(ctx.auth.verified.forget_session)
    ctx.jobs.every("instruction_reminders", s.instruction_sweep_seconds, instruction_sweep)
    return rooms


def system_line_hooks(rooms: Rooms) -> DomainHooks:
    """A system line in the event's room (when it has one) per event action."""

    async def on_action(session: AsyncSession, outcome: Any, now: Any) -> None:
        room = await session.scalar(select(Room).where(Room.event_key == outcome.event.id))
        if room is None:
            return
        org_name = ""
        if outcome.event.assignee_org_id:
            # The room follows its event: the assignee org joins when dispatched to.
            await add_org_member(session, room.id, outcome.event.assignee_org_id, now)
            org_name = (
                await session.scalar(
                    select(Org.name).where(Org.id == outcome.event.assignee_org_id)
                )
                or ""
            )
        text = ACTION_TEXT.get(outcome.action, outcome.action).format(org=org_name)
        if outcome.note:
            text = f"{text}：{outcome.note}"
        await rooms.post_system(session, room, text, now)

    return DomainHooks(action=on_action)
