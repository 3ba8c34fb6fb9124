"""The scheduler runs registered jobs in the lifespan, only in the elected process."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from backend.app import create_app
from tests.conftest import running


async def test_jobs_run_in_the_lifespan(settings) -> None:
    # Registered before start: create_app schedules what the registry holds at startup.
    app = create_app(settings.with_overrides(scheduler_enabled=True))
    ran = asyncio.Event()

    async def probe(ctx: Any) -> None:
        ran.set()

    runner = app.state["ctx"].scheduler
    runner.registry.every("probe", 0.05, probe)
    async with running(app):
        await asyncio.wait_for(ran.wait(), timeout=10)
        assert runner.ticks["probe"] >= 1
        assert {"sla_sweep", "daily_briefing", "push_relay"} <= set(runner.registry.jobs)
    assert not runner.scheduler.running


@pytest.mark.pg_only
async def test_only_the_elected_process_runs_jobs(settings) -> None:
    first = create_app(settings.with_overrides(scheduler_enabled=True))
    second = create_app(settings.with_overrides(scheduler_enabled=True))
    ran = {"first": asyncio.Event(), "second": asyncio.Event()}
    for name, app in (("first", first), ("second", second)):

        async def probe(ctx: Any, name: str = name) -> None:
            ran[name].set()

        app.state["ctx"].scheduler.registry.every("probe", 0.05, probe)
    async with running(first):
        await asyncio.wait_for(ran["first"].wait(), timeout=10)
        async with running(second):
            runner = second.state["ctx"].scheduler
            assert runner.lock.held is False
            # The leader's job keeps running a few times while the other's does not.
            for _ in range(3):
                ran["first"].clear()
                await asyncio.wait_for(ran["first"].wait(), timeout=10)
            assert not ran["second"].is_set()
            # The leader stops: the other takes over at its next election.
            await first.state["ctx"].scheduler.stop()
            await runner.elect()
            assert runner.lock.held is True
            await asyncio.wait_for(ran["second"].wait(), timeout=10)
