"""体征 and 考核 over a small data set whose right answers are worked out by hand below.

The scenario (T0 = Monday 2026-03-02 09:00 Asia/Shanghai), all garbage_exposed:
  E1 grid001: dispatched to dept01 at T0 due T0+10h, reported done T0+2h (on time), verified,
     closed T0+3h; visits 4 then 5 (the latest, 5, counts).
  E2 grid001: dispatched to dept01 at T0 due T0+1h, done T0+3h (late), verification fails,
     done again T0+4h, verified, closed; visit 3.
  E3 grid001: dispatched to dept02 at T0, returned T0+1h, dispatched to dept01 due T0+48h,
     handling.
  E4 street02: dispatched to dept02 at T0 due T0+1h, never started (overdue at T0+5h).
  E5 grid001: rejected.
Read at T0+5h.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tests.integration.demo import demo, first_grid_of_street
from tests.integration.flows import dept_org_id, report, upload

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def _ok(api: Any, user: str, eid: str, action: str, **body: Any) -> dict[str, Any]:
    r = await api.act(user, eid, action, **body)
    assert r.status_code == 200, (user, action, r.text)
    return r.json()  # type: ignore[no-any-return]


async def _scenario(api: Any, clock: Any) -> dict[str, Any]:
    clock.now = T0
    dept01, dept02 = await dept_org_id(api, "dept-cgzf"), await dept_org_id(api, "dept-swhp")
    photo = await upload(api, "dept01a", 3)
    e1, e2, e3, e5 = [(await report(api))["id"] for _ in range(4)]
    e4_event = await report(api, "district01", grid=first_grid_of_street(2))
    e4 = e4_event["id"]
    for eid in (e1, e2, e3):
        await _ok(api, "street01a", eid, "accept")
    await _ok(api, "district01", e4, "accept")
    await _ok(api, "street01a", e5, "reject", reason="不属实")

    def due(hours: float) -> str:
        return (T0 + timedelta(hours=hours)).isoformat()

    await _ok(api, "street01a", e1, "dispatch", org_id=dept01, due_at=due(10))
    await _ok(api, "street01a", e2, "dispatch", org_id=dept01, due_at=due(1))
    await _ok(api, "street01a", e3, "dispatch", org_id=dept02, due_at=due(10))
    await _ok(api, "district01", e4, "dispatch", org_id=dept02, due_at=due(1))
    await _ok(api, "dept01a", e1, "start")
    await _ok(api, "dept01a", e2, "start")

    clock.now = T0 + timedelta(hours=1)
    await _ok(api, "dept02a", e3, "return", reason="不属我局职责")
    await _ok(api, "street01a", e3, "dispatch", org_id=dept01, due_at=due(48))
    await _ok(api, "dept01a", e3, "start")

    clock.now = T0 + timedelta(hours=2)
    await _ok(api, "dept01a", e1, "report", note="已清理", media_ids=[photo])

    clock.now = T0 + timedelta(hours=3)
    await _ok(api, "dept01a", e2, "report", note="已清理", media_ids=[photo])
    await _ok(api, "grid001", e2, "verify", passed=False)
    await _ok(api, "grid001", e1, "verify", passed=True)
    await _ok(api, "street01a", e1, "close")
    await _ok(api, "street01a", e1, "visit", satisfaction=4)

    clock.now = T0 + timedelta(hours=4)
    await _ok(api, "dept01a", e2, "report", note="再次清理", media_ids=[photo])
    await _ok(api, "grid001", e2, "verify", passed=True)
    await _ok(api, "street01a", e2, "close")
    await _ok(api, "street01a", e2, "visit", satisfaction=3)
    await _ok(api, "street01a", e1, "visit", satisfaction=5)

    clock.now = T0 + timedelta(hours=5)
    street01 = (await api.get("district01", f"/events/{e1}")).json()["location"]["street_id"]
    return {
        "ids": (e1, e2, e3, e4, e5),
        "dept01": dept01,
        "dept02": dept02,
        "street01": street01,
        "street02": e4_event["location"]["street_id"],
    }


async def test_overview_hotspots_and_assessment_match_the_hand_worked_figures(
    api: Any, clock: Any
) -> None:
    s = await _scenario(api, clock)
    e3 = s["ids"][2]

    r = await api.get("district01", "/stats/overview")
    assert r.status_code == 200, r.text
    o = r.json()
    assert o["from"] == "2026-01-31T06:00:00Z" and o["to"] == "2026-03-02T06:00:00Z"
    assert o["total"] == 5
    assert o["by_status"] == {
        "reported": 0,
        "registered": 0,
        "dispatched": 1,
        "handling": 1,
        "handled": 0,
        "verified": 0,
        "closed": 2,
        "rejected": 1,
        "cancelled": 0,
        "merged": 0,
    }
    assert o["by_category"] == [{"code": "garbage_exposed", "name": "暴露垃圾", "count": 5}]
    assert o["by_source"] == {"mobile": 5}
    assert [(x["street_id"], x["count"]) for x in o["by_street"]] == [
        (s["street01"], 4),
        (s["street02"], 1),
    ]
    # E1 on time, E2 late; E3 not handled yet.
    assert (o["on_time_rate"], o["handled_with_due"]) == (0.5, 2)
    # First dispatch to handled: E1 2 h, E2 4 h (the failed verification's rework counts).
    assert o["avg_handle_hours"] == 3.0
    assert o["overdue_open"] == 1  # E4
    assert (o["satisfaction_avg"], o["visits"]) == (4.0, 2)  # E1's latest 5, E2's 3

    # A street dispatcher sees their street only; another street narrows to nothing.
    mine = (await api.get("street01a", "/stats/overview")).json()
    assert (mine["total"], mine["overdue_open"], mine["on_time_rate"]) == (4, 0, 0.5)
    assert [x["street_id"] for x in mine["by_street"]] == [s["street01"]]
    other = (await api.get("street01a", f"/stats/overview?street_id={s['street02']}")).json()
    assert (other["total"], other["overdue_open"], other["on_time_rate"]) == (0, 0, None)
    assert other["by_street"] == [] and other["satisfaction_avg"] is None
    only2 = (await api.get("leader01", f"/stats/overview?street_id={s['street02']}")).json()
    assert (only2["total"], only2["overdue_open"]) == (1, 1)
    # The window is [from, to): every event was created at T0.
    after = (T0 + timedelta(seconds=1)).isoformat().replace("+00:00", "Z")
    assert (await api.get("admin", f"/stats/overview?from={after}")).json()["total"] == 0

    h = (await api.get("district01", "/stats/hotspots")).json()
    assert [(x["grid_name"], x["category_code"], x["count"]) for x in h["recurring"]] == [
        (demo().grids[0].name, "garbage_exposed", 4)
    ]
    assert h["recurring"][0]["street_id"] == s["street01"]
    assert h["cross_department"]["total"] == 1
    (crossed,) = h["cross_department"]["items"]
    assert (crossed["event_id"], crossed["orgs_count"], crossed["returns"]) == (e3, 2, 1)
    assert [x["org_id"] for x in crossed["orgs"]] == [s["dept02"], s["dept01"]]
    assert (await api.get("district01", "/stats/hotspots?min_count=5")).json()["recurring"] == []

    a = (await api.get("leader01", "/stats/assessment?month=2026-03")).json()
    assert a["from"] == "2026-02-28T16:00:00Z" and a["to"] == "2026-03-31T16:00:00Z"
    d1, d2 = a["items"]
    assert {k: d1[k] for k in d1 if k not in {"org_name", "org_type"}} == {
        "org_id": s["dept01"],
        "received": 3,  # E1, E2, E3 (second dispatch)
        "returned": 0,
        "handled_with_due": 2,
        "on_time": 1,
        "on_time_rate": 0.5,
        "return_rate": 0.0,
        "reports": 3,  # E1 once, E2 twice
        "failed_verifications": 1,
        "rework_rate": 0.3333,
        "visits": 2,
        "satisfaction_avg": 4.0,
        # 40*0.5 + 20*1 + 20*(2/3) + 20*4/5 = 69.333
        "score": 69.33,
        "rank": 1,
    }
    # dept02: E3 returned, E4 pending; only the return term is defined: 20*0.5 of 20.
    assert (d2["org_id"], d2["received"], d2["returned"], d2["return_rate"]) == (
        s["dept02"],
        2,
        1,
        0.5,
    )
    assert (d2["on_time_rate"], d2["rework_rate"], d2["satisfaction_avg"]) == (None, None, None)
    assert (d2["score"], d2["rank"]) == (50.0, 2)
    assert (await api.get("district01", "/stats/assessment?month=2026-02")).json()["items"] == []
    # A street dispatcher's assessment counts only events in their street: E4 drops out.
    st = (await api.get("street01a", "/stats/assessment?month=2026-03")).json()["items"]
    assert [(x["org_id"], x["received"]) for x in st] == [(s["dept01"], 3), (s["dept02"], 1)]


async def test_stats_are_for_dispatchers_officials_and_admins(api: Any, clock: Any) -> None:
    for user in ("grid001", "dept01a"):
        for path in ("/stats/overview", "/stats/hotspots", "/stats/assessment"):
            r = await api.get(user, path)
            assert (r.status_code, r.json()["code"]) == (403, "forbidden"), (user, path)
    bad = [
        "/stats/assessment?month=2026-13",
        "/stats/assessment?month=26-01",
        "/stats/overview?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z",
        "/stats/overview?from=2026-03-02T00:00:00",  # no offset
        "/stats/hotspots?min_count=1",
    ]
    for path in bad:
        r = await api.get("district01", path)
        assert r.status_code == 400, (path, r.text)
    r = await api.client.get("/api/v1/stats/overview")
    assert r.status_code == 401


async def test_a_window_time_must_be_rfc3339_with_an_offset(api: Any) -> None:
    """Found by schemathesis: "0.5" was taken as seconds after 1970."""
    for value in ("0.5", "1700000000", "2026-11-24T09:30:00"):
        r = await api.get("district01", "/stats/overview", params={"to": value})
        assert r.status_code == 400, (value, r.text)
    r = await api.get("district01", "/stats/overview", params={"to": "2026-11-24T09:30:00+08:00"})
    assert r.status_code == 200, r.text


async def test_a_month_the_database_cannot_hold_is_a_400_not_a_500(api: Any) -> None:
    # Found by the fuzzer: year 0000 and 9999-12 (whose end is year 10000) failed in
    # datetime() with 500. The schema's pattern now says which months are accepted.
    for month in ["0000-01", "9999-12", "1969-12", "2200-01"]:
        r = await api.get("district01", f"/stats/assessment?month={month}")
        assert r.status_code == 400, (month, r.text)
        assert r.json()["errors"][0]["field"] == "month"
    assert (await api.get("district01", "/stats/assessment?month=2199-12")).status_code == 200


async def test_ids_in_queries_are_ascii_as_the_schema_says(api: Any) -> None:
    # Python's \w takes "É"; the document's pattern (ECMA regex) does not: found by the
    # fuzzer as a schema-violating request accepted. Both now say [A-Za-z0-9_-].
    for path in ["/stats/hotspots?street_id=%C3%89", "/grids?street_id=%C3%89"]:
        r = await api.get("district01", path)
        assert r.status_code == 400, (path, r.text)
