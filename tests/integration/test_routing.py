"""Smart dispatch: routing rules, suggested_assignee, auto-dispatch, duplicate linking."""

from __future__ import annotations

from typing import Any

from tests.integration.demo import first_grid_of_street, grid_point
from tests.integration.flows import dept_org_id, report


async def _rule(api: Any, **body: Any) -> dict[str, Any]:
    r = await api.post("admin", "/routing/rules", body)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def _accept(api: Any, user: str, eid: str, **body: Any) -> dict[str, Any]:
    r = await api.act(user, eid, "accept", **body)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def test_the_most_specific_rule_wins_then_priority_then_the_category_default(
    api: Any,
) -> None:
    org = {
        c: await dept_org_id(api, c)
        for c in ("dept-yllh", "dept-scjg", "dept-zjj", "dept-jtys", "dept-wjj", "dept-cgzf")
    }
    street02_grid = first_grid_of_street(2)
    first = await report(api, grade=2)
    assert first["suggested_assignee"] is None  # nothing suggested before acceptance
    street01 = first["location"]["street_id"]
    cat = "garbage_exposed"
    only_category = await _rule(api, category_code=cat, org_id=org["dept-yllh"])
    by_street = await _rule(api, category_code=cat, street_id=street01, org_id=org["dept-scjg"])
    await _rule(api, category_code=cat, street_id=street01, org_id=org["dept-wjj"], priority=-1)
    by_street_grade = await _rule(
        api, category_code=cat, street_id=street01, grade=2, org_id=org["dept-zjj"]
    )
    by_grade = await _rule(api, category_code=cat, grade=2, org_id=org["dept-jtys"])

    async def suggested(user: str, event: dict[str, Any], **accept: Any) -> tuple[str, Any]:
        s = (await _accept(api, user, event["id"], **accept))["suggested_assignee"]
        return s["org_id"], s["rule"]

    assert await suggested("street01a", first) == (
        org["dept-zjj"],
        {
            "kind": "routing_rule",
            "id": by_street_grade["id"],
            "category_code": cat,
            "street_id": street01,
            "grade": 2,
            "priority": 0,
        },
    )
    e = await report(api, grade=4)
    org_id, rule = await suggested("street01a", e)
    assert (org_id, rule["id"]) == (org["dept-scjg"], by_street["id"])  # priority 0 beats -1
    e = await report(api, "district01", grid=street02_grid, grade=2)
    org_id, rule = await suggested("district01", e)
    assert (org_id, rule["id"]) == (org["dept-jtys"], by_grade["id"])
    e = await report(api, "district01", grid=street02_grid, grade=4)
    org_id, rule = await suggested("district01", e)
    assert (org_id, rule["id"]) == (org["dept-yllh"], only_category["id"])
    # Recategorised at acceptance to a category without rules: its default department.
    e = await report(api, grade=4)
    assert await suggested("street01a", e, category_code="bin_overflow") == (
        org["dept-cgzf"],
        {"kind": "category_default"},
    )
    detail = (await api.get("street01a", f"/events/{e['id']}")).json()
    assert detail["suggested_assignee"]["org_name"] == "区城管执法局"
    assert detail["status"] == "registered"  # bin_overflow is not an auto-dispatch category

    listed = (await api.get("district01", f"/routing/rules?category={cat}")).json()["items"]
    assert len(listed) == 5 and {r["org_name"] for r in listed} >= {"区园林和林业局"}
    r = await api.client.delete(
        f"/api/v1/routing/rules/{by_street['id']}", headers=await api.headers("admin")
    )
    assert r.status_code == 204
    r = await api.client.delete(
        f"/api/v1/routing/rules/{by_street['id']}", headers=await api.headers("admin")
    )
    assert r.status_code == 404
    e = await report(api, grade=4)
    org_id, _rule_ref = await suggested("street01a", e)
    assert org_id == org["dept-wjj"]  # the remaining street rule


async def test_routing_rules_are_managed_by_admins(api: Any) -> None:
    dept = await dept_org_id(api)
    body = {"category_code": "garbage_exposed", "org_id": dept}
    for user in ("district01", "street01a", "dept01a"):
        r = await api.post(user, "/routing/rules", body)
        assert r.status_code == 403, user
    for user in ("street01a", "grid001", "leader01"):
        assert (await api.get(user, "/routing/rules")).status_code == 403, user
    grid = (await report(api))["location"]["grid_id"]
    for bad, code in (
        ({**body, "org_id": grid}, 422),
        ({**body, "category_code": "no_such"}, 422),
        ({**body, "street_id": dept}, 422),
        ({**body, "grade": 5}, 400),
        ({**body, "colour": "red"}, 400),
    ):
        r = await api.post("admin", "/routing/rules", bad)
        assert r.status_code == code, (bad, r.text)
    r = await api.client.delete("/api/v1/routing/rules/nope", headers=await api.headers("dept01a"))
    assert r.status_code == 403


async def test_auto_dispatch_categories_go_to_the_suggested_org_on_accept(api: Any) -> None:
    swhp = await dept_org_id(api, "dept-swhp")
    e = await report(api, category="manhole_missing")
    after = await _accept(api, "street01a", e["id"])
    assert after["status"] == "dispatched"
    assert after["assignee"]["org_id"] == swhp and after["due_at"] is not None
    assert after["version"] == 3  # report, accept, the system's dispatch
    accept, dispatch = after["timeline"][-2:]
    assert (accept["action"], accept["to_status"]) == ("accept", "registered")
    assert (dispatch["action"], dispatch["actor"], dispatch["to_status"]) == (
        "dispatch",
        None,
        "dispatched",
    )
    assert dispatch["data"]["rule"] == {"kind": "category_default"}
    assert (dispatch["data"]["auto"], dispatch["data"]["org_id"]) == (True, swhp)
    # The department sees and handles it as any dispatched case.
    r = await api.act("dept02a", e["id"], "start")
    assert r.status_code == 200, r.text


async def test_a_new_report_links_to_the_earliest_open_duplicate(api: Any, clock: Any) -> None:
    first = await report(api)
    clock.advance(minutes=5)
    second = await report(api)
    assert second["duplicate_of"] == first["id"]
    clock.advance(minutes=5)
    third = await report(api)
    assert third["duplicate_of"] == first["id"]  # the earliest, not the latest
    detail = (await api.get("grid001", f"/events/{third['id']}")).json()
    assert detail["timeline"][0]["data"]["duplicate_of"] == first["id"]
    assert detail["timeline"][0]["data"]["duplicate_case_no"] == first["case_no"]
    assert detail["version"] == 1  # linking is part of the report, not an action
    # Another category, another grid, or just outside the radius (garbage: 50 m): no link.
    assert (await report(api, category="bin_overflow"))["duplicate_of"] is None
    assert (await report(api, grid=2))["duplicate_of"] is None
    p = grid_point(1)
    near = {"lat": p["lat"] + 0.0006, "lng": p["lng"]}  # about 67 m north
    r = await api.post(
        "grid001",
        "/events",
        {"category_code": "garbage_exposed", "description": "又有垃圾", "location": near},
    )
    assert r.status_code == 201, r.text
    assert r.json()["location"]["grid_id"] == first["location"]["grid_id"]
    assert r.json()["duplicate_of"] is None
    # A closed-out original no longer counts: the next report links to the earliest open one.
    r = await api.act("street01a", first["id"], "cancel", reason="重复")
    assert r.status_code == 200
    assert (await report(api))["duplicate_of"] == second["id"]
    # After the 72 h window nothing is linked.
    clock.advance(hours=73)
    late = await report(api)
    assert late["duplicate_of"] is None
    # A dispatcher confirms with merge.
    r = await api.act("street01a", third["id"], "merge", into_event_id=second["id"])
    assert r.status_code == 200 and r.json()["status"] == "merged"
