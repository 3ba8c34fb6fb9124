"""Change numbers: the inbox counter that orders every task change for offline sync."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from backend.db.models import InboxCounter, Task, TaskTombstone

__all__ = ["next_rev", "next_revs", "number_at_commit"]


async def next_revs(session: AsyncSession, count: int) -> int:
    """Reserve ``count`` change numbers; returns the last (the first is last - count + 1).

    The row lock this takes is held until commit, so numbers become visible in order.
    """
    result = await session.execute(
        update(InboxCounter)
        .where(InboxCounter.id == 1)
        .values(value=InboxCounter.value + count)
        .returning(InboxCounter.value)
    )
    return int(result.scalar_one())


async def next_rev(session: AsyncSession) -> int:
    """The next change number (see ``next_revs``)."""
    return await next_revs(session, 1)


# Task changes take their change numbers when their transaction commits: the counter's row
# lock is then the last lock the transaction takes, so a transaction that holds it never
# waits for another lock, and it can never close a deadlock cycle (PostgreSQL deadlocked
# an accept holding the counter against a writer holding an event row it wanted). Each
# slot is one number; the objects of a slot share it (a closed task and its tombstone),
# and an object in a later slot ends with the later number, as with eager numbering.
# Tombstones are never read in their own transaction: they are inserted at commit, with
# their number, instead of inserted and then numbered.
_SLOTS = "inbox.rev_slots"


def number_at_commit(
    session: AsyncSession, task: Task, tombstone: dict[str, Any] | None = None
) -> None:
    if task.rev is None:
        task.rev = 0  # the column is NOT NULL; replaced before the commit
    session.sync_session.info.setdefault(_SLOTS, []).append((task, tombstone))


@event.listens_for(Session, "before_commit")
def _assign_numbers(session: Session) -> None:
    # A savepoint rolled back may have discarded a new task or undone a close: skip those.
    slots = [
        (task, tombstone)
        for task, tombstone in session.info.pop(_SLOTS, ())
        if task in session and (tombstone is None or task.state == "closed")
    ]
    if not slots:
        return
    session.flush()  # every other write (and its row locks) before the counter's
    last = session.execute(
        update(InboxCounter)
        .where(InboxCounter.id == 1)
        .values(value=InboxCounter.value + len(slots))
        .returning(InboxCounter.value)
    ).scalar_one()
    for number, (task, tombstone) in enumerate(slots, start=int(last) - len(slots) + 1):
        task.rev = number
        if tombstone is not None:
            session.add(TaskTombstone(rev=number, **tombstone))
    # the commit's own flush writes them


@event.listens_for(Session, "after_soft_rollback")
def _forget_numbers(session: Session, previous_transaction: object) -> None:
    if session.in_transaction():
        return  # a savepoint's rollback; the outer transaction still commits its slots
    session.info.pop(_SLOTS, None)
