"""Push delivery: a provider-neutral message, a sender interface, FCM/log/memory senders.

A standalone library: it never imports `backend`. The backend builds one sender in its
composition root (`build_sender(settings.push_kind, **settings.push_options)`), and its
outbox relay calls `send`, acts on each result and times retries with `next_delay`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from push.backoff import next_delay, parse_retry_after
from push.base import FCM_PLATFORMS, PushSender, SenderClosed
from push.factory import SENDER_KINDS, build_sender
from push.log import LogSender
from push.memory import MemorySender
from push.message import (
    PLATFORMS,
    InvalidPushMessage,
    Platform,
    Priority,
    PushMessage,
    token_fingerprint,
)
from push.results import Delivered, Failed, PushResult, RetryLater, TokenDead
from push.router import RoutingSender

if TYPE_CHECKING:
    from push.fcm import FcmSender

__all__ = [
    "FCM_PLATFORMS",
    "PLATFORMS",
    "SENDER_KINDS",
    "Delivered",
    "Failed",
    "FcmSender",
    "InvalidPushMessage",
    "LogSender",
    "MemorySender",
    "Platform",
    "Priority",
    "PushMessage",
    "PushResult",
    "PushSender",
    "RetryLater",
    "RoutingSender",
    "SenderClosed",
    "TokenDead",
    "build_sender",
    "next_delay",
    "parse_retry_after",
    "token_fingerprint",
]


def __getattr__(name: str) -> Any:
    # FcmSender on first use only: importing firebase-admin costs ~0.3 s.
    if name == "FcmSender":
        from push.fcm import FcmSender

        return FcmSender
    raise AttributeError(f"module 'push' has no attribute {name!r}")
