"""Periodic jobs as data: domains register them at startup; the elected scheduler runs them.

A job is ``async def job(ctx) -> None`` and opens its own short sessions. The registry is
generic over what the jobs receive (the app builds a ``JobRegistry[AppContext]``), so the
scheduler knows no app type. Jobs are sweeps over indexed due times, idempotent, so a
doubled or missed tick does no harm: never one scheduler job per deadline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

__all__ = ["JobFn", "JobRegistry", "JobSpec"]

#: What every job of one registry receives (the app's context).
C = TypeVar("C")

# A job may return a count (how much it did); the runner ignores it.
JobFn = Callable[[C], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class JobSpec(Generic[C]):
    name: str
    fn: JobFn[C]
    # Either every `seconds`, or daily at `hour:minute` Asia/Shanghai.
    seconds: float | None = None
    hour: int | None = None
    minute: int = 0


@dataclass
class JobRegistry(Generic[C]):
    jobs: dict[str, JobSpec[C]] = field(default_factory=dict)

    def every(self, name: str, seconds: float, fn: JobFn[C]) -> None:
        self._add(JobSpec(name=name, fn=fn, seconds=seconds))

    def daily(self, name: str, hour: int, minute: int, fn: JobFn[C]) -> None:
        self._add(JobSpec(name=name, fn=fn, hour=hour, minute=minute))

    def _add(self, spec: JobSpec[C]) -> None:
        if spec.name in self.jobs:
            raise ValueError(f"job {spec.name!r} registered twice")
        self.jobs[spec.name] = spec
