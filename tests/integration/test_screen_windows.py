"""The screen's figures open their own lists: `GET /events` takes the statistics' window
(`created_from`/`created_to`, [from, to) on created_at), and the overview's `open` equals
that list filtered to the statuses that are not final."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote

from tests.integration.demo import first_grid_of_street
from tests.integration.flows import report

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
OPEN = "reported,registered,dispatched,handling,handled,verified"


def _q(at: datetime) -> str:
    return quote(at.isoformat())


async def _ids(api: Any, user: str, query: str) -> set[str]:
    r = await api.get(user, f"/events?limit=200&{query}")
    assert r.status_code == 200, r.text
    return {e["id"] for e in r.json()["items"]}


async def test_the_list_takes_the_window_of_the_overview(api: Any, clock: Any) -> None:
    clock.now = T0
    early = (await report(api))["id"]
    clock.now = T0 + timedelta(hours=1)
    late = (await report(api))["id"]
    rejected = (await report(api))["id"]
    r = await api.act("street01a", rejected, "reject", reason="不属实")
    assert r.status_code == 200, r.text
    other_street = (await report(api, "district01", grid=first_grid_of_street(2)))["id"]
    clock.now = T0 + timedelta(hours=2)

    start, end = T0 + timedelta(minutes=30), T0 + timedelta(hours=2)
    window = f"created_from={_q(start)}&created_to={_q(end)}"
    assert await _ids(api, "district01", window) == {late, rejected, other_street}
    # [from, to): an event created exactly at `to` is outside, at `from` inside.
    at_t0 = f"created_from={_q(T0)}&created_to={_q(T0 + timedelta(hours=1))}"
    assert await _ids(api, "district01", at_t0) == {early}

    o = (await api.get("district01", f"/stats/overview?from={_q(start)}&to={_q(end)}")).json()
    assert (o["total"], o["open"]) == (3, 2)
    assert len(await _ids(api, "district01", f"{window}&status={OPEN}")) == o["open"]
    # A street dispatcher's figure and list both cover their street only.
    mine = (await api.get("street01a", f"/stats/overview?from={_q(start)}&to={_q(end)}")).json()
    assert (mine["total"], mine["open"]) == (2, 1)
    assert await _ids(api, "street01a", f"{window}&status={OPEN}") == {late}
    # A hotspot (grid × category) opens its own list.
    grid = (await api.get("district01", f"/events/{other_street}")).json()["location"]["grid_id"]
    assert await _ids(api, "district01", f"grid_id={grid}&category=garbage_exposed") == {
        other_street
    }


async def test_an_empty_or_reversed_window_is_a_400(api: Any) -> None:
    at = _q(T0)
    for query in (f"created_from={at}&created_to={at}", "created_from=yesterday"):
        r = await api.get("district01", f"/events?{query}")
        assert r.status_code == 400, r.text
        assert r.json()["errors"][0]["field"] == "created_from"
