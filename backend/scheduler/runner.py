"""APScheduler 3.x in the app's lifespan, running registered jobs only while elected."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.ext.asyncio import AsyncEngine

from backend.scheduler.leader import LeaderLock
from backend.scheduler.registry import C, JobRegistry, JobSpec

__all__ = ["SchedulerRunner"]

log = logging.getLogger("chengyun.scheduler")

ELECTION_SECONDS = 15


class SchedulerRunner(Generic[C]):
    """Every process runs an election tick; only the leader's ticks run the jobs.

    Each job is called with ``ctx``; the election runs on ``engine``.
    """

    def __init__(self, ctx: C, registry: JobRegistry[C], engine: AsyncEngine) -> None:
        self.ctx = ctx
        self.registry = registry
        self.lock = LeaderLock(engine)
        self.scheduler = AsyncIOScheduler(timezone="Asia/Shanghai")
        self.ticks: dict[str, int] = {}
        self.last_lag: dict[str, float] = {}

    def _wrap(self, spec: JobSpec[C]) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            # Confirmed on the lock's own connection each time: after a database restart the
            # old leader's connection is dead and another process may hold the lock now.
            if not await self.lock.confirm():
                return
            started = time.monotonic()
            try:
                await spec.fn(self.ctx)
            except Exception:
                # A failing sweep must not stop the scheduler; the next tick retries, and
                # the sweep is idempotent. The error is logged with its traceback.
                log.exception("job %s failed", spec.name)
            finally:
                self.ticks[spec.name] = self.ticks.get(spec.name, 0) + 1
                self.last_lag[spec.name] = time.monotonic() - started

        return run

    async def elect(self) -> None:
        try:
            await self.lock.try_acquire()
        except Exception as exc:  # noqa: BLE001 - the database may be briefly away
            log.warning("scheduler election failed: %s", exc)

    async def start(self) -> None:
        await self.elect()
        self.scheduler.add_job(
            self.elect,
            IntervalTrigger(seconds=ELECTION_SECONDS),
            id="_election",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=ELECTION_SECONDS,
        )
        for spec in self.registry.jobs.values():
            if spec.seconds is not None:
                trigger = IntervalTrigger(seconds=spec.seconds)
                # A tick missed by more than one interval is skipped: the next one covers it.
                grace = max(1, int(spec.seconds))
            else:
                trigger = CronTrigger(hour=spec.hour, minute=spec.minute)
                # A daily job (the 08:00 briefing) still runs if the process was busy or
                # restarting for up to an hour, once.
                grace = 3600
            self.scheduler.add_job(
                self._wrap(spec),
                trigger,
                id=spec.name,
                coalesce=True,  # several missed runs collapse into one
                max_instances=1,  # never two sweeps of one kind at once in a process
                misfire_grace_time=grace,
            )
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.lock.release()
