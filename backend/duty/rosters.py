"""Roster writes and reads: who may roster whom, upserts, listing and presenting.

A roster row is keyed by (org, Asia/Shanghai date, shift). Writers: admins anywhere;
street dispatchers for orgs inside their street (the street, its communities and grids);
district dispatchers for the district org and the departments. Rostered users must belong
to the org or an org below it, and be active.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import DutyRoster, Org, User
from backend.duty.shifts import shift_bounds
from backend.errors import ProblemError
from schemas.duty import DutyUserOut, RosterIn, RosterOut

__all__ = [
    "RowError",
    "apply_rosters",
    "may_manage",
    "present_rosters",
    "roster_query",
    "user_out",
]


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem with the index-th roster of a request (or CSV line), in one field."""

    index: int
    field: str
    message: str
    forbidden: bool = False


def may_manage(principal: Principal, org: Org) -> bool:
    if principal.role == "admin":
        return True
    if principal.role == "street_dispatcher":
        return principal.street_id is not None and org.street_id == principal.street_id
    if principal.role == "district_dispatcher":
        return org.type in {"district", "department"}
    return False


async def _ancestry(session: AsyncSession, org_ids: Iterable[str]) -> dict[str, set[str]]:
    """For each org id: itself and every ancestor id (the tree is a few levels deep)."""
    parent: dict[str, str | None] = {}
    todo = set(org_ids)
    while todo:
        rows = (await session.execute(select(Org.id, Org.parent_id).where(Org.id.in_(todo)))).all()
        todo = set()
        for org_id, parent_id in rows:
            parent[org_id] = parent_id
            if parent_id and parent_id not in parent:
                todo.add(parent_id)
    out: dict[str, set[str]] = {}
    for start in org_ids:
        chain: set[str] = set()
        cur: str | None = start
        while cur is not None and cur not in chain:
            chain.add(cur)
            cur = parent.get(cur)
        out[start] = chain
    return out


async def apply_rosters(
    session: AsyncSession, principal: Principal, rows: Sequence[RosterIn], now: datetime
) -> tuple[list[DutyRoster], list[RowError]]:
    """Validate every row, then upsert all of them or none (errors: nothing written)."""
    errors: list[RowError] = []
    seen: dict[tuple[str, date, str], int] = {}
    for i, row in enumerate(rows):
        key = (row.org_id, row.date, row.shift)
        if key in seen:
            errors.append(RowError(i, "shift", f"same org, date and shift as entry {seen[key]}"))
        seen.setdefault(key, i)
    orgs = {
        o.id: o
        for o in (
            await session.scalars(select(Org).where(Org.id.in_({r.org_id for r in rows})))
        ).all()
    }
    wanted = {u for r in rows for u in r.user_ids} | {r.leader_id for r in rows if r.leader_id}
    users = {u.id: u for u in (await session.scalars(select(User).where(User.id.in_(wanted))))}
    ancestry = await _ancestry(session, {u.org_id for u in users.values()})
    for i, row in enumerate(rows):
        org = orgs.get(row.org_id)
        if org is None:
            errors.append(RowError(i, "org_id", "no such org"))
            continue
        if not may_manage(principal, org):
            errors.append(RowError(i, "org_id", "you may not roster this org", forbidden=True))
            continue
        for field, ids in (
            ("user_ids", row.user_ids),
            ("leader_id", [row.leader_id] if row.leader_id else []),
        ):
            for uid in ids:
                user = users.get(uid)
                if user is None or not user.is_active:
                    errors.append(RowError(i, field, f"no active user {uid}"))
                elif org.id not in ancestry.get(user.org_id, set()):
                    errors.append(RowError(i, field, f"user {user.username} is not in {org.name}"))
    if errors:
        return [], errors
    existing = {
        (r.org_id, r.date, r.shift): r
        for r in await session.scalars(
            select(DutyRoster).where(
                or_(
                    *(
                        and_(
                            DutyRoster.org_id == k[0],
                            DutyRoster.date == k[1],
                            DutyRoster.shift == k[2],
                        )
                        for k in seen
                    )
                )
            )
        )
    }
    out: list[DutyRoster] = []
    for row in rows:
        user_ids = list(dict.fromkeys(row.user_ids))
        if row.leader_id and row.leader_id not in user_ids:
            user_ids.append(row.leader_id)
        roster = existing.get((row.org_id, row.date, row.shift))
        if roster is None:
            roster = DutyRoster(org_id=row.org_id, date=row.date, shift=row.shift)
            session.add(roster)
        roster.user_ids = user_ids
        roster.leader_id = row.leader_id
        roster.updated_by = principal.id
        roster.updated_at = now
        out.append(roster)
    try:
        await session.flush()
    except IntegrityError as exc:
        # A concurrent writer inserted the same (org, date, shift) first: retryable.
        raise ProblemError(409, "conflict", "a roster changed meanwhile; retry") from exc
    return out, []


def roster_query(
    org_id: str | None, start: date, end: date, after: tuple[date, str, str] | None
) -> Select[DutyRoster]:
    q = select(DutyRoster).where(DutyRoster.date >= start, DutyRoster.date <= end)
    if org_id is not None:
        q = q.where(DutyRoster.org_id == org_id)
    if after is not None:
        d, shift, rid = after
        q = q.where(
            or_(
                DutyRoster.date > d,
                and_(DutyRoster.date == d, DutyRoster.shift > shift),
                and_(DutyRoster.date == d, DutyRoster.shift == shift, DutyRoster.id > rid),
            )
        )
    # "day" sorts before "night": the order shifts happen in.
    return q.order_by(DutyRoster.date, DutyRoster.shift, DutyRoster.id)


def user_out(user: User) -> DutyUserOut:
    return DutyUserOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org_id=user.org_id,
    )


async def present_rosters(session: AsyncSession, rosters: Sequence[DutyRoster]) -> list[RosterOut]:
    ids = {u for r in rosters for u in r.user_ids} | {r.leader_id for r in rosters if r.leader_id}
    users = {u.id: u for u in await session.scalars(select(User).where(User.id.in_(ids)))}
    names = dict(
        (
            await session.execute(
                select(Org.id, Org.name).where(Org.id.in_({r.org_id for r in rosters}))
            )
        ).all()
    )
    out = []
    for r in rosters:
        starts, ends = shift_bounds(r.date, r.shift)
        leader = users.get(r.leader_id) if r.leader_id else None
        out.append(
            RosterOut(
                id=r.id,
                org_id=r.org_id,
                org_name=names.get(r.org_id, ""),
                date=r.date,
                shift=r.shift,
                starts_at=starts,
                ends_at=ends,
                user_ids=list(r.user_ids),
                users=[user_out(users[u]) for u in r.user_ids if u in users],
                leader_id=r.leader_id,
                leader=user_out(leader) if leader else None,
                updated_at=r.updated_at,
            )
        )
    return out
