"""Map one FCM per-token error to a `PushResult`.

Pure function over the SDK's exception and the HTTP response it carries, so every branch
is unit-testable without a server. Codes follow the FCM HTTP v1 error reference: the
FcmError `errorCode` in `error.details` when present, else the canonical `error.status`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any, Final

from firebase_admin.exceptions import FirebaseError

from push.backoff import parse_retry_after
from push.results import Failed, PushResult, RetryLater, TokenDead

__all__ = ["DEFAULT_QUOTA_FLOOR_SECONDS", "DEFAULT_RETRY_BASE_SECONDS", "classify_fcm_error"]

FCM_ERROR_TYPE: Final = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE: Final = "type.googleapis.com/google.rpc.BadRequest"

# FCM's guidance for QUOTA_EXCEEDED without Retry-After is to wait at least a minute.
DEFAULT_QUOTA_FLOOR_SECONDS: Final = 60.0
# First wait after UNAVAILABLE/INTERNAL without Retry-After; the relay grows it from there.
DEFAULT_RETRY_BASE_SECONDS: Final = 10.0

# The token itself will never work again: the device row should be deactivated.
_TOKEN_DEAD: Final = frozenset({"UNREGISTERED", "SENDER_ID_MISMATCH"})
_QUOTA: Final = frozenset({"QUOTA_EXCEEDED", "RESOURCE_EXHAUSTED"})
# DEADLINE_EXCEEDED is a client timeout: the provider may be slow, the message is fine.
_TRANSIENT: Final = frozenset({"UNAVAILABLE", "INTERNAL", "DEADLINE_EXCEEDED"})
# Gateway errors come from proxies in front of FCM, not from FCM, and carry no FCM code.
_TRANSIENT_HTTP_STATUS: Final = frozenset({502, 504})


def _error_object(error: FirebaseError) -> Mapping[str, Any]:
    response = error.http_response
    if response is None:
        return {}
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    inner = body.get("error") if isinstance(body, dict) else None
    return inner if isinstance(inner, dict) else {}


def _details(err: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    details = err.get("details")
    if not isinstance(details, list):
        return []
    return [d for d in details if isinstance(d, dict)]


def _fcm_error_code(err: Mapping[str, Any]) -> str | None:
    for detail in _details(err):
        if detail.get("@type") == FCM_ERROR_TYPE and isinstance(detail.get("errorCode"), str):
            return str(detail["errorCode"])
    return None


def _is_about_token(err: Mapping[str, Any], message: str) -> bool:
    """Whether an INVALID_ARGUMENT blames the registration token rather than the payload.

    A payload error names the bad field in a google.rpc.BadRequest detail (e.g.
    "message.data[0].value"); a bad token comes with only the FcmError detail and the
    message "The registration token is not a valid FCM registration token". When unsure
    we say "payload": wrongly killing a token loses a user's phone for good, wrongly
    failing one message loses only that push (the inbox still has it).
    """
    for detail in _details(err):
        if detail.get("@type") == BAD_REQUEST_TYPE:
            violations = detail.get("fieldViolations")
            if not isinstance(violations, list):
                return False
            return any(
                isinstance(v, dict) and v.get("field") == "message.token" for v in violations
            )
    return "registration token" in message.lower()


def classify_fcm_error(
    error: FirebaseError,
    *,
    retry_base: float = DEFAULT_RETRY_BASE_SECONDS,
    quota_floor: float = DEFAULT_QUOTA_FLOOR_SECONDS,
    now: Callable[[], float] = time.time,
) -> PushResult:
    """Turn the exception firebase-admin reports for one token into a result."""
    err = _error_object(error)
    code = _fcm_error_code(err) or err.get("status") or error.code
    message = err.get("message") or str(error)
    reason = f"{code}: {message}"
    response = error.http_response
    retry_after = (
        parse_retry_after(response.headers.get("Retry-After"), now=now)
        if response is not None
        else None
    )
    if code in _TOKEN_DEAD:
        return TokenDead(reason)
    if code == "INVALID_ARGUMENT":
        return TokenDead(reason) if _is_about_token(err, message) else Failed(reason)
    if code in _QUOTA:
        return RetryLater(quota_floor if retry_after is None else retry_after, reason)
    if code in _TRANSIENT or (
        response is not None and response.status_code in _TRANSIENT_HTTP_STATUS
    ):
        return RetryLater(retry_base if retry_after is None else retry_after, reason)
    return Failed(reason)
