"""考核: a month of dispatches scored per receiving org.

The unit is the assignment (one dispatch of one event to one org), taken in the month it
was dispatched (Asia/Shanghai calendar month). Documented in docs/api.md.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import True_

from backend.db.models import Event, EventAssignment, Org, TimelineEntry
from backend.errors import ProblemError
from backend.stats.rollup_reads import assessment_rolled
from backend.stats.scope import Window, rate
from schemas.stats import AssessmentOut, AssessmentRow

__all__ = ["FORMULA", "WEIGHTS", "assessment", "month_window", "rank_rows", "score_of"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Months the database can hold (the instants checked_instant accepts: 1970 to 2199); the
# query parameter carries the same pattern, so the schema says what is checked here.
MONTH_PATTERN = r"^(19[7-9]\d|2[01]\d\d)-(0[1-9]|1[0-2])$"
MONTH = re.compile(MONTH_PATTERN)
WEIGHTS = {"on_time": 40.0, "no_return": 20.0, "no_rework": 20.0, "satisfaction": 20.0}
FORMULA = (
    "score = (40*on_time_rate + 20*(1-return_rate) + 20*(1-rework_rate)"
    " + 20*satisfaction_avg/5) * 100 / (sum of the weights of the terms that are defined);"
    " a term whose rate is null (nothing to measure) is left out and the rest rescaled"
)


def month_window(month: str | None, now: datetime) -> tuple[str, Window]:
    if month is None:
        local = now.astimezone(SHANGHAI)
        month = f"{local.year:04d}-{local.month:02d}"
    m = MONTH.match(month)
    if m is None:
        raise ProblemError(
            400,
            "validation_failed",
            "month must be YYYY-MM between 1970 and 2199",
            errors=[{"field": "month", "message": "YYYY-MM", "source": "query"}],
        )
    year, mon = int(m.group(1)), int(m.group(2))
    start = datetime(year, mon, 1, tzinfo=SHANGHAI)
    end = datetime(year + mon // 12, mon % 12 + 1, 1, tzinfo=SHANGHAI)
    return month, Window(start.astimezone(UTC), end.astimezone(UTC))


def score_of(
    on_time: float | None, returned: float, rework: float | None, satisfaction: float | None
) -> float:
    terms = [
        (WEIGHTS["on_time"], on_time),
        (WEIGHTS["no_return"], 1 - returned),
        (WEIGHTS["no_rework"], None if rework is None else 1 - rework),
        (WEIGHTS["satisfaction"], None if satisfaction is None else satisfaction / 5),
    ]
    defined = [(w, v) for w, v in terms if v is not None]
    return round(100 * sum(w * v for w, v in defined) / sum(w for w, _ in defined), 2)


def rank_rows(rows: list[AssessmentRow]) -> None:
    """Competition ranking: equal scores share a rank and the next rank skips (1, 1, 3).
    Within a rank, more received first, then by name, so the order is stable."""
    rows.sort(key=lambda r: (-r.score, -r.received, r.org_name))
    for i, r in enumerate(rows):
        r.rank = rows[i - 1].rank if i and r.score == rows[i - 1].score else i + 1


async def assessment(
    session: AsyncSession, *, scope: ColumnElement[bool], month: str, window: Window
) -> AssessmentOut:
    # On PostgreSQL the month's sums come from the assessment roll-up (backend/stats/
    # rollup_reads.py); SQLite and other scopes read the assignments.
    rolled = await assessment_rolled(session, scope, window, SHANGHAI)
    if rolled is not None:
        base = [r[:7] for r in rolled]
        rework = {r[0]: (r[7], r[8]) for r in rolled}
    else:
        base, rework = await _raw(session, scope, window)
    orgs = {
        o.id: o
        for o in (
            await session.execute(select(Org).where(Org.id.in_({r[0] for r in base})))
        ).scalars()
    }
    rows: list[AssessmentRow] = []
    for org_id, received, returned, hd, ot, sat_sum, visits_n in base:
        returned, hd, ot = int(returned or 0), int(hd or 0), int(ot or 0)
        reports, failed_n = rework.get(org_id, (0, 0))
        sat = int(sat_sum) / visits_n if visits_n else None
        on_time_rate = rate(ot, hd)
        return_rate = rate(returned, received) or 0.0
        rework_rate = rate(failed_n, reports)
        org = orgs.get(org_id)
        rows.append(
            AssessmentRow(
                org_id=org_id,
                org_name=org.name if org else org_id,
                org_type=org.type if org else "",
                received=received,
                returned=returned,
                handled_with_due=hd,
                on_time=ot,
                on_time_rate=on_time_rate,
                return_rate=return_rate,
                reports=reports,
                failed_verifications=failed_n,
                rework_rate=rework_rate,
                visits=visits_n,
                satisfaction_avg=round(sat, 2) if sat is not None else None,
                score=score_of(
                    None if hd == 0 else ot / hd,
                    returned / received,
                    None if reports == 0 else failed_n / reports,
                    sat,
                ),
                rank=0,
            )
        )
    rank_rows(rows)
    return AssessmentOut(
        month=month, from_=window.start, to=window.end, formula=FORMULA, items=rows
    )


async def _raw(
    session: AsyncSession, scope: ColumnElement[bool], window: Window
) -> tuple[list[Any], dict[str, tuple[int, int]]]:
    """Per org: (org, received, returned, handled with due, on time, satisfaction sum,
    visits), and (reports, failed verifications), read from the assignments."""
    a, t = EventAssignment, TimelineEntry
    where = and_(scope, window.clause(a.assigned_at))
    # The assignment whose handling the event's handled_at / due_at describe: the current
    # one, or the one the case was closed under. Returned ones were not handled by this org.
    finished_here = or_(a.ended_at.is_(None), a.end_reason == "closed")
    handled_due = and_(finished_here, Event.handled_at.is_not(None), Event.due_at.is_not(None))
    on_time = and_(handled_due, Event.handled_at <= Event.due_at)
    # Satisfaction (the event's latest visit, kept on the event by backend/stats/wiring.py)
    # belongs to the org the case was closed under.
    closed_sat = case((a.end_reason == "closed", Event.satisfaction), else_=None)
    base = list(
        (
            await session.execute(
                select(
                    a.org_id,
                    func.count(),
                    func.sum(case((a.end_reason == "returned", 1), else_=0)),
                    func.sum(case((handled_due, 1), else_=0)),
                    func.sum(case((on_time, 1), else_=0)),
                    func.sum(closed_sat),
                    func.count(closed_sat),
                )
                .join(Event, Event.id == a.event_id)
                .where(where)
                .group_by(a.org_id)
            )
        ).all()
    )

    # Reports and failed verifications written while the assignment ran (rework = 返工).
    # ``t.at >= window.start`` follows from ``t.at >= assigned_at``; it lets the database
    # read only the entries since the month began, from ix_event_timeline_rework
    # (action, at, event_id, to_status) without touching the rows. A failed verification is
    # the verify that sends the case back to handling (the action writes ``passed: false``
    # and that transition together).
    during = and_(
        t.event_id == a.event_id,
        t.at >= a.assigned_at,
        or_(a.ended_at.is_(None), t.at <= a.ended_at),
        t.action.in_(("report", "verify")),
        t.at >= window.start,
    )
    failed = and_(t.action == "verify", t.to_status == "handling")
    rework_q = (
        select(
            a.org_id,
            func.sum(case((t.action == "report", 1), else_=0)),
            func.sum(case((failed, 1), else_=0)),
        )
        .select_from(a)
        .join(t, during)
        .where(where)
        .group_by(a.org_id)
    )
    if not isinstance(scope, True_):  # the event's street; district-wide needs no join
        rework_q = rework_q.join(Event, Event.id == a.event_id)
    rework = dict(
        (org, (int(r or 0), int(f or 0))) for org, r, f in await session.execute(rework_q)
    )
    return base, rework
