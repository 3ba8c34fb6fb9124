"""Commits that can change a polled read: the trigger of ``ViewCache.bump``.

Every INSERT, UPDATE or DELETE a connection runs marks it, unless it names one of the
tables no polled read (``GET /events``, ``/events/{id}``, ``/inbox``, ``/notifications``)
ever shows (``UNSEEN``); a statement whose table is not known (raw SQL) marks it too. The
mark is read right after the driver's commit returns, so the data is visible to every
later reader before the generation moves (``backend.common.views`` says why that order
matters); a rollback or a closed connection drops it. Any new table therefore counts as
seen until it is listed here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

__all__ = ["UNSEEN", "track_view_writes"]

#: Tables none of the polled reads shows (their writes are frequent and must not drop the
#: kept answers: the detail's own phone-read audit row, idempotency claims, logins, pushes).
UNSEEN = frozenset(
    {
        "audit_log",
        "idempotency_keys",
        "auth_sessions",
        "refresh_tokens",
        "login_throttle",
        "devices",
        "push_deliveries",
        "push_attempts",
        "room_messages",
        "room_reads",
        "case_counters",
        "city_outbox",
        "open311_keys",
    }
)
_READS = frozenset(
    {"SELECT", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA", "SET", "SHOW"}
)
_MARK = "chengyun.view_write"


def _writes_seen(statement: str, context: Any) -> bool:
    first = statement.lstrip()[:10].split(None, 1)
    if not first or first[0].upper() in _READS:
        return False
    compiled = getattr(context, "compiled", None)
    construct = getattr(compiled, "statement", None)
    if getattr(construct, "is_select", False):
        return False
    table = getattr(construct, "table", None)
    name = getattr(table, "name", None)
    return name not in UNSEEN if isinstance(name, str) else True


def _info(connection: Any) -> dict[Any, Any] | None:
    try:
        return connection.info  # type: ignore[no-any-return]  # the connection is a driver object typed Any
    except (AttributeError, NotImplementedError):  # the dialect's first-connect probe
        return None


def track_view_writes(engine: Engine, committed: Callable[[], None]) -> None:
    """Call ``committed`` after each commit of a transaction that wrote a seen table."""

    @event.listens_for(engine, "before_cursor_execute")
    def _mark(
        conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        if _writes_seen(statement, context):
            info = _info(conn)
            if info is not None:
                info[_MARK] = True

    dialect = engine.dialect
    original_commit = dialect.do_commit

    def do_commit(connection: Any) -> None:
        original_commit(connection)
        info = _info(connection)
        if info is not None and info.pop(_MARK, False):
            committed()

    dialect.do_commit = do_commit  # type: ignore[method-assign,assignment]
    original_rollback = dialect.do_rollback

    def do_rollback(connection: Any) -> None:
        info = _info(connection)
        if info is not None:
            info.pop(_MARK, None)
        original_rollback(connection)

    dialect.do_rollback = do_rollback  # type: ignore[method-assign,assignment]
