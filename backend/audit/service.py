"""Writing the audit log. Rows are added to the caller's session: they commit with the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from backend.db.models import AuditEntry

__all__ = ["record", "record_after_rollback"]


def record(
    session: AsyncSession,
    *,
    action: str,
    actor_id: str | None,
    target_type: str | None = None,
    target_id: str | None = None,
    ip: str | None = None,
    data: dict[str, Any] | None = None,
) -> None:
    session.add(
        AuditEntry(
            action=action,
            actor_id=actor_id,
            target_type=target_type,
            target_id=target_id,
            ip=ip,
            data=data or {},
        )
    )


def record_after_rollback(session: AsyncSession, **entry: Any) -> None:
    """Keep an audit row even though the request fails (authorization failures).

    The request's transaction rolls back; the session dependency then writes these rows in
    a transaction of their own.
    """
    session.info.setdefault("audit_on_failure", []).append(entry)
