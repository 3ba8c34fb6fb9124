"""Scheduled jobs besides the SLA sweep: the officials' daily briefing and cleanups."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import delete, func, select

from backend.audit import service as audit
from backend.db.models import AuditEntry, Category, Event, IdempotencyRecord, LoginThrottle, User
from backend.events.rules import OPEN_STATUSES, SLA_RUNNING

if TYPE_CHECKING:
    from backend.context import AppContext

__all__ = ["briefing_text", "cleanup_job", "daily_briefing"]

log = logging.getLogger("chengyun.jobs")
SHANGHAI = ZoneInfo("Asia/Shanghai")


async def briefing_text(ctx: AppContext, now: datetime) -> tuple[str, str, dict[str, str]]:
    """Yesterday (Asia/Shanghai) in numbers: new, closed, overdue now, top categories."""
    today = now.astimezone(SHANGHAI).date()
    start = datetime.combine(today - timedelta(days=1), time(0), SHANGHAI)
    end = datetime.combine(today, time(0), SHANGHAI)
    async with ctx.db.read_sessions() as s:
        new = await s.scalar(
            select(func.count()).select_from(Event).where(Event.created_at.between(start, end))
        )
        closed = await s.scalar(
            select(func.count()).select_from(Event).where(Event.closed_at.between(start, end))
        )
        overdue = await s.scalar(
            select(func.count())
            .select_from(Event)
            .where(Event.status.in_(SLA_RUNNING), Event.due_at < now)
        )
        open_now = await s.scalar(
            select(func.count()).select_from(Event).where(Event.status.in_(OPEN_STATUSES))
        )
        top = (
            await s.execute(
                select(Category.name, func.count())
                .join(Event, Event.category_code == Category.code)
                .where(Event.created_at.between(start, end))
                .group_by(Category.name)
                .order_by(func.count().desc(), Category.name)
                .limit(3)
            )
        ).all()
    day = (today - timedelta(days=1)).isoformat()
    tops = "、".join(f"{name}{count}件" for name, count in top) or "无"
    body = (
        f"{day}：新增{new or 0}件，办结{closed or 0}件，当前在办{open_now or 0}件，"
        f"超时{overdue or 0}件。高发类别：{tops}。"
    )
    data = {
        "date": day,
        "new": str(new or 0),
        "closed": str(closed or 0),
        "overdue": str(overdue or 0),
    }
    return f"城运日报 {day}", body, data


async def daily_briefing(ctx: AppContext) -> None:
    """At 08:00 to every official; once per day even if the tick runs twice."""
    now = ctx.now()
    title, body, data = await briefing_text(ctx, now)
    async with ctx.db.sessions() as s:
        sent = await s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "daily_briefing", AuditEntry.target_id == data["date"])
        )
        if sent:
            return
        officials = list(
            (
                await s.execute(
                    select(User.id).where(User.role == "official", User.is_active.is_(True))
                )
            ).scalars()
        )
        if officials:
            await ctx.notify.notify_users(
                s,
                user_ids=officials,
                kind="daily_briefing",
                title=title,
                body=body,
                data=data,
                collapse_key=f"briefing:{data['date']}",
                now=now,
            )
        audit.record(
            s,
            action="daily_briefing",
            actor_id=None,
            target_type="briefing",
            target_id=data["date"],
            data={"recipients": len(officials)},
        )
        await s.commit()


async def cleanup_job(ctx: AppContext) -> None:
    """Forget what has expired: idempotency outcomes, stale login throttles."""
    now = ctx.now()
    window = timedelta(seconds=ctx.settings.login_window_seconds)
    async with ctx.db.sessions() as s:
        await s.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at < now))
        await s.execute(delete(LoginThrottle).where(LoginThrottle.window_start < now - window))
        await s.commit()
