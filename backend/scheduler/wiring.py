"""Gives every domain the job registry, and runs the scheduler in the lifespan."""

from __future__ import annotations

from backend.context import AppContext
from backend.scheduler.registry import JobRegistry
from backend.scheduler.runner import SchedulerRunner

__all__ = ["install", "start_scheduler"]


def install(ctx: AppContext) -> JobRegistry[AppContext]:
    ctx.jobs = JobRegistry()
    return ctx.jobs


def start_scheduler(ctx: AppContext) -> None:
    """Called last by build_context, after every domain registered its jobs.

    ``CHENGYUN_SCHEDULER_ENABLED`` off: ``ctx.scheduler`` stays None, this process only serves.
    """
    if not ctx.settings.scheduler_enabled:
        return
    runner = SchedulerRunner(ctx, ctx.jobs, ctx.db.engine)
    ctx.scheduler = runner
    ctx.on_startup.append(runner.start)
    ctx.on_shutdown.append(runner.stop)
