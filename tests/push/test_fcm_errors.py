"""classify_fcm_error on hand-built SDK exceptions: the branches the fake does not reach."""

from __future__ import annotations

from typing import Any

import httpx
from firebase_admin import exceptions

from push import Failed, RetryLater, TokenDead
from push.fcm_errors import BAD_REQUEST_TYPE, FCM_ERROR_TYPE, classify_fcm_error


def http_error(
    status: int,
    error: dict[str, Any] | None,
    *,
    headers: dict[str, str] | None = None,
    code: str = exceptions.INVALID_ARGUMENT,
    text: str | None = None,
) -> exceptions.FirebaseError:
    if text is not None:
        response = httpx.Response(status, text=text, headers=headers)
    else:
        response = httpx.Response(status, json={"error": error}, headers=headers)
    message = (error or {}).get("message", "unexpected")
    return exceptions.FirebaseError(code, message, http_response=response)


def test_payload_error_without_fcm_detail_is_failed() -> None:
    # The FCM reference's own example: only a google.rpc.BadRequest detail.
    error = {
        "code": 400,
        "message": "Invalid value at 'message.data[0].value' (TYPE_STRING), 12",
        "status": "INVALID_ARGUMENT",
        "details": [
            {
                "@type": BAD_REQUEST_TYPE,
                "fieldViolations": [{"field": "message.data[0].value", "description": "x"}],
            }
        ],
    }
    assert classify_fcm_error(http_error(400, error)) == Failed(
        "INVALID_ARGUMENT: Invalid value at 'message.data[0].value' (TYPE_STRING), 12"
    )


def test_bad_request_naming_the_token_field_kills_the_token() -> None:
    error = {
        "message": "Request contains an invalid argument.",
        "status": "INVALID_ARGUMENT",
        "details": [
            {"@type": FCM_ERROR_TYPE, "errorCode": "INVALID_ARGUMENT"},
            {"@type": BAD_REQUEST_TYPE, "fieldViolations": [{"field": "message.token"}]},
        ],
    }
    assert classify_fcm_error(http_error(400, error)) == TokenDead(
        "INVALID_ARGUMENT: Request contains an invalid argument."
    )


def test_ambiguous_invalid_argument_keeps_the_token() -> None:
    error = {"message": "Request contains an invalid argument.", "status": "INVALID_ARGUMENT"}
    assert isinstance(classify_fcm_error(http_error(400, error)), Failed)


def test_retry_after_as_http_date() -> None:
    error = {"message": "slow down", "status": "RESOURCE_EXHAUSTED"}
    exc = http_error(
        429,
        error,
        headers={"Retry-After": "Sun, 15 Jun 2025 15:08:20 GMT"},
        code=exceptions.RESOURCE_EXHAUSTED,
    )
    # 1_750_000_000 is 2025-06-15 15:06:40 UTC: the date is 100 s later.
    assert classify_fcm_error(exc, now=lambda: 1_750_000_000.0) == RetryLater(
        100.0, "RESOURCE_EXHAUSTED: slow down"
    )


def test_floors_and_bases_are_configurable() -> None:
    quota = http_error(
        429,
        {"message": "q", "details": [{"@type": FCM_ERROR_TYPE, "errorCode": "QUOTA_EXCEEDED"}]},
        code=exceptions.RESOURCE_EXHAUSTED,
    )
    down = http_error(503, {"message": "d", "status": "UNAVAILABLE"}, code=exceptions.UNAVAILABLE)
    assert classify_fcm_error(quota, quota_floor=90.0) == RetryLater(90.0, "QUOTA_EXCEEDED: q")
    assert classify_fcm_error(down, retry_base=2.5) == RetryLater(2.5, "UNAVAILABLE: d")


def test_transport_errors_without_response_are_retried() -> None:
    timeout = exceptions.DeadlineExceededError("Timed out while making an API call")
    refused = exceptions.UnavailableError("Failed to establish a connection")
    assert classify_fcm_error(timeout) == RetryLater(
        10.0, "DEADLINE_EXCEEDED: Timed out while making an API call"
    )
    assert classify_fcm_error(refused) == RetryLater(
        10.0, "UNAVAILABLE: Failed to establish a connection"
    )


def test_gateway_errors_with_html_bodies_are_retried() -> None:
    exc = http_error(502, None, text="<html>Bad Gateway</html>", code=exceptions.UNKNOWN)
    assert classify_fcm_error(exc) == RetryLater(10.0, "UNKNOWN: unexpected")


def test_unknown_errors_fail_with_their_reason() -> None:
    exc = http_error(
        401,
        {"message": "Request had invalid authentication credentials.", "status": "UNAUTHENTICATED"},
        code=exceptions.UNAUTHENTICATED,
    )
    assert classify_fcm_error(exc) == Failed(
        "UNAUTHENTICATED: Request had invalid authentication credentials."
    )
