"""HTTP: the working periods of the server's SLA calendar, for pages counting time left."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from litestar import Controller, Response, get
from litestar.params import QueryParameter

from backend.common.pagination import RFC3339, checked_instant
from backend.deps import Caller
from backend.errors import ProblemError
from backend.parts import ContextDep
from schemas.sla import WorkingPeriodOut, WorkingPeriodsOut

__all__ = ["MAX_WINDOW", "CalendarController"]

MAX_WINDOW = timedelta(days=62)
# The calendar only changes with a deploy (the holiday file ships with the code).
CACHE_CONTROL = "private, max-age=3600"


def _bad_window(field: str, message: str) -> ProblemError:
    return ProblemError(
        400,
        "validation_failed",
        message,
        errors=[{"field": field, "message": message, "source": "query"}],
    )


class CalendarController(Controller):
    path = "/calendar"
    tags = ["sla"]

    @get("/working-periods")
    async def working_periods(
        self,
        ctx: ContextDep,
        principal: Caller,
        from_: Annotated[
            str, QueryParameter(name="from", description="window start", pattern=RFC3339)
        ],
        to: Annotated[str, QueryParameter(description="window end (exclusive)", pattern=RFC3339)],
    ) -> Response[WorkingPeriodsOut]:
        start = checked_instant(from_, "from", "query")
        end = checked_instant(to, "to", "query")
        if start is None or end is None or start >= end:
            raise _bad_window("from", "from must be before to")
        if end - start > MAX_WINDOW:
            raise _bad_window("to", f"the window may span at most {MAX_WINDOW.days} days")
        periods = ctx.calendar.working_periods(start, end)
        body = WorkingPeriodsOut(
            timezone=ctx.calendar.tz.key,
            from_=start,
            to=end,
            periods=[WorkingPeriodOut(start=a, end=b) for a, b in periods],
        )
        return Response(body, headers={"Cache-Control": CACHE_CONTROL})
