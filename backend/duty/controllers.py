"""HTTP: duty rosters (值班表), who is on duty now, and a month's roster as CSV."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated, Any

from litestar import Controller, Request, get, post, put
from litestar.datastructures import UploadFile
from litestar.params import JSONBody, MultipartBody, QueryParameter
from sqlalchemy import select

from backend.common.pagination import Cursor, Limit, decode_cursor, encode_cursor
from backend.db.models import Org, User
from backend.deps import DB, Caller
from backend.duty.csv_import import parse_roster_csv
from backend.duty.rosters import RowError, apply_rosters, present_rosters, roster_query, user_out
from backend.duty.service import roster_at
from backend.duty.shifts import TZ, shift_at, shift_bounds
from backend.errors import ProblemError
from backend.parts import ContextDep
from schemas.duty import DutyNowOut, RosterPage, RosterPut, RostersOut

__all__ = ["DutyController"]

# A month's CSV is a few hundred lines; this leaves room for many orgs.
IMPORT_BODY_LIMIT = 2 * 1024 * 1024
MAX_SPAN_DAYS = 92

OrgId = Annotated[str, QueryParameter(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]


def _raise_row_errors(errors: list[RowError], *, csv_lines: bool) -> None:
    forbidden = any(e.forbidden for e in errors)
    if csv_lines:
        listed = [{"line": e.index, "field": e.field, "message": e.message} for e in errors]
    else:
        listed = [
            {"field": f"[{e.index}].{e.field}", "message": e.message, "source": "body"}
            for e in errors
        ]
    # Rostering an org you do not manage is a permission problem, whatever else is wrong.
    status, code = (403, "forbidden") if forbidden else (422, "validation_failed")
    detail = "; ".join(
        (f"line {e.index}: " if csv_lines and e.index else "") + f"{e.field}: {e.message}"
        for e in errors[:10]
    )
    raise ProblemError(status, code, detail, errors=listed)


class DutyController(Controller):
    path = "/duty"
    tags = ["duty"]

    @put("/rosters")
    async def put_rosters(
        self,
        request: Request[Any, Any, Any],
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: JSONBody[RosterPut],
    ) -> RostersOut:
        rosters, errors = await apply_rosters(db, principal, data, ctx.now())
        if errors:
            _raise_row_errors(errors, csv_lines=False)
        return RostersOut(items=await present_rosters(db, rosters))

    @post("/rosters/import", status_code=200, request_max_body_size=IMPORT_BODY_LIMIT)
    async def import_rosters(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: MultipartBody[dict[str, Any]],
    ) -> RostersOut:
        file = data.get("file")
        if not isinstance(file, UploadFile):
            raise ProblemError(
                400,
                "validation_failed",
                "send one multipart part named 'file' (CSV)",
                errors=[{"field": "file", "message": "missing", "source": "body"}],
            )
        content = await file.read()
        await file.close()
        rows, numbers, errors = await parse_roster_csv(db, content)
        if not errors:
            rosters, errors = await apply_rosters(db, principal, rows, ctx.now())
            # apply_rosters counts entries; report them as the file's line numbers.
            errors = [RowError(numbers[e.index], e.field, e.message, e.forbidden) for e in errors]
        if errors:
            _raise_row_errors(errors, csv_lines=True)
        return RostersOut(items=await present_rosters(db, rosters))

    @get("/rosters")
    async def list_rosters(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        org_id: Annotated[str | None, QueryParameter(max_length=64)] = None,
        from_: Annotated[date | None, QueryParameter(name="from")] = None,
        to: Annotated[date | None, QueryParameter()] = None,
        limit: Limit = 50,
        cursor: Cursor = None,
    ) -> RosterPage:
        today = ctx.now().astimezone(TZ).date()
        start = from_ or today
        end = to or start + timedelta(days=31)
        if end < start or (end - start).days > MAX_SPAN_DAYS:
            raise ProblemError(
                400,
                "validation_failed",
                f"from must not be after to, at most {MAX_SPAN_DAYS} days apart",
                errors=[{"field": "to", "message": "bad range", "source": "query"}],
            )
        after = None
        if cursor:
            c = decode_cursor(cursor, ("d", "s", "i"))
            try:
                after = (date.fromisoformat(str(c["d"])), str(c["s"]), str(c["i"]))
            except ValueError as exc:
                raise ProblemError(400, "validation_failed", "cursor is not valid") from exc
        found = list(
            (await db.scalars(roster_query(org_id, start, end, after).limit(limit + 1))).all()
        )
        page, more = found[:limit], len(found) > limit
        last = page[-1] if more else None
        next_cursor = (
            encode_cursor({"d": last.date.isoformat(), "s": last.shift, "i": last.id})
            if last
            else None
        )
        return RosterPage(items=await present_rosters(db, page), next_cursor=next_cursor)

    @get("/now")
    async def now(self, ctx: ContextDep, db: DB, principal: Caller, org_id: OrgId) -> DutyNowOut:
        if await db.get(Org, org_id) is None:
            raise ProblemError(404, "not_found", "no such org")
        at = ctx.now()
        day, shift = shift_at(at)
        starts, ends = shift_bounds(day, shift)
        roster = await roster_at(db, org_id, at)
        users: dict[str, User] = {}
        if roster is not None:
            users = {
                u.id: u for u in await db.scalars(select(User).where(User.id.in_(roster.user_ids)))
            }
        leader = users.get(roster.leader_id) if roster and roster.leader_id else None
        return DutyNowOut(
            org_id=org_id,
            date=day,
            shift=shift,  # type: ignore[arg-type]  # String column; the roster import checks the shift
            starts_at=starts,
            ends_at=ends,
            rostered=roster is not None,
            users=[user_out(users[u]) for u in (roster.user_ids if roster else []) if u in users],
            leader=user_out(leader) if leader else None,
        )
