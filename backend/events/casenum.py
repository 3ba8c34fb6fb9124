"""Human case numbers: HS + YYYYMMDD (Asia/Shanghai) + a 6-digit daily sequence."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import CaseCounter

__all__ = ["next_case_no"]

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def next_case_no(session: AsyncSession, now: datetime, prefix: str = "HS") -> str:
    day = now.astimezone(SHANGHAI).strftime("%Y%m%d")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    # One atomic upsert: concurrent reports on PostgreSQL queue on the counter row and
    # each gets its own number; no read-then-write race.
    stmt = (
        insert(CaseCounter)
        .values(day=day, last=1)
        .on_conflict_do_update(index_elements=["day"], set_={"last": CaseCounter.last + 1})
        .returning(CaseCounter.last)
    )
    seq = (await session.execute(stmt)).scalar_one()
    return f"{prefix}{day}{seq:06d}"
