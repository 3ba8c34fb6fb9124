"""Liveness and readiness."""

from __future__ import annotations

import asyncio
import logging

import msgspec
from litestar import Controller, Response, get

from backend.deps import PUBLIC
from backend.parts import ContextDep

__all__ = ["HealthController"]

log = logging.getLogger("chengyun.health")


class Health(msgspec.Struct, kw_only=True):
    status: str
    checks: dict[str, str] = {}


class HealthController(Controller):
    path = "/health"
    tags = ["health"]
    opt = PUBLIC  # probes answer without a token

    @get("/live")
    async def live(self) -> Health:
        return Health(status="ok")

    @get("/ready")
    async def ready(self, ctx: ContextDep) -> Response[Health]:
        checks: dict[str, str] = {}
        for name, probe in ctx.readiness_probes().items():
            try:
                await asyncio.wait_for(probe(), timeout=3)
                checks[name] = "ok"
            except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
                log.warning("readiness check %s failed: %s", name, exc)
                checks[name] = "down"
        ok = all(v == "ok" for v in checks.values())
        return Response(
            Health(status="ok" if ok else "unavailable", checks=checks),
            status_code=200 if ok else 503,
            headers=None if ok else {"Retry-After": "5"},
        )
