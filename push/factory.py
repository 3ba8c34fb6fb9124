"""Build a sender from configuration: the backend's settings name a kind and options."""

from __future__ import annotations

from typing import Any

from push.base import PushSender
from push.log import LogSender
from push.memory import MemorySender

__all__ = ["SENDER_KINDS", "build_sender"]

SENDER_KINDS = ("fcm", "log", "memory")


def build_sender(kind: str, **options: Any) -> PushSender:
    """Create a sender; options go to its constructor.

    - "fcm": `credentials` (service-account JSON path or dict, a firebase-admin or
      google-auth credential, or None for Application Default Credentials),
      `project_id`, `base_url` (endpoint override, for tests), `timeout`, ... see
      `push.fcm.FcmSender`.
    - "log": `logger`, `level`, `reachable`.
    - "memory": `reachable`.
    """
    if kind == "fcm":
        # Imported here: firebase-admin and google-auth take ~0.3 s to import, which the
        # embedded (log) and test (memory) setups should not pay.
        from push.fcm import FcmSender

        return FcmSender(**options)
    if kind == "log":
        return LogSender(**options)
    if kind == "memory":
        return MemorySender(**options)
    raise ValueError(f"unknown push sender kind {kind!r}; expected one of {SENDER_KINDS}")
