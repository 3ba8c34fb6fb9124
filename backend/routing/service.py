"""Smart dispatch: routing rules as data, the suggestion for an event, duplicate linking."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import Category, Event, Org, RoutingRule, TimelineEntry
from backend.errors import ProblemError
from backend.events.duplicates import nearby_open_events
from backend.orgs.geo import haversine_m
from backend.orgs.service import CategoryCache
from schemas.stats import RoutingRuleIn, RoutingRuleOut

__all__ = [
    "create_rule",
    "delete_rule",
    "link_duplicate",
    "list_rules",
    "rule_out",
    "suggest",
]


def _rule_ref(rule: RoutingRule) -> dict[str, Any]:
    return {
        "kind": "routing_rule",
        "id": rule.id,
        "category_code": rule.category_code,
        "street_id": rule.street_id,
        "grade": rule.grade,
        "priority": rule.priority,
    }


async def suggest(
    session: AsyncSession, event: Event, categories: CategoryCache
) -> tuple[str, dict[str, Any]] | None:
    """(org_id, rule) for the event: the most specific matching rule (street and grade >
    street > grade > category only; then higher priority, then the older rule), else the
    category's default department (from the in-process catalogue)."""
    r = RoutingRule
    specificity = case((r.street_id.is_not(None), 2), else_=0) + case(
        (r.grade.is_not(None), 1), else_=0
    )
    rule = (
        await session.execute(
            select(r)
            .where(
                r.category_code == event.category_code,
                or_(r.street_id.is_(None), r.street_id == event.street_id),
                or_(r.grade.is_(None), r.grade == event.grade),
            )
            .order_by(specificity.desc(), r.priority.desc(), r.created_at, r.id)
            .limit(1)
        )
    ).scalar_one_or_none()
    if rule is not None:
        return rule.org_id, _rule_ref(rule)
    category = await categories.get(session, event.category_code)
    if category is None or category.default_department_id is None:
        return None
    return category.default_department_id, {"kind": "category_default"}


async def link_duplicate(
    session: AsyncSession,
    event: Event,
    principal: Principal,
    *,
    window: timedelta,
    now: datetime,
) -> Any:
    """Link a new report to the earliest open event of the same grid and category within
    the category's duplicate radius and the window; a dispatcher confirms with ``merge``.
    The candidates are the report's nearby open events (read once with its possible
    duplicates); returns the original's row, or None."""
    category = await session.get(Category, event.category_code)
    radius = category.duplicate_radius_m if category else 50
    nearby = await nearby_open_events(
        session, event, principal, radius_m=radius, since=now - window
    )
    candidates = sorted(
        (c for c in nearby if c.grid_id == event.grid_id), key=lambda c: (c.created_at, c.id)
    )
    original = next(
        (c for c in candidates if haversine_m(event.lat, event.lng, c.lat, c.lng) <= radius),
        None,
    )
    if original is None:
        return None
    event.duplicate_of = original.id
    # The report's own timeline entry says why, so the link needs no extra version.
    entry = (
        await session.execute(
            select(TimelineEntry).where(TimelineEntry.event_id == event.id, TimelineEntry.seq == 1)
        )
    ).scalar_one()
    distance = haversine_m(event.lat, event.lng, original.lat, original.lng)
    entry.data = {
        **(entry.data or {}),
        "duplicate_of": original.id,
        "duplicate_case_no": original.case_no,
        "duplicate_distance_m": round(distance, 1),
    }
    return original


def rule_out(rule: RoutingRule, org_name: str) -> RoutingRuleOut:
    return RoutingRuleOut(
        id=rule.id,
        category_code=rule.category_code,
        street_id=rule.street_id,
        grade=rule.grade,
        org_id=rule.org_id,
        org_name=org_name,
        priority=rule.priority,
        created_at=rule.created_at,
    )


async def list_rules(session: AsyncSession, category: str | None) -> list[RoutingRuleOut]:
    query = select(RoutingRule, Org.name).join(Org, Org.id == RoutingRule.org_id)
    if category:
        query = query.where(RoutingRule.category_code == category)
    query = query.order_by(RoutingRule.category_code, RoutingRule.created_at, RoutingRule.id)
    return [rule_out(rule, name) for rule, name in (await session.execute(query))]


def _invalid(field: str, detail: str) -> ProblemError:
    return ProblemError(
        422, "invalid_rule", detail, errors=[{"field": field, "message": detail, "source": "body"}]
    )


async def create_rule(
    session: AsyncSession, data: RoutingRuleIn, *, actor_id: str, now: datetime
) -> RoutingRuleOut:
    if await session.get(Category, data.category_code) is None:
        raise _invalid("category_code", "unknown category")
    org = await session.get(Org, data.org_id)
    if org is None or org.type not in {"department", "street"}:
        raise _invalid("org_id", "org_id must be a department or street")
    if data.street_id is not None:
        street = await session.get(Org, data.street_id)
        if street is None or street.type != "street":
            raise _invalid("street_id", "street_id must be a street")
    rule = RoutingRule(
        category_code=data.category_code,
        street_id=data.street_id,
        grade=data.grade,
        org_id=org.id,
        priority=data.priority,
        created_by=actor_id,
        created_at=now,
    )
    session.add(rule)
    await session.flush()
    return rule_out(rule, org.name)


async def delete_rule(session: AsyncSession, rule_id: str) -> bool:
    result = await session.execute(delete(RoutingRule).where(RoutingRule.id == rule_id))
    return bool(result.rowcount)  # type: ignore[attr-defined]  # an UPDATE's Result is a CursorResult at runtime
