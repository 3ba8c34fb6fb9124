"""GET /events: newest first, cursor paging, filters that narrow and never widen."""

from __future__ import annotations

from datetime import timedelta

from tests.integration.demo import grid_point
from tests.integration.flows import drive_to, report


async def test_newest_first_with_cursor_paging(api, clock) -> None:
    ids = []
    for _ in range(5):
        ids.append((await report(api))["id"])
        clock.advance(seconds=1)
    seen: list[str] = []
    cursor = None
    while True:
        path = "/events?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = (await api.get("street01a", path)).json()
        assert len(page["items"]) <= 2
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(ids))


async def test_filters(api, clock) -> None:
    a = await report(api, description="井盖松动 珞喻路口")
    clock.advance(minutes=1)
    b = await report(api, category="graffiti")
    clock.advance(minutes=1)
    c = await drive_to(api, "registered")

    async def ids(query: str) -> list[str]:
        r = await api.get("district01", f"/events?{query}")
        assert r.status_code == 200, r.text
        return [e["id"] for e in r.json()["items"]]

    assert await ids("status=registered") == [c["id"]]
    assert set(await ids("status=reported,registered")) == {a["id"], b["id"], c["id"]}
    assert await ids("category=graffiti") == [b["id"]]
    assert await ids("q=珞喻路口") == [a["id"]]
    assert await ids(f"q={a['case_no']}") == [a["id"]]
    assert await ids("q=100%25") == []
    where = a["location"]
    assert set(await ids(f"grid_id={where['grid_id']}")) == {a["id"], b["id"], c["id"]}
    assert len(await ids(f"community_id={where['community_id']}")) == 3
    assert await ids(f"grid_id={where['community_id']}") == []
    assert await ids(f"community_id={where['grid_id']}&status=registered") == []
    p = grid_point(1)
    box = f"{p['lng'] - 0.001},{p['lat'] - 0.001},{p['lng'] + 0.001},{p['lat'] + 0.001}"
    assert len(await ids(f"bbox={box}")) == 3
    assert await ids("bbox=114.0,30.0,114.01,30.01") == []
    since = (clock.now - timedelta(seconds=30)).isoformat().replace("+", "%2B")
    assert await ids(f"since={since}") == [c["id"]]
    bad = await api.get("district01", "/events?bbox=1,2,3")
    assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"
    for box in ("nan,30,114,31", "114,30,inf,31"):  # not a place: refused, never queried
        bad = await api.get("district01", f"/events?bbox={box}")
        assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"
    # A bare number is not a time (Litestar's own decoding read it as seconds since 1970).
    for path in ("/events", "/events/export.csv"):
        for field in ("since", "created_from", "created_to"):
            bad = await api.get("district01", f"{path}?{field}=0.5")
            assert bad.status_code == 400 and bad.json()["code"] == "validation_failed"


async def test_filters_never_widen(api) -> None:
    mine = await report(api)
    other = await report(api, "grid002", grid=2)
    street_b = mine["location"]["street_id"]
    r = await api.get("grid001", f"/events?street_id={street_b}")
    assert [e["id"] for e in r.json()["items"]] == [mine["id"]]
    assert other["id"] not in [e["id"] for e in r.json()["items"]]
