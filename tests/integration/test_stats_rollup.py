"""The daily roll-up (revision stats_0003, PostgreSQL) stays exactly the raw events' fold,
whatever writes them: a Hypothesis state machine reports events and applies random
actions by random people through the API while the clock crosses days, and writes events
directly as importers, reopenings and the SLA sweep do (copies with another source and an
older day, status and due-time changes, deletions). After every step the roll-up equals a
fold of the raw rows computed here in Python, on every key (day, district or street,
status, category, source, street) and every sum; and the overview read through the
roll-up equals the overview read raw, district-wide and for each street.
``chengyun rebuild-rollups`` gives the same table."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import and_, text, true

from backend.cli import main as cli_main
from backend.db.models import Event
from backend.stats.scope import Window
from backend.stats.service import overview
from tests.integration.flows import body_for, report
from tests.integration.test_lifecycle_model import ACTIONS, USERS, Harness

pytestmark = pytest.mark.pg_only

T0 = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
SUMS = ("n", "hd", "ot", "hs", "hn", "ss", "sn")


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

        @rule()
        def report(self) -> None:
            self.events.append(h.run(report(h.api))["id"])

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


def test_rollup_follows_every_writer(
    app: Any, clock: Any, database_url: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.now = T0
    h = Harness(app)
    try:
        machine = make_machine(h, clock)
        machine.TestCase.settings = settings(
            max_examples=5,
            stateful_step_count=25,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        run_state_machine_as_test(machine, settings=machine.TestCase.settings)
        ctx = h.app.state["ctx"]
        kept = h.run(rollup_rows(ctx))
        assert kept  # the machine wrote events

        # A roll-up lost (or loaded around, as a COPY with triggers off does) comes back
        # exactly from `chengyun rebuild-rollups`.
        async def lose() -> None:
            async with ctx.db.sessions() as session:
                await session.execute(text("DELETE FROM event_day_rollups"))
                await session.commit()

        h.run(lose())
        assert h.run(rollup_rows(ctx)) == {}
        monkeypatch.setenv("CHENGYUN_DATA_DIR", str(tmp_path))
        monkeypatch.setenv("CHENGYUN_PASSWORD_PROFILE", "fast")
        monkeypatch.setenv("CHENGYUN_DATABASE_URL", database_url)
        assert cli_main(["rebuild-rollups"]) == 0
        assert h.run(rollup_rows(ctx)) == kept
    finally:
        h.close()
