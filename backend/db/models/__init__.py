"""All tables, imported together so Alembic and the app see one metadata."""

from backend.db.models.audit import AuditEntry
from backend.db.models.auth import AuthSession, LoginThrottle, RefreshToken, User, UserPreference
from backend.db.models.citylink import CityCase, CityOutbox
from backend.db.models.duty import DutyRoster
from backend.db.models.events import (
    CaseCounter,
    Event,
    EventAssignment,
    EventExtension,
    EventMedia,
    TimelineEntry,
)
from backend.db.models.idempotency import IdempotencyRecord
from backend.db.models.inbox import InboxCounter, Task, TaskTombstone
from backend.db.models.mapping import MapFeature
from backend.db.models.media import Media
from backend.db.models.notify import Device, Notification, PushAttempt, PushDelivery
from backend.db.models.open311 import Open311Key, Open311Request
from backend.db.models.orgs import Category, Org
from backend.db.models.rooms import (
    Incident,
    InstructionTarget,
    Room,
    RoomMember,
    RoomMessage,
    RoomRead,
)
from backend.db.models.routing import RoutingRule

__all__ = [
    "AuditEntry",
    "AuthSession",
    "CaseCounter",
    "Category",
    "CityCase",
    "CityOutbox",
    "Device",
    "DutyRoster",
    "Event",
    "EventAssignment",
    "EventExtension",
    "EventMedia",
    "IdempotencyRecord",
    "InboxCounter",
    "Incident",
    "InstructionTarget",
    "LoginThrottle",
    "MapFeature",
    "Media",
    "Notification",
    "Open311Key",
    "Open311Request",
    "Org",
    "PushAttempt",
    "PushDelivery",
    "RefreshToken",
    "Room",
    "RoomMember",
    "RoomMessage",
    "RoomRead",
    "RoutingRule",
    "Task",
    "TaskTombstone",
    "TimelineEntry",
    "User",
    "UserPreference",
]
