"""The only module that touches firebase-admin internals. Keep it that way.

firebase-admin (7.x) has no public switch for the things `FcmSender` needs:

1. Endpoint override. `messaging.send_each_async(app=...)` builds its `_MessagingService`
   with the hard-coded https://fcm.googleapis.com URL; tests and the benchmark point it
   at a local fake of the FCM HTTP v1 API instead.
2. No hidden retries. The SDK's async transport retries HTTP 500/503 up to four times
   with its own sleeps inside one `send_each_async` call, ignoring Retry-After. Retries
   belong to the backend's outbox relay, which persists attempts and honours
   Retry-After across restarts.
3. HTTP settings. Over HTTP/1.1 (a proxy, or the fake without HTTP/2) httpcore's pool
   slows down quadratically with hundreds of queued requests; we want HTTP/2 whenever
   the far end speaks it (prior knowledge for the fake) and a keep-alive pool otherwise.
4. Closing inside a running loop. `_MessagingService.close()` (called by
   `firebase_admin.delete_app`) uses `asyncio.run`, which fails inside an event loop. We
   therefore never register the service on the App, and await the close ourselves.

So we build the service ourselves and give it our own async HTTP client. The service
only ever calls `request()` and `aclose()` on it; auth is the SDK's own httpx auth flow
(bearer token, refresh on 401). If an SDK upgrade breaks this, tests/push fails loudly.
"""

from __future__ import annotations

import uuid
from typing import Any

import firebase_admin
import httpx
from firebase_admin import _http_client, messaging

__all__ = ["FirebaseMessagingClient"]


class _AsyncHttp:
    """Drop-in for the SDK's `HttpxAsyncClient` as used by `_MessagingService`."""

    def __init__(self, credential: Any, *, timeout: float, http1: bool, http2: bool) -> None:
        self.client = httpx.AsyncClient(
            http1=http1,
            http2=http2,
            timeout=timeout,
            headers=_http_client.METRICS_HEADERS,
            auth=_http_client.GoogleAuthCredentialFlow(credential),
            # One chunk fans out 500 requests; over HTTP/1.1 keep all 100 connections
            # alive between chunks instead of reconnecting 80 of them each time.
            limits=httpx.Limits(max_connections=100, max_keepalive_connections=100),
        )

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        response = await self.client.request(method, url, **kwargs)
        # The service expects an httpx.HTTPStatusError for non-2xx answers.
        return response.raise_for_status()

    async def aclose(self) -> None:
        await self.client.aclose()


class FirebaseMessagingClient:
    """One FirebaseApp (uniquely named, no global default app) and its FCM service."""

    def __init__(
        self,
        credential: Any,
        *,
        project_id: str | None,
        base_url: str | None,
        timeout: float,
        http1: bool,
        http2: bool,
    ) -> None:
        options: dict[str, Any] = {"httpTimeout": timeout}
        if project_id:
            options["projectId"] = project_id
        # A unique name per sender: two senders (or two tests) never share SDK state, and
        # nobody has to reset a process-wide default app.
        self.app = firebase_admin.initialize_app(
            credential, options, name=f"chengyun-push-{uuid.uuid4().hex}"
        )
        try:
            service = messaging._MessagingService(self.app)
        except BaseException:
            firebase_admin.delete_app(self.app)
            raise
        if base_url:
            service._fcm_url = (
                f"{base_url.rstrip('/')}/v1/projects/{self.app.project_id}/messages:send"
            )
        # The constructor's own client (with SDK retries) is replaced, never used; it
        # still owns a connection pool object, so aclose() closes it too.
        self._replaced = service._async_client
        self._http = _AsyncHttp(service._credential, timeout=timeout, http1=http1, http2=http2)
        service._async_client = self._http
        self._service = service

    @property
    def send_url(self) -> str:
        return str(self._service._fcm_url)

    async def send_each(self, batch: list[messaging.Message]) -> messaging.BatchResponse:
        # dry_run must be explicit: the service method (unlike the public function)
        # defaults to dry_run=True, which validates and delivers nothing.
        return await self._service.send_each_async(batch, dry_run=False)

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
            await self._replaced.aclose()
            self._service._client.close()  # the sync requests session, never used
        finally:
            firebase_admin.delete_app(self.app)
