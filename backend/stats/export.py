"""HTTP: ``GET /events/export.csv`` — the event list as a CSV file for dispatchers.

Streamed: rows are read in keyset pages of ``CHUNK`` with a short session each and written
as they come, so a district-wide export never holds the whole table in memory. UTF-8 with
a BOM and CRLF lines (Excel and WPS then open Chinese text right); cells that a
spreadsheet would run as a formula are prefixed with a quote (CSV injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

from litestar import Controller, get
from litestar.di import NamedDependency, Provide
from litestar.response import Stream
from sqlalchemy import Select, and_, or_, select

from backend.audit import service as audit
from backend.auth.principal import DISPATCHER_ROLES
from backend.db.engine import Database
from backend.db.models import Category, Event, Org
from backend.deps import DB, Caller
from backend.errors import ProblemError
from backend.events.filters import provide_event_filters
from backend.events.service import EventFilters, EventService
from backend.parts import ContextDep

__all__ = ["CHUNK", "HEADER", "ExportController", "csv_rows", "safe_cell"]

CHUNK = 500
SHANGHAI = ZoneInfo("Asia/Shanghai")
BOM = "\ufeff"
HEADER = (
    "案件编号",
    "状态",
    "类别",
    "等级",
    "来源",
    "问题描述",
    "地址",
    "纬度",
    "经度",
    "街道",
    "社区",
    "网格",
    "承办单位",
    "处置时限",
    "处置完成时间",
    "结案时间",
    "上报时间",
    "督办次数",
    "是否升级",
)
STATUS_LABELS = {
    "reported": "待受理",
    "registered": "已立案",
    "dispatched": "已派遣",
    "handling": "处置中",
    "handled": "已处置",
    "verified": "已核查",
    "closed": "已结案",
    "rejected": "不予受理",
    "cancelled": "已撤销",
    "merged": "已合并",
}
GRADE_LABELS = {1: "特急", 2: "紧急", 3: "较急", 4: "一般"}
SOURCE_LABELS = {"mobile": "移动端", "open311": "Open311", "city": "市平台"}
# OWASP's list: a leading = + - @ (and tab / CR, which some spreadsheets strip first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str | None) -> str:
    text = value or ""
    return "'" + text if text.startswith(FORMULA_START) else text


def _local(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def csv_rows(events: list[Event], names: dict[str, str]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    for e in events:
        writer.writerow(
            [
                e.case_no,
                STATUS_LABELS.get(e.status, e.status),
                safe_cell(names.get(e.category_code, e.category_code)),
                GRADE_LABELS.get(e.grade, str(e.grade)),
                SOURCE_LABELS.get(e.source, safe_cell(e.source)),
                safe_cell(e.description),
                safe_cell(e.address),
                f"{e.lat:.6f}",
                f"{e.lng:.6f}",
                safe_cell(names.get(e.street_id, "")),
                safe_cell(names.get(e.community_id, "")),
                safe_cell(names.get(e.grid_id, "")),
                safe_cell(names.get(e.assignee_org_id or "", "")),
                _local(e.due_at),
                _local(e.handled_at),
                _local(e.closed_at),
                _local(e.created_at),
                e.supervision_count,
                "是" if e.escalated else "否",
            ]
        )
    return buf.getvalue()


async def _stream(
    db: Database, query: Select[Event], names: dict[str, str]
) -> AsyncIterator[bytes]:
    yield (BOM + ",".join(HEADER) + "\r\n").encode()
    after: tuple[datetime, str] | None = None
    while True:
        page = query
        if after is not None:
            at, eid = after
            page = page.where(
                or_(Event.created_at < at, and_(Event.created_at == at, Event.id < eid))
            )
        page = page.order_by(Event.created_at.desc(), Event.id.desc()).limit(CHUNK)
        # A short session per page: a long export must not pin a connection or a snapshot.
        async with db.read_sessions() as session:
            events = list((await session.execute(page)).scalars())
        if not events:
            return
        yield csv_rows(events, names).encode()
        if len(events) < CHUNK:
            return
        after = (events[-1].created_at, events[-1].id)


class ExportController(Controller):
    # A static segment: Litestar's router prefers it to /events/{event_id:str}.
    path = "/events/export.csv"
    tags = ["events"]

    @get(
        "",
        opt={"writes": True},  # the export is audited
        dependencies={"filters": Provide(provide_event_filters)},
    )
    async def export(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        filters: NamedDependency[EventFilters],
    ) -> Stream:
        if principal.role not in DISPATCHER_ROLES:
            raise ProblemError(403, "forbidden", "only dispatchers may export events")
        svc: EventService = ctx.events
        now = ctx.now()
        # Reference tables are small (hundreds of rows): one read, then names by id.
        names = dict((await db.execute(select(Org.id, Org.name))).all())
        names |= dict((await db.execute(select(Category.code, Category.name))).all())
        audit.record(
            db,
            action="events.export",
            actor_id=principal.id,
            target_type="event",
            data={"filters": {k: v for k, v in vars_of(filters).items() if v is not None}},
        )
        stamp = now.astimezone(SHANGHAI).strftime("%Y%m%d-%H%M")
        filename = f"事件导出-{stamp}.csv"
        return Stream(
            _stream(ctx.db, svc.list_query(principal, filters, now), names),
            media_type="text/csv",  # Litestar appends "; charset=utf-8"
            headers={
                "Content-Disposition": (
                    f'attachment; filename="events-{stamp}.csv"; '
                    f"filename*=UTF-8''{quote(filename)}"
                ),
                "Cache-Control": "no-store",
            },
        )


def vars_of(f: EventFilters) -> dict[str, object]:
    return {
        k: (list(v) if isinstance(v, tuple) else v.isoformat() if isinstance(v, datetime) else v)
        for k in f.__slots__
        for v in [getattr(f, k)]
    }
