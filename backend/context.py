"""The application's long-lived parts, built once by ``create_app`` and kept on app state."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text

from backend.auth.service import AuthService
from backend.db.base import utcnow
from backend.db.engine import Database
from backend.settings import Settings

__all__ = ["AppContext"]

Probe = Callable[[], Awaitable[Any]]


@dataclass
class AppContext:
    settings: Settings
    db: Database
    auth: AuthService
    # Filled by domains at startup (calendar, grid index, media store, image pool, ...).
    parts: dict[str, Any] = field(default_factory=dict)
    probes: dict[str, Probe] = field(default_factory=dict)
    # The one source of "now" for business rules, so tests can move time (SLA clocks).
    clock: Callable[[], datetime] = utcnow

    def now(self) -> datetime:
        # UTC throughout, so an answer shows the same offset before and after a round trip
        # through the database.
        return self.clock().astimezone(UTC)

    def part(self, name: str) -> Any:
        return self.parts[name]

    async def _db_probe(self) -> None:
        async with self.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _schema_probe(self) -> None:
        from backend.db.migrate import check_schema

        await check_schema(self.db.engine)

    def readiness_probes(self) -> dict[str, Probe]:
        # "schema": migrated to this code's revisions (a replica of an older release stays
        # ready when the schema is ahead of it, during a rolling upgrade).
        return {"database": self._db_probe, "schema": self._schema_probe, **self.probes}
