"""Telling "the database is away" from a fault, so a request answers 503, never 500.

During a PostgreSQL restart a request meets one of: a refused or reset connection (raised
by the driver's connect, not wrapped by SQLAlchemy), "the database system is starting up /
shutting down", a pooled connection the server closed (SQLAlchemy marks it invalidated and
the pool recycles its connections, so the next request gets fresh ones), or a connect or
pool wait that ran out of time. SQLite's write lock held past its busy timeout is the
embedded shape's version of the same thing. All of them say: retry shortly.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError

__all__ = ["UNAVAILABLE_TYPES", "database_unavailable"]

try:
    from asyncpg.exceptions import (
        CannotConnectNowError,
        PostgresConnectionError,
        TooManyConnectionsError,
    )
    from asyncpg.exceptions import InterfaceError as PgInterfaceError

    _ASYNCPG: tuple[type[BaseException], ...] = (
        CannotConnectNowError,
        PostgresConnectionError,
        TooManyConnectionsError,
        PgInterfaceError,
    )
except ImportError:  # pragma: no cover - asyncpg is a dependency; SQLite-only installs
    _ASYNCPG = ()

#: Exceptions that reach a request unwrapped when the database cannot be reached.
UNAVAILABLE_TYPES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    PoolTimeoutError,
    *_ASYNCPG,
)

_TRANSIENT_TEXT = (
    "database is locked",
    "connection",
    "the database system is",
    "terminating connection",
    "server closed",
)


def database_unavailable(exc: BaseException) -> bool:
    if isinstance(exc, DBAPIError):
        if exc.connection_invalidated:
            return True
        if isinstance(exc.orig, UNAVAILABLE_TYPES):
            return True
        message = str(exc.orig).lower()
        return any(text in message for text in _TRANSIENT_TEXT)
    return isinstance(exc, UNAVAILABLE_TYPES)
