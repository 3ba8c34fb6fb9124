"""The statistics' roll-ups (revisions stats_0003 and stats_0004, PostgreSQL) stay exactly
the raw rows' fold, whatever writes them: a Hypothesis state machine reports events and
applies random actions by random people through the API (failed verifications included)
while the clock crosses days, takes cases in through open311 and the city link, and writes
rows directly as importers, reopenings and the SLA sweep do (copies with another source and
an older day, status, street, due-time and 多跨 changes, deletions, assignments moved to
another day or org, imported reports in the timeline). After every step each roll-up
equals a fold of the raw rows computed here in Python, on every key and every sum (the
day roll-up; the spots: day, street, grid, category; the assessment: Shanghai day, street,
org, and per event); and the overview, hotspots and assessment read through the roll-ups
equal the same reads done raw, district-wide and for each street.
``chengyun rebuild-rollups`` gives the same tables."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import and_, text, true

from backend.cli import main as cli_main
from backend.db.models import Event
from backend.stats.assessment import assessment, month_window
from backend.stats.hotspots import hotspots
from backend.stats.rollup import ROLLUP_TABLES
from backend.stats.scope import Window
from backend.stats.service import overview
from tests.integration.demo import grid_point
from tests.integration.flows import body_for, drive_to, report
from tests.integration.test_citylink import INBOUND, signed
from tests.integration.test_lifecycle_model import ACTIONS, USERS, Harness

pytestmark = pytest.mark.pg_only

T0 = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
SUMS = ("n", "hd", "ot", "hs", "hn", "ss", "sn")
ASSESS = ("rv", "rt", "hd", "ot", "ss", "sn", "rp", "fv")
SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.with_overrides(city_inbound_secret=INBOUND)


def expected_fold(rows: list[Any]) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Per (UTC day, scope, breakdown, key): the overview's terms, in Python; the scope is
    the whole district ('*') and each event's own street."""
    acc: dict[tuple[Any, ...], Counter[str]] = {}
    for created, street, status, cat, src, handled, due, first, sat in rows:
        day = created.astimezone(UTC).date()
        keys = [("status", status), ("category", cat), ("source", src), ("street", street)]
        for scope in ("*", street):
            for dim, key in keys:
                add(acc.setdefault((day, scope, dim, key), Counter()), handled, due, first, sat)
    return {k: tuple(c[s] for s in SUMS) for k, c in acc.items()}


def add(c: Counter[str], handled: Any, due: Any, first: Any, sat: Any) -> None:
    c["n"] += 1
    if handled is not None and due is not None:
        c["hd"] += 1
        c["ot"] += handled <= due
    if handled is not None and first is not None:
        c["hs"] += (handled - first) // timedelta(microseconds=1)
        c["hn"] += 1
    if sat is not None:
        c["ss"] += sat
        c["sn"] += 1


def expected_spots(rows: list[Any]) -> dict[tuple[Any, ...], tuple[int, int]]:
    """Per (UTC day, street, grid, category): events not merged, events that crossed orgs."""
    acc: Counter[tuple[Any, ...]] = Counter()
    cross: Counter[tuple[Any, ...]] = Counter()
    for created, street, grid, cat, status, crossed in rows:
        key = (created.astimezone(UTC).date(), street, grid, cat)
        acc[key] += status != "merged"
        cross[key] += bool(crossed)
    return {k: (acc[k], cross[k]) for k in acc if acc[k] or cross[k]}


def expected_assessment(
    assignments: list[Any], timeline: list[Any], per_event: bool
) -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Per (Shanghai day of the dispatch, street, org) — and the event first when
    ``per_event`` —: the assessment's terms of each assignment, in Python."""
    acc: dict[tuple[Any, ...], Counter[str]] = {}
    for eid, org, at, ended, reason, street, handled, due, sat in assignments:
        key = (at.astimezone(SHANGHAI).date(), street, org)
        c = acc.setdefault((eid, *key) if per_event else key, Counter())
        c["rv"] += 1
        c["rt"] += reason == "returned"
        finished_here = ended is None or reason == "closed"
        if finished_here and handled is not None and due is not None:
            c["hd"] += 1
            c["ot"] += handled <= due
        if reason == "closed" and sat is not None:
            c["ss"] += sat
            c["sn"] += 1
        for t_eid, t_at, action, to_status in timeline:
            if t_eid == eid and t_at >= at and (ended is None or t_at <= ended):
                c["rp"] += action == "report"
                c["fv"] += action == "verify" and to_status == "handling"
    return {k: tuple(c[s] for s in ASSESS) for k, c in acc.items()}


async def fetch(ctx: Any, sql: str) -> list[Any]:
    async with ctx.db.sessions() as session:
        return list(await session.execute(text(sql)))


async def spot_rows(ctx: Any) -> dict[tuple[Any, ...], tuple[int, int]]:
    rows = await fetch(
        ctx,
        "SELECT day, street_id, grid_id, category_code, n, x FROM event_spot_rollups"
        " WHERE n <> 0 OR x <> 0",
    )
    return {tuple(r[:4]): (int(r[4]), int(r[5])) for r in rows}


async def assessment_rows(ctx: Any, table: str) -> dict[tuple[Any, ...], tuple[int, ...]]:
    keys = (
        "event_id, day, street_id, org_id"
        if table == "assignment_event_terms"
        else ("day, street_id, org_id")
    )
    rows = await fetch(
        ctx,
        f"SELECT {keys}, {', '.join(ASSESS)} FROM {table} WHERE rv <> 0",  # noqa: S608
    )
    width = len(keys.split(","))
    return {tuple(r[:width]): tuple(int(v) for v in r[width:]) for r in rows}


async def raw_assessment_inputs(ctx: Any) -> tuple[list[Any], list[Any]]:
    assignments = await fetch(
        ctx,
        "SELECT a.event_id, a.org_id, a.assigned_at, a.ended_at, a.end_reason, e.street_id,"
        " e.handled_at, e.due_at, e.satisfaction"
        " FROM event_assignments a JOIN events e ON e.id = a.event_id",
    )
    timeline = await fetch(
        ctx,
        "SELECT event_id, at, action, to_status FROM event_timeline"
        " WHERE action IN ('report', 'verify')",
    )
    return assignments, timeline


async def all_rollups(ctx: Any) -> dict[str, Any]:
    """Every roll-up's non-zero rows (a key whose events all moved away stays, zeroed)."""
    return {
        "event_day_rollups": await rollup_rows(ctx),
        "event_spot_rollups": await spot_rows(ctx),
        "assignment_day_rollups": await assessment_rows(ctx, "assignment_day_rollups"),
        "assignment_event_terms": await assessment_rows(ctx, "assignment_event_terms"),
    }


async def rollup_rows(ctx: Any) -> dict[tuple[Any, ...], tuple[int, ...]]:
    async with ctx.db.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT day, scope, dim, key, n, hd, ot, hs, hn, ss, sn"
                " FROM event_day_rollups WHERE n <> 0"
            )
        )
        return {tuple(r[:4]): tuple(int(v) for v in r[4:]) for r in rows}


async def raw_rows(ctx: Any) -> list[Any]:
    async with ctx.db.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT created_at, street_id, status, category_code, source, handled_at,"
                " due_at, first_dispatched_at, satisfaction FROM events"
            )
        )
        return list(rows)


async def both_overviews(
    ctx: Any, window: Window, now: datetime, street: str | None
) -> tuple[Any, Any]:
    scope = true() if street is None else Event.street_id == street
    async with ctx.db.sessions() as session:
        kw: dict[str, Any] = {"window": window, "street_id": street, "now": now, "sqlite": False}
        via_rollup = await overview(session, scope=scope, **kw)
        # A scope on another column than the street can't be read from the roll-up.
        raw = await overview(session, scope=and_(scope, Event.id.is_not(None)), **kw)
        return via_rollup, raw


async def both_hotspots(ctx: Any, window: Window, street: str | None) -> tuple[Any, Any]:
    scope = true() if street is None else Event.street_id == street
    async with ctx.db.sessions() as session:
        kw: dict[str, Any] = {"window": window, "min_count": 2, "limit": 50}
        via_rollup = await hotspots(session, scope=scope, **kw)
        raw = await hotspots(session, scope=and_(scope, Event.id.is_not(None)), **kw)
        return via_rollup, raw


async def both_assessments(ctx: Any, month: str, street: str | None) -> tuple[Any, Any]:
    scope = true() if street is None else Event.street_id == street
    label, window = month_window(month, T0)
    async with ctx.db.sessions() as session:
        via_rollup = await assessment(session, scope=scope, month=label, window=window)
        raw = await assessment(
            session, scope=and_(scope, Event.id.is_not(None)), month=label, window=window
        )
        return via_rollup, raw


def make_machine(h: Harness, clock: Any) -> type[RuleBasedStateMachine]:
    ctx = h.app.state["ctx"]

    async def copy_event(eid: str, days_back: int, source: str) -> str:
        """An importer's row: another event's columns, another id, source and day."""
        async with ctx.db.sessions() as session:
            cols = [
                c
                for c in (
                    await session.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns"
                            " WHERE table_name = 'events' ORDER BY ordinal_position"
                        )
                    )
                ).scalars()
            ]
            new_id = str(uuid.uuid4())
            picks = {
                "id": ":new_id",
                "case_no": ":case_no",
                "source": ":source",
                "created_at": "created_at - make_interval(days => :days)",
            }
            select_list = ", ".join(picks.get(c, c) for c in cols)
            await session.execute(
                text(
                    f"INSERT INTO events ({', '.join(cols)}) SELECT {select_list}"  # noqa: S608
                    " FROM events WHERE id = :id"
                ),
                {
                    "new_id": new_id,
                    "case_no": "IMP" + new_id[:12],
                    "source": source,
                    "days": days_back,
                    "id": eid,
                },
            )
            await session.commit()
            return new_id

    async def execute(sql: str, **params: Any) -> None:
        async with ctx.db.sessions() as session:
            await session.execute(text(sql), params)
            await session.commit()

    class Rollup(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.events: list[str] = []
            self.copies: list[str] = []
            self.key: str | None = None
            self.city_cases = 0

        @rule()
        def report(self) -> None:
            self.events.append(h.run(report(h.api))["id"])

        @rule(status=st.sampled_from(["dispatched", "handling", "handled", "verified", "closed"]))
        def driven(self, status: str) -> None:
            # Through dispatch and on (the random actions below rarely get that far).
            self.events.append(h.run(drive_to(h.api, status))["id"])

        @rule(hours=st.integers(1, 30))
        def advance(self, hours: int) -> None:
            clock.advance(hours=hours)

        @rule(i=st.integers(0, 50), user=st.sampled_from(USERS), action=st.sampled_from(ACTIONS))
        def act(self, i: int, user: str, action: str) -> None:
            if self.events:
                eid = self.events[i % len(self.events)]
                h.run(h.api.act(user, eid, action, **h.run(body_for(h.api, user, action))))

        @rule(
            i=st.integers(0, 50),
            days=st.integers(0, 40),
            source=st.sampled_from(["hotline", "open311", "import"]),
        )
        def imported(self, i: int, days: int, source: str) -> None:
            if self.events:
                self.copies.append(
                    h.run(copy_event(self.events[i % len(self.events)], days, source))
                )

        @rule(i=st.integers(0, 50), hours=st.integers(-72, 72))
        def sweep_moves_due(self, i: int, hours: int) -> None:
            # The SLA sweep and an extension move due_at; on time flips with it.
            if self.events:
                h.run(
                    execute(
                        "UPDATE events SET due_at = coalesce(due_at, created_at)"
                        " + make_interval(hours => :h) WHERE id = :id",
                        h=hours,
                        id=self.events[i % len(self.events)],
                    )
                )

        @rule(i=st.integers(0, 50))
        def reopened_by_import(self, i: int) -> None:
            # A re-imported case reopens: status back, handled time cleared.
            if self.copies:
                h.run(
                    execute(
                        "UPDATE events SET status = 'registered', handled_at = NULL WHERE id = :id",
                        id=self.copies[i % len(self.copies)],
                    )
                )

        @rule(i=st.integers(0, 50))
        def withdrawn_import(self, i: int) -> None:
            if self.copies:
                h.run(
                    execute(
                        "DELETE FROM events WHERE id = :id",
                        id=self.copies.pop(i % len(self.copies)),
                    )
                )

        @rule(i=st.integers(0, 50))
        def verification_fails(self, i: int) -> None:
            # Rework: a failed verification sends the case back to handling.
            if self.events:
                eid = self.events[i % len(self.events)]
                h.run(h.api.act("grid001", eid, "verify", passed=False, note="未整改到位"))

        @rule(n=st.integers(1, 4))
        def open311_request(self, n: int) -> None:
            if self.key is None:
                r = h.run(h.api.post("admin", "/open311/keys", {"name": "12345 市民热线"}))
                self.key = r.json()["api_key"]
            at = grid_point(n)
            form = {
                "api_key": self.key,
                "service_code": "garbage_exposed",
                "lat": str(at["lat"]),
                "long": str(at["lng"]),
                "description": "热线转来：垃圾未清运",
            }
            r = h.run(h.client.post("/open311/v2/requests.json", data=form))
            assert r.status_code == 201, r.text
            case_no = r.json()[0]["service_request_id"]
            rows = h.run(fetch(ctx, f"SELECT id FROM events WHERE case_no = '{case_no}'"))  # noqa: S608
            self.events.append(rows[0][0])

        @rule(n=st.integers(1, 4))
        def city_case(self, n: int) -> None:
            self.city_cases += 1
            case = {
                "city_case_id": f"WH-{self.city_cases:06d}-{uuid.uuid4().hex[:6]}",
                "category_code": "garbage_exposed",
                "description": "市热线转办：垃圾未清运",
                "location": {**grid_point(n), "address": "珞喻路"},
            }
            body = json.dumps(case, ensure_ascii=False).encode()
            headers = signed(body, int(clock.now.timestamp()))
            r = h.run(h.client.post("/api/v1/city/cases", content=body, headers=headers))
            assert r.status_code == 201, r.text
            self.events.append(r.json()["event_id"])

        def dispatched(self, i: int) -> str:
            """One of the cases that have assignments (the i-th, by id); one is driven to
            handling first when there is none yet."""
            rows = h.run(fetch(ctx, "SELECT DISTINCT event_id FROM event_assignments ORDER BY 1"))
            if not rows:
                self.events.append(h.run(drive_to(h.api, "handling"))["id"])
                return self.events[-1]
            return str(rows[i % len(rows)][0])

        @rule(i=st.integers(0, 50), hours=st.integers(-40, 40), other_org=st.booleans())
        def import_moves_assignment(self, i: int, hours: int, other_org: bool) -> None:
            # An importer corrects a dispatch: another time (across Shanghai days) or org.
            if eid := self.dispatched(i):
                h.run(
                    execute(
                        "UPDATE event_assignments SET assigned_at = assigned_at"
                        " + make_interval(hours => :h), org_id = CASE WHEN :o THEN"
                        " (SELECT min(id) FROM orgs WHERE type = 'department') ELSE org_id END"
                        " WHERE event_id = :id",
                        h=hours,
                        o=other_org,
                        id=eid,
                    )
                )

        @rule(i=st.integers(0, 50), hours=st.integers(-2, 30), failed=st.booleans())
        def import_writes_timeline(self, i: int, hours: int, failed: bool) -> None:
            # An imported report or failed verification, around the case's first dispatch
            # (mostly while an assignment ran, so it counts as its rework).
            if eid := self.dispatched(i):
                h.run(
                    execute(
                        "INSERT INTO event_timeline (id, event_id, seq, at, action, from_status,"
                        " to_status, data) SELECT :tid, CAST(:id AS varchar), max(seq) + 1,"
                        " (SELECT min(assigned_at) FROM event_assignments WHERE event_id = :id)"
                        " + make_interval(hours => :h), :action, 'handled', :to, '{}'"
                        " FROM event_timeline WHERE event_id = :id",
                        tid=str(uuid.uuid4()),
                        id=eid,
                        h=hours,
                        action="verify" if failed else "report",
                        to="handling" if failed else "handled",
                    )
                )

        @rule(i=st.integers(0, 50), merged=st.booleans())
        def import_moves_street(self, i: int, merged: bool) -> None:
            # A case re-filed by an importer: another street and grid, merged or 多跨 flips.
            if self.events:
                h.run(
                    execute(
                        "UPDATE events SET (street_id, grid_id) = (SELECT street_id, id FROM orgs"
                        " WHERE type = 'grid' AND street_id IS NOT NULL AND street_id <>"
                        " events.street_id ORDER BY id LIMIT 1),"
                        " status = CASE WHEN :m THEN 'merged' ELSE status END,"
                        " cross_department = NOT cross_department WHERE id = :id",
                        m=merged,
                        id=self.events[i % len(self.events)],
                    )
                )

        @invariant()
        def spots_are_the_raw_fold(self) -> None:
            raw = h.run(
                fetch(
                    ctx,
                    "SELECT created_at, street_id, grid_id, category_code, status,"
                    " cross_department FROM events",
                )
            )
            assert h.run(spot_rows(ctx)) == expected_spots(raw)

        @invariant()
        def assessment_is_the_raw_fold(self) -> None:
            assignments, timeline = h.run(raw_assessment_inputs(ctx))
            for table, per_event in (
                ("assignment_day_rollups", False),
                ("assignment_event_terms", True),
            ):
                got = h.run(assessment_rows(ctx, table))
                assert got == expected_assessment(assignments, timeline, per_event), table

        @invariant()
        def hotspots_and_assessment_read_the_same(self) -> None:
            end = clock.now + timedelta(hours=5)
            window = Window(end - timedelta(days=45, hours=7), end)
            streets = {r[1] for r in h.run(raw_rows(ctx))}
            months = sorted(
                {
                    (clock.now - timedelta(days=d)).astimezone(SHANGHAI).strftime("%Y-%m")
                    for d in (0, 40)
                }
            )
            for street in [None, *sorted(streets)]:
                via_rollup, raw = h.run(both_hotspots(ctx, window, street))
                assert via_rollup == raw
                for month in months:
                    via_rollup, raw = h.run(both_assessments(ctx, month, street))
                    assert via_rollup == raw

        @invariant()
        def rollup_is_the_raw_fold(self) -> None:
            assert h.run(rollup_rows(ctx)) == expected_fold(h.run(raw_rows(ctx)))

        @invariant()
        def overview_reads_the_same(self) -> None:
            # A window with partial days at both ends and whole days between.
            end = clock.now + timedelta(hours=5)
            window = Window(end - timedelta(days=45, hours=7), end)
            streets = {r[1] for r in h.run(raw_rows(ctx))}
            for street in [None, *sorted(streets)]:
                via_rollup, raw = h.run(both_overviews(ctx, window, clock.now, street))
                assert via_rollup == raw

    return Rollup


# Eight examples of 25 steps, each followed by every roll-up's fold and the three reads both
# ways: a minute or two on a busy 2-core machine, more than the suite's default budget.
@pytest.mark.timeout(600)
def test_rollup_follows_every_writer(
    app: Any, clock: Any, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = T0
    h = Harness(app)
    try:
        machine = make_machine(h, clock)
        machine.TestCase.settings = hypothesis_settings(
            max_examples=8,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        run_state_machine_as_test(machine, settings=machine.TestCase.settings)
        ctx = h.app.state["ctx"]
        assert h.run(rollup_rows(ctx))  # the machine wrote events
        # Whatever the examples drew, one case went the whole way (every table has rows).
        h.run(drive_to(h.api, "closed"))
        kept = h.run(all_rollups(ctx))
        assert all(kept.values())

        # Roll-ups lost (or loaded around, as a COPY with triggers off does) come back
        # exactly from `chengyun rebuild-rollups`.
        async def lose() -> None:
            async with ctx.db.sessions() as session:
                for t in ROLLUP_TABLES:
                    await session.execute(text(f"DELETE FROM {t}"))  # noqa: S608
                await session.commit()

        h.run(lose())
        assert not any(h.run(all_rollups(ctx)).values())
        monkeypatch.setenv("CHENGYUN_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("CHENGYUN_PASSWORD_PROFILE", "fast")
        monkeypatch.setenv("CHENGYUN_DATABASE_URL", database_url)
        assert cli_main(["rebuild-rollups"]) == 0
        assert h.run(all_rollups(ctx)) == kept
    finally:
        h.close()
