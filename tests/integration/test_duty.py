"""Duty rosters (值班值守): shift edges, who may roster whom, upserts, listing, CSV import.

Shifts are Asia/Shanghai: day 08:00-20:00 of D, night D 20:00 -> D+1 08:00.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from backend.duty.service import on_duty_leader_id, on_duty_user_ids
from tests.integration.flows import dept_org_id

TZ = ZoneInfo("Asia/Shanghai")
D = date(2026, 11, 24)
STREET01 = "420111001"


def local(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=TZ).astimezone(UTC)


async def uid(api: Any, username: str) -> str:
    r = await api.get(username, "/me")
    assert r.status_code == 200
    return r.json()["id"]  # type: ignore[no-any-return]


async def put(api: Any, user: str, rosters: list[dict[str, Any]]) -> Any:
    headers = await api.headers(user)
    return await api.client.put("/api/v1/duty/rosters", json=rosters, headers=headers)


async def test_on_duty_follows_the_shift_edges(api: Any, app: Any, clock: Any) -> None:
    street = await dept_org_id(api, STREET01)
    a, b, g = [await uid(api, u) for u in ("street01a", "street01b", "grid001")]
    r = await put(
        api,
        "street01a",
        [
            {
                "org_id": street,
                "date": str(D - timedelta(days=1)),
                "shift": "night",
                "user_ids": [b],
                "leader_id": b,
            },
            {"org_id": street, "date": str(D), "shift": "day", "user_ids": [a], "leader_id": a},
            {"org_id": street, "date": str(D), "shift": "night", "user_ids": [b, g]},
        ],
    )
    assert r.status_code == 200, r.text
    assert [(x["date"], x["shift"]) for x in r.json()["items"]] == [
        ("2026-11-23", "night"),
        ("2026-11-24", "day"),
        ("2026-11-24", "night"),
    ]
    assert r.json()["items"][2]["starts_at"] == "2026-11-24T20:00:00+08:00"
    assert r.json()["items"][2]["ends_at"] == "2026-11-25T08:00:00+08:00"
    expected = [
        (local(D - timedelta(days=1), 19, 59), None, None),  # no day roster on D-1
        (local(D, 2), [b], b),  # the previous date's night shift
        (local(D, 7, 59), [b], b),
        (local(D, 8), [a], a),
        (local(D, 19, 59), [a], a),
        (local(D, 20), [b, g], None),
        (local(D, 23, 59), [b, g], None),
        (local(D + timedelta(days=1), 0), [b, g], None),  # across midnight
        (local(D + timedelta(days=1), 7, 59), [b, g], None),
        (local(D + timedelta(days=1), 8), None, None),
    ]
    ctx = app.state["ctx"]
    async with ctx.db.sessions() as session:
        got = [
            (
                at,
                await on_duty_user_ids(session, street, at),
                await on_duty_leader_id(session, street, at),
            )
            for at, _, _ in expected
        ]
        other = await on_duty_user_ids(session, await dept_org_id(api, "420111002"), local(D, 9))
    assert got == expected
    assert other is None

    clock.now = local(D + timedelta(days=1), 2)
    r = await api.get("leader01", f"/duty/now?org_id={street}")
    assert r.status_code == 200
    now = r.json()
    assert (now["org_id"], now["date"], now["shift"], now["rostered"]) == (
        street,
        "2026-11-24",
        "night",
        True,
    )
    assert [u["username"] for u in now["users"]] == ["street01b", "grid001"]
    assert now["leader"] is None
    clock.now = local(D, 8)
    now = (await api.get("grid001", f"/duty/now?org_id={street}")).json()
    assert (now["shift"], now["leader"]["username"], len(now["users"])) == ("day", "street01a", 1)
    clock.now = local(D + timedelta(days=1), 8)
    now = (await api.get("grid001", f"/duty/now?org_id={street}")).json()
    assert (now["date"], now["shift"], now["rostered"], now["users"], now["leader"]) == (
        "2026-11-25",
        "day",
        False,
        [],
        None,
    )
    assert (await api.get("grid001", "/duty/now?org_id=nope")).status_code == 404


async def test_put_upserts_one_row_per_org_date_shift(api: Any) -> None:
    dept = await dept_org_id(api, "dept-cgzf")
    a, b = await uid(api, "dept01a"), await uid(api, "dept01b")
    first = await put(
        api, "district01", [{"org_id": dept, "date": str(D), "shift": "day", "user_ids": [a]}]
    )
    assert first.status_code == 200, first.text
    # The leader joins the users when missing; duplicates collapse.
    second = await put(
        api,
        "district02",
        [{"org_id": dept, "date": str(D), "shift": "day", "user_ids": [a, a], "leader_id": b}],
    )
    assert second.status_code == 200, second.text
    item = second.json()["items"][0]
    assert item["id"] == first.json()["items"][0]["id"]
    assert (item["user_ids"], item["leader_id"], item["org_name"]) == ([a, b], b, "区城管执法局")
    listed = await api.get("dept01a", f"/duty/rosters?org_id={dept}&from={D}&to={D}")
    assert [(x["id"], x["user_ids"]) for x in listed.json()["items"]] == [(item["id"], [a, b])]


async def test_who_may_roster_whom(api: Any) -> None:
    street01, street02 = await dept_org_id(api, STREET01), await dept_org_id(api, "420111002")
    grid = await dept_org_id(api, "420111001001001")
    dept, district = await dept_org_id(api, "dept-cgzf"), await dept_org_id(api, "420111")
    s1a, s2a, d1a = [await uid(api, u) for u in ("street01a", "street02a", "dept01a")]

    def one(org: str, users: list[str]) -> list[dict[str, Any]]:
        return [{"org_id": org, "date": str(D), "shift": "day", "user_ids": users}]

    cases = [
        ("street01a", one(street02, [s2a]), 403),  # another street
        ("street01a", one(grid, [s1a]), 422),  # a grid's roster holds the grid's people
        ("street01a", one(street01, [d1a]), 422),  # a department handler is not in the street
        ("grid001", one(street01, [s1a]), 403),
        ("dept01a", one(dept, [d1a]), 403),
        ("district01", one(street01, [s1a]), 403),  # streets roster themselves
        ("district01", one(dept, [d1a]), 200),
        ("district01", one(district, [d1a]), 200),  # departments are under the district
        ("admin", one(street02, [s2a]), 200),
        ("street01a", one(street01, ["no-such-user"]), 422),
        ("street01a", one("no-such-org", [s1a]), 422),
    ]
    got = [(u, (await put(api, u, body)).status_code) for u, body, _ in cases]
    assert got == [(u, status) for u, _, status in cases]

    # All or nothing: the good first entry is not written when the second is bad.
    r = await put(api, "street01a", [*one(street01, [s1a]), *one(grid, [d1a])])
    assert r.status_code == 422
    assert r.json()["errors"] == [
        {
            "field": "[1].user_ids",
            "message": f"user dept01a is not in {_grid_name()}",
            "source": "body",
        }
    ]
    listed = await api.get("street01a", f"/duty/rosters?org_id={street01}&from={D}&to={D}")
    assert listed.json() == {"items": [], "next_cursor": None}
    dup = await put(api, "street01a", [*one(street01, [s1a]), *one(street01, [s1a])])
    assert (dup.status_code, dup.json()["errors"][0]["field"]) == (422, "[1].shift")


def _grid_name() -> str:
    from tests.integration.demo import demo

    return demo().grids[0].name


async def test_list_rosters_by_range_and_cursor(api: Any) -> None:
    street = await dept_org_id(api, STREET01)
    a = await uid(api, "street01a")
    days = [D + timedelta(days=i) for i in range(3)]
    body = [
        {"org_id": street, "date": str(d), "shift": s, "user_ids": [a]}
        for d in days
        for s in ("night", "day")
    ]
    assert (await put(api, "street01a", body)).status_code == 200
    seen: list[tuple[str, str]] = []
    path = f"/duty/rosters?org_id={street}&from={days[1]}&to={days[2]}&limit=3"
    r = await api.get("grid001", path)
    seen += [(x["date"], x["shift"]) for x in r.json()["items"]]
    assert r.json()["next_cursor"]
    r = await api.get("grid001", path + f"&cursor={r.json()['next_cursor']}")
    seen += [(x["date"], x["shift"]) for x in r.json()["items"]]
    assert r.json()["next_cursor"] is None
    assert seen == [
        ("2026-11-25", "day"),
        ("2026-11-25", "night"),
        ("2026-11-26", "day"),
        ("2026-11-26", "night"),
    ]
    bad = await api.get("grid001", f"/duty/rosters?from={days[2]}&to={days[0]}")
    assert bad.status_code == 400


async def _import(api: Any, user: str, text: str, bom: bool = False) -> Any:
    data = ("\ufeff" if bom else "").encode() + text.encode()
    return await api.client.post(
        "/api/v1/duty/rosters/import",
        files={"file": ("roster.csv", data, "text/csv")},
        headers=await api.headers(user),
    )


async def test_csv_import_is_all_or_nothing(api: Any) -> None:
    street = await dept_org_id(api, STREET01)
    good = (
        "date,shift,org_code,usernames,leader_username\r\n"
        "2026-12-01,day,420111001,street01a;street01b,street01a\r\n"
        "2026-12-01,night,420111001,street01b；grid001,\r\n"
        "\r\n"
    )
    r = await _import(api, "street01a", good, bom=True)
    assert r.status_code == 200, r.text
    got = [
        (
            x["date"],
            x["shift"],
            [u["username"] for u in x["users"]],
            x["leader"]["username"] if x["leader"] else None,
        )
        for x in r.json()["items"]
    ]
    assert got == [
        ("2026-12-01", "day", ["street01a", "street01b"], "street01a"),
        ("2026-12-01", "night", ["street01b", "grid001"], None),
    ]

    bad = (
        "usernames,date,shift,org_code,leader_username\n"
        "street01a,2026-12-02,day,420111001,\n"
        "street01a,2026-12-32,day,420111001,\n"
        "nobody,2026-12-03,evening,420111001,street01a\n"
        "dept01a,2026-12-04,day,420111001,\n"
    )
    r = await _import(api, "street01a", bad)
    assert r.status_code == 422, r.text
    assert [(e["line"], e["field"]) for e in r.json()["errors"]] == [
        (3, "date"),
        (4, "shift"),
        (4, "usernames"),
    ]
    # Lines that parse are checked against the tree too, still writing nothing.
    r = await _import(api, "street01a", bad.splitlines()[0] + "\n" + bad.splitlines()[4] + "\n")
    assert (r.status_code, [(e["line"], e["field"]) for e in r.json()["errors"]]) == (
        422,
        [(2, "user_ids")],
    )
    forbidden = (
        "date,shift,org_code,usernames,leader_username\n2026-12-02,day,420111002,street02a,\n"
    )
    assert (await _import(api, "street01a", forbidden)).status_code == 403
    no_header = await _import(api, "street01a", "2026-12-02,day,420111001,street01a,\n")
    assert (no_header.status_code, no_header.json()["errors"][0]["field"]) == (422, "header")
    listed = await api.get(
        "street01a", f"/duty/rosters?org_id={street}&from=2026-12-01&to=2026-12-31"
    )
    assert [(x["date"], x["shift"]) for x in listed.json()["items"]] == [
        ("2026-12-01", "day"),
        ("2026-12-01", "night"),
    ]
