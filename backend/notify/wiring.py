"""Builds the notify domain into the app context: sender, relay, service, hooks, jobs."""

from __future__ import annotations

from typing import Any

from backend.context import AppContext
from backend.notify.jobs import device_cleanup, push_relay_sweep
from backend.notify.relay import PushRelay, RelayConfig
from backend.notify.service import NotifyService
from backend.settings import Settings
from push import PushSender, build_sender

__all__ = ["install"]


def _sender_options(settings: Settings) -> dict[str, Any]:
    if settings.push_sender != "fcm":
        return {}
    options: dict[str, Any] = {
        "credentials": settings.fcm_credentials_file,
        "project_id": settings.fcm_project_id,
    }
    if settings.fcm_endpoint:
        options["base_url"] = settings.fcm_endpoint
        # Cleartext has no ALPN to agree on HTTP/2: prior knowledge (h2c), as FCM speaks.
        options["http1"] = settings.fcm_endpoint.startswith("https://")
    return options


def install(ctx: AppContext) -> NotifyService:
    s = ctx.settings
    sender: PushSender = build_sender(s.push_sender, **_sender_options(s))
    relay = PushRelay(
        ctx.db,
        sender,
        ctx.now,
        RelayConfig(
            batch_size=s.push_batch_size,
            lease_seconds=float(s.push_lease_seconds),
            max_attempts=s.push_max_attempts,
            workers=s.push_relay_workers,
        ),
    )
    notify = NotifyService(sender=sender, kick_relay=relay.kick)
    ctx.push_sender = sender
    ctx.push_relay = relay
    ctx.notify = notify
    jobs = ctx.jobs
    jobs.every("push_relay", 10, push_relay_sweep)
    jobs.daily("device_cleanup", 3, 40, device_cleanup)

    async def shutdown() -> None:
        # Relay first: it may be mid-batch on the sender.
        await relay.close()
        await sender.close()

    ctx.on_shutdown.append(shutdown)
    return notify
