"""Device registration: one row per push token, following whoever registered it last."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import Device, PushDelivery
from backend.errors import ProblemError
from schemas.notify import DeviceIn, DeviceOut

__all__ = [
    "DEAD_PREFIX",
    "STALE_AFTER",
    "drop_stale_devices",
    "present_device",
    "register_device",
    "unregister_device",
]

#: deactivated_reason of a token the provider declared dead: it is never used again,
#: whatever the app re-posts (a stale cached token); the app must fetch a new one.
DEAD_PREFIX = "token_dead"
#: FCM treats a token unused for 270 days as expired; so do we.
STALE_AFTER = timedelta(days=270)


def present_device(d: Device) -> DeviceOut:
    return DeviceOut(
        id=d.id,
        token=d.token,
        platform=d.platform,
        app_version=d.app_version,
        active=d.active,
        created_at=d.created_at,
        last_seen_at=d.last_seen_at,
    )


async def _skip_pending(session: AsyncSession, device_id: str, reason: str) -> None:
    await session.execute(
        update(PushDelivery)
        .where(PushDelivery.device_id == device_id, PushDelivery.state == "pending")
        .values(state="skipped", last_error=reason)
        .execution_options(synchronize_session=False)
    )


async def _by_token(session: AsyncSession, token: str) -> Device | None:
    return await session.scalar(select(Device).where(Device.token == token).with_for_update())


async def register_device(
    session: AsyncSession, principal: Principal, data: DeviceIn, now: datetime
) -> tuple[Device, bool]:
    """(device, created). A token known under another user moves to the caller, and what
    was still queued for the previous user on that phone is skipped, never shown to the
    new one."""
    device = await _by_token(session, data.token)
    if device is None:
        device = Device(
            token=data.token,
            user_id=principal.id,
            platform=data.platform,
            app_version=data.app_version,
            created_at=now,
            last_seen_at=now,
        )
        try:
            async with session.begin_nested():
                session.add(device)
        except IntegrityError:
            # Two registrations of one token raced (PostgreSQL): the other one won.
            device = await _by_token(session, data.token)
            if device is None:
                raise
        else:
            return device, True
    if device.user_id != principal.id:
        await _skip_pending(session, device.id, "device moved to another user")
        device.user_id = principal.id
    reason = device.deactivated_reason or ""
    if not device.active and not reason.startswith(DEAD_PREFIX):
        device.active = True
        device.deactivated_reason = None
    device.platform = data.platform
    device.app_version = data.app_version
    device.last_seen_at = now
    return device, False


async def unregister_device(
    session: AsyncSession, principal: Principal, token: str, now: datetime
) -> None:
    """Sign-out: the caller's own device stops receiving pushes. Someone else's is 404."""
    device = await _by_token(session, token)
    if device is None or device.user_id != principal.id:
        raise ProblemError(404, "not_found", "device not found")
    if device.active:
        device.active = False
        device.deactivated_reason = "signed_out"
    device.last_seen_at = now
    await _skip_pending(session, device.id, "device signed out")


async def drop_stale_devices(session: AsyncSession, now: datetime) -> int:
    """Delete devices not seen for 270 days (their delivery history keeps a null device)."""
    cutoff = now - STALE_AFTER
    stale = list(await session.scalars(select(Device.id).where(Device.last_seen_at < cutoff)))
    for device_id in stale:
        await _skip_pending(session, device_id, "device expired")
    if stale:
        await session.execute(
            delete(Device).where(Device.id.in_(stale)).execution_options(synchronize_session=False)
        )
    return len(stale)
