"""Offline sync converges: random actions by others, interleaved with syncs from random
older cursors, always leave a replayed copy equal to GET /inbox (Hypothesis)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from tests.integration.flows import body_for, report
from tests.integration.test_lifecycle_model import Harness

WATCHER = "street01a"  # whose inbox we sync; others act on the events
ACTORS = ["street01b", "district01", "dept01a", "grid001"]
ACTIONS = [
    "accept",
    "dispatch",
    "start",
    "return",
    "report",
    "verify",
    "close",
    "reject",
    "cancel",
    "request_extension",
    "decide_extension",
    "visit",
    "reopen",
]


def make_machine(h: Harness) -> type[RuleBasedStateMachine]:
    class Sync(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            self.events: list[str] = []
            # (cursor, the phone's copy right after syncing up to it)
            self.saved: list[tuple[str | None, dict[str, Any]]] = [(None, {})]

        def sync_from(self, cursor: str | None, copy: dict[str, Any]) -> str:
            while True:
                path = "/inbox/sync?limit=3" + (f"&cursor={cursor}" if cursor else "")
                r = h.run(h.api.get(WATCHER, path))
                assert r.status_code == 200, r.text
                page = r.json()
                for task_id in page["removed"]:
                    copy.pop(task_id, None)
                for task in page["upserts"]:
                    copy[task["id"]] = task
                cursor = page["cursor"]
                if not page["has_more"]:
                    return cursor  # type: ignore[return-value]

        @rule()
        def new_event(self) -> None:
            self.events.append(h.run(report(h.api))["id"])

        @rule(data=st.data(), user=st.sampled_from(ACTORS), action=st.sampled_from(ACTIONS))
        def act(self, data: st.DataObject, user: str, action: str) -> None:
            if not self.events:
                return
            event_id = data.draw(st.sampled_from(self.events))
            body = h.run(body_for(h.api, user, action))
            r = h.run(h.api.act(user, event_id, action, **body))
            assert r.status_code in {200, 403, 404, 409, 422}, r.text

        @rule(data=st.data())
        def phone_syncs(self, data: st.DataObject) -> None:
            """A phone that last synced at some older point catches up, and keeps that."""
            cursor, copy = data.draw(st.sampled_from(self.saved))
            copy = dict(copy)
            self.saved.append((self.sync_from(cursor, copy), copy))

        @invariant()
        def every_saved_phone_converges(self) -> None:
            truth = {t["id"]: t for t in h.run(h.api.get(WATCHER, "/inbox")).json()["items"]}
            for cursor, saved in self.saved:
                copy = dict(saved)
                self.sync_from(cursor, copy)
                assert copy == truth

    return Sync


def test_sync_from_any_older_cursor_converges(app: Any) -> None:
    h = Harness(app)
    try:
        machine = make_machine(h)
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=6,
                stateful_step_count=15,
                deadline=None,
                database=None,
                suppress_health_check=[HealthCheck.too_slow],
            ),
        )
    finally:
        h.close()
