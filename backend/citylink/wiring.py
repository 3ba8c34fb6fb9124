"""Installs the city link: event hooks and the relay job, only when an endpoint is set."""

from __future__ import annotations

from backend.citylink.service import relay_once
from backend.context import AppContext

__all__ = ["install"]


def install(ctx: AppContext) -> None:
    """Only with ``CHENGYUN_CITY_ENDPOINT`` set; its hooks: ``event_hooks`` (same condition)."""
    if not ctx.settings.city_endpoint:
        return  # disabled: nothing is queued, nothing is sent
    ctx.jobs.every("city_relay", ctx.settings.city_relay_seconds, relay_once)
