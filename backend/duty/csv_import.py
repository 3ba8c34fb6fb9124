"""A month's roster as CSV: ``date,shift,org_code,usernames,leader_username``.

UTF-8 with or without a byte-order mark (Excel writes one). The header row names the
columns (any order). ``usernames`` are separated by ``;`` (or the full-width ``；`` that
Chinese input methods type). Lines are numbered as a spreadsheet shows them: the header is
line 1. The file is applied all or nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Org, User
from backend.duty.rosters import RowError
from schemas.duty import RosterIn

__all__ = ["COLUMNS", "MAX_LINES", "parse_roster_csv"]

COLUMNS = ("date", "shift", "org_code", "usernames", "leader_username")
MAX_LINES = 5000


@dataclass(frozen=True, slots=True)
class _Line:
    number: int
    date: str
    shift: str
    org_code: str
    usernames: list[str]
    leader: str


def _read(data: bytes) -> tuple[list[_Line], list[RowError]]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return [], [RowError(0, "file", "the file is not UTF-8")]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        return [], [RowError(0, "header", f"missing columns: {', '.join(missing)}")]
    at = {c: header.index(c) for c in COLUMNS}
    lines: list[_Line] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue  # blank lines (a trailing newline in Excel exports)
        if len(lines) >= MAX_LINES:
            return [], [RowError(number, "file", f"more than {MAX_LINES} lines")]
        cells = [c.strip() for c in cells] + [""] * (len(header) - len(cells))
        names = cells[at["usernames"]].replace("；", ";").split(";")
        lines.append(
            _Line(
                number=number,
                date=cells[at["date"]],
                shift=cells[at["shift"]].lower(),
                org_code=cells[at["org_code"]],
                usernames=[n.strip() for n in names if n.strip()],
                leader=cells[at["leader_username"]],
            )
        )
    return lines, []


async def parse_roster_csv(
    session: AsyncSession, data: bytes
) -> tuple[list[RosterIn], list[int], list[RowError]]:
    """Rosters, the line number of each, and per-line errors (index = line number)."""
    lines, errors = _read(data)
    if errors:
        return [], [], errors
    if not lines:
        return [], [], [RowError(0, "file", "no roster lines")]
    codes = {ln.org_code for ln in lines}
    orgs = dict((await session.execute(select(Org.code, Org.id).where(Org.code.in_(codes)))).all())
    names = {n for ln in lines for n in ln.usernames} | {ln.leader for ln in lines if ln.leader}
    users = dict(
        (
            await session.execute(select(User.username, User.id).where(User.username.in_(names)))
        ).all()
    )
    rows: list[RosterIn] = []
    numbers: list[int] = []
    for ln in lines:
        bad = len(errors)
        try:
            day = date.fromisoformat(ln.date)
        except ValueError:
            errors.append(RowError(ln.number, "date", f"not a YYYY-MM-DD date: {ln.date!r}"))
        if ln.shift not in {"day", "night"}:
            errors.append(RowError(ln.number, "shift", f"shift is day or night, not {ln.shift!r}"))
        if ln.org_code not in orgs:
            errors.append(RowError(ln.number, "org_code", f"no org with code {ln.org_code!r}"))
        if not ln.usernames:
            errors.append(RowError(ln.number, "usernames", "at least one username"))
        for name in [*ln.usernames, *([ln.leader] if ln.leader else [])]:
            if name not in users:
                field = "usernames" if name in ln.usernames else "leader_username"
                errors.append(RowError(ln.number, field, f"no user {name!r}"))
        if len(errors) > bad:
            continue
        rows.append(
            RosterIn(
                org_id=orgs[ln.org_code],
                date=day,
                shift=ln.shift,  # type: ignore[arg-type]  # checked to be day or night above
                user_ids=[users[n] for n in ln.usernames],
                leader_id=users[ln.leader] if ln.leader else None,
            )
        )
        numbers.append(ln.number)
    return rows, numbers, errors
