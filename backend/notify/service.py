"""NotifyService: the one place that decides who is told what, and how.

Every notification is written in the caller's transaction: one row per user (the in-app
centre, which is the guarantee) and one outbox row per device. After commit the relay is
kicked and live listeners (WebSocket) are called; a rolled-back change sends nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

import msgspec
from sqlalchemy import ColumnElement, and_, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import new_id
from backend.db.engine import on_commit
from backend.db.models import Device, Notification, PushDelivery, User, UserPreference
from backend.notify.policy import is_muted, quiet_release
from push import PushSender
from push.message import Platform
from schemas.notify import NotificationOut

__all__ = ["DEFAULT_ORG_ROLES", "LiveListener", "NotifyService", "Outgoing", "present"]

log = logging.getLogger("chengyun.notify")

#: Who an org-addressed notification reaches when no duty roster says otherwise: the
#: people who act on cases there (a street's dispatchers, a department's handlers).
DEFAULT_ORG_ROLES = ("street_dispatcher", "district_dispatcher", "dept_handler")

#: Called after commit with (user_id, notification as its wire dict).
LiveListener = Callable[[str, dict[str, Any]], None]


def present(n: Notification) -> NotificationOut:
    return NotificationOut(
        id=n.id,
        kind=n.kind,
        title=n.title,
        body=n.body,
        priority=n.priority,
        data=dict(n.data or {}),
        created_at=n.created_at,
        read_at=n.read_at,
    )


def _wire(row: dict[str, Any]) -> dict[str, Any]:
    out = NotificationOut(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        body=row["body"],
        priority=row["priority"],
        data=row["data"],
        created_at=row["created_at"],
        read_at=None,
    )
    return msgspec.to_builtins(out)  # type: ignore[no-any-return]  # to_builtins is typed Any; a Struct gives a dict


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One message to some users (see ``NotifyService.notify_many``)."""

    user_ids: Sequence[str]
    kind: str
    title: str
    body: str
    data: Mapping[str, str] = field(default_factory=dict)
    priority: Literal["normal", "high"] = "normal"
    collapse_key: str | None = None


class NotifyService:
    def __init__(self, *, sender: PushSender, kick_relay: Callable[[], None]) -> None:
        self.sender = sender
        self._kick_relay = kick_relay
        self.live_listeners: list[LiveListener] = []

    # -- addressing ---------------------------------------------------------------------
    async def notify_users(
        self,
        session: AsyncSession,
        *,
        user_ids: Iterable[str],
        kind: str,
        title: str,
        body: str,
        data: Mapping[str, str] | None = None,
        priority: Literal["normal", "high"] = "normal",
        collapse_key: str | None = None,
        now: datetime,
    ) -> list[str]:
        """Store one notification per active user and queue a push per device.

        Returns the notification ids, in the order of ``user_ids`` (duplicates and unknown
        or inactive users dropped). Nothing leaves the process before the caller commits.
        """
        note = Outgoing(
            user_ids=list(user_ids),
            kind=kind,
            title=title,
            body=body,
            data=dict(data or {}),
            priority=priority,
            collapse_key=collapse_key,
        )
        return await self.notify_many(session, [note], now=now)

    async def notify_many(
        self, session: AsyncSession, notes: Sequence[Outgoing], *, now: datetime
    ) -> list[str]:
        """``notify_users`` for many messages at once: a sweep that tells a thousand people
        about a thousand deadlines costs a handful of queries, not thousands."""
        everyone = list(dict.fromkeys(u for n in notes for u in n.user_ids))
        if not everyone:
            return []
        people = await _people(session, User.id.in_(everyone))
        return await self._store(session, notes, people, now=now)

    async def notify_org(
        self,
        session: AsyncSession,
        *,
        org_id: str,
        roles: Iterable[str] | None = None,
        exclude: str | None = None,
        kind: str,
        title: str,
        body: str,
        data: Mapping[str, str] | None = None,
        priority: Literal["normal", "high"] = "normal",
        collapse_key: str | None = None,
        now: datetime,
    ) -> list[str]:
        """To whoever is on duty at the org now; without a roster, its people in ``roles``
        (read with their preferences and devices in one statement); never ``exclude``."""
        note = Outgoing((), kind, title, body, dict(data or {}), priority, collapse_key)
        on_duty = await _on_duty(session, org_id, now)
        if on_duty:
            users = [u for u in on_duty if u != exclude]
            return await self.notify_many(session, [replace(note, user_ids=users)], now=now)
        members = _members(org_id, roles)
        if exclude is not None:
            members = and_(members, User.id != exclude)
        people = await _people(session, members)
        return await self._store(session, [replace(note, user_ids=people.ids)], people, now=now)

    async def _store(
        self, session: AsyncSession, notes: Sequence[Outgoing], people: _People, *, now: datetime
    ) -> list[str]:
        """The notifications (and push deliveries) of ``notes`` to the active ``people``."""
        active, prefs, devices_of = set(people.ids), people.prefs, people.devices_of
        rows: list[dict[str, Any]] = []
        deliveries: list[dict[str, Any]] = []
        for note in notes:
            for user_id in dict.fromkeys(note.user_ids):
                if user_id not in active:
                    continue
                row = {
                    "id": new_id(),
                    "user_id": user_id,
                    "kind": note.kind,
                    "title": note.title,
                    "body": note.body,
                    "priority": note.priority,
                    "data": dict(note.data),
                    "collapse_key": note.collapse_key,
                    "created_at": now,
                    "read_at": None,
                }
                rows.append(row)
                pref = prefs.get(user_id)
                for device_id, platform in devices_of.get(user_id, []):
                    deliveries.append(self._delivery(row, pref, device_id, platform, note, now))
        if not rows:
            return []
        await session.execute(insert(Notification), rows)
        if deliveries:
            await session.execute(insert(PushDelivery), deliveries)
        wires = [(n["user_id"], _wire(n)) for n in rows]
        pushes = any(d["state"] == "pending" for d in deliveries)
        on_commit(session, lambda: self._after_commit(wires, pushes))
        return [n["id"] for n in rows]

    def _delivery(
        self,
        row: dict[str, Any],
        pref: UserPreference | None,
        device_id: str,
        platform: Platform,
        note: Outgoing,
        now: datetime,
    ) -> dict[str, Any]:
        state, reason, due = "pending", None, now
        if not self.sender.can_reach(platform):
            # HarmonyOS and web: in-app only. A skipped row (not a failed push) keeps the
            # admin's delivery view complete without a pointless provider call.
            state, reason = "skipped", f"in-app only: {self.sender.name} cannot reach {platform}"
        elif pref is not None and is_muted(pref.muted_kinds, note.kind, note.priority):
            state, reason = "skipped", f"muted kind {note.kind}"
        elif pref is not None and note.priority != "high":
            due = quiet_release(pref.quiet_start, pref.quiet_end, now) or now
        return {
            "id": new_id(),
            "notification_id": row["id"],
            "device_id": device_id,
            "platform": platform,
            "state": state,
            "attempts": 0,
            "next_attempt_at": due,
            "last_error": reason,
            "created_at": now,
            "updated_at": now,
        }

    async def org_recipients(
        self,
        session: AsyncSession,
        *,
        org_id: str,
        roles: Iterable[str] | None,
        now: datetime,
    ) -> list[str]:
        on_duty = await _on_duty(session, org_id, now)
        if on_duty:
            return on_duty
        return list(
            await session.scalars(
                select(User.id)
                .where(_members(org_id, roles), User.is_active.is_(True))
                .order_by(User.username)
            )
        )

    def _after_commit(self, wires: list[tuple[str, dict[str, Any]]], pushes: bool) -> None:
        if pushes:
            self._kick_relay()
        for user_id, wire in wires:
            for listener in self.live_listeners:
                try:
                    listener(user_id, wire)
                except Exception:
                    # After commit: the notification is stored and the relay kicked; a
                    # broken live channel must not turn the committed request into a 500.
                    log.exception("live notification listener failed")


def _members(org_id: str, roles: Iterable[str] | None) -> ColumnElement[bool]:
    """An org's people in ``roles`` (its default roles when None)."""
    wanted_roles = list(roles) if roles is not None else list(DEFAULT_ORG_ROLES)
    return and_(User.org_id == org_id, User.role.in_(wanted_roles))


@dataclass(frozen=True, slots=True)
class _People:
    ids: list[str]  # active users, by username
    prefs: dict[str, UserPreference]
    devices_of: dict[str, list[tuple[str, Platform]]]


async def _people(session: AsyncSession, which: ColumnElement[bool]) -> _People:
    """The active users ``which`` picks, with their preferences and active devices, in one
    statement: a row per (user, device), the device NULL for a user without one."""
    people = _People([], {}, {})
    seen: set[str] = set()
    for user_id, preference, device_id, platform in (
        await session.execute(
            select(User.id, UserPreference, Device.id, Device.platform)
            .outerjoin(UserPreference, UserPreference.user_id == User.id)
            .outerjoin(Device, and_(Device.user_id == User.id, Device.active.is_(True)))
            .where(which, User.is_active.is_(True))
            .order_by(User.username)
        )
    ).all():
        if user_id not in seen:
            seen.add(user_id)
            people.ids.append(user_id)
        if preference is not None:
            people.prefs[user_id] = preference
        if device_id is not None:
            people.devices_of.setdefault(user_id, []).append((device_id, platform))
    return people


async def _on_duty(session: AsyncSession, org_id: str, now: datetime) -> list[str] | None:
    try:
        # Imported here: the duty domain is optional to this one (and landed later).
        from backend.duty.service import on_duty_user_ids
    except ImportError:
        return None
    return await on_duty_user_ids(session, org_id, now)
