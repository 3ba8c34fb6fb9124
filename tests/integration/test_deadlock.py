"""A transaction PostgreSQL cancels to break a deadlock answers 503 with Retry-After.

Two writers that lock the same rows in opposite orders: PostgreSQL lets one go on and
cancels the other (SQLSTATE 40P01). Nothing of the victim was written, so the honest
answer is "retry", never 500.
"""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from backend.db.outage import transaction_lost
from backend.errors import exception_handlers

pytestmark = pytest.mark.pg_only


async def _deadlock_victim(app: Any) -> DBAPIError:
    engine = app.state["ctx"].db.engine
    async with engine.connect() as setup:
        await setup.execute(text("CREATE TABLE dl (id int primary key, n int)"))
        await setup.execute(text("INSERT INTO dl VALUES (1, 0), (2, 0)"))
        await setup.commit()
    first_locked = [asyncio.Event(), asyncio.Event()]

    async def writer(me: int) -> None:
        mine, other = (1, 2) if me == 0 else (2, 1)
        async with engine.connect() as conn:
            await conn.execute(text("UPDATE dl SET n = n + 1 WHERE id = :i"), {"i": mine})
            first_locked[me].set()
            await first_locked[1 - me].wait()
            await conn.execute(text("UPDATE dl SET n = n + 1 WHERE id = :i"), {"i": other})
            await conn.commit()

    results = await asyncio.gather(writer(0), writer(1), return_exceptions=True)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(errors) == 1, results  # exactly one victim; the other committed
    assert isinstance(errors[0], DBAPIError)
    return errors[0]


async def test_a_deadlock_victim_answers_503_with_retry_after(app: Any) -> None:
    victim = await _deadlock_victim(app)
    assert transaction_lost(victim)

    handler = exception_handlers[DBAPIError]
    request = SimpleNamespace(method="POST", url=SimpleNamespace(path="/api/v1/events"))
    response = handler(request, victim)  # type: ignore[operator]
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "1"
