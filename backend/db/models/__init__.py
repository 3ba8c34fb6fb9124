"""All tables, imported together so Alembic and the app see one metadata."""

from backend.db.models.audit import AuditEntry
from backend.db.models.auth import AuthSession, LoginThrottle, RefreshToken, User, UserPreference
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
from backend.db.models.media import Media
from backend.db.models.orgs import Category, Org
from backend.db.models.routing import RoutingRule

__all__ = [
    "AuditEntry",
    "AuthSession",
    "CaseCounter",
    "Category",
    "DutyRoster",
    "Event",
    "EventAssignment",
    "EventExtension",
    "EventMedia",
    "IdempotencyRecord",
    "LoginThrottle",
    "Media",
    "Org",
    "RefreshToken",
    "RoutingRule",
    "TimelineEntry",
    "User",
    "UserPreference",
]
