"""Request-scoped dependencies: the transaction and the caller.

The request owns the transaction: services take the session and never commit. It commits
after the handler returns (before the response is sent, so a failed commit is an error
response), rolls back on any exception, and only then runs after-commit side effects.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request, Response
from litestar.connection import ASGIConnection
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.handlers.base import BaseRouteHandler
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.auth.tokens import TokenError
from backend.common.views import GENERATION_KEY
from backend.context import AppContext
from backend.db.transaction import transaction
from backend.errors import ProblemError

__all__ = [
    "DB",
    "PUBLIC",
    "Caller",
    "SessionJanitor",
    "client_ip",
    "get_context",
    "kept_answer",
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
    request: Request[Any, Any, Any], ctx: NamedDependency[AppContext]
) -> AsyncGenerator[AsyncSession, None]:
    # GET and HEAD only read, unless a handler says otherwise (opt={"writes": True}: a read
    # that writes an audit row). SQLite then needs no write lock for them.
    reads_only = request.method in {"GET", "HEAD"} and not request.route_handler.opt.get("writes")
    session = (ctx.db.read_sessions if reads_only else ctx.db.sessions)()
    # Before its first statement: an answer read in it is kept under this generation or
    # an older one, never a newer one (backend/common/views.py).
    session.info[GENERATION_KEY] = ctx.views.generation
    opened = request.scope.get(_OPEN_SESSIONS)
    if isinstance(opened, list):
        opened.append(session)  # SessionJanitor closes it once the answer is sent
    try:
        async with transaction(session):
            yield session
    finally:
        if opened is None:  # not served under SessionJanitor
            await session.close()


# Keys on the request's scope state: what the guard found, for provide_principal.
_PRINCIPAL = "chengyun.principal"
_CHECKED = "chengyun.access_checked"

#: Route handler ``opt`` of the API's operations without a bearer token: the API router's
#: guard lets them through, and OpenAPI declares no security for them.
PUBLIC: dict[str, Any] = {"public": True}


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
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The API router's guard: refuse a missing, forged or expired token before anything
    else is read (operations with ``opt=PUBLIC`` excepted).

    Litestar extracts query parameters and the body before it resolves dependencies, so
    with ``provide_principal`` alone a caller without a token gets 400 for a missing
    parameter or a malformed body instead of the 401 that makes a client log in again.
    Guards run first. The session check (logout, revoked family) stays in the dependency.

    Async on purpose: Litestar runs a plain function guard in a worker thread, a thread
    hand-off on every request. A token whose login was checked a moment ago is not decoded
    again (``AuthService.verified``). What it found is kept on the request's own state for
    ``provide_principal``, so the header is read and the token looked up once per request.
    """
    if handler.opt.get("public"):
        return
    token = _bearer(connection.headers)
    auth = get_context(connection.app.state).auth
    hit = auth.verified.get(token)
    if hit is not None:
        connection.state[_PRINCIPAL] = hit.principal
        return
    try:
        claims = auth.tokens.decode_access(token)
    except TokenError as exc:
        raise _unauthenticated("invalid or expired credentials") from exc
    # Verifying the signature again would double the JWT cost of every guarded request.
    # Request-scoped state, so it can never leak to another.
    connection.state[_CHECKED] = (token, claims)


async def provide_principal(
    request: Request[Any, Any, Any], ctx: NamedDependency[AppContext], db: DB
) -> Principal:
    """The caller, from what the guard found: the checked login, or the decoded token whose
    session is checked here (one query; then remembered in ``AuthService.verified``)."""
    principal: Principal | None = request.state.get(_PRINCIPAL)
    if principal is not None:
        return principal
    checked = request.state.get(_CHECKED)
    token, claims = checked if checked is not None else (_bearer(request.headers), None)
    return await ctx.auth.authenticate(db, token, claims)


async def kept_answer(request: Request[Any, Any, Any]) -> Response[Any] | None:
    """``before_request`` of the polled reads: their kept answer (backend/common/views.py),
    before the query string is parsed or any dependency (a session) is made. Only for a
    login the guard found checked a moment ago; any other caller is read in full."""
    principal: Principal | None = request.state.get(_PRINCIPAL)
    if principal is None:
        return None
    ctx = get_context(request.app.state)
    return ctx.views.answer(request, principal, now=ctx.now(), link_now=ctx.media_links.clock())
