"""Builds the app's metrics and hooks them to the parts that record as they go."""

from __future__ import annotations

from backend.context import AppContext
from backend.observability.looplag import LoopLagProbe
from backend.observability.metrics import AppMetrics

__all__ = ["install"]


def install(ctx: AppContext) -> AppMetrics:
    """After rooms, notify and the scheduler: hooks the hub's fan-out and the relay's results."""
    metrics = AppMetrics(ctx.db, ctx.now, ctx.rooms.hub, ctx.scheduler)
    ctx.metrics = metrics
    ctx.rooms.hub.fanout_observer = metrics.observe_fanout
    ctx.push_relay.on_result = metrics.count_push_result
    probe = LoopLagProbe(metrics.loop_lag.observe)
    ctx.on_startup.append(probe.start)
    ctx.on_shutdown.append(probe.stop)
    return metrics
