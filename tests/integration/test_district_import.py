"""``chengyun import-district``: a real district's tree, polygons and categories into an
empty database, through the CLI, all or nothing, and idempotent by code."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from backend.cli import main as cli_main
from backend.db.engine import Database
from backend.db.migrate import upgrade_head
from backend.db.models import Category, Org
from tests.conftest import PG_URL, _pg_admin_dsn, _pg_exec

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "examples" / "district.json"
GRID = "420111001001002"  # 街道口社区第2网格: 114.345-114.36 E, 30.525-30.535 N
COMMUNITY, STREET = "420111001001", "420111001"
# About 0.4 m and 2.9 m of longitude at 30.5 N.
HALF_METRE_DEG, THREE_METRES_DEG = 0.000004, 0.00003


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    """Overrides conftest's seeded copy: migrated, and not one row in it."""
    if not PG_URL:
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        upgrade_head(url)
        yield url
        return
    admin, base = _pg_admin_dsn(PG_URL)
    name = f"cy_empty_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_exec(admin, f'CREATE DATABASE "{name}"'))
    try:
        upgrade_head(f"{base}/{name}")
        yield f"{base}/{name}"
    finally:
        asyncio.run(_pg_exec(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass
class Cli:
    """Runs ``chengyun`` in a thread (it runs its own event loop) against the test database."""

    tmp_path: Path
    capsys: pytest.CaptureFixture[str]

    async def run(self, *argv: str) -> tuple[int, str, str]:
        self.capsys.readouterr()
        code = await asyncio.to_thread(cli_main, list(argv))
        out, err = self.capsys.readouterr()
        return code, out, err

    async def import_(self, doc: dict[str, Any], *flags: str) -> tuple[int, str, str]:
        path = self.tmp_path / f"district-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
        return await self.run("import-district", str(path), *flags)


@pytest.fixture
def cli(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[Cli]:
    monkeypatch.setenv("CHENGYUN_DATABASE_URL", database_url)
    monkeypatch.setenv("CHENGYUN_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CHENGYUN_PASSWORD_PROFILE", "fast")
    monkeypatch.delenv("CHENGYUN_ENV", raising=False)
    # The CLI points the root logger at this test's captured stderr, closed after it.
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield Cli(tmp_path, capsys)
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    yield database
    await database.dispose()


@pytest.fixture
async def loaded(cli: Cli, db: Database) -> dict[str, Any]:
    """The example file imported; the database's snapshot after it."""
    code, _, err = await cli.run("import-district", str(EXAMPLE))
    assert (code, err) == (0, "")
    return await snapshot(db)


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def entry(doc: dict[str, Any], code: str) -> dict[str, Any]:
    return next(e for e in [*doc["orgs"], *doc["categories"]] if e["code"] == code)


def rect(west: float, south: float, east: float, north: float) -> dict[str, Any]:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


async def snapshot(db: Database) -> dict[str, Any]:
    """Every org and category row, every column: equal snapshots mean nothing was written."""
    async with db.read_sessions() as s:
        orgs = {o.code: {c.key: getattr(o, c.key) for c in Org.__table__.c} for o in
                await s.scalars(select(Org))}  # fmt: skip
        cats = {c.code: {k.key: getattr(c, k.key) for k in Category.__table__.c} for c in
                await s.scalars(select(Category))}  # fmt: skip
    return {"orgs": orgs, "categories": cats}


async def test_example_loads_into_an_empty_production_database_and_a_rerun_changes_nothing(
    cli: Cli, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Production: no demo data, no passwords involved, so the import is allowed.
    monkeypatch.setenv("CHENGYUN_ENV", "production")
    monkeypatch.setenv("CHENGYUN_SECRET_KEY", "a-real-secret-" + "x" * 40)
    monkeypatch.setenv("CHENGYUN_PASSWORD_PROFILE", "standard")
    code, out, err = await cli.run("import-district", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert "orgs: 14 added, 0 updated, 0 unchanged" in out
    assert "categories: 4 added, 0 updated, 0 unchanged" in out
    assert "  added org 420111001001002: grid 街道口社区第2网格" in out

    first = await snapshot(db)
    orgs, cats = first["orgs"], first["categories"]
    assert sorted(o["type"] for o in orgs.values()) == sorted(
        ["district"] + ["department"] * 3 + ["street"] * 2 + ["community"] * 3 + ["grid"] * 5
    )
    ids = {code: o["id"] for code, o in orgs.items()}
    code_of = {o["id"]: code for code, o in orgs.items()}
    assert {c: code_of.get(o["parent_id"]) for c, o in orgs.items()} == {
        e["code"]: e.get("parent_code") for e in example()["orgs"]
    }
    # The denormalised (street, community) that events and visibility hang off.
    assert {
        c: (code_of.get(o["street_id"]), code_of.get(o["community_id"])) for c, o in orgs.items()
    } == {
        "420111": (None, None),
        "dept-cgzf": (None, None),
        "dept-swhp": (None, None),
        "dept-yllh": (None, None),
        "420111001": ("420111001", None),
        "420111001001": ("420111001", "420111001001"),
        "420111001001001": ("420111001", "420111001001"),
        "420111001001002": ("420111001", "420111001001"),
        "420111001002": ("420111001", "420111001002"),
        "420111001002001": ("420111001", "420111001002"),
        "420111002": ("420111002", None),
        "420111002001": ("420111002", "420111002001"),
        "420111002001001": ("420111002", "420111002001"),
        "420111002001002": ("420111002", "420111002001"),
    }
    assert {c for c, o in orgs.items() if o["boundary"] is not None} == {
        e["code"] for e in example()["orgs"] if e["type"] == "grid"
    }
    assert orgs[GRID]["boundary"] == entry(example(), GRID)["boundary"]
    assert set(cats) == {"garbage_exposed", "road_waterlogging", "tree_fallen", "illegal_advert"}
    water = cats["road_waterlogging"]
    assert water["default_department_id"] == ids["dept-swhp"]
    assert water["sla_hours"] == {"1": 1.0, "2": 2.0, "3": 4.0, "4": 6.0}
    assert (water["sla_clock"], water["photo_required"], water["duplicate_radius_m"]) == (
        "natural",
        True,
        200,
    )
    assert (water["auto_dispatch"], water["sort_order"], water["active"]) == (True, 1, True)
    advert = cats["illegal_advert"]  # the optional fields left out take the defaults
    assert (advert["sla_clock"], advert["photo_required"], advert["duplicate_radius_m"]) == (
        "working",
        False,
        50,
    )
    assert advert["auto_dispatch"] is False

    code, out, err = await cli.run("import-district", str(EXAMPLE))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{EXAMPLE}: nothing to change, the database already matches it",
        "orgs: 0 added, 0 updated, 14 unchanged",
        "categories: 0 added, 0 updated, 4 unchanged",
    ]
    assert await snapshot(db) == first


async def test_dry_run_says_what_it_would_do_and_writes_nothing(cli: Cli, db: Database) -> None:
    code, out, err = await cli.run("import-district", str(EXAMPLE), "--dry-run")
    assert (code, err) == (0, "")
    assert "nothing written" in out
    assert "orgs: 14 added, 0 updated, 0 unchanged" in out
    assert "  added category road_waterlogging: 道路积水" in out
    assert await snapshot(db) == {"orgs": {}, "categories": {}}


async def test_dry_run_of_a_rename_shows_it_and_leaves_the_old_name(
    cli: Cli, db: Database, loaded: dict[str, Any]
) -> None:
    doc = example()
    entry(doc, GRID)["name"] = "街道口社区二网格"
    code, out, _ = await cli.import_(doc, "--dry-run")
    assert code == 0
    assert f"  updated org {GRID}: name '街道口社区第2网格' → '街道口社区二网格'" in out
    assert "orgs: 0 added, 1 updated, 13 unchanged" in out
    assert await snapshot(db) == loaded


async def test_renames_new_boundaries_and_category_changes_are_applied_in_place(
    cli: Cli, db: Database, loaded: dict[str, Any]
) -> None:
    doc = example()
    entry(doc, STREET)["name"] = "珞南街道办事处"
    entry(doc, GRID)["boundary"] = rect(114.345, 30.525, 114.355, 30.535)  # gives up a strip
    entry(doc, "illegal_advert")["sla_hours"] = {"1": 2, "2": 4, "3": 8, "4": 12}
    entry(doc, "illegal_advert")["default_department"] = "dept-yllh"
    code, out, err = await cli.import_(doc)
    assert (code, err) == (0, "")
    assert "orgs: 0 added, 2 updated, 12 unchanged" in out
    assert "categories: 0 added, 1 updated, 3 unchanged" in out
    assert f"  updated org {GRID}: boundary" in out

    after = await snapshot(db)
    street, grid = after["orgs"][STREET], after["orgs"][GRID]
    # Each change moves updated_at (running servers compare it to notice new grids).
    for code in (STREET, GRID):
        assert after["orgs"][code]["updated_at"] > loaded["orgs"][code]["updated_at"]
    renamed = {"name": "珞南街道办事处", "updated_at": street["updated_at"]}
    assert street == {**loaded["orgs"][STREET], **renamed}
    reshaped = {"boundary": rect(114.345, 30.525, 114.355, 30.535)}
    reshaped["updated_at"] = grid["updated_at"]
    assert grid == {**loaded["orgs"][GRID], **reshaped}
    advert = after["categories"]["illegal_advert"]
    assert advert == {
        **loaded["categories"]["illegal_advert"],
        "sla_hours": {"1": 2.0, "2": 4.0, "3": 8.0, "4": 12.0},
        "default_department_id": after["orgs"]["dept-yllh"]["id"],
    }
    unchanged = {c: o for c, o in after["orgs"].items() if c not in (STREET, GRID)}
    assert unchanged == {c: o for c, o in loaded["orgs"].items() if c not in (STREET, GRID)}


async def test_a_later_file_may_hold_only_additions_under_stored_orgs(
    cli: Cli, db: Database, loaded: dict[str, Any]
) -> None:
    doc = {
        "orgs": [
            {
                "code": "420111002002",
                "name": "卓刀泉社区",
                "type": "community",
                "parent_code": "420111002",
            },
            {
                "code": "420111002002001",
                "name": "卓刀泉社区第1网格",
                "type": "grid",
                "parent_code": "420111002002",
                "boundary": rect(114.385, 30.485, 114.415, 30.495),
            },
        ],
        "categories": [
            {
                "code": "bin_overflow",
                "name": "垃圾满溢",
                "group": "市容环境",
                "default_department": "dept-cgzf",  # stored, not in this file
                "sla_hours": {"1": 1, "2": 2, "3": 3, "4": 4},
            }
        ],
    }
    code, out, err = await cli.import_(doc)
    assert (code, err) == (0, "")
    assert "orgs: 2 added, 0 updated, 0 unchanged" in out
    orgs = (await snapshot(db))["orgs"]
    assert len(orgs) == 16
    grid = orgs["420111002002001"]
    assert (grid["community_id"], grid["street_id"]) == (
        orgs["420111002002"]["id"],
        orgs["420111002"]["id"],
    )


def _bad_file() -> tuple[dict[str, Any], list[str]]:
    """The example with one of each mistake, and the report it must give, in file order."""
    doc = example()
    orgs = doc["orgs"]
    entry(doc, "420111001002001")["parent_code"] = "C-09"
    entry(doc, "420111002001002")["boundary"] = rect(114.395, 30.495, 114.415, 30.51)
    entry(doc, "dept-yllh")["colour"] = "red"
    entry(doc, "dept-swhp")["boundary"] = rect(114.3, 30.5, 114.31, 30.51)
    bowtie = [[114.5, 30.5], [114.51, 30.5], [114.5, 30.51], [114.51, 30.51], [114.5, 30.5]]
    orgs.append(
        {
            "code": "G-X",
            "name": "自相交网格",
            "type": "grid",
            "parent_code": "420111002001",
            "boundary": {"type": "Polygon", "coordinates": [bowtie]},
        }
    )
    orgs.append({"code": "G-Y", "name": "无边界网格", "type": "grid", "parent_code": STREET})
    orgs.append({"code": "420112", "name": "江夏区", "type": "district"})
    orgs.append({"code": GRID, "name": "重复", "type": "grid", "parent_code": COMMUNITY})
    entry(doc, "tree_fallen")["default_department"] = STREET
    entry(doc, "illegal_advert")["sla_clock"] = "calendar"
    entry(doc, "garbage_exposed")["sla_hours"]["1"] = 9
    entry(doc, "road_waterlogging")["default_department"] = "dept-nope"
    expected = [
        "orgs[2] (dept-swhp): only grids carry a boundary",
        "orgs[3] (dept-yllh): Object contains unknown field `colour`",
        "orgs[9] (420111001002001): parent_code 'C-09' is not an org",
        "orgs[13] (420111002001002): boundary overlaps orgs[12] (420111002001001) "
        "by 798991 m² (more than a 1 m sliver)",
        "orgs[14] (G-X): boundary: invalid Polygon: Self-intersection[114.505 30.505]",
        "orgs[15] (G-Y): a grid needs a boundary (a GeoJSON Polygon)",
        "orgs[15] (G-Y): parent_code '420111001' is a street; a grid hangs under a community",
        "orgs[16] (420112): a second district (the first is orgs[0]); "
        "one database holds one district",
        f"orgs[17] ({GRID}): code appears again (first at orgs[7])",
        "categories[0] (garbage_exposed): sla_hours: grade 1 (more urgent) allows 9 h, "
        "more than grade 2's 2 h",
        "categories[1] (road_waterlogging): default_department 'dept-nope' is not an org",
        "categories[2] (tree_fallen): default_department '420111001' is a street, not a department",
        "categories[3] (illegal_advert): Invalid enum value 'calendar' - at `sla_clock`",
    ]
    return doc, expected


async def test_a_bad_file_reports_every_problem_where_it_is_and_writes_nothing(
    cli: Cli, db: Database
) -> None:
    doc, expected = _bad_file()
    code, out, err = await cli.import_(doc)
    assert code == 2
    assert out == ""
    lines = err.splitlines()
    assert lines[0].endswith("refused, nothing written:")
    assert [line.strip() for line in lines[1:]] == expected
    assert await snapshot(db) == {"orgs": {}, "categories": {}}


async def test_a_bad_file_changes_nothing_in_a_loaded_database_either(
    cli: Cli, db: Database, loaded: dict[str, Any]
) -> None:
    doc = example()
    entry(doc, STREET)["name"] = "改名不应生效"  # valid on its own
    entry(doc, "420111001002")["parent_code"] = "420111002"  # a community moved
    entry(doc, "420111002001")["type"] = "street"  # a community made a street
    entry(doc, "420111002001")["parent_code"] = "420111"
    code, _, err = await cli.import_(doc)
    assert code == 2
    assert [line.strip() for line in err.splitlines()[1:]] == [
        "orgs[8] (420111001002): parent_code '420111002', but its parent in the database is "
        "'420111001'; moving an org is refused (events keep the street and community they "
        "were reported in)",
        "orgs[11] (420111002001): type 'street', but it is a community in the database; "
        "an org's type never changes (events and users hang off it)",
        # Its grids still name it as their community: the stored type is the one that counts.
    ]
    assert await snapshot(db) == loaded


@pytest.mark.parametrize(
    ("shift", "accepted"),
    [(HALF_METRE_DEG, True), (THREE_METRES_DEG, False)],
    ids=["half-metre-sliver", "three-metre-overlap"],
)
async def test_grids_may_share_a_sliver_but_not_more(
    cli: Cli, db: Database, shift: float, accepted: bool
) -> None:
    doc = example()
    # The second grid's west edge pushed into the first by `shift` degrees.
    entry(doc, GRID)["boundary"] = rect(114.345 - shift, 30.525, 114.36, 30.535)
    code, _, err = await cli.import_(doc)
    if accepted:
        assert (code, err) == (0, "")
        assert len((await snapshot(db))["orgs"]) == 14
    else:
        assert code == 2
        (problem,) = err.splitlines()[1:]
        assert problem.startswith(
            f"  orgs[7] ({GRID}): boundary overlaps orgs[6] (420111001001001) by "
        )
        assert problem.endswith(" m² (more than a 1 m sliver)")
        assert await snapshot(db) == {"orgs": {}, "categories": {}}


async def test_a_file_without_a_district_into_an_empty_database_is_refused(
    cli: Cli, db: Database
) -> None:
    doc = example()
    doc["orgs"] = [o for o in doc["orgs"] if o["type"] != "district"]
    code, _, err = await cli.import_(doc)
    assert code == 2
    problems = [line.strip() for line in err.splitlines()[1:]]
    assert problems[0] == "orgs: no district (exactly one org of type district)"
    # ... and each street and department names a parent that is not there.
    assert len(problems) == 1 + 5
    assert await snapshot(db) == {"orgs": {}, "categories": {}}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"orgs": [', "file: not a JSON document (Input data was truncated)"),
        (b'{"orgs": [], "users": []}', "file: Object contains unknown field `users`"),
        (b'{"orgs": {}}', "file: Expected `array`, got `object` - at `$.orgs`"),
        (b"{}", "file: it holds no orgs and no categories"),
    ],
    ids=["not-json", "unknown-field", "orgs-not-a-list", "empty"],
)
async def test_a_file_that_is_not_a_district_file_is_refused(
    cli: Cli, db: Database, content: bytes, problem: str
) -> None:
    path = cli.tmp_path / "district.json"
    path.write_bytes(content)
    code, out, err = await cli.run("import-district", str(path))
    assert (code, out, err.splitlines()[1:]) == (2, "", [f"  {problem}"])
    assert await snapshot(db) == {"orgs": {}, "categories": {}}


async def test_a_report_after_the_import_gets_the_imported_grid_community_and_street(
    cli: Cli, loaded: dict[str, Any], client: Any
) -> None:
    created = await cli.run(
        "create-user",
        "gw-jdk2",
        "--role",
        "grid_worker",
        "--org-code",
        GRID,
        "--password",
        "long-enough-pw",
    )
    assert created[0] == 0
    login = await client.post(
        "/api/v1/auth/login", json={"username": "gw-jdk2", "password": "long-enough-pw"}
    )
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    body = {
        "category_code": "garbage_exposed",
        "description": "人行道上有暴露垃圾",
        "location": {"lat": 30.53, "lng": 114.352, "address": "珞喻路"},
    }
    r = await client.post("/api/v1/events", json=body, headers=headers)
    assert r.status_code == 201, r.text
    ids = {code: o["id"] for code, o in loaded["orgs"].items()}
    location = r.json()["location"]
    assert (location["grid_id"], location["community_id"], location["street_id"]) == (
        ids[GRID],
        ids[COMMUNITY],
        ids[STREET],
    )
    outside = {**body, "location": {"lat": 30.45, "lng": 114.30}}
    r = await client.post("/api/v1/events", json=outside, headers=headers)
    assert (r.status_code, r.json()["code"]) == (422, "out_of_district")


async def test_a_running_server_locates_with_the_reshaped_grid_without_a_restart(
    cli: Cli, loaded: dict[str, Any], client: Any, app: Any
) -> None:
    assert (await cli.run("create-user", "gw-jdk3", "--role", "grid_worker",
                          "--org-code", GRID, "--password", "long-enough-pw"))[0] == 0  # fmt: skip
    login = await client.post(
        "/api/v1/auth/login", json={"username": "gw-jdk3", "password": "long-enough-pw"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    body = {
        "category_code": "garbage_exposed",
        "description": "人行道上有暴露垃圾",
        "location": {"lat": 30.53, "lng": 114.358},  # the strip the grid gives up below
    }
    r = await client.post("/api/v1/events", json=body, headers=headers)
    assert r.json()["location"]["grid_id"] == loaded["orgs"][GRID]["id"]  # index built
    doc = example()
    entry(doc, GRID)["boundary"] = rect(114.345, 30.525, 114.355, 30.535)
    assert (await cli.import_(doc))[0] == 0  # as another process would, while it runs
    app.state["ctx"].grid_index.refresh_seconds = 0  # the next use compares stamps
    r = await client.post("/api/v1/events", json=body, headers=headers)
    assert (r.status_code, r.json()["code"]) == (422, "out_of_district")
