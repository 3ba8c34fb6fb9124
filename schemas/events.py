"""Events: the report, the event as read, and every lifecycle action (a tagged union)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from schemas.common import NO_NUL, Location, Strict
from schemas.media import MediaOut

__all__ = [
    "ACTION_TYPES",
    "Accept",
    "ActionIn",
    "AssigneeOut",
    "Cancel",
    "CategoryBrief",
    "Close",
    "Comment",
    "DecideExtension",
    "Dispatch",
    "DuplicateOut",
    "Escalate",
    "EventChange",
    "EventCreateIn",
    "EventDetailOut",
    "EventFrame",
    "EventLocationOut",
    "EventOut",
    "Merge",
    "Reject",
    "Reopen",
    "ReportDone",
    "ReporterOut",
    "RequestExtension",
    "Return",
    "Start",
    "SuggestedAssigneeOut",
    "Supervise",
    "TimelineOut",
    "Verify",
    "Visit",
]

# No NUL bytes: PostgreSQL refuses them in text, so both databases answer the same 400.
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=NO_NUL)]
OptText = Annotated[str, msgspec.Meta(max_length=2000, pattern=NO_NUL)] | None
Grade = Annotated[int, msgspec.Meta(ge=1, le=4)]
Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
MediaId = Annotated[str, msgspec.Meta(max_length=64, pattern=NO_NUL)]
MediaIds = Annotated[list[MediaId], msgspec.Meta(max_length=20)]
Version = Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)] | None


class EventCreateIn(Strict):
    category_code: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
    description: Text
    location: Location
    media_ids: MediaIds = []
    grade: Grade = 4
    occurred_at: datetime | None = None
    source: Literal["mobile"] = "mobile"


class _Action(Strict, tag_field="action"):
    expected_version: Version = None


class Accept(_Action, tag="accept", kw_only=True):
    category_code: Code | None = None
    grade: Grade | None = None
    note: OptText = None


class Reject(_Action, tag="reject", kw_only=True):
    reason: Text


class Dispatch(_Action, tag="dispatch", kw_only=True):
    org_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]
    user_id: Annotated[str, msgspec.Meta(max_length=64, pattern=NO_NUL)] | None = None
    due_at: datetime | None = None
    note: OptText = None


class Start(_Action, tag="start", kw_only=True):
    note: OptText = None


class Return(_Action, tag="return", kw_only=True):
    reason: Text


class ReportDone(_Action, tag="report", kw_only=True):
    note: Text
    media_ids: MediaIds = []
    location: Location | None = None


class Verify(_Action, tag="verify", kw_only=True):
    passed: bool
    note: OptText = None
    media_ids: MediaIds = []


class Close(_Action, tag="close", kw_only=True):
    note: OptText = None


class Visit(_Action, tag="visit", kw_only=True):
    satisfaction: Annotated[int, msgspec.Meta(ge=1, le=5)]
    note: OptText = None


class Reopen(_Action, tag="reopen", kw_only=True):
    reason: Text


class Cancel(_Action, tag="cancel", kw_only=True):
    reason: Text


class Merge(_Action, tag="merge", kw_only=True):
    into_event_id: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=NO_NUL)]


class RequestExtension(_Action, tag="request_extension", kw_only=True):
    hours: Annotated[float, msgspec.Meta(gt=0, le=24 * 30)]
    reason: Text


class DecideExtension(_Action, tag="decide_extension", kw_only=True):
    approve: bool
    note: OptText = None


class Supervise(_Action, tag="supervise", kw_only=True):
    note: Text


class Escalate(_Action, tag="escalate", kw_only=True):
    reason: Text


class Comment(_Action, tag="comment", kw_only=True):
    note: Text
    media_ids: MediaIds = []


ActionIn = (
    Accept
    | Reject
    | Dispatch
    | Start
    | Return
    | ReportDone
    | Verify
    | Close
    | Visit
    | Reopen
    | Cancel
    | Merge
    | RequestExtension
    | DecideExtension
    | Supervise
    | Escalate
    | Comment
)


def _tag_of(cls: type[_Action]) -> str:
    tag = cls.__struct_config__.tag
    assert isinstance(tag, str)  # every action is tagged with its name (tag=True)
    return tag


ACTION_TYPES: dict[str, type[_Action]] = {
    _tag_of(cls): cls
    for cls in (
        Accept,
        Reject,
        Dispatch,
        Start,
        Return,
        ReportDone,
        Verify,
        Close,
        Visit,
        Reopen,
        Cancel,
        Merge,
        RequestExtension,
        DecideExtension,
        Supervise,
        Escalate,
        Comment,
    )
}


class CategoryBrief(msgspec.Struct, kw_only=True):
    code: str
    name: str


class EventLocationOut(msgspec.Struct, kw_only=True):
    lat: float
    lng: float
    address: str | None
    grid_id: str
    community_id: str
    street_id: str


class ReporterOut(msgspec.Struct, kw_only=True):
    id: str
    display_name: str
    phone_masked: str | None
    # Only for dispatchers of the event's street and district dispatchers, and audited.
    phone: str | msgspec.UnsetType = msgspec.UNSET


class AssigneeOut(msgspec.Struct, kw_only=True):
    org_id: str
    org_name: str
    user_id: str | None


class SuggestedAssigneeOut(msgspec.Struct, kw_only=True):
    """Smart dispatch: the org the routing rules suggest, and the rule that chose it."""

    org_id: str
    org_name: str
    rule: dict[str, Any]


class DuplicateOut(msgspec.Struct, kw_only=True):
    id: str
    case_no: str
    status: str
    distance_m: float
    created_at: datetime
    reason: str = "nearby"


class EventOut(msgspec.Struct, kw_only=True):
    id: str
    case_no: str
    status: str
    source: str
    category: CategoryBrief
    grade: int
    description: str
    location: EventLocationOut
    reporter: ReporterOut
    media: list[MediaOut]
    assignee: AssigneeOut | None
    due_at: datetime | None
    sla_state: Literal["normal", "warning", "overdue"] | None
    supervision_count: int
    escalated: bool
    duplicate_of: str | None
    version: int
    created_at: datetime
    updated_at: datetime
    allowed_actions: list[str]
    occurred_at: datetime | None = None
    pending_extension: dict[str, Any] | None = None
    possible_duplicates: list[DuplicateOut] | msgspec.UnsetType = msgspec.UNSET
    suggested_assignee: SuggestedAssigneeOut | None = None


class TimelineOut(msgspec.Struct, kw_only=True):
    seq: int
    at: datetime
    actor: dict[str, Any] | None
    action: str
    from_status: str | None
    to_status: str | None
    note: str | None
    media: list[MediaOut]
    data: dict[str, Any]


class EventDetailOut(EventOut, kw_only=True):
    timeline: list[TimelineOut] = []


# -- WebSocket, server -> client -------------------------------------------------------
class EventChange(msgspec.Struct, kw_only=True):
    """What changed, enough for a list or a map to know whether to read the event again."""

    id: str
    case_no: str
    action: str  # "report" for a new event, else the timeline action
    status: str
    version: int
    street_id: str
    grid_id: str
    assignee_org_id: str | None
    lat: float
    lng: float
    updated_at: datetime


class EventFrame(msgspec.Struct, kw_only=True, tag_field="op", tag="event"):
    """Extension: ``{"op": "event", "event": {...}}`` to every connected user who sees the
    event, after each report and each action commits (docs/api.md, "Live event frames")."""

    event: EventChange
