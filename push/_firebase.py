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

import asyncio
import json
import uuid
from typing import Any

import firebase_admin
import httpx
import requests
from firebase_admin import _http_client, exceptions, messaging

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

    @staticmethod
    def encode(message: messaging.Message) -> bytes:
        """The request body of one message, as the SDK would send it (no dry run).

        Pure CPU: the sender runs it in a worker thread for a whole batch, so building 500
        requests never stalls the event loop (it took ~150 ms of the loop per batch when
        ``send_each_async`` built them)."""
        body = {"message": messaging._MessagingService.encode_message(message)}
        return json.dumps(body, separators=(",", ":")).encode()

    async def send_encoded(self, bodies: list[bytes], *, in_flight: int) -> list[Any]:
        """POST each body (from ``encode``); one ``messaging.SendResponse`` per body, with
        the SDK's own error mapping. At most ``in_flight`` requests are started at once, so
        a batch's requests are spread over loop iterations instead of all in one."""
        service = self._service
        headers = {**service._fcm_headers, "content-type": "application/json; charset=UTF-8"}
        slots = asyncio.Semaphore(in_flight)

        async def one(body: bytes) -> Any:
            async with slots:
                try:
                    resp = await self._http.request(
                        "post", service._fcm_url, headers=headers, content=body
                    )
                except httpx.HTTPError as exc:
                    return messaging.SendResponse(None, service._handle_fcm_httpx_error(exc))
                except requests.exceptions.RequestException as exc:  # auth refresh
                    return messaging.SendResponse(None, service._handle_fcm_error(exc))
            return messaging.SendResponse(resp.json(), None)

        try:
            return list(await asyncio.gather(*(one(b) for b in bodies)))
        except Exception as error:  # what send_each_async does with the unexpected
            raise exceptions.UnknownError(
                message=f"Unknown error while making remote service calls: {error}",
                cause=error,
            ) from error

    async def aclose(self) -> None:
        try:
            await self._http.aclose()
            await self._replaced.aclose()
            self._service._client.close()  # the sync requests session, never used
        finally:
            firebase_admin.delete_app(self.app)
