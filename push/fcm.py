"""Firebase Cloud Messaging sender (HTTP v1 API through firebase-admin's async client)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import warnings
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Final, TypeAlias

from firebase_admin import credentials as fb_credentials
from firebase_admin import messaging
from firebase_admin.exceptions import FirebaseError
from google.auth.credentials import Credentials as GoogleCredentials

from push._firebase import FirebaseMessagingClient
from push.base import FCM_PLATFORMS, PushSender, SenderClosed, unreachable
from push.fcm_errors import (
    DEFAULT_QUOTA_FLOOR_SECONDS,
    DEFAULT_RETRY_BASE_SECONDS,
    classify_fcm_error,
)
from push.message import Platform, Priority, PushMessage
from push.results import Delivered, PushResult, RetryLater

__all__ = [
    "DEFAULT_ANDROID_CHANNELS",
    "FCM_BATCH_LIMIT",
    "CredentialsLike",
    "FcmSender",
    "to_fcm_message",
]

_logger = logging.getLogger(__name__)

# send_each_async refuses more than 500 messages per call; we keep its limit per chunk.
FCM_BATCH_LIMIT: Final = 500
# Requests of one chunk started at once: FCM (and the fake) allow 100 concurrent streams
# per HTTP/2 connection; more would only queue inside httpcore, which rescans its queue on
# every completion.
IN_FLIGHT: Final = 100
# Android notification channels the app creates at start-up; high priority uses a channel
# with sound and heads-up display, so an incident is seen without unlocking the phone.
DEFAULT_ANDROID_CHANNELS: Final[Mapping[Priority, str]] = {
    "high": "chengyun_urgent",
    "normal": "chengyun_default",
}

#: A service-account JSON path or dict, a firebase-admin credential, a google-auth
#: credential, or None for Application Default Credentials.
CredentialsLike: TypeAlias = (
    str | os.PathLike[str] | Mapping[str, Any] | fb_credentials.Base | GoogleCredentials | None
)


def _resolve_credentials(value: CredentialsLike) -> fb_credentials.Base | GoogleCredentials:
    if value is None:
        return fb_credentials.ApplicationDefault()
    if isinstance(value, fb_credentials.Base | GoogleCredentials):
        return value
    if isinstance(value, Mapping):
        return fb_credentials.Certificate(dict(value))
    return fb_credentials.Certificate(os.fspath(value))


@contextlib.contextmanager
def _token_target_allowed() -> Iterator[None]:
    """Silence exactly one deprecation: firebase-admin 7.7 deprecates `Message.token` in
    favour of `fid` (Firebase Installation ID). Our devices register what the app gives
    them: FCM registration tokens today, and FCM accepts an FID in the `token` field too,
    whereas a registration token in `fid` would fail. So `token` is the target that works
    for every device we hold; moving to `fid` needs the app to report which identifier it
    registered. Until then we keep `token` without a warning per message.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"Message\.token is deprecated", category=DeprecationWarning
        )
        yield


def to_fcm_message(message: PushMessage, *, android_channel: str, now: float) -> messaging.Message:
    """Build the FCM v1 message: one notification, Android and APNs settings per priority."""
    high = message.priority == "high"
    apns_headers = {
        # APNs: 10 = deliver now, 5 = may be batched for power; alert matches the
        # visible notification (required by iOS 13+ for alert pushes).
        "apns-priority": "10" if high else "5",
        "apns-push-type": "alert",
    }
    if message.collapse_key is not None:
        apns_headers["apns-collapse-id"] = message.collapse_key
    if message.ttl_seconds is not None:
        # APNs wants an absolute expiry; "0" means "deliver once or drop", as ttl 0 does.
        apns_headers["apns-expiration"] = (
            "0" if message.ttl_seconds == 0 else str(int(now) + message.ttl_seconds)
        )
    return messaging.Message(
        token=message.token,
        data=message.wire_data,
        notification=messaging.Notification(title=message.title, body=message.body),
        android=messaging.AndroidConfig(
            priority="high" if high else "normal",
            # collapse_key: FCM keeps only the newest while the phone is offline; tag:
            # the newest replaces the shown notification. Both, so reminders never pile up.
            collapse_key=message.collapse_key,
            ttl=message.ttl_seconds,
            notification=messaging.AndroidNotification(
                channel_id=android_channel, tag=message.collapse_key
            ),
        ),
        apns=messaging.APNSConfig(
            headers=apns_headers,
            payload=messaging.APNSPayload(
                aps=messaging.Aps(
                    sound="default",
                    # Time-sensitive breaks through Focus modes; only for incidents and
                    # overdue escalations, which is what "high" means in this app.
                    custom_data={"interruption-level": "time-sensitive"} if high else None,
                )
            ),
        ),
    )


class FcmSender(PushSender):
    """Sends through FCM's HTTP v1 API, 500 messages per `send_each_async` call.

    Each instance owns a uniquely named FirebaseApp, deleted by `close()`. `base_url`
    replaces https://fcm.googleapis.com (tests point it at `push.fake_fcm.FakeFcm`).
    HTTP/2 is negotiated over TLS as FCM offers it; `http1=False` forces HTTP/2, which
    on an http:// URL means prior knowledge (what the fake's `sender_options()` uses).
    """

    name = "fcm"

    def __init__(
        self,
        *,
        credentials: CredentialsLike = None,
        project_id: str | None = None,
        base_url: str | None = None,
        timeout: float = 30.0,
        http1: bool = True,
        http2: bool = True,
        android_channels: Mapping[Priority, str] = DEFAULT_ANDROID_CHANNELS,
        retry_base_seconds: float = DEFAULT_RETRY_BASE_SECONDS,
        quota_floor_seconds: float = DEFAULT_QUOTA_FLOOR_SECONDS,
        clock: Callable[[], float] = time.time,
        batch_size: int = FCM_BATCH_LIMIT,
        concurrent_batches: int = 1,
    ) -> None:
        if not 1 <= batch_size <= FCM_BATCH_LIMIT:
            raise ValueError(f"batch_size must be 1..{FCM_BATCH_LIMIT}")
        if concurrent_batches < 1:
            raise ValueError("concurrent_batches must be at least 1")
        self._batch_size = batch_size
        self._batch_slots = asyncio.Semaphore(concurrent_batches)
        self._client = FirebaseMessagingClient(
            _resolve_credentials(credentials),
            project_id=project_id,
            base_url=base_url,
            timeout=timeout,
            http1=http1,
            http2=http2,
        )
        self._channels = dict(android_channels)
        self._retry_base = retry_base_seconds
        self._quota_floor = quota_floor_seconds
        self._clock = clock
        self._closed = False

    @property
    def app_name(self) -> str:
        """The FirebaseApp this sender owns (unique per instance)."""
        return str(self._client.app.name)

    @property
    def send_url(self) -> str:
        return self._client.send_url

    def can_reach(self, platform: Platform) -> bool:
        return platform in FCM_PLATFORMS

    async def send(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        if self._closed:
            raise SenderClosed("FcmSender is closed")
        results: list[PushResult | None] = [None] * len(messages)
        reachable: list[int] = []
        for index, message in enumerate(messages):
            if self.can_reach(message.platform):
                reachable.append(index)
            else:
                results[index] = unreachable(self.name, message.platform)
        now = self._clock()
        size = self._batch_size
        chunks = [reachable[start : start + size] for start in range(0, len(reachable), size)]

        async def send_chunk(indices: list[int]) -> None:
            # The slot bounds requests in flight across all concurrent send() calls.
            async with self._batch_slots:
                # Built and encoded per chunk, inside the slot, in a worker thread: a
                # 10,000-device fan-out never blocks the event loop building requests.
                bodies = await asyncio.to_thread(self._encode, [messages[i] for i in indices], now)
                answers = await self._send_chunk(bodies)
            for index, answer in zip(indices, answers, strict=True):
                results[index] = answer

        await asyncio.gather(*(send_chunk(chunk) for chunk in chunks))
        done = [result for result in results if result is not None]
        if len(done) != len(messages):  # a bug here would silently drop notifications
            raise RuntimeError("fcm: a message was left without a result")
        return done

    def _encode(self, messages: list[PushMessage], now: float) -> list[bytes]:
        with _token_target_allowed():
            return [
                self._client.encode(
                    to_fcm_message(m, android_channel=self._channels[m.priority], now=now)
                )
                for m in messages
            ]

    async def _send_chunk(self, batch: list[bytes]) -> list[PushResult]:
        _logger.debug("fcm: sending a chunk of %d messages", len(batch))
        try:
            responses = await self._client.send_encoded(batch, in_flight=IN_FLIGHT)
        except FirebaseError as exc:
            # The whole call failed before any per-token answer (e.g. the OAuth token
            # could not be refreshed). Not the messages' fault: try them all again later.
            reason = f"batch failed: {exc.code}: {exc}"
            _logger.warning("fcm: %s", reason)
            return [RetryLater(self._retry_base, reason)] * len(batch)
        return [
            Delivered(str(item.message_id))
            if item.success
            else classify_fcm_error(
                item.exception,
                retry_base=self._retry_base,
                quota_floor=self._quota_floor,
                now=self._clock,
            )
            for item in responses
        ]

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await self._client.aclose()
