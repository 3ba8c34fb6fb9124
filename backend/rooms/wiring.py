"""Builds the rooms domain into the app context: channels, hub, event hook, jobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend
from litestar.channels.backends.memory import MemoryChannelsBackend
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.context import AppContext
from backend.db.models import Org, Room
from backend.rooms.core import Rooms
from backend.rooms.event_feed import install_event_feed
from backend.rooms.hub import RoomHub
from backend.rooms.instructions import instruction_sweep
from backend.rooms.service import add_org_member

__all__ = ["RoomChannels", "install"]

log = logging.getLogger("chengyun.rooms")

Hook = Callable[[], Awaitable[None]]

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


class RoomChannels(ChannelsPlugin):
    """The channels plugin, with the hub started after it and stopped before it."""

    def __init__(self, backend: ChannelsBackend) -> None:
        super().__init__(backend=backend, arbitrary_channels_allowed=True)
        self.after_start: list[Hook] = []
        self.before_stop: list[Hook] = []

    async def __aenter__(self) -> RoomChannels:
        await super().__aenter__()
        for hook in self.after_start:
            await hook()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        try:
            for hook in reversed(self.before_stop):
                await hook()
        finally:
            await super().__aexit__(exc_type, exc_val, exc_tb)


def _backend(ctx: AppContext) -> tuple[ChannelsBackend, Callable[[], Awaitable[Any]] | None]:
    url = ctx.settings.redis_url
    if not url:
        return MemoryChannelsBackend(), None
    from litestar.channels.backends.redis import RedisChannelsPubSubBackend
    from redis.asyncio import Redis

    redis = Redis.from_url(url)

    async def probe() -> None:
        await redis.ping()

    async def close() -> None:
        await redis.aclose()

    ctx.parts.setdefault("on_shutdown", []).append(close)
    return RedisChannelsPubSubBackend(redis=redis, key_prefix="chengyun_channels"), probe


def install(ctx: AppContext) -> Rooms:
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
    rooms = Rooms(ctx, hub)
    rooms_holder["rooms"] = rooms
    ctx.parts["channels"] = channels
    ctx.parts["rooms"] = rooms
    if probe is not None:
        ctx.probes["channels"] = probe

    announcer: list[asyncio.Task[None]] = []

    async def announce_loop() -> None:
        while True:
            await asyncio.sleep(s.ws_ping_seconds)
            hub.announce_all()

    async def start() -> None:
        await hub.start()
        notify = ctx.parts.get("notify")
        if notify is not None:
            notify.live_listeners.append(hub.publish_notification)
        announcer.append(asyncio.create_task(announce_loop()))
        from backend.rooms.serving import install_sigterm_close

        undo.append(install_sigterm_close(hub.close_all_now))

    undo: list[Callable[[], None]] = []

    async def stop() -> None:
        for task in announcer:
            task.cancel()
        for step in undo:
            step()
        await hub.stop()

    channels.after_start.append(start)
    channels.before_stop.append(stop)

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

    ctx.part("events").hooks.action.append(on_action)
    install_event_feed(ctx.part("events"), hub)
    ctx.auth.session_ended.append(hub.end_session)
    ctx.part("jobs").every("instruction_reminders", s.instruction_sweep_seconds, instruction_sweep)
    return rooms
