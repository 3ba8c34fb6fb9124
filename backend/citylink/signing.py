"""HMAC-SHA256 over ``timestamp + "." + body``, both directions."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["MAX_SKEW_SECONDS", "fresh", "sign", "verify"]

MAX_SKEW_SECONDS = 300


def sign(secret: str, timestamp: str, body: bytes) -> str:
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, timestamp, body), signature.strip().lower())


def fresh(timestamp: str, now_epoch: float) -> bool:
    """A Unix-seconds timestamp within ±5 minutes of now (replays of old captures fail)."""
    try:
        return abs(int(timestamp) - now_epoch) <= MAX_SKEW_SECONDS
    except ValueError:
        return False
