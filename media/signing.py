"""Signed, expiring media URLs: `GET /media/{id}/{variant}?exp=&sig=` needs no bearer token.

The signature binds the media id, the variant and the expiry, so a link to a thumbnail
cannot be edited into a link to the original, nor extended.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import urlencode

__all__ = ["sign_url_params", "signed_query", "verify_signature"]


def _mac(secret: bytes, media_id: str, variant: str, expires_at: int) -> str:
    # Newline-separated: ids and variant names never contain one, so fields cannot be
    # shifted into each other ("ab"+"c" vs "a"+"bc").
    message = f"{media_id}\n{variant}\n{expires_at}".encode()
    digest = hmac.new(secret, message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def sign_url_params(secret: bytes, media_id: str, variant: str, expires_at: int) -> str:
    """The `sig` value (HMAC-SHA256, URL-safe base64 without padding) for these params."""
    if not secret:
        raise ValueError("the signing secret must not be empty")
    return _mac(secret, media_id, variant, int(expires_at))


def signed_query(secret: bytes, media_id: str, variant: str, *, now: int, ttl: int = 3600) -> str:
    """`exp=...&sig=...` for a link valid `ttl` seconds from `now` (Unix seconds)."""
    expires_at = int(now) + ttl
    sig = sign_url_params(secret, media_id, variant, expires_at)
    return urlencode({"exp": expires_at, "sig": sig})


def verify_signature(
    secret: bytes, media_id: str, variant: str, exp: int | str, sig: str, now: float
) -> bool:
    """True only for an unexpired link signed with `secret` for exactly this id and
    variant. `exp` and `sig` come straight from the query string, so anything malformed
    is simply False."""
    try:
        expires_at = int(exp)
    except (TypeError, ValueError):
        return False
    if now >= expires_at or not secret:
        return False
    expected = _mac(secret, media_id, variant, expires_at)
    # Compare bytes: compare_digest refuses non-ASCII str, and a hostile sig may be one.
    return hmac.compare_digest(expected.encode(), sig.encode("utf-8", "replace"))
