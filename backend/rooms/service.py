"""Rooms and their members. Takes the request's session; never commits.

A member is a user row (``u:<id>``) or an org row (``o:<id>``: every active user of the
org is a member). A user row's role wins over the org's, so one person of a member
department can be made the owner or an observer.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import ColumnElement, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import Event, Org, Room, RoomMember, User
from backend.errors import ProblemError
from schemas.rooms import MemberOut, RoomCreateIn, RoomOut

__all__ = [
    "add_members",
    "add_org_member",
    "load_member_room",
    "member_role",
    "member_user_ids",
    "new_room",
    "not_found",
    "present_room",
    "rooms_of",
]

# Who may post instructions (指令) besides a room's owners.
INSTRUCTING_ROLES = frozenset({"official", "district_dispatcher", "street_dispatcher", "admin"})


def not_found() -> ProblemError:
    return ProblemError(404, "not_found", "room not found")


def _user_key(user_id: str) -> str:
    return f"u:{user_id}"


def _org_key(org_id: str) -> str:
    return f"o:{org_id}"


async def member_role(session: AsyncSession, room_id: str, user_id: str, org_id: str) -> str | None:
    rows = (
        await session.execute(
            select(RoomMember.member_key, RoomMember.role).where(
                RoomMember.room_id == room_id,
                RoomMember.member_key.in_([_user_key(user_id), _org_key(org_id)]),
            )
        )
    ).all()
    roles = dict(rows)
    return roles.get(_user_key(user_id)) or roles.get(_org_key(org_id))


async def load_member_room(
    session: AsyncSession, room_id: str, principal: Principal
) -> tuple[Room, str]:
    """The room and the caller's role in it; 404 for a room the caller is not in."""
    room = await session.get(Room, room_id)
    if room is None:
        raise not_found()
    role = await member_role(session, room_id, principal.id, principal.org_id)
    if role is None:
        raise not_found()
    return room, role


async def member_user_ids(session: AsyncSession, room_id: str) -> dict[str, str]:
    """Every member user (explicit or through an org) -> role."""
    members = (
        await session.execute(select(RoomMember).where(RoomMember.room_id == room_id))
    ).scalars()
    users: dict[str, str] = {}
    orgs: dict[str, str] = {}
    for m in members:
        if m.user_id:
            users[m.user_id] = m.role
        elif m.org_id:
            orgs[m.org_id] = m.role
    if orgs:
        rows = await session.execute(
            select(User.id, User.org_id).where(User.org_id.in_(orgs), User.is_active.is_(True))
        )
        for uid, oid in rows:
            users.setdefault(uid, orgs[oid])
    return users


async def present_room(session: AsyncSession, room: Room) -> RoomOut:
    roles = await member_user_ids(session, room.id)
    rows = (
        await session.execute(
            select(User.id, User.display_name, User.org_id)
            .where(User.id.in_(roles))
            .order_by(User.username)
        )
    ).all()
    org_ids = (
        await session.scalars(
            select(RoomMember.org_id).where(
                RoomMember.room_id == room.id, RoomMember.org_id.is_not(None)
            )
        )
    ).all()
    return RoomOut(
        id=room.id,
        kind=room.kind,
        title=room.title,
        event_id=room.event_id,
        status=room.status,
        members=[
            MemberOut(user_id=uid, display_name=name, org_id=oid, role=roles[uid])
            for uid, name, oid in rows
        ],
        member_org_ids=sorted(o for o in org_ids if o),
        last_seq=room.last_seq,
        created_at=room.created_at,
    )


async def _check_ids(
    session: AsyncSession, user_ids: Iterable[str], org_ids: Iterable[str]
) -> tuple[list[str], list[str]]:
    users, orgs = list(dict.fromkeys(user_ids)), list(dict.fromkeys(org_ids))
    found_users = set(
        (await session.scalars(select(User.id).where(User.id.in_(users)))).all() if users else []
    )
    found_orgs = set(
        (await session.scalars(select(Org.id).where(Org.id.in_(orgs)))).all() if orgs else []
    )
    errors = [
        {"field": "member_user_ids", "message": f"unknown user {u}", "source": "body"}
        for u in users
        if u not in found_users
    ] + [
        {"field": "member_org_ids", "message": f"unknown org {o}", "source": "body"}
        for o in orgs
        if o not in found_orgs
    ]
    if errors:
        raise ProblemError(
            422, "unknown_member", "members must be known users or orgs", errors=errors
        )
    return users, orgs


def _put_member(
    session: AsyncSession,
    existing: dict[str, RoomMember],
    room_id: str,
    *,
    user_id: str | None = None,
    org_id: str | None = None,
    role: str,
    now: datetime,
) -> None:
    key = _user_key(user_id) if user_id else _org_key(org_id or "")
    row = existing.get(key)
    if row is None:
        row = RoomMember(
            room_id=room_id, member_key=key, user_id=user_id, org_id=org_id, role=role, added_at=now
        )
        session.add(row)
        existing[key] = row
    elif row.role != "owner":  # an owner stays owner when added again
        row.role = role


async def add_members(
    session: AsyncSession,
    room_id: str,
    *,
    user_ids: Iterable[str] = (),
    org_ids: Iterable[str] = (),
    role: str = "member",
    now: datetime,
) -> None:
    users, orgs = await _check_ids(session, user_ids, org_ids)
    existing = {
        m.member_key: m
        for m in (
            await session.scalars(select(RoomMember).where(RoomMember.room_id == room_id))
        ).all()
    }
    for uid in users:
        _put_member(session, existing, room_id, user_id=uid, role=role, now=now)
    for oid in orgs:
        _put_member(session, existing, room_id, org_id=oid, role=role, now=now)
    await session.flush()


async def add_org_member(session: AsyncSession, room_id: str, org_id: str, now: datetime) -> bool:
    """Add an org if it is not a member yet (event rooms follow their event)."""
    key = _org_key(org_id)
    if await session.get(RoomMember, (room_id, key)) is not None:
        return False
    session.add(
        RoomMember(room_id=room_id, member_key=key, org_id=org_id, role="member", added_at=now)
    )
    await session.flush()
    return True


async def remove_member(session: AsyncSession, room_id: str, user_id: str) -> int:
    result = await session.execute(
        delete(RoomMember).where(
            RoomMember.room_id == room_id, RoomMember.member_key == _user_key(user_id)
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]  # a DELETE's Result is a CursorResult at runtime


async def new_room(
    session: AsyncSession,
    principal: Principal,
    data: RoomCreateIn,
    now: datetime,
    *,
    event: Event | None = None,
) -> tuple[Room, bool]:
    """Create a room; an event's room is created once and reused (created=False)."""
    if event is not None and data.kind == "event":
        existing = await session.scalar(select(Room).where(Room.event_key == event.id))
        if existing is not None:
            return existing, False
    room = Room(
        kind=data.kind,
        title=data.title,
        event_id=event.id if event else None,
        event_key=event.id if (event is not None and data.kind == "event") else None,
        status="active",
        last_seq=0,
        created_by=principal.id,
        created_at=now,
    )
    try:
        async with session.begin_nested():
            session.add(room)
            await session.flush()
    except IntegrityError:
        # Two first requests for one event's room raced: the other one made it.
        if event is None:
            raise
        existing = await session.scalar(select(Room).where(Room.event_key == event.id))
        if existing is None:
            raise
        return existing, False
    orgs = list(data.member_org_ids)
    if event is not None and data.kind == "event":
        orgs.append(event.street_id)
        if event.assignee_org_id:
            orgs.append(event.assignee_org_id)
    await add_members(session, room.id, user_ids=data.member_user_ids, org_ids=orgs, now=now)
    await add_members(session, room.id, user_ids=[principal.id], role="owner", now=now)
    return room, True


async def rooms_of(session: AsyncSession, principal: Principal) -> list[Room]:
    keys = [_user_key(principal.id), _org_key(principal.org_id)]
    ids = select(RoomMember.room_id).where(RoomMember.member_key.in_(keys))
    rows = await session.scalars(
        select(Room).where(Room.id.in_(ids)).order_by(Room.created_at.desc(), Room.id)
    )
    return list(rows.all())


def may_instruct(principal: Principal, role: str) -> bool:
    return role == "owner" or principal.role in INSTRUCTING_ROLES


def members_clause(user_id: str, org_id: str) -> ColumnElement[bool]:
    return or_(
        RoomMember.member_key == _user_key(user_id), RoomMember.member_key == _org_key(org_id)
    )
