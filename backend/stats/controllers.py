"""HTTP: 体征 overview, hotspots (高频, 多跨) and monthly assessment (考核)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from backend.common.pagination import RFC3339
from backend.deps import DB, Caller
from backend.parts import ContextDep
from backend.stats import assessment as assess
from backend.stats.hotspots import hotspots
from backend.stats.scope import DEFAULT_WINDOW, scope_clause, window_of
from backend.stats.service import overview
from schemas.stats import AssessmentOut, HotspotsOut, OverviewOut

__all__ = ["StatsController"]

# Strings, parsed by checked_instant: Litestar converts query times leniently, so "0.5"
# was taken as seconds after 1970 where the contract says RFC 3339 with an offset.
From = Annotated[
    str | None, QueryParameter(name="from", description="window start", pattern=RFC3339)
]
To = Annotated[str | None, QueryParameter(description="window end (exclusive)", pattern=RFC3339)]
StreetId = Annotated[str | None, QueryParameter(pattern=r"^[A-Za-z0-9_-]{1,64}$")]


class StatsController(Controller):
    path = "/stats"
    tags = ["statistics"]

    @get("/overview")
    async def overview(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        from_: From = None,
        to: To = None,
        street_id: StreetId = None,
    ) -> OverviewOut:
        scope = scope_clause(principal, street_id)
        now = ctx.now()
        return await overview(
            db,
            scope=scope,
            window=window_of(from_, to, now, DEFAULT_WINDOW),
            street_id=street_id,
            now=now,
            sqlite=ctx.db.is_sqlite,
        )

    @get("/hotspots")
    async def hotspots(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        from_: From = None,
        to: To = None,
        street_id: StreetId = None,
        min_count: Annotated[int, QueryParameter(ge=2, le=1000)] = 3,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
    ) -> HotspotsOut:
        scope = scope_clause(principal, street_id)
        window = window_of(from_, to, ctx.now(), DEFAULT_WINDOW)
        return await hotspots(db, scope=scope, window=window, min_count=min_count, limit=limit)

    @get("/assessment")
    async def assessment(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        month: Annotated[
            str | None, QueryParameter(max_length=7, pattern=assess.MONTH_PATTERN)
        ] = None,
        street_id: StreetId = None,
    ) -> AssessmentOut:
        scope = scope_clause(principal, street_id)
        label, window = assess.month_window(month, ctx.now())
        return await assess.assessment(db, scope=scope, month=label, window=window)
