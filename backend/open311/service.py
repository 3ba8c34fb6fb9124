"""Categories as GeoReport services, events as service requests, keys and submissions.

Status: every open event status is ``open``; ``closed``, ``rejected``, ``cancelled`` and
``merged`` are ``closed`` (status_notes says which). Reporters are never shown; media_url
is only the URL an Open311 client itself submitted.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import Category, Event, Open311Key, Open311Request, Org
from backend.events.rules import TERMINAL_STATUSES
from backend.open311.render import Open311Error, wire_time

__all__ = [
    "DEFAULT_DAYS",
    "JURISDICTION",
    "MAX_REQUESTS",
    "check_jurisdiction",
    "hash_key",
    "issue_key",
    "key_for",
    "list_requests",
    "requests_out",
    "service_out",
    "services",
]

JURISDICTION = "wuhan.gov.cn/hongshan"
DEFAULT_DAYS = 90
MAX_REQUESTS = 1000
STATUS_NOTES = {
    "closed": "已办结",
    "rejected": "不予受理",
    "cancelled": "已撤销",
    "merged": "已合并至其他案件",
}


def check_jurisdiction(value: str | None) -> None:
    if value and value.strip() != JURISDICTION:
        raise Open311Error(404, f"jurisdiction_id {value!r} is not served here")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_key() -> tuple[str, str]:
    """(key shown once, its hash to store)."""
    key = "o311_" + secrets.token_urlsafe(32)
    return key, hash_key(key)


async def key_for(session: AsyncSession, api_key: str | None) -> Open311Key:
    if not api_key:
        raise Open311Error(403, "api_key is required to submit a service request")
    key = await session.scalar(select(Open311Key).where(Open311Key.key_hash == hash_key(api_key)))
    if key is None or key.revoked_at is not None:
        raise Open311Error(403, "api_key is not valid")
    return key


def service_out(c: Category) -> dict[str, Any]:
    return {
        "service_code": c.code,
        "service_name": c.name,
        "description": f"{c.group}：{c.name}",
        "metadata": False,
        "type": "realtime",
        "keywords": ",".join(dict.fromkeys([c.group, c.name])),
        "group": c.group,
    }


async def services(session: AsyncSession) -> list[Category]:
    return list(
        await session.scalars(
            select(Category).where(Category.active.is_(True)).order_by(Category.sort_order)
        )
    )


async def requests_out(session: AsyncSession, events: Sequence[Event]) -> list[dict[str, Any]]:
    cats = {c.code: c for c in await session.scalars(select(Category))}
    org_ids = {e.assignee_org_id for e in events if e.assignee_org_id}
    orgs = dict((await session.execute(select(Org.id, Org.name).where(Org.id.in_(org_ids)))).all())
    media = dict(
        (
            await session.execute(
                select(Open311Request.event_id, Open311Request.media_url).where(
                    Open311Request.event_id.in_([e.id for e in events])
                )
            )
        ).all()
    )
    out = []
    for e in events:
        cat = cats.get(e.category_code)
        closed = e.status in TERMINAL_STATUSES
        out.append(
            {
                "service_request_id": e.case_no,
                "status": "closed" if closed else "open",
                "status_notes": STATUS_NOTES.get(e.status),
                "service_name": cat.name if cat else e.category_code,
                "service_code": e.category_code,
                "description": e.description,
                "agency_responsible": orgs.get(e.assignee_org_id) if e.assignee_org_id else None,
                "service_notice": None,
                "requested_datetime": wire_time(e.created_at),
                "updated_datetime": wire_time(e.updated_at),
                "expected_datetime": wire_time(e.due_at),
                "address": e.address,
                "address_id": None,
                "zipcode": None,
                "lat": e.lat,
                "long": e.lng,
                "media_url": media.get(e.id),
            }
        )
    return out


def _date(value: str | None, name: str) -> datetime | None:
    if not value:
        return None
    try:
        at = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise Open311Error(400, f"{name} must be a W3C date-time with offset") from exc
    if at.tzinfo is None:
        raise Open311Error(400, f"{name} needs a time zone offset")
    return at


async def list_requests(
    session: AsyncSession, params: dict[str, str], now: datetime
) -> list[Event]:
    """The spec's filters; service_request_id, when given, overrides the others."""
    ids = [i.strip() for i in params.get("service_request_id", "").split(",") if i.strip()]
    q = select(Event)
    if ids:
        q = q.where(Event.case_no.in_(ids[:MAX_REQUESTS]))
    else:
        start = _date(params.get("start_date"), "start_date")
        end = _date(params.get("end_date"), "end_date")
        if start is None and end is None:
            start = now - timedelta(days=DEFAULT_DAYS)
        if start is not None:
            q = q.where(Event.created_at >= start)
        if end is not None:
            q = q.where(Event.created_at <= end)
        codes = [c.strip() for c in params.get("service_code", "").split(",") if c.strip()]
        if codes:
            q = q.where(Event.category_code.in_(codes))
        statuses = [s.strip() for s in params.get("status", "").split(",") if s.strip()]
        if any(s not in {"open", "closed"} for s in statuses):
            raise Open311Error(400, "status is open or closed")
        if statuses == ["open"]:
            q = q.where(Event.status.not_in(TERMINAL_STATUSES))
        elif statuses == ["closed"]:
            q = q.where(Event.status.in_(TERMINAL_STATUSES))
    # case_no breaks ties: it grows with every report, ids are random.
    q = q.order_by(Event.created_at.desc(), Event.case_no.desc()).limit(MAX_REQUESTS)
    return list(await session.scalars(q))
