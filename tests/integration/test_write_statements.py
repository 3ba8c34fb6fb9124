"""The write path reads only what it needs: reads its hooks used to make on every report
and action are gone, checked by the statements a request sends (speed lives in bench/)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from tests.integration.flows import dept_org_id, report


@contextmanager
def statements(app: Any) -> Iterator[list[str]]:
    """Every statement sent to the database inside the block, whitespace-normalised."""
    engine = app.state["ctx"].db.engine.sync_engine
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def _audience(seen: list[str]) -> list[str]:
    return [s for s in seen if s.startswith("SELECT users.id FROM users JOIN orgs")]


async def test_no_live_frame_audience_is_read_when_no_socket_hears(api: Any, app: Any) -> None:
    org = await dept_org_id(api)
    with statements(app) as seen:
        created = await report(api)
        for body in ({"action": "accept"}, {"action": "dispatch", "org_id": org}):
            r = await api.post("street01a", f"/events/{created['id']}/actions", body)
            assert r.status_code == 200, r.text
    assert seen and _audience(seen) == []


async def test_actions_take_categories_from_the_catalogue_in_memory(api: Any, app: Any) -> None:
    org = await dept_org_id(api)
    created = await report(api)  # loads the catalogue once
    with statements(app) as seen:
        for body in (
            {"action": "accept", "category_code": "graffiti"},
            {"action": "dispatch", "org_id": org},
        ):
            r = await api.post("street01a", f"/events/{created['id']}/actions", body)
            assert r.status_code == 200, r.text
    assert seen and [s for s in seen if "FROM categories" in s] == []


async def _dispatch_statements(api: Any, app: Any) -> list[str]:
    """The statements of the dispatch of a new, accepted report."""
    org = await dept_org_id(api)
    created = await report(api)
    r = await api.post("street01a", f"/events/{created['id']}/actions", {"action": "accept"})
    assert r.status_code == 200, r.text
    with statements(app) as seen:
        body = {"action": "dispatch", "org_id": org}
        r = await api.post("street01a", f"/events/{created['id']}/actions", body)
        assert r.status_code == 200, r.text
    return seen


async def test_a_dispatch_tells_the_inbox_what_it_knows(api: Any, app: Any) -> None:
    """The handler's task needs the org's type and whether an extension is pending: the
    dispatch read both already, so the inbox asks neither again."""
    seen = await _dispatch_statements(api, app)
    assert len([s for s in seen if s.startswith("SELECT orgs.id")]) == 1
    assert [s for s in seen if s.startswith("SELECT EXISTS (SELECT * FROM event_extensions")] == []


async def test_a_notification_reads_its_people_and_devices_in_one_statement(
    api: Any, app: Any
) -> None:
    seen = await _dispatch_statements(api, app)
    assert any(s.startswith("INSERT INTO notifications") for s in seen)
    reads = [
        s for s in seen if s.startswith("SELECT") and ("devices" in s or "user_preferences" in s)
    ]
    assert len(reads) == 1, reads
    # Without a duty roster, the org's members are that same statement.
    assert [s for s in seen if s.startswith("SELECT users.id FROM users WHERE")] == []


async def test_a_reports_answer_is_built_in_memory_and_equals_the_list_row(
    api: Any, app: Any
) -> None:
    """No statement reads the new event back, and the answer is exactly what the list
    shows of it: a plain report, a linked duplicate, an occurred_at given with an offset."""
    answers = []
    for extra in ({}, {"occurred_at": "2026-01-02T08:30:00.123456+08:00"}):
        with statements(app) as seen:
            answers.append(await report(api, **extra))
        assert seen and [s for s in seen if "AS reporter_name" in s] == []
    assert answers[1]["duplicate_of"] == answers[0]["id"]
    r = await api.get("grid001", "/events", params={"limit": 50})
    listed = {e["id"]: e for e in r.json()["items"]}
    for answer in answers:
        answer.pop("possible_duplicates")
        assert answer == listed[answer["id"]]


async def test_a_dispatch_updates_its_event_once(api: Any, app: Any) -> None:
    """The statistics' first_dispatched_at goes out with the dispatch's own UPDATE."""
    seen = await _dispatch_statements(api, app)
    updates = [s for s in seen if s.startswith("UPDATE events SET")]
    assert len(updates) == 1 and "first_dispatched_at" in updates[0], updates


async def test_an_accept_updates_its_event_once(api: Any, app: Any) -> None:
    """Routing's suggestion goes out with the accept's own UPDATE."""
    created = await report(api)
    with statements(app) as seen:
        r = await api.post("street01a", f"/events/{created['id']}/actions", {"action": "accept"})
        assert r.status_code == 200, r.text
    assert r.json()["suggested_assignee"] is not None
    updates = [s for s in seen if s.startswith("UPDATE events SET")]
    assert len(updates) == 1 and "suggested_org_id" in updates[0], updates


async def test_a_report_reads_its_nearby_open_events_once(api: Any, app: Any) -> None:
    """Routing's duplicate link and the reporter's possible duplicates share one read."""
    first = await report(api)
    with statements(app) as seen:
        second = await report(api)
    assert second["duplicate_of"] == first["id"]
    assert [d["id"] for d in second["possible_duplicates"]] == [first["id"]]
    nearby = [s for s in seen if s.startswith("SELECT") and "events.category_code = " in s]
    assert len(nearby) == 1, nearby
