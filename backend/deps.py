"""Request-scoped dependencies: the transaction and the caller.

The request owns the transaction: services take the session and never commit. It commits
after the handler returns (before the response is sent, so a failed commit is an error
response), rolls back on any exception, and only then runs after-commit side effects.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.auth.tokens import TokenError
from backend.context import AppContext
from backend.db.engine import drop_after_commit, run_after_commit
from backend.db.models import AuditEntry
from backend.errors import ProblemError

__all__ = [
    "DB",
    "Caller",
    "SessionJanitor",
    "client_ip",
    "get_context",
    "provide_db",
    "provide_principal",
    "require_bearer",
]


#: Handler parameter types: the request's session and the authenticated caller.
DB = NamedDependency[AsyncSession]
Caller = NamedDependency[Principal]


def get_context(state: State) -> AppContext:
    return state["ctx"]  # type: ignore[no-any-return]  # Litestar's State is a dict[str, Any]


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


# Key on the ASGI scope for the sessions the request opened (``SessionJanitor``).
_OPEN_SESSIONS = "chengyun.open_sessions"


class SessionJanitor:
    """ASGI wrapper that closes the request's session: ``provide_db`` leaves that to it.

    Litestar resolves a handler's dependencies in batches; when one raises (the 401 of
    ``provide_principal`` for a revoked or unknown session), the generators already started
    are dropped without being finalised, so ``provide_db``'s session kept its pooled
    connection until garbage collection: a burst of 401s could drain the pool. Only a
    session still in a transaction holds a connection; one that committed, or never asked
    the database anything (a call answered from memory), is left alone.
    """

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        opened: list[AsyncSession] = []
        scope[_OPEN_SESSIONS] = opened
        try:
            await self.app(scope, receive, send)
        finally:
            for session in opened:
                if session.in_transaction():
                    await session.close()


async def provide_db(
    request: Request[Any, Any, Any], state: State
) -> AsyncGenerator[AsyncSession, None]:
    ctx = get_context(state)
    # GET and HEAD only read, unless a handler says otherwise (opt={"writes": True}: a read
    # that writes an audit row). SQLite then needs no write lock for them.
    reads_only = request.method in {"GET", "HEAD"} and not request.route_handler.opt.get("writes")
    session = (ctx.db.read_sessions if reads_only else ctx.db.sessions)()
    opened = request.scope.get(_OPEN_SESSIONS)
    if isinstance(opened, list):
        opened.append(session)  # SessionJanitor closes it once the answer is sent
    try:
        yield session
    except BaseException:
        await session.rollback()
        drop_after_commit(session)
        kept = session.info.pop("audit_on_failure", [])
        if kept:
            session.add_all(AuditEntry(**entry) for entry in kept)
            await session.commit()
        raise
    else:
        # A call that never touched the database (answered from memory) has nothing to
        # commit: skipping it saves a greenlet hand-off on the smallest calls.
        if session.in_transaction() or session.new or session.dirty or session.deleted:
            await session.commit()
        run_after_commit(session)
    finally:
        if opened is None:  # not served under SessionJanitor
            await session.close()


# Key on the request's scope state for the access claims the guard decoded.
_CLAIMS = "chengyun.access_claims"


def _unauthenticated(detail: str) -> ProblemError:
    return ProblemError(
        401, "unauthenticated", detail, headers={"WWW-Authenticate": 'Bearer realm="chengyun"'}
    )


def _bearer(headers: Any) -> str:
    scheme, _, token = str(headers.get("authorization", "")).partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise _unauthenticated("missing bearer token")
    return token.strip()


async def require_bearer(
    connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler
) -> None:
    """Guard: refuse a missing, forged or expired token before anything else is read.

    Litestar extracts query parameters and the body before it resolves dependencies, so
    with ``provide_principal`` alone a caller without a token gets 400 for a missing
    parameter or a malformed body instead of the 401 that makes a client log in again.
    Guards run first. The session check (logout, revoked family) stays in the dependency.

    Async on purpose: Litestar runs a plain function guard in a worker thread, a thread
    hand-off on every request. A token whose login was checked a moment ago is not decoded
    again (``AuthService.verified``).
    """
    token = _bearer(connection.headers)
    auth = get_context(connection.app.state).auth
    if auth.verified.get(token) is not None:
        return
    try:
        claims = auth.tokens.decode_access(token)
    except TokenError as exc:
        raise _unauthenticated("invalid or expired credentials") from exc
    # Kept for provide_principal: verifying the signature again would double the JWT cost
    # of every guarded request. Request-scoped state, so it can never leak to another.
    connection.state[_CLAIMS] = claims


async def provide_principal(request: Request[Any, Any, Any], state: State, db: DB) -> Principal:
    token = _bearer(request.headers)
    claims = request.state.get(_CLAIMS)
    return await get_context(state).auth.authenticate(db, token, claims)
