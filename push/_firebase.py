"""The only module that touches firebase-admin internals. Keep it that way.

firebase-admin (7.x) has no public switch for the three things `FcmSender` needs:

1. Endpoint override. `messaging.send_each_async(app=...)` builds its `_MessagingService`
   with the hard-coded https://fcm.googleapis.com URL; tests and the benchmark point it
   at a local fake of the FCM HTTP v1 API instead.
2. No hidden retries. The SDK's async transport retries HTTP 500/503 up to four times
   with its own sleeps inside one `send_each_async` call, ignoring Retry-After. Retries
   belong to the backend's outbox relay, which persists attempts and honours
   Retry-After across restarts, so we install a client with retries off.
3. Closing inside a running loop. `_MessagingService.close()` (called by
   `firebase_admin.delete_app`) uses `asyncio.run`, which fails inside an event loop. We
   therefore never register the service on the App, and await the close ourselves.

If an SDK upgrade breaks this module, the contract tests in tests/push fail loudly.
"""

from __future__ import annotations

import uuid
from typing import Any

import firebase_admin
from firebase_admin import _http_client, messaging
from firebase_admin._retry import HttpxRetry

__all__ = ["FirebaseMessagingClient"]


class FirebaseMessagingClient:
    """One FirebaseApp (uniquely named, no global default app) and its FCM service."""

    def __init__(
        self,
        credential: Any,
        *,
        project_id: str | None,
        base_url: str | None,
        timeout: float,
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
        # The client the constructor made (with SDK retries) is replaced, not used; it
        # still owns a connection pool object, so it is closed in aclose().
        self._replaced = service._async_client
        service._async_client = _http_client.HttpxAsyncClient(
            credential=service._credential,
            retry_config=HttpxRetry(max_retries=0),
            timeout=timeout,  # type: ignore[arg-type]  # annotated int, any number works
            http2=http2,
        )
        self._service = service

    @property
    def project_id(self) -> str:
        return str(self.app.project_id)

    @property
    def send_url(self) -> str:
        return str(self._service._fcm_url)

    async def send_each(self, batch: list[messaging.Message]) -> messaging.BatchResponse:
        # dry_run must be explicit: the service method (unlike the public function)
        # defaults to dry_run=True, which validates and delivers nothing.
        return await self._service.send_each_async(batch, dry_run=False)

    async def aclose(self) -> None:
        try:
            await self._service._async_client.aclose()
            await self._replaced.aclose()
            self._service._client.close()  # the sync requests session, never used
        finally:
            firebase_admin.delete_app(self.app)
