"""The SLA sweep's own actions reach open sockets: the automatic supervision at overdue
sends its `event` frame (the screen's banner) and the `sla_overdue` notification frame,
like an action a person takes. Both hang on the sweep's commit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from backend.sla.sweep import sweep_once
from tests.integration.flows import drive_to
from tests.integration.wsclient import connect

T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


async def test_the_sweeps_supervision_at_overdue_is_announced_live(live: Any, clock: Any) -> None:
    api = live.api
    clock.now = T0
    ev = await drive_to(api, "dispatched", grid=1)
    due = datetime.fromisoformat(
        (await api.get("district01", f"/events/{ev['id']}")).json()["due_at"]
    )
    clock.now = due + timedelta(minutes=1)
    leader = await connect(live.ws_url, await api.token("leader01"))
    handler = await connect(live.ws_url, await api.token("dept01b"))

    fired = await sweep_once(live.app.state["ctx"], clock.now)
    assert fired.overdue == 1

    frame = await leader.expect("event")
    assert (frame["event"]["id"], frame["event"]["action"]) == (ev["id"], "supervise")
    # The handler hears of the deadline (and of the 80 % warning and the supervision the
    # same sweep fired), each about this event.
    kinds: dict[str, str] = {}
    while "sla_overdue" not in kinds:
        note = (await handler.expect("notification"))["notification"]
        kinds[note["kind"]] = note["data"]["event_id"]
    assert set(kinds.values()) == {ev["id"]}
    for ws in (leader, handler):
        await ws.conn.close()
