"""A Hypothesis state machine drives random action sequences by random people through the
API and checks them against a small model of the lifecycle: terminal states stay terminal,
every accepted action adds exactly one timeline row, and version rises by one per action."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from tests.conftest import Api, running
from tests.integration.flows import body_for, report

# The model: (status, action) -> new status, written independently of backend/events/rules.
OPEN = {"reported", "registered", "dispatched", "handling", "handled", "verified"}
TERMINAL = {"rejected", "closed", "cancelled", "merged"}
MOVES: dict[tuple[str, str], str] = {
    ("reported", "accept"): "registered",
    ("reported", "reject"): "rejected",
    ("registered", "dispatch"): "dispatched",
    ("dispatched", "start"): "handling",
    ("dispatched", "return"): "registered",
    ("handling", "return"): "registered",
    ("handling", "report"): "handled",
    ("handled", "verify"): "verified",  # the machine always sends passed=true
    ("verified", "close"): "closed",
    ("closed", "visit"): "closed",
    ("closed", "reopen"): "registered",
}
STAYS = {"supervise", "escalate", "comment", "request_extension", "decide_extension"}
ACTIONS = sorted({a for _, a in MOVES} | STAYS | {"cancel"})
USERS = ["grid001", "street01a", "district01", "dept01a", "leader01"]


def model_allows_status(status: str, action: str) -> bool:
    if action == "cancel" or action in {"supervise", "escalate"}:
        return status in OPEN
    if action == "comment":
        return True
    if action in {"request_extension", "decide_extension"}:
        return status in {"dispatched", "handling"}
    return (status, action) in MOVES


def model_next(status: str, action: str) -> str:
    if action == "cancel":
        return "cancelled"
    return MOVES.get((status, action), status)


class Harness:
    def __init__(self, app: Any) -> None:
        self.app = app
        self.loop = asyncio.new_event_loop()
        self._ctx = running(app)
        self.run(self._ctx.__aenter__())
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        self.client = httpx.AsyncClient(transport=transport, base_url="http://testserver")
        self.api = Api(client=self.client, tokens={})

    def run(self, coro: Any) -> Any:
        return self.loop.run_until_complete(coro)

    def close(self) -> None:
        self.run(self.client.aclose())
        self.run(self._ctx.__aexit__(None, None, None))
        self.loop.close()


def make_machine(h: Harness) -> type[RuleBasedStateMachine]:
    class Lifecycle(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            event = h.run(report(h.api))
            self.event_id = event["id"]
            self.status = "reported"
            self.version = event["version"]
            self.timeline = 1
            self.terminal_seen: str | None = None

        @rule(user=st.sampled_from(USERS), action=st.sampled_from(ACTIONS))
        def act(self, user: str, action: str) -> None:
            body = h.run(body_for(h.api, user, action))
            r = h.run(h.api.act(user, self.event_id, action, **body))
            if r.status_code == 200:
                assert model_allows_status(self.status, action), (self.status, action)
                out = r.json()
                assert out["status"] == model_next(self.status, action)
                assert out["version"] == self.version + 1
                assert len(out["timeline"]) == self.timeline + 1
                assert out["timeline"][-1]["action"] == action
                self.status, self.version = out["status"], out["version"]
                self.timeline += 1
            else:
                assert r.status_code in {403, 404, 409, 422}, r.text
                if r.json()["code"] == "invalid_transition":
                    assert action in {"request_extension", "decide_extension", "escalate"} or (
                        not model_allows_status(self.status, action)
                    ), (self.status, action)
            if self.status in TERMINAL and self.status != "closed":
                self.terminal_seen = self.terminal_seen or self.status

        @precondition(lambda self: self.terminal_seen is not None)
        @invariant()
        def terminal_stays_terminal(self) -> None:
            assert self.status == self.terminal_seen

        @invariant()
        def server_agrees(self) -> None:
            r = h.run(h.api.get("district01", f"/events/{self.event_id}"))
            out = r.json()
            assert (out["status"], out["version"], len(out["timeline"])) == (
                self.status,
                self.version,
                self.timeline,
            )
            assert [t["seq"] for t in out["timeline"]] == list(range(1, self.timeline + 1))

    return Lifecycle


def test_random_action_sequences_follow_the_model(app: Any) -> None:
    h = Harness(app)
    try:
        machine = make_machine(h)
        machine.TestCase.settings = settings(
            max_examples=10,
            stateful_step_count=20,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        run_state_machine_as_test(machine, settings=machine.TestCase.settings)
    finally:
        h.close()
