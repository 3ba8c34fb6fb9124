"""Inbox tasks and offline sync."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

__all__ = ["EventSummary", "InboxPage", "SyncOut", "TaskOut"]

TaskKind = Literal[
    "triage", "dispatch", "handle", "verify", "close", "visit", "extension", "instruction"
]


class EventSummary(msgspec.Struct, kw_only=True):
    id: str
    case_no: str
    status: str
    category: dict[str, str]
    grade: int
    description: str
    location: dict[str, object]
    due_at: datetime | None
    escalated: bool
    supervision_count: int


class TaskOut(msgspec.Struct, kw_only=True):
    id: str
    kind: str
    event: EventSummary | None
    room_id: str | None
    message_seq: int | None
    due_at: datetime | None
    sla_state: Literal["normal", "warning", "overdue"] | None
    created_at: datetime
    updated_at: datetime


class InboxPage(msgspec.Struct, kw_only=True):
    items: list[TaskOut]
    next_cursor: str | None


class SyncOut(msgspec.Struct, kw_only=True):
    upserts: list[TaskOut]
    removed: list[str]
    cursor: str
    has_more: bool
