"""Wire types of notifications, devices and (admin) push deliveries."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from schemas.common import Strict

__all__ = [
    "AttemptOut",
    "DeliveryOut",
    "DeviceIn",
    "DeviceOut",
    "NotificationOut",
    "NotificationPage",
    "ReadAllOut",
]

DevicePlatform = Literal["android", "ios", "harmony", "web"]
# FCM registration tokens are ~160 characters, APNs 64 hex; 512 leaves room, and a token
# is one path segment in DELETE /devices/{token}, so no slash.
Token = Annotated[str, msgspec.Meta(min_length=1, max_length=512, pattern=r"^[^\s/\x00]+$")]


class DeviceIn(Strict):
    token: Token
    platform: DevicePlatform
    app_version: Annotated[str, msgspec.Meta(max_length=50, pattern=r"^[^\x00]*$")] | None = None


class DeviceOut(msgspec.Struct, kw_only=True):
    id: str
    token: str
    platform: str
    app_version: str | None
    # False once the push provider said the token is dead; the app should fetch a new one.
    active: bool
    created_at: datetime
    last_seen_at: datetime


class NotificationOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    title: str
    body: str
    priority: Literal["normal", "high"]
    data: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class NotificationPage(msgspec.Struct, kw_only=True):
    items: list[NotificationOut]
    next_cursor: str | None
    # The badge number, whatever the filter and page.
    unread_count: int


class ReadAllOut(msgspec.Struct, kw_only=True):
    marked: int


class AttemptOut(msgspec.Struct, kw_only=True):
    at: datetime
    outcome: str
    reason: str | None
    provider_id: str | None


class DeliveryOut(msgspec.Struct, kw_only=True):
    id: str
    device_id: str | None
    platform: str
    # Never the token itself: it is a credential for the user's phone.
    token_fingerprint: str | None
    state: str
    attempt_count: int
    next_attempt_at: datetime
    last_error: str | None
    provider_id: str | None
    created_at: datetime
    updated_at: datetime
    attempts: list[AttemptOut]
