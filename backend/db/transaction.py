"""The one transaction helper: commit, rollback and the after-commit hooks.

Serves the HTTP request (``backend.deps.provide_db``), a WebSocket frame (rooms/ws.py) and
the scheduled jobs (rooms/jobs.py, sla/sweep.py). Services never commit; whoever
opened the session runs its work inside ``transaction``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.engine import drop_after_commit, run_after_commit
from backend.db.models import AuditEntry

__all__ = ["transaction"]


@asynccontextmanager
async def transaction(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Commit when the block ends, then run what hung on the commit (``on_commit``).

    On any exception: roll back and drop the after-commit hooks (a rolled-back change
    sends nothing), keep the audit rows a handler marked to survive a failure
    (``session.info["audit_on_failure"]``), and re-raise. A session that never ran a
    statement has nothing to commit: skipping it saves a greenlet hand-off (and never
    takes SQLite's write turn, backend/db/sqlite_writes.py).
    """
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
    if session.in_transaction() or session.new or session.dirty or session.deleted:
        await session.commit()
    run_after_commit(session)
