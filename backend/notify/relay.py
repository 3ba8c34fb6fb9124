"""The push outbox relay: claim due deliveries, send them, record what the provider said.

Delivery guarantee: at least once per device, at most one duplicate after a crash. A
claim sets ``state='sending'`` with a lease (``claimed_until``) and counts the attempt, in
its own committed transaction, before anything is sent. A relay that dies between sending
and recording loses the lease; the row is claimed and sent again once it expires. The
lease instant is also the fence for recording: a relay whose lease was taken over records
nothing.

Claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so relays in several
processes take disjoint batches; SQLite renders no FOR UPDATE, but its writers begin
``IMMEDIATE`` (see backend.db.engine) and the UPDATE re-checks the due condition, so a
claim is exclusive there too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.base import UTCDateTime, new_id
from backend.db.engine import Database
from backend.db.models import Device, Notification, PushAttempt, PushDelivery
from backend.notify.devices import DEAD_PREFIX
from push import (
    Delivered,
    Failed,
    InvalidPushMessage,
    PushMessage,
    PushResult,
    PushSender,
    RetryLater,
    TokenDead,
    next_delay,
)

__all__ = ["Claimed", "PushRelay", "RelayConfig"]

log = logging.getLogger("chengyun.notify.relay")

_T = PushDelivery.__table__
assert isinstance(_T, Table)  # the mapped class's own table (typed as any FromClause)


@dataclass(frozen=True, slots=True)
class RelayConfig:
    batch_size: int = 50
    # Longer than one batch can take at the sender's timeout (FCM: 30 s per request).
    lease_seconds: float = 120.0
    max_attempts: int = 8
    retry_base_seconds: float = 10.0
    retry_cap_seconds: float = 3600.0
    # Concurrent claim-send-record loops: one sends while another claims or records.
    workers: int = 4


@dataclass(frozen=True, slots=True)
class Claimed:
    delivery_id: str
    device_id: str | None
    claimed_until: datetime
    attempts: int
    # None when the row must not be sent after all; `skip` says why.
    message: PushMessage | None
    skip: str | None = None


class PushRelay:
    def __init__(
        self,
        db: Database,
        sender: PushSender,
        clock: Callable[[], datetime],
        config: RelayConfig | None = None,
    ) -> None:
        self.db = db
        self.sender = sender
        self.clock = clock
        self.config = config or RelayConfig()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._closing = False
        # Called with each recorded row's outcome (delivered, retry, dead, failed,
        # skipped): the metrics counter.
        self.on_result: Callable[[str], None] | None = None

    # -- running ------------------------------------------------------------------------
    def kick(self) -> None:
        """After a commit: drain soon, in this process. Cheap to call often."""
        if self._closing:
            return
        self._again = True
        if self._task is None or self._task.done():
            # The reference is kept on self: the loop only holds tasks weakly.
            self._task = asyncio.get_running_loop().create_task(self._run_kicked())
            self._task.add_done_callback(_log_failure)

    async def _run_kicked(self) -> None:
        while self._again and not self._closing:
            self._again = False
            await self.drain()

    async def wait_idle(self) -> None:
        """Until the kicked drain (if any) has finished; re-raises its error."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
        if self._task is not None and self._task.done() and not self._task.cancelled():
            self._task.result()

    async def close(self, grace_seconds: float = 10.0) -> None:
        """Stop claiming; let the batch in hand finish (what is cut off is re-sent later)."""
        self._closing = True
        task = self._task
        if task is not None and not task.done():
            done, _ = await asyncio.wait({task}, timeout=grace_seconds)
            if not done:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)

    async def drain(self) -> int:
        """Send everything due now; returns how many deliveries were handled."""
        await self._fail_exhausted()
        handled = 0

        async def worker() -> None:
            nonlocal handled
            while not self._closing:
                claimed = await self.claim()
                if not claimed:
                    return
                await self.record(claimed, await self.send(claimed))
                handled += len(claimed)
                if len(claimed) < self.config.batch_size:
                    return  # the rest became due after our claim: the next kick or sweep

        await asyncio.gather(*(worker() for _ in range(max(1, self.config.workers))))
        return handled

    # -- the three steps ----------------------------------------------------------------
    def _due(self, now: datetime) -> ColumnElement[bool]:
        return and_(
            or_(
                and_(PushDelivery.state == "pending", PushDelivery.next_attempt_at <= now),
                and_(PushDelivery.state == "sending", PushDelivery.claimed_until <= now),
            ),
            PushDelivery.attempts < self.config.max_attempts,
        )

    async def claim(self, limit: int | None = None) -> list[Claimed]:
        now = self.clock()
        lease = now + timedelta(seconds=self.config.lease_seconds)
        due = self._due(now)
        async with self.db.sessions() as s:
            ids = list(
                await s.scalars(
                    select(PushDelivery.id)
                    .where(due)
                    .order_by(PushDelivery.next_attempt_at)
                    .limit(limit or self.config.batch_size)
                    .with_for_update(skip_locked=True)
                )
            )
            if not ids:
                await s.rollback()
                return []
            claimed_ids = list(
                await s.scalars(
                    update(PushDelivery)
                    .where(PushDelivery.id.in_(ids), due)
                    .values(
                        state="sending",
                        claimed_until=lease,
                        attempts=PushDelivery.attempts + 1,
                        updated_at=now,
                    )
                    .returning(PushDelivery.id)
                    .execution_options(synchronize_session=False)
                )
            )
            rows = (
                await s.execute(
                    select(PushDelivery.id, PushDelivery.attempts, Notification, Device)
                    .join(Notification, Notification.id == PushDelivery.notification_id)
                    .outerjoin(Device, Device.id == PushDelivery.device_id)
                    .where(PushDelivery.id.in_(claimed_ids))
                )
            ).all()
            await s.commit()
        return [
            _claimed(d_id, attempts, note, device, lease) for d_id, attempts, note, device in rows
        ]

    async def send(self, claimed: list[Claimed]) -> list[PushResult | None]:
        """One result per claimed row; None for rows that are not to be sent."""
        messages = [c.message for c in claimed if c.message is not None]
        results = iter(await self.sender.send(messages) if messages else [])
        return [next(results) if c.message is not None else None for c in claimed]

    async def record(self, claimed: list[Claimed], results: list[PushResult | None]) -> None:
        now = self.clock()
        cfg = self.config
        updates: list[dict[str, object]] = []
        attempts: list[dict[str, object]] = []
        dead_devices: set[str] = set()
        for c, result in zip(claimed, results, strict=True):
            state, error, provider_id, due = _outcome(c, result, now, cfg)
            updates.append(
                {
                    "b_id": c.delivery_id,
                    "b_claimed": c.claimed_until,
                    "b_state": state,
                    "b_error": error,
                    "b_provider": provider_id,
                    "b_next": due,
                }
            )
            if result is not None:
                attempts.append(
                    {
                        "id": new_id(),
                        "delivery_id": c.delivery_id,
                        "at": now,
                        "outcome": state if state != "pending" else "retry",
                        "reason": error,
                        "provider_id": provider_id,
                    }
                )
            if isinstance(result, TokenDead) and c.device_id is not None:
                dead_devices.add(c.device_id)
            if self.on_result is not None:
                self.on_result(state if state != "pending" else "retry")
        async with self.db.sessions() as s:
            await s.execute(_RECORD.values(updated_at=now), updates)
            if attempts:
                await s.execute(insert(PushAttempt), attempts)
            if dead_devices:
                await _bury(s, dead_devices, claimed, results, now)
            await s.commit()

    async def _fail_exhausted(self) -> None:
        """Rows whose every attempt ended without a result (crashed relays) give up."""
        now = self.clock()
        async with self.db.sessions() as s:
            await s.execute(
                update(PushDelivery)
                .where(
                    PushDelivery.state == "sending",
                    PushDelivery.claimed_until <= now,
                    PushDelivery.attempts >= self.config.max_attempts,
                )
                .values(
                    state="failed",
                    claimed_until=None,
                    updated_at=now,
                    last_error=f"no result after {self.config.max_attempts} attempts",
                )
                .execution_options(synchronize_session=False)
            )
            await s.commit()


# Fenced: only the holder of the current lease records (see the module docstring).
_RECORD = (
    update(_T)
    .where(
        _T.c.id == bindparam("b_id"),
        _T.c.state == "sending",
        _T.c.claimed_until == bindparam("b_claimed", type_=UTCDateTime()),
    )
    .values(
        state=bindparam("b_state"),
        last_error=bindparam("b_error"),
        provider_id=bindparam("b_provider"),
        next_attempt_at=bindparam("b_next", type_=UTCDateTime()),
        claimed_until=None,
    )
)


def _claimed(
    delivery_id: str,
    attempts: int,
    note: Notification,
    device: Device | None,
    lease: datetime,
) -> Claimed:
    def skipped(reason: str) -> Claimed:
        return Claimed(delivery_id, device.id if device else None, lease, attempts, None, reason)

    # Re-checked at send time: the device may have moved, signed out or died since.
    if device is None:
        return skipped("device removed")
    if not device.active:
        return skipped(f"device inactive: {device.deactivated_reason}")
    if device.user_id != note.user_id:
        return skipped("device moved to another user")
    try:
        message = PushMessage(
            token=device.token,
            platform=device.platform,
            title=note.title,
            body=note.body,
            kind=note.kind,
            # notification_id lets the app mark the in-app copy read when the push is tapped.
            data={**(note.data or {}), "notification_id": note.id},
            priority=note.priority,
            collapse_key=note.collapse_key,
        )
    except InvalidPushMessage as exc:
        return Claimed(delivery_id, device.id, lease, attempts, None, f"invalid message: {exc}")
    return Claimed(delivery_id, device.id, lease, attempts, message)


def _outcome(
    c: Claimed, result: PushResult | None, now: datetime, cfg: RelayConfig
) -> tuple[str, str | None, str | None, datetime]:
    """(state, last_error, provider_id, next_attempt_at) for one claimed row."""
    state, error, provider_id, due = _decide(c, result, now, cfg)
    # Columns are varchar(500)/(200): PostgreSQL refuses longer, and a provider's message
    # is not worth losing the whole batch's bookkeeping over.
    return state, error[:500] if error else error, provider_id[:200] if provider_id else None, due


def _decide(
    c: Claimed, result: PushResult | None, now: datetime, cfg: RelayConfig
) -> tuple[str, str | None, str | None, datetime]:
    match result:
        case None:
            failed = c.skip is not None and c.skip.startswith("invalid message")
            return ("failed" if failed else "skipped"), c.skip, None, now
        case Delivered(provider_id=pid):
            return "delivered", None, pid, now
        case RetryLater(after_seconds=floor, reason=why):
            if c.attempts >= cfg.max_attempts:
                return "failed", f"gave up after {c.attempts} attempts: {why}", None, now
            delay = next_delay(
                c.attempts,
                base=cfg.retry_base_seconds,
                cap=cfg.retry_cap_seconds,
                retry_after=floor,
            )
            # At least a second: a zero delay would be claimed again in the same drain.
            return "pending", why, None, now + timedelta(seconds=max(1.0, delay))
        case TokenDead(reason=why):
            return "dead", why, None, now
        case Failed(reason=why):
            return "failed", why, None, now
    raise AssertionError(f"unknown push result {result!r}")


async def _bury(
    s: AsyncSession,
    device_ids: set[str],
    claimed: list[Claimed],
    results: list[PushResult | None],
    now: datetime,
) -> None:
    """Deactivate dead tokens for good and mark what was still queued for them dead."""
    reasons = {
        c.device_id: r.reason
        for c, r in zip(claimed, results, strict=True)
        if isinstance(r, TokenDead) and c.device_id
    }
    for device_id in device_ids:
        await s.execute(
            update(Device)
            .where(Device.id == device_id)
            .values(active=False, deactivated_reason=f"{DEAD_PREFIX}: {reasons[device_id]}"[:200])
            .execution_options(synchronize_session=False)
        )
    await s.execute(
        update(PushDelivery)
        .where(PushDelivery.device_id.in_(device_ids), PushDelivery.state == "pending")
        .values(state="dead", last_error="device token dead", updated_at=now)
        .execution_options(synchronize_session=False)
    )


def _log_failure(task: asyncio.Task[None]) -> None:
    # A failed kicked drain loses nothing (rows stay due or leased; the sweep job retries),
    # but it must not fail silently.
    if not task.cancelled() and task.exception() is not None:
        log.error("push relay drain failed", exc_info=task.exception())
