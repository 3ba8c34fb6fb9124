"""A local fake of the FCM HTTP v1 send endpoint, for tests and the benchmark.

    with FakeFcm() as fcm:                       # serves on 127.0.0.1, its own thread
        fcm.script("tok-1", FakeReply.unavailable(), FakeReply.ok())
        sender = build_sender("fcm", **fcm.sender_options())
        ...
        assert fcm.requests_for("tok-1")[0].message["android"]["priority"] == "high"

It runs in a background thread with its own event loop, so sync and async tests (and
the backend's, under any loop scope) can share one, and a benchmark's event-loop lag
measures only the client. It answers like FCM: `{"name": ...}` on success, the Google
error envelope with a FcmError detail otherwise, and it rejects what FCM rejects (wrong
bearer token, non-string data values).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import ssl
import threading
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self

import google.auth.credentials
from firebase_admin import credentials as fb_credentials

from push._fake_http import HttpRequest, HttpResponse, serve_connection
from push.fcm_errors import BAD_REQUEST_TYPE, FCM_ERROR_TYPE

__all__ = ["FakeFcm", "FakeReply", "ReceivedRequest", "StaticTokenCredential"]

_START_TIMEOUT_SECONDS = 10
_TOKEN_PATH = "/token"  # noqa: S105  # a path, not a password


class _StaticGoogleCredentials(google.auth.credentials.Credentials):
    """A google-auth credential holding a fixed bearer token; refreshing is a no-op."""

    def __init__(self, token: str) -> None:
        super().__init__()  # type: ignore[no-untyped-call]  # google-auth leaves __init__ unannotated
        self.token = token

    def refresh(self, request: Any) -> None:
        # No expiry is set, so google-auth only calls this after a 401 from the fake.
        return None


class StaticTokenCredential(fb_credentials.Base):  # type: ignore[misc]  # firebase-admin is untyped
    """firebase-admin credential with a static token: no key file, no OAuth round trip."""

    def __init__(self, token: str) -> None:
        self._credential = _StaticGoogleCredentials(token)

    def get_credential(self) -> google.auth.credentials.Credentials:
        return self._credential


@dataclass(frozen=True, slots=True)
class FakeReply:
    """One scripted answer. Use the constructors; they mirror FCM's real error bodies."""

    status: int = 200
    error: Mapping[str, Any] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def ok(cls) -> FakeReply:
        return cls()

    @classmethod
    def fcm_error(
        cls,
        status: int,
        canonical: str,
        error_code: str | None,
        message: str,
        *,
        details: Iterable[Mapping[str, Any]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> FakeReply:
        all_details: list[Mapping[str, Any]] = (
            [{"@type": FCM_ERROR_TYPE, "errorCode": error_code}] if error_code else []
        )
        all_details += list(details)
        error = {"code": status, "message": message, "status": canonical, "details": all_details}
        return cls(status, error, dict(headers or {}))

    @classmethod
    def unregistered(cls) -> FakeReply:
        return cls.fcm_error(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.")

    @classmethod
    def invalid_token(cls) -> FakeReply:
        return cls.fcm_error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            "The registration token is not a valid FCM registration token",
        )

    @classmethod
    def invalid_payload(cls, field_path: str = "message.data[0].value") -> FakeReply:
        text = f"Invalid value at '{field_path}' (TYPE_STRING), 12"
        violation = {"field": field_path, "description": text}
        return cls.fcm_error(
            400,
            "INVALID_ARGUMENT",
            "INVALID_ARGUMENT",
            text,
            details=[{"@type": BAD_REQUEST_TYPE, "fieldViolations": [violation]}],
        )

    @classmethod
    def quota_exceeded(cls, retry_after: int | None = 30) -> FakeReply:
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        return cls.fcm_error(
            429,
            "RESOURCE_EXHAUSTED",
            "QUOTA_EXCEEDED",
            "Sending rate exceeded for this project.",
            headers=headers,
        )

    @classmethod
    def unavailable(cls, retry_after: int | None = None) -> FakeReply:
        headers = {} if retry_after is None else {"retry-after": str(retry_after)}
        return cls.fcm_error(
            503,
            "UNAVAILABLE",
            "UNAVAILABLE",
            "The service is currently unavailable.",
            headers=headers,
        )

    @classmethod
    def internal(cls) -> FakeReply:
        return cls.fcm_error(500, "INTERNAL", "INTERNAL", "Internal error encountered.")

    @classmethod
    def sender_id_mismatch(cls) -> FakeReply:
        return cls.fcm_error(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch")


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """A request as the fake saw it (recorded before it answered)."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # parsed JSON, or None when the body was not JSON
    http_version: str

    @property
    def message(self) -> dict[str, Any]:
        return dict(self.body["message"])

    @property
    def token(self) -> str | None:
        """The target device: `token`, or `fid` for senders that use installation IDs."""
        return self.message.get("token") or self.message.get("fid")


def _json_response(
    status: int, payload: Any, headers: Mapping[str, str] | None = None
) -> HttpResponse:
    return HttpResponse(
        status,
        json.dumps(payload).encode(),
        {"content-type": "application/json", **(headers or {})},
    )


def _payload_problem(message: Mapping[str, Any]) -> FakeReply | None:
    """What FCM itself would reject before looking at the token."""
    targets = [k for k in ("token", "fid", "topic", "condition") if k in message]
    if len(targets) != 1:
        return FakeReply.fcm_error(
            400, "INVALID_ARGUMENT", None, "Exactly one of token, fid, topic or condition."
        )
    data = message.get("data", {})
    for position, value in enumerate(data.values() if isinstance(data, dict) else ()):
        if not isinstance(value, str):
            return FakeReply.invalid_payload(f"message.data[{position}].value")
    return None


class FakeFcm:
    """The fake server. Start with `with FakeFcm() as fcm:` or `start()` / `stop()`."""

    def __init__(
        self,
        *,
        project_id: str = "chengyun-test",
        access_token: str = "fake-fcm-access-token",  # noqa: S107  # the fake's, not a secret
        latency: float = 0.0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self.project_id = project_id
        self.access_token = access_token
        self.latency = latency
        self._ssl = ssl_context
        self._send_path = f"/v1/projects/{project_id}/messages:send"
        self._lock = threading.Lock()
        self._scripts: defaultdict[str, deque[FakeReply]] = defaultdict(deque)
        self._always: dict[str, FakeReply] = {}
        self._received: list[ReceivedRequest] = []
        self._ids = itertools.count(1)
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self.port = 0
        self.token_grants = 0  # OAuth grants answered at token_uri

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> Self:
        if self._thread is not None:
            raise RuntimeError("FakeFcm already started")
        self._thread = threading.Thread(target=asyncio.run, args=(self._main(),), daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_SECONDS):
            raise RuntimeError("FakeFcm did not start")
        if self._startup_error is not None:
            raise RuntimeError("FakeFcm failed to start") from self._startup_error
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None or self._stop_event is None:
            return
        self._loop.call_soon_threadsafe(self._stop_event.set)
        self._thread.join()
        self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def _main(self) -> None:
        try:
            self._loop = asyncio.get_running_loop()
            self._stop_event = asyncio.Event()
            connections: set[asyncio.Task[None]] = set()

            async def on_connect(
                reader: asyncio.StreamReader, writer: asyncio.StreamWriter
            ) -> None:
                task = asyncio.current_task()
                assert task is not None
                connections.add(task)
                try:
                    await serve_connection(reader, writer, self._handle)
                except asyncio.CancelledError:
                    # Only stop() cancels these; ending normally keeps asyncio's stream
                    # callback from logging the cancellation as an error.
                    pass
                finally:
                    connections.discard(task)

            server = await asyncio.start_server(on_connect, "127.0.0.1", 0, ssl=self._ssl)
            self.port = server.sockets[0].getsockname()[1]
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()
            raise
        self._ready.set()
        async with server:
            await self._stop_event.wait()
            server.close()
            for task in list(connections):
                task.cancel()
            await asyncio.gather(*connections, return_exceptions=True)

    # -- addresses and credentials -----------------------------------------------------

    @property
    def base_url(self) -> str:
        scheme = "https" if self._ssl else "http"
        return f"{scheme}://127.0.0.1:{self.port}"

    @property
    def send_url(self) -> str:
        return self.base_url + self._send_path

    def credential(self) -> StaticTokenCredential:
        """A credential the fake accepts (it checks the bearer token)."""
        return StaticTokenCredential(self.access_token)

    @property
    def token_uri(self) -> str:
        """The fake's OAuth 2.0 token endpoint: it grants `access_token` to any assertion."""
        return self.base_url + _TOKEN_PATH

    def service_account(self) -> dict[str, Any]:
        """A service-account JSON (a fresh RSA key) whose `token_uri` is the fake's: with
        CHENGYUN_FCM_CREDENTIALS and CHENGYUN_FCM_ENDPOINT a server reaches the fake through
        its production code path, the OAuth grant included."""
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": self.project_id,
            "private_key_id": "fake-fcm-key",
            "private_key": pem,
            "client_email": f"push@{self.project_id}.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": self.token_uri,
        }

    def sender_options(self) -> dict[str, Any]:
        """Keyword arguments for `build_sender("fcm", ...)` / `FcmSender(...)`.

        HTTP/2 like the real FCM (prior knowledge on plain http://); over HTTP/1.1
        httpcore's pool gets slow with hundreds of requests in flight.
        """
        return {
            "credentials": self.credential(),
            "project_id": self.project_id,
            "base_url": self.base_url,
            "http1": self._ssl is not None,
        }

    # -- scripting and inspection -----------------------------------------------------

    def script(self, token: str, *replies: FakeReply) -> None:
        """Answer the next requests for `token` with `replies`, in order, then normally."""
        with self._lock:
            self._scripts[token].extend(replies)

    def always(self, token: str, reply: FakeReply) -> None:
        """Answer every request for `token` with `reply` once its script is used up."""
        with self._lock:
            self._always[token] = reply

    @property
    def requests(self) -> list[ReceivedRequest]:
        """Every request received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._received)

    def requests_for(self, token: str) -> list[ReceivedRequest]:
        return [r for r in self.requests if r.body and r.token == token]

    def clear(self) -> None:
        """Forget received requests and scripts."""
        with self._lock:
            self._received.clear()
            self._scripts.clear()
            self._always.clear()

    # -- the endpoint -------------------------------------------------------------------

    async def _handle(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and request.path == _TOKEN_PATH:
            with self._lock:
                self.token_grants += 1
            grant = {"access_token": self.access_token, "expires_in": 3600, "token_type": "Bearer"}
            return _json_response(200, grant)
        try:
            body = json.loads(request.body) if request.body else None
        except ValueError:
            body = None
        received = ReceivedRequest(
            request.method, request.path, request.headers, body, request.http_version
        )
        with self._lock:
            self._received.append(received)
        if request.method != "POST" or request.path != self._send_path:
            return self._error(FakeReply.fcm_error(404, "NOT_FOUND", None, "Not found."))
        if request.headers.get("authorization") != f"Bearer {self.access_token}":
            return self._error(
                FakeReply.fcm_error(401, "UNAUTHENTICATED", None, "Invalid credentials.")
            )
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            return self._error(
                FakeReply.fcm_error(400, "INVALID_ARGUMENT", None, "Invalid JSON payload.")
            )
        if self.latency:
            await asyncio.sleep(self.latency)  # simulated network + FCM processing time
        reply = _payload_problem(message) or self._next_reply(received.token)
        if reply.error is not None:
            return self._error(reply)
        name = f"projects/{self.project_id}/messages/{next(self._ids)}"
        return _json_response(200, {"name": name}, reply.headers)

    def _next_reply(self, token: Any) -> FakeReply:
        with self._lock:
            queued = self._scripts.get(token)
            if queued:
                return queued.popleft()
            return self._always.get(token, FakeReply.ok())

    @staticmethod
    def _error(reply: FakeReply) -> HttpResponse:
        return _json_response(reply.status, {"error": reply.error}, reply.headers)
