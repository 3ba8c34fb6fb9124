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
    calendar = load_default_calendar()
    planner = SlaPlanner(calendar)
    ctx.parts["calendar"] = calendar
    ctx.parts["sla_planner"] = planner
    # Short-lived: categories change only by seeding, possibly from another process.
    ctx.parts["category_cache"] = categories = CategoryCache(ttl_seconds=60)
    ctx.parts["events"] = EventService(
        planner=planner,
        links=ctx.part("media_links"),
        grids=ctx.part("grid_index"),
        duplicate_window=timedelta(hours=ctx.settings.duplicate_window_hours),
        gps_mismatch_m=ctx.settings.media_gps_mismatch_m,
        on_media_attached=ctx.parts.get("on_media_attached"),
        categories=categories,
    )
