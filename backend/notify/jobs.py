"""Periodic notify jobs: the relay sweep (what no kick picked up) and device cleanup."""

from __future__ import annotations

import logging

from backend.context import AppContext
from backend.notify.devices import drop_stale_devices
from backend.notify.relay import PushRelay

__all__ = ["device_cleanup", "push_relay_sweep"]

log = logging.getLogger("chengyun.notify.jobs")


async def push_relay_sweep(ctx: AppContext) -> None:
    """Retries that came due, quiet hours that ended, leases of crashed relays that ran out,
    and anything a kick in another process missed."""
    relay: PushRelay = ctx.push_relay
    handled = await relay.drain()
    if handled:
        log.info("push relay sweep handled %d deliveries", handled)


async def device_cleanup(ctx: AppContext) -> None:
    async with ctx.db.sessions() as session:
        dropped = await drop_stale_devices(session, ctx.now())
        await session.commit()
    if dropped:
        log.info("dropped %d devices not seen for 270 days", dropped)
