"""Live event frames: who gets ``{"op": "event"}`` after a report or an action commits.

The audience is ``visible_clause`` turned around; the first test holds the two together
over every demo login, the others watch real sockets.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from backend.auth.principal import Principal
from backend.db.models import Event, Org, User
from backend.events.visibility import audience, visible_clause
from tests.integration.demo import first_grid_of_street
from tests.integration.flows import dept_org_id, drive_to, report
from tests.integration.wsclient import WS, connect


async def _who_sees(session: Any, event_id: str) -> set[str]:
    rows = (
        await session.execute(
            select(User, Org).join(Org, Org.id == User.org_id).where(User.is_active.is_(True))
        )
    ).all()
    seen = set()
    for user, org in rows:
        p = Principal(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=user.role,
            org_id=user.org_id,
            org_type=org.type,
            street_id=org.street_id,
            session_id="-",
        )
        visible = await session.scalar(
            select(Event.id).where(Event.id == event_id, visible_clause(p))
        )
        if visible is not None:
            seen.add(user.id)
    return seen


async def test_the_audience_is_exactly_who_may_read_the_event(api: Any, app: Any) -> None:
    fresh = await report(api, "grid001")
    dispatched = await drive_to(api, "dispatched", grid=1)
    returned = await drive_to(api, "dispatched", grid=1)
    r = await api.act("dept01a", returned["id"], "return", reason="不属于本单位")
    assert r.status_code == 200, r.text
    elsewhere = await report(api, "district01", grid=60)

    async with app.state["ctx"].db.sessions() as session:
        for ev in (fresh, dispatched, returned, elsewhere):
            event = await session.get(Event, ev["id"])
            assert event is not None
            users = await audience(session, event)
            assert len(users) == len(set(users))
            assert set(users) == await _who_sees(session, ev["id"]), ev["status"]


async def _ops(ws: WS, until_op: str, **match: Any) -> list[dict[str, Any]]:
    """Event frames received up to and including the first ``until_op`` frame matching."""
    frames = []
    while True:
        frame = await ws.recv()
        if frame["op"] == "event":
            frames.append(frame["event"])
        if frame["op"] == until_op and all(
            frame.get("event", {}).get(k) == v for k, v in match.items()
        ):
            return frames


async def test_a_report_and_its_dispatch_reach_those_who_see_it_live(live: Any) -> None:
    api = live.api
    street = await connect(live.ws_url, await api.token("street01a"))
    other_street = await connect(live.ws_url, await api.token("street02a"))
    dept = await connect(live.ws_url, await api.token("dept01a"))
    leader = await connect(live.ws_url, await api.token("leader01"))

    ev = await report(api, "grid001")
    frame = await street.expect("event")
    assert frame == {
        "op": "event",
        "event": {
            "id": ev["id"],
            "case_no": ev["case_no"],
            "action": "report",
            "status": "reported",
            "version": ev["version"],
            "street_id": ev["location"]["street_id"],
            "grid_id": ev["location"]["grid_id"],
            "assignee_org_id": None,
            "lat": ev["location"]["lat"],
            "lng": ev["location"]["lng"],
            "updated_at": frame["event"]["updated_at"],
        },
    }
    assert (await leader.expect("event"))["event"]["id"] == ev["id"]

    for action, body in (("accept", {}), ("dispatch", {"org_id": await dept_org_id(api)})):
        r = await api.act("street01a", ev["id"], action, **body)
        assert r.status_code == 200, r.text

    # The department learns of the event with its dispatch, not before: frames to one
    # user travel in order, so a report frame sent to it would have come first.
    first = await dept.expect("event")
    assert (first["event"]["action"], first["event"]["status"]) == ("dispatch", "dispatched")
    seen = await _ops(street, "event", action="dispatch")
    assert [e["action"] for e in seen] == [
        "accept",
        "dispatch",
    ]

    # Another street sees nothing of it: its first frame is about its own street's report.
    own = await report(api, "district01", grid=first_grid_of_street(2))
    got = await other_street.expect("event")
    assert got["event"]["id"] == own["id"]
    for ws in (street, other_street, dept, leader):
        await ws.conn.close()


async def test_a_refused_action_announces_nothing(live: Any) -> None:
    api = live.api
    ev = await report(api, "grid001")
    street = await connect(live.ws_url, await api.token("street01a"))
    # A stale version is refused: no frame for it, so the next one is the real accept.
    r = await api.act("street01a", ev["id"], "accept", expected_version=ev["version"] + 5)
    assert r.status_code == 409
    r = await api.act("street01a", ev["id"], "accept", expected_version=ev["version"])
    assert r.status_code == 200
    got = await street.expect("event")
    assert (got["event"]["action"], got["event"]["version"]) == ("accept", ev["version"] + 1)
    await street.conn.close()
