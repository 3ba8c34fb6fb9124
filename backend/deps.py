"""Request-scoped dependencies: the transaction and the caller.

The request owns the transaction: services take the session and never commit. It commits
after the handler returns (before the response is sent, so a failed commit is an error
response), rolls back on any exception, and only then runs after-commit side effects.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Any

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.context import AppContext
from backend.db.engine import drop_after_commit, run_after_commit
from backend.db.models import AuditEntry
from backend.errors import ProblemError

__all__ = ["DB", "Caller", "client_ip", "get_context", "provide_db", "provide_principal"]


#: Handler parameter types: the request's session and the authenticated caller.
DB = NamedDependency[AsyncSession]
Caller = NamedDependency[Principal]


def get_context(state: State) -> AppContext:
    return state["ctx"]  # type: ignore[no-any-return]


def client_ip(request: Request[Any, Any, Any]) -> str | None:
    return request.client.host if request.client else None


async def provide_db(state: State) -> AsyncGenerator[AsyncSession, None]:
    ctx = get_context(state)
    async with ctx.db.sessions() as session:
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
        await session.commit()
        run_after_commit(session)


async def provide_principal(
    request: Request[Any, Any, Any], state: State, db: DB
) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ProblemError(
            401,
            "unauthenticated",
            "missing bearer token",
            headers={"WWW-Authenticate": 'Bearer realm="chengyun"'},
        )
    return await get_context(state).auth.authenticate(db, token.strip())

