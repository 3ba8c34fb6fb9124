"""Gives every domain the job registry, and runs the scheduler in the lifespan."""

from __future__ import annotations

from backend.context import AppContext
from backend.scheduler.registry import JobRegistry
from backend.scheduler.runner import SchedulerRunner

__all__ = ["install", "start_scheduler"]


def install(ctx: AppContext) -> JobRegistry:
    registry = JobRegistry()
    ctx.parts["jobs"] = registry
    return registry


def start_scheduler(ctx: AppContext) -> None:
    """Called last in create_app, after every domain registered its jobs."""
    if not ctx.settings.scheduler_enabled:
        return
    runner = SchedulerRunner(ctx, ctx.part("jobs"))
    ctx.parts["scheduler"] = runner
    ctx.parts.setdefault("on_startup", []).append(runner.start)
    ctx.parts.setdefault("on_shutdown", []).append(runner.stop)
