"""Prometheus metrics of one app: a registry per app (tests build several apps).

Counts that change on the hot path (requests, fan-out, push results) are recorded as
they happen; everything else (open sockets, outbox depth, scheduler ticks) is read at
scrape time, so nothing has to be kept in step.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from backend.db.engine import Database
from backend.db.models import PushDelivery
from backend.db.models.citylink import CityOutbox
from backend.observability.looplag import LAG_BUCKETS

if TYPE_CHECKING:
    from backend.rooms.hub import RoomHub
    from backend.scheduler.runner import SchedulerRunner

__all__ = ["AppMetrics"]

_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_FANOUT_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5)


class _ScrapeCollector(Collector):
    """Gauges read at scrape time from the app's parts and the last outbox query."""

    def __init__(self, metrics: AppMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Metric]:
        hub = self.metrics.hub
        sockets = GaugeMetricFamily("chengyun_ws_connections", "Open WebSocket connections.")
        sockets.add_metric([], hub.open_sockets)
        yield sockets

        process = GaugeMetricFamily(
            "chengyun_process", "The process that answered this scrape.", labels=["pid"]
        )
        process.add_metric([str(os.getpid())], 1)
        yield process

        writes = CounterMetricFamily(
            "chengyun_ws_direct_writes",
            "Room fan-out frames by path: written at once (eager), behind a send in flight "
            "(queued), or through a writer task as the server's send is unknown (fallback).",
            labels=["path"],
        )
        counts = hub.writes
        for path in ("eager", "queued", "fallback"):
            writes.add_metric([path], getattr(counts, path))
        yield writes

        pending = GaugeMetricFamily(
            "chengyun_outbox_pending", "Outbox rows waiting to be sent.", labels=["outbox"]
        )
        oldest = GaugeMetricFamily(
            "chengyun_outbox_oldest_age_seconds",
            "How long the longest-waiting due outbox row has been due (0 when none).",
            labels=["outbox"],
        )
        for name, (count, age) in sorted(self.metrics.outboxes.items()):
            pending.add_metric([name], count)
            oldest.add_metric([name], age)
        yield pending
        yield oldest

        runner = self.metrics.scheduler
        ticks = CounterMetricFamily(
            "chengyun_scheduler_ticks", "Scheduler job runs in this process.", labels=["job"]
        )
        duration = GaugeMetricFamily(
            "chengyun_scheduler_last_run_seconds",
            "How long the job's last run took.",
            labels=["job"],
        )
        leader = GaugeMetricFamily(
            "chengyun_scheduler_leader", "1 when this process runs the scheduled jobs."
        )
        if runner is not None:
            for job, n in sorted(runner.ticks.items()):
                ticks.add_metric([job], n)
            for job, seconds in sorted(runner.last_lag.items()):
                duration.add_metric([job], seconds)
            leader.add_metric([], 1 if runner.lock.held else 0)
        else:
            leader.add_metric([], 0)
        yield ticks
        yield duration
        yield leader


class AppMetrics:
    """The registry and its recorders; the gauges read ``hub`` and ``scheduler`` (None when
    this process only serves) at scrape time, the outbox depth from ``db`` at ``now``."""

    def __init__(
        self,
        db: Database,
        now: Callable[[], datetime],
        hub: RoomHub,
        scheduler: SchedulerRunner[Any] | None,
    ) -> None:
        self.db = db
        self.now = now
        self.hub = hub
        self.scheduler = scheduler
        self.registry = CollectorRegistry(auto_describe=False)
        self.http_latency = Histogram(
            "chengyun_http_request_duration_seconds",
            "HTTP request latency by route template, method and status class.",
            ["method", "route", "status"],
            buckets=_LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.fanout = Histogram(
            "chengyun_room_fanout_seconds",
            "Time to hand one batch of room frames to the local sockets' queues.",
            buckets=_FANOUT_BUCKETS,
            registry=self.registry,
        )
        self.loop_lag = Histogram(
            "chengyun_event_loop_lag_seconds",
            "How late a periodic 50 ms timer of this process ran: the event loop's stalls.",
            buckets=LAG_BUCKETS,
            registry=self.registry,
        )
        self.push_results = Counter(
            "chengyun_push_results",
            "Push deliveries recorded by the relay, by outcome.",
            ["outcome"],
            registry=self.registry,
        )
        # name -> (pending rows, age in seconds of the oldest due one), set per scrape.
        self.outboxes: dict[str, tuple[int, float]] = {}
        self.registry.register(_ScrapeCollector(self))

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.http_latency.labels(method, route, f"{status // 100}xx").observe(seconds)

    def observe_fanout(self, seconds: float) -> None:
        self.fanout.observe(seconds)

    def count_push_result(self, outcome: str) -> None:
        self.push_results.labels(outcome).inc()

    async def refresh_outboxes(self) -> None:
        """Two indexed COUNT/MIN queries: (state, next_attempt_at) and next_attempt_at."""
        now = self.now()
        async with self.db.sessions() as s:
            push = (
                await s.execute(
                    select(func.count(), func.min(PushDelivery.next_attempt_at)).where(
                        PushDelivery.state.in_(("pending", "sending"))
                    )
                )
            ).one()
            city = (
                await s.execute(
                    select(func.count(), func.min(CityOutbox.next_attempt_at)).where(
                        CityOutbox.next_attempt_at.is_not(None)
                    )
                )
            ).one()
        self.outboxes = {"push": _depth(push, now), "city": _depth(city, now)}

    async def render(self) -> bytes:
        await self.refresh_outboxes()
        return generate_latest(self.registry)


def _depth(row: Any, now: datetime) -> tuple[int, float]:
    count, due = row
    if not count or due is None:
        return int(count or 0), 0.0
    if due.tzinfo is None:
        due = due.replace(tzinfo=now.tzinfo)
    return int(count), max(0.0, (now - due).total_seconds())
