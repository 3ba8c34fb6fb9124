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

__all__ = ["UNAVAILABLE_TYPES", "database_unavailable", "transaction_lost"]

# SQLSTATEs of a transaction PostgreSQL cancelled so that others could go on: a deadlock
# victim (40P01) or a serialization failure (40001). The request was fine; run again, it
# succeeds (and an Idempotency-Key's claim rolled back with it, so the retry is not 409).
_RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})

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


def transaction_lost(exc: BaseException) -> bool:
    """The database cancelled the transaction to break a deadlock or a serialization
    conflict: nothing was written, and the same request again will go through."""
    if not isinstance(exc, DBAPIError):
        return False
    # SQLAlchemy's asyncpg adapter carries the driver's SQLSTATE on the wrapped error.
    orig = exc.orig
    cause = orig.__cause__ if orig is not None else None
    state = getattr(orig, "sqlstate", None) or getattr(cause, "sqlstate", None)
    return state in _RETRYABLE_SQLSTATES
