"""The closed-loop lifecycle as data: which action moves which status, and who may take it.

Pure functions over plain values, so the rules are tested without a database and the same
table answers both "may I?" and ``allowed_actions``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from backend.auth.principal import Principal

__all__ = [
    "ACTIONS",
    "ALL_STATUSES",
    "OPEN_STATUSES",
    "SLA_RUNNING",
    "TERMINAL_STATUSES",
    "ActionRule",
    "EventFacts",
    "allowed_actions",
    "check_action",
    "facts_key",
]

ALL_STATUSES = frozenset(
    {
        "reported",
        "registered",
        "dispatched",
        "handling",
        "handled",
        "verified",
        "closed",
        "rejected",
        "cancelled",
        "merged",
    }
)
TERMINAL_STATUSES = frozenset({"rejected", "closed", "cancelled", "merged"})
OPEN_STATUSES = ALL_STATUSES - TERMINAL_STATUSES
SLA_RUNNING = frozenset({"dispatched", "handling"})


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What the rules need to know about one event."""

    status: str
    street_id: str
    grid_id: str
    reporter_id: str
    assignee_org_id: str | None
    escalated: bool
    has_pending_extension: bool


Who = Callable[[Principal, EventFacts], bool]


def _street_dispatcher_of(p: Principal, e: EventFacts) -> bool:
    return p.role == "street_dispatcher" and (
        e.street_id == p.street_id or e.assignee_org_id == p.org_id
    )


def _dispatcher(p: Principal, e: EventFacts) -> bool:
    return p.role == "district_dispatcher" or _street_dispatcher_of(p, e)


def _handler(p: Principal, e: EventFacts) -> bool:
    # The assignee org's own people handle it: department handlers, or a street's dispatchers
    # when a case is dispatched to the street itself.
    return (
        e.assignee_org_id is not None
        and e.assignee_org_id == p.org_id
        and p.role
        in {
            "dept_handler",
            "street_dispatcher",
        }
    )


def _grid_worker_of(p: Principal, e: EventFacts) -> bool:
    return p.role == "grid_worker" and p.org_id == e.grid_id


def _verifier(p: Principal, e: EventFacts) -> bool:
    return _grid_worker_of(p, e) or _dispatcher(p, e)


def _visitor(p: Principal, e: EventFacts) -> bool:
    return (
        _dispatcher(p, e)
        or _grid_worker_of(p, e)
        or (p.role == "grid_worker" and p.id == e.reporter_id)
    )


def _extension_decider(p: Principal, e: EventFacts) -> bool:
    return p.role == "district_dispatcher" or (
        p.role == "street_dispatcher" and e.street_id == p.street_id
    )


def _supervisor(p: Principal, e: EventFacts) -> bool:
    return p.role == "official" or _dispatcher(p, e)


def _escalator(p: Principal, e: EventFacts) -> bool:
    return _street_dispatcher_of(p, e)


def _anyone(p: Principal, e: EventFacts) -> bool:
    # Visibility is checked before the rules run: whoever sees the event may comment.
    return True


@dataclass(frozen=True, slots=True)
class ActionRule:
    name: str
    from_statuses: frozenset[str]
    to_status: str | None  # None: stays (or decided by the body, for verify)
    who: Who
    # Further state the action needs besides the status (e.g. a pending extension).
    precondition: Callable[[EventFacts], bool] | None = None


def _rule(
    name: str,
    frm: frozenset[str] | set[str],
    to: str | None,
    who: Who,
    pre: Callable[[EventFacts], bool] | None = None,
) -> ActionRule:
    return ActionRule(name, frozenset(frm), to, who, pre)


ACTIONS: dict[str, ActionRule] = {
    r.name: r
    for r in (
        _rule("accept", {"reported"}, "registered", _dispatcher),
        _rule("reject", {"reported"}, "rejected", _dispatcher),
        _rule("dispatch", {"registered"}, "dispatched", _dispatcher),
        _rule("start", {"dispatched"}, "handling", _handler),
        _rule("return", {"dispatched", "handling"}, "registered", _handler),
        _rule("report", {"handling"}, "handled", _handler),
        _rule("verify", {"handled"}, None, _verifier),
        _rule("close", {"verified"}, "closed", _dispatcher),
        _rule("visit", {"closed"}, "closed", _visitor),
        _rule("reopen", {"closed"}, "registered", _dispatcher),
        _rule("cancel", OPEN_STATUSES, "cancelled", _dispatcher),
        _rule("merge", {"reported", "registered"}, "merged", _dispatcher),
        _rule(
            "request_extension",
            SLA_RUNNING,
            None,
            _handler,
            lambda e: not e.has_pending_extension,
        ),
        _rule(
            "decide_extension",
            SLA_RUNNING,
            None,
            _extension_decider,
            lambda e: e.has_pending_extension,
        ),
        _rule("supervise", OPEN_STATUSES, None, _supervisor),
        _rule("escalate", OPEN_STATUSES, None, _escalator, lambda e: not e.escalated),
        _rule("comment", ALL_STATUSES, None, _anyone),
    )
}

# Officials read events and supervise them, nothing else (their 批示 go to rooms); admins
# manage the system and take no part in cases.
_OFFICIAL_ACTIONS = frozenset({"supervise"})


def _role_may(p: Principal, rule: ActionRule, e: EventFacts) -> bool:
    if p.role == "official" and rule.name not in _OFFICIAL_ACTIONS:
        return False
    if p.role == "admin":
        return False
    return rule.who(p, e)


def _state_allows(rule: ActionRule, e: EventFacts) -> bool:
    return e.status in rule.from_statuses and (rule.precondition is None or rule.precondition(e))


def facts_key(p: Principal, e: EventFacts) -> tuple[object, ...]:
    """What ``allowed_actions(p, e)`` depends on: two events with the same key get the same
    answer, so a page of events evaluates the rules once per key, not per event.

    It must name every comparison of event and caller that the ``who`` functions and the
    preconditions above make: a rule that looks at anything else must add it here.
    """
    return (
        e.status,
        e.street_id == p.street_id,
        e.grid_id == p.org_id,
        e.reporter_id == p.id,
        e.assignee_org_id is None,
        e.assignee_org_id == p.org_id,
        e.escalated,
        e.has_pending_extension,
    )


def allowed_actions(p: Principal, e: EventFacts) -> list[str]:
    return [
        name for name, rule in ACTIONS.items() if _role_may(p, rule, e) and _state_allows(rule, e)
    ]


def check_action(p: Principal, e: EventFacts, action: str) -> str | None:
    """``None`` when allowed, else ``"forbidden"`` or ``"invalid_transition"``.

    The role is judged first: a caller who could never take this action on this event is
    told so (403) rather than being shown the event's state machine.
    """
    rule = ACTIONS[action]
    if not _role_may(p, rule, e):
        return "forbidden"
    if not _state_allows(rule, e):
        return "invalid_transition"
    return None
