"""Builds the events domain's long-lived parts into the app context."""

from __future__ import annotations

from datetime import timedelta

from backend.context import AppContext
from backend.events.service import EventService
from backend.orgs.service import CategoryCache
from backend.sla.calendar import load_default_calendar
from backend.sla.service import SlaPlanner

__all__ = ["install"]


def install(ctx: AppContext) -> None:
    """After media (links, the attached-media callback) and the grid index."""
    ctx.calendar = load_default_calendar()
    ctx.sla_planner = SlaPlanner(ctx.calendar)
    # Short-lived: categories change only by seeding, possibly from another process.
    ctx.category_cache = CategoryCache(ttl_seconds=60)
    ctx.events = EventService(
        planner=ctx.sla_planner,
        links=ctx.media_links,
        grids=ctx.grid_index,
        duplicate_window=timedelta(hours=ctx.settings.duplicate_window_hours),
        gps_mismatch_m=ctx.settings.media_gps_mismatch_m,
        on_media_attached=ctx.on_media_attached,
        categories=ctx.category_cache,
    )
