"""The data bench/api.py measures on: the demo district plus a busy street.

10,000 events in 珞南街道 (street01) over 90 days with a live district's mix of statuses, a
tenth of them with one to three photos, one case with three photos and a ten-entry
timeline (the detail scenario), and open inbox tasks for the street's dispatchers.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

__all__ = [
    "LIST_USER",
    "PASSWORD",
    "REPORTER",
    "Street",
    "change_street_tasks",
    "inside",
    "open_street_tasks",
    "prepare_database",
    "reported_cases",
]

LIST_USER = "street01a"
REPORTER = "grid001"
HANDLER = "dept01a"
STREET_CODE = "420111001"  # 珞南街道, the street of LIST_USER and REPORTER
PASSWORD = "chengyun-demo"
SHANGHAI = ZoneInfo("Asia/Shanghai")
PHOTO_SHARE = 0.1  # events with photos; each has one to three
OPEN_TASKS = 500  # open triage tasks of the street's dispatchers (the inbox scenario)

# A spread of lifecycle states like a live district's: most cases closed, a working set open.
STATUS_WEIGHTS = {
    "reported": 6,
    "registered": 6,
    "dispatched": 12,
    "handling": 14,
    "handled": 6,
    "verified": 4,
    "closed": 44,
    "rejected": 4,
    "cancelled": 2,
    "merged": 2,
}
ASSIGNED = {"dispatched", "handling", "handled", "verified", "closed"}
DESCRIPTIONS = (
    "人行道上有成堆生活垃圾，影响通行",
    "井盖破损，存在安全隐患",
    "路灯不亮，夜间行人较多",
    "小区门口占道经营，早晚高峰拥堵",
    "施工工地夜间噪声扰民",
    "绿化带内有建筑垃圾",
    "共享单车乱停放，堵塞盲道",
    "雨水篦子堵塞，路面积水",
)
ADDRESSES = ("珞喻路", "鲁磨路", "民族大道", "雄楚大道", "卓刀泉路", "关山大道", "虎泉街")
# The detail scenario's case after its report (seq 1): (action, from, to, actor kind).
DETAIL_STEPS = (
    ("accept", "reported", "registered", "dispatcher"),
    ("dispatch", "registered", "dispatched", "dispatcher"),
    ("start", "dispatched", "handling", "handler"),
    ("comment", "handling", "handling", "handler"),
    ("supervise", "handling", "handling", "dispatcher"),
    ("comment", "handling", "handling", "handler"),
    ("comment", "handling", "handling", "reporter"),
    ("comment", "handling", "handling", "dispatcher"),
    ("comment", "handling", "handling", "handler"),
)


@dataclass
class Street:
    id: str
    grids: list[dict[str, Any]]  # {"id", "community_id", "box": (min_lng, min_lat, ...)}
    reporters: dict[str, str]  # grid id -> a grid worker's user id
    categories: list[tuple[str, dict[str, float], str]]  # (code, sla hours, clock)
    departments: list[str]
    dispatcher_id: str = ""  # LIST_USER
    handler_id: str = ""  # HANDLER, a handler of departments[0]
    detail_event_id: str = ""  # the case with three photos and ten timeline entries


def _box(boundary: dict[str, Any]) -> tuple[float, float, float, float]:
    ring = boundary["coordinates"][0]
    lngs, lats = [p[0] for p in ring], [p[1] for p in ring]
    return min(lngs), min(lats), max(lngs), max(lats)


def inside(box: tuple[float, float, float, float], rng: random.Random) -> tuple[float, float]:
    """A point well inside a grid's box: 10 % margins, so it never lands on a shared edge."""
    min_lng, min_lat, max_lng, max_lat = box
    dx, dy = (max_lng - min_lng) * 0.1, (max_lat - min_lat) * 0.1
    return (
        round(rng.uniform(min_lat + dy, max_lat - dy), 6),
        round(rng.uniform(min_lng + dx, max_lng - dx), 6),
    )


async def _load_street(session: Any) -> Street:
    from sqlalchemy import select

    from backend.db.models import Category, Org, User

    street = (await session.execute(select(Org).where(Org.code == STREET_CODE))).scalar_one()
    grids = [
        {"id": g.id, "community_id": g.community_id, "box": _box(g.boundary)}
        for g in (
            await session.execute(
                select(Org).where(Org.type == "grid", Org.street_id == street.id).order_by(Org.code)
            )
        ).scalars()
    ]
    reporters: dict[str, str] = {}
    for user_id, org_id in await session.execute(
        select(User.id, User.org_id)
        .where(User.role == "grid_worker", User.org_id.in_([g["id"] for g in grids]))
        .order_by(User.username)
    ):
        reporters.setdefault(org_id, user_id)
    categories = [
        (c.code, c.sla_hours, c.sla_clock)
        for c in (await session.execute(select(Category).order_by(Category.code))).scalars()
    ]
    departments = list(
        (await session.execute(select(Org.id).where(Org.type == "department"))).scalars()
    )
    handler_id, handler_org = (
        await session.execute(select(User.id, User.org_id).where(User.username == HANDLER))
    ).one()
    departments.remove(handler_org)
    dispatcher_id = (
        await session.execute(select(User.id).where(User.username == LIST_USER))
    ).scalar_one()
    return Street(
        street.id,
        grids,
        reporters,
        categories,
        [handler_org, *departments],
        dispatcher_id=dispatcher_id,
        handler_id=handler_id,
    )


def build_events(street: Street, count: int, now: datetime, rng: random.Random) -> dict[str, list]:
    """Rows for events, their report timeline entry, assignments and case counters.

    Created over the 90 days before today (Asia/Shanghai), so their case numbers never collide
    with those the POST scenario draws from today's counter.
    """
    from backend.db.base import new_id

    statuses, weights = zip(*STATUS_WEIGHTS.items(), strict=True)
    today = now.astimezone(SHANGHAI).replace(hour=0, minute=0, second=0, microsecond=0)
    start = today - timedelta(days=90)
    span = (today - start).total_seconds() - 1
    created = sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
    per_day: Counter[str] = Counter()
    events, timeline, assignments = [], [], []
    for at in created:
        day = at.strftime("%Y%m%d")
        per_day[day] += 1
        grid = rng.choice(street.grids)
        lat, lng = inside(grid["box"], rng)
        code, sla_hours, clock = rng.choice(street.categories)
        status = rng.choices(statuses, weights)[0]
        grade = rng.choices((1, 2, 3, 4), (1, 3, 10, 86))[0]
        event_id = new_id()
        created_utc = at.astimezone(UTC)
        updated = created_utc + timedelta(hours=rng.uniform(0.1, 72))
        row: dict[str, Any] = {
            "id": event_id,
            "case_no": f"HS{day}{per_day[day]:06d}",
            "status": status,
            "source": "mobile",
            "category_code": code,
            "grade": grade,
            "description": rng.choice(DESCRIPTIONS),
            "lat": lat,
            "lng": lng,
            "address": f"{rng.choice(ADDRESSES)}{rng.randint(1, 400)}号",
            "grid_id": grid["id"],
            "community_id": grid["community_id"],
            "street_id": street.id,
            "reporter_id": street.reporters[grid["id"]],
            "assignee_org_id": None,
            "assignee_user_id": None,
            "sla_clock": None,
            "sla_started_at": None,
            "warn_at": None,
            "due_at": None,
            "handled_at": None,
            "closed_at": None,
            "supervision_count": rng.choices((0, 1, 2), (90, 8, 2))[0],
            "escalated": rng.random() < 0.02,
            "duplicate_of": None,
            "occurred_at": created_utc - timedelta(minutes=rng.uniform(0, 120)),
            # One timeline row per event is inserted (the report), so version stays 1; the
            # list endpoint reads no timeline, so more rows would only slow the setup.
            "version": 1,
            "created_at": created_utc,
            "updated_at": updated,
        }
        if status in ASSIGNED:
            org = rng.choice(street.departments)
            # Natural hours are a fine approximation here: only the list's sla_state reads them.
            hours = float(sla_hours.get(str(grade), 24))
            row |= {
                "assignee_org_id": org,
                "sla_clock": clock,
                "sla_started_at": created_utc,
                "warn_at": created_utc + timedelta(hours=hours * 0.8),
                "due_at": created_utc + timedelta(hours=hours),
            }
            assignments.append(
                {
                    "id": new_id(),
                    "event_id": event_id,
                    "org_id": org,
                    "user_id": None,
                    "assigned_at": created_utc,
                    "ended_at": updated if status == "closed" else None,
                    "end_reason": "closed" if status == "closed" else None,
                }
            )
            if status in {"handled", "verified", "closed"}:
                row["handled_at"] = updated
            if status == "closed":
                row["closed_at"] = updated
        events.append(row)
        timeline.append(
            {
                "id": new_id(),
                "event_id": event_id,
                "seq": 1,
                "at": created_utc,
                "actor_id": row["reporter_id"],
                "action": "report_event",
                "from_status": None,
                "to_status": "reported",
                "note": row["description"],
                "data": {"grade": grade, "category_code": code},
            }
        )
    counters = [{"day": d, "last": n} for d, n in per_day.items()]
    media, event_media = _photos(events, rng)
    detail = _detail_case(street, events, timeline, assignments, media, event_media, rng)
    street.detail_event_id = detail
    return {
        "events": events,
        "timeline": timeline,
        "assignments": assignments,
        "counters": counters,
        "media": media,
        "event_media": event_media,
    }


def _photo(owner_id: str, at: datetime, lat: float, lng: float, rng: random.Random) -> dict:
    from backend.db.base import new_id

    return {
        "id": new_id(),
        "owner_id": owner_id,
        "sha256": f"{rng.getrandbits(256):064x}",
        "content_type": "image/jpeg",
        "size_bytes": rng.randint(200_000, 900_000),
        "width": 1600,
        "height": 1200,
        "taken_at": at,
        "gps_lat": lat,
        "gps_lng": lng,
        "phash": rng.getrandbits(63),
        "created_at": at,
    }


def _link(event_id: str, media_id: str, seq: int = 1) -> dict:
    from backend.db.base import new_id

    return {
        "id": new_id(),
        "event_id": event_id,
        "media_id": media_id,
        "timeline_seq": seq,
        "location_mismatch": False,
    }


def _photos(events: list[dict], rng: random.Random) -> tuple[list[dict], list[dict]]:
    """One to three report photos on a tenth of the events."""
    media, links = [], []
    for e in events:
        if rng.random() >= PHOTO_SHARE:
            continue
        for _ in range(rng.randint(1, 3)):
            m = _photo(e["reporter_id"], e["created_at"], e["lat"], e["lng"], rng)
            media.append(m)
            links.append(_link(e["id"], m["id"]))
    return media, links


def _detail_case(
    street: Street,
    events: list[dict],
    timeline: list[dict],
    assignments: list[dict],
    media: list[dict],
    event_media: list[dict],
    rng: random.Random,
) -> str:
    """The newest event becomes a case in handling by ``HANDLER``'s department, with three
    report photos and ten timeline entries; returns its id."""
    from backend.db.base import new_id

    e = events[-1]
    org = street.departments[0]
    at = e["created_at"]
    hours = 24.0
    e |= {
        "status": "handling",
        "assignee_org_id": org,
        "sla_clock": "natural",
        "sla_started_at": at,
        "warn_at": at + timedelta(hours=hours * 0.8),
        "due_at": at + timedelta(hours=hours),
        "handled_at": None,
        "closed_at": None,
        "version": 1 + len(DETAIL_STEPS),
    }
    assignments[:] = [a for a in assignments if a["event_id"] != e["id"]]
    assignments.append(
        {
            "id": new_id(),
            "event_id": e["id"],
            "org_id": org,
            "user_id": None,
            "assigned_at": at,
            "ended_at": None,
            "end_reason": None,
        }
    )
    media[:] = [
        m
        for m in media
        if m["id"] not in {x["media_id"] for x in event_media if x["event_id"] == e["id"]}
    ]
    event_media[:] = [x for x in event_media if x["event_id"] != e["id"]]
    for _ in range(3):
        m = _photo(e["reporter_id"], at, e["lat"], e["lng"], rng)
        media.append(m)
        event_media.append(_link(e["id"], m["id"]))
    actors = {
        "dispatcher": street.dispatcher_id,
        "handler": street.handler_id,
        "reporter": e["reporter_id"],
    }
    for seq, (action, before, after, actor) in enumerate(DETAIL_STEPS, start=2):
        data: dict[str, Any] = {"org_id": org} if action == "dispatch" else {}
        timeline.append(
            {
                "id": new_id(),
                "event_id": e["id"],
                "seq": seq,
                "at": at + timedelta(minutes=10 * seq),
                "actor_id": actors[actor],
                "action": action,
                "from_status": before,
                "to_status": after,
                "note": rng.choice(DESCRIPTIONS) if action in {"comment", "supervise"} else None,
                "data": data,
            }
        )
    return str(e["id"])


def prepare_database(url: str, count: int, seed: int) -> Street:
    """Migrate, seed the demo district, bulk-insert ``count`` events; returns the street."""
    from sqlalchemy import insert

    from backend.auth.passwords import PasswordService
    from backend.db.engine import Database
    from backend.db.migrate import upgrade_head
    from backend.db.models import (
        CaseCounter,
        Event,
        EventAssignment,
        EventMedia,
        Media,
        TimelineEntry,
    )
    from backend.orgs.seed import seed_demo

    upgrade_head(url)

    async def run() -> Street:
        db = Database(url)
        try:
            async with db.sessions() as session:
                await seed_demo(session, PasswordService())
                await session.commit()
            async with db.sessions() as session:
                street = await _load_street(session)
                rows = build_events(street, count, datetime.now(UTC), random.Random(seed))
                # Core inserts with a list of parameter sets: executemany (batched
                # "insertmanyvalues"), no ORM unit of work per row.
                for model, key in (
                    (Event, "events"),
                    (TimelineEntry, "timeline"),
                    (EventAssignment, "assignments"),
                    (CaseCounter, "counters"),
                    (Media, "media"),
                    (EventMedia, "event_media"),
                ):
                    for i in range(0, len(rows[key]), 2000):
                        await session.execute(insert(model), rows[key][i : i + 2000])
                await session.commit()
            return street
        finally:
            await db.dispose()

    return asyncio.run(run())


def _run(url: str, work: Any) -> Any:
    """``work(session)`` in one committed transaction of a throw-away engine."""
    from backend.db.engine import Database

    async def run() -> Any:
        db = Database(url)
        try:
            async with db.sessions() as session:
                out = await work(session)
                await session.commit()
                return out
        finally:
            await db.dispose()

    return asyncio.run(run())


def open_street_tasks(url: str, street: Street) -> None:
    """``OPEN_TASKS`` open triage tasks for the street's dispatchers (their inbox)."""
    from sqlalchemy import insert

    from backend.db.base import new_id
    from backend.db.models import InboxCounter, Task

    now = datetime.now(UTC)

    async def work(session: Any) -> None:
        counter = await session.get(InboxCounter, 1)
        first = counter.value + 1
        rows = [
            {
                "id": new_id(),
                "kind": "triage",
                "state": "open",
                "assignee_org_id": street.id,
                "assignee_role": "street_dispatcher",
                "warned": False,
                "overdue_fired": False,
                "escalation_fired": False,
                "rev": first + i,
                "created_at": now - timedelta(minutes=i),
                "updated_at": now,
            }
            for i in range(OPEN_TASKS)
        ]
        await session.execute(insert(Task), rows)
        counter.value = first + OPEN_TASKS - 1

    _run(url, work)


def change_street_tasks(url: str, street: Street, closed: int = 20, opened: int = 20) -> None:
    """The changes an incremental sync then follows: tasks done elsewhere, new ones."""
    from sqlalchemy import select

    from backend.db.models import Task
    from backend.inbox.service import close_tasks, open_task

    now = datetime.now(UTC)

    async def work(session: Any) -> None:
        ids = (
            await session.execute(
                select(Task.id)
                .where(Task.state == "open", Task.assignee_org_id == street.id)
                .limit(closed)
            )
        ).scalars()
        for task_id in list(ids):
            await close_tasks(session, now=now, task_id=task_id)
        for _ in range(opened):
            await open_task(
                session, kind="triage", now=now, org_id=street.id, role="street_dispatcher"
            )

    _run(url, work)


def reported_cases(url: str, reporter_id: str, since: datetime) -> list[tuple[str, str]]:
    """(event id, department) of the cases the reporter reported since ``since`` that a
    dispatcher accepts by hand (no auto-dispatch category), oldest first, each with its
    category's default department."""
    from sqlalchemy import select

    from backend.db.models import Category, Event

    async def work(session: Any) -> list[tuple[str, str]]:
        rows = await session.execute(
            select(Event.id, Category.default_department_id)
            .join(Category, Category.code == Event.category_code)
            .where(
                Event.reporter_id == reporter_id,
                Event.created_at >= since,
                Event.status == "reported",
                Category.auto_dispatch.is_(False),
                Category.default_department_id.is_not(None),
            )
            .order_by(Event.created_at)
        )
        return [(e, d) for e, d in rows]

    return list(_run(url, work))
