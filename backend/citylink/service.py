"""Outbound: events created and closed become outbox rows in the same transaction; a relay
job sends them signed, with retries and backoff, only after commit. Inbound: a city case
becomes an event (source ``city``), once per city case id."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import httpx
import msgspec
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.citylink.signing import sign
from backend.context import AppContext
from backend.db.base import new_id
from backend.db.engine import on_commit
from backend.db.models import CityOutbox, Event
from backend.events.hooks import DomainHooks
from push.backoff import next_delay

__all__ = ["LEASE", "MAX_ATTEMPTS", "event_body", "event_hooks", "relay_once"]

log = logging.getLogger("chengyun.citylink")

MAX_ATTEMPTS = 12
#: The default claim lease (CHENGYUN_CITY_LEASE_SECONDS): a relay killed between claim and
#: record leaves its rows to be sent again when it runs out.
LEASE = timedelta(seconds=60)
BATCH = 50


def event_body(event: Event, kind: str, now: datetime) -> dict[str, Any]:
    return {
        "kind": kind,
        "at": now.isoformat(),
        "event": {
            "id": event.id,
            "case_no": event.case_no,
            "status": event.status,
            "source": event.source,
            "category_code": event.category_code,
            "grade": event.grade,
            "description": event.description,
            "lat": event.lat,
            "lng": event.lng,
            "address": event.address,
            "street_id": event.street_id,
            "created_at": event.created_at.isoformat(),
            "closed_at": event.closed_at.isoformat() if event.closed_at else None,
        },
    }


def _enqueue(
    ctx: AppContext, session: AsyncSession, event: Event, kind: str, now: datetime
) -> None:
    # "id" is the city's de-duplication key: a retried delivery carries the same one.
    body = {"id": new_id(), **event_body(event, kind, now)}
    session.add(
        CityOutbox(event_id=event.id, kind=kind, body=body, created_at=now, next_attempt_at=now)
    )
    if ctx.settings.scheduler_enabled:
        on_commit(session, lambda: _kick(ctx))


def _kick(ctx: AppContext) -> None:
    # Deliver soon after commit instead of waiting for the next tick; the job still retries.
    # A tracked background task, so shutdown waits for it instead of cutting it off.
    ctx.background.spawn(relay_once(ctx), name="citylink-relay")


def event_hooks(ctx: AppContext) -> DomainHooks:
    """The outbox rows of the city link, in the event's own transaction."""

    async def created(
        session: AsyncSession, event: Event, principal: Principal, now: datetime
    ) -> None:
        if event.source != "city":  # the city knows about the cases it sent us
            _enqueue(ctx, session, event, "event.created", now)

    async def acted(session: AsyncSession, outcome: Any, now: datetime) -> None:
        if outcome.to_status == "closed" and outcome.from_status != "closed":
            _enqueue(ctx, session, outcome.event, "event.closed", now)

    return DomainHooks(created=created, action=acted)


async def _claim(ctx: AppContext, now: datetime) -> list[tuple[int, bytes, int]]:
    """Take due rows under a lease (committed), so two relays never send the same row."""
    async with ctx.db.sessions() as session:
        q = (
            select(CityOutbox)
            .where(CityOutbox.next_attempt_at <= now)
            .order_by(CityOutbox.id)
            .limit(BATCH)
        )
        if not ctx.db.is_sqlite:
            q = q.with_for_update(skip_locked=True)
        rows = list(await session.scalars(q))
        # Per event, only its oldest pending message may go: "closed" never overtakes
        # "created" when their retries happen to fall due in the other order.
        first = dict(
            (
                await session.execute(
                    select(CityOutbox.event_id, func.min(CityOutbox.id))
                    .where(
                        CityOutbox.event_id.in_({r.event_id for r in rows}),
                        CityOutbox.next_attempt_at.is_not(None),
                    )
                    .group_by(CityOutbox.event_id)
                )
            ).all()
        )
        rows = [r for r in rows if first.get(r.event_id) == r.id]
        for row in rows:
            row.next_attempt_at = now + timedelta(seconds=ctx.settings.city_lease_seconds)
        await session.commit()
        return [(r.id, msgspec.json.encode(r.body), r.attempts) for r in rows]


async def relay_once(ctx: AppContext) -> int:
    """Send what is due; returns how many were delivered."""
    s = ctx.settings
    if not s.city_endpoint or not s.city_secret:
        return 0
    async with ctx.city_relay_lock:
        claimed = await _claim(ctx, ctx.now())
        if not claimed:
            return 0
        results: dict[int, str | None] = {}
        async with httpx.AsyncClient(transport=ctx.city_transport, timeout=10.0) as client:
            for row_id, body, _attempts in claimed:
                ts = str(int(ctx.now().timestamp()))
                headers = {
                    "Content-Type": "application/json",
                    "X-Chengyun-Timestamp": ts,
                    "X-Chengyun-Signature": sign(s.city_secret, ts, body),
                }
                try:
                    r = await client.post(s.city_endpoint, content=body, headers=headers)
                    results[row_id] = None if r.is_success else f"HTTP {r.status_code}"
                except httpx.HTTPError as exc:
                    results[row_id] = f"{type(exc).__name__}: {exc}"
        now = ctx.now()
        async with ctx.db.sessions() as session:
            rows = await session.scalars(select(CityOutbox).where(CityOutbox.id.in_(results)))
            for row in rows:
                error = results[row.id]
                if error is None:
                    row.delivered_at, row.next_attempt_at = now, None
                    continue
                row.attempts += 1
                row.last_error = error
                if row.attempts >= MAX_ATTEMPTS:
                    row.failed_at, row.next_attempt_at = now, None
                    log.error(
                        "city link gave up on %s after %d attempts: %s", row.id, row.attempts, error
                    )
                else:
                    delay = next_delay(row.attempts, base=2.0, cap=600.0)
                    row.next_attempt_at = now + timedelta(seconds=delay)
            await session.commit()
        return sum(1 for e in results.values() if e is None)
