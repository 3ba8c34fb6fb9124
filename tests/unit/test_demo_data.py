"""Demo district: real streets, exactly tiling grids, a full catalogue, contract logins."""

from __future__ import annotations

import itertools
import re

import pytest
from shapely.geometry import Point, Polygon, box
from shapely.ops import unary_union

from backend.orgs.demo_data import (
    CATEGORY_GROUPS,
    DemoDistrict,
    DemoOrg,
    build_demo_district,
)

AREA_EPS = 1e-12  # square degrees; 1e-12 deg^2 is about 0.01 m^2
BOX = box(114.25, 30.45, 114.50, 30.60)


@pytest.fixture(scope="module")
def demo() -> DemoDistrict:
    return build_demo_district()


def poly(org: DemoOrg) -> Polygon:
    p = org.polygon()
    assert p is not None, org.code
    return p


def assert_tiles(parent: DemoOrg, children: tuple[DemoOrg, ...]) -> None:
    pieces = [poly(c) for c in children]
    for p in pieces:
        assert p.is_valid
        assert p.exterior.is_ccw  # GeoJSON right-hand rule
        assert p.area > 0
    for (a, pa), (b, pb) in itertools.combinations(zip(children, pieces, strict=True), 2):
        assert pa.intersection(pb).area < AREA_EPS, (a.code, b.code)
    union = unary_union(pieces)
    assert union.symmetric_difference(poly(parent)).area < AREA_EPS, parent.code
    assert abs(sum(p.area for p in pieces) - poly(parent).area) < AREA_EPS


# -- streets, communities, grids -----------------------------------------------------------


def test_counts(demo: DemoDistrict) -> None:
    assert len(demo.streets) == 12
    assert len(demo.communities) == 46
    assert len(demo.grids) == 241
    assert len(demo.departments) == 13
    assert len(demo.categories) == 55
    assert len(demo.users) == 5 + 2 * 12 + 2 * 13 + 241 + 241 // 5


def test_district_and_real_street_names(demo: DemoDistrict) -> None:
    assert demo.district.code == "420111"
    assert demo.district.name == "洪山区"
    assert demo.district.type == "district"
    assert demo.district.parent_code is None
    names = [s.name for s in demo.streets]
    assert names[:4] == ["珞南街道", "关山街道", "狮子山街道", "张家湾街道"]
    assert {"梨园街道", "卓刀泉街道", "洪山街道", "和平街道", "青菱街道", "九峰街道"} <= set(names)
    assert len(set(names)) == len(names)


def test_minimum_sizes(demo: DemoDistrict) -> None:
    assert len(demo.streets) >= 10
    assert len(demo.grids) >= 150
    for street in demo.streets:
        assert len(demo.children(street.code)) >= 3, street.name
        assert all(c.type == "community" for c in demo.children(street.code))
    for community in demo.communities:
        kids = demo.children(community.code)
        assert len(kids) >= 1 and all(g.type == "grid" for g in kids)


def test_grids_tile_each_community(demo: DemoDistrict) -> None:
    for community in demo.communities:
        assert_tiles(community, demo.children(community.code))


def test_communities_tile_each_street(demo: DemoDistrict) -> None:
    for street in demo.streets:
        assert_tiles(street, demo.children(street.code))


def test_streets_tile_the_district(demo: DemoDistrict) -> None:
    assert_tiles(demo.district, demo.streets)


def test_everything_inside_the_real_area(demo: DemoDistrict) -> None:
    for org in demo.orgs:
        if org.type != "department":
            assert BOX.contains(poly(org)), org.code


@pytest.mark.parametrize(
    ("lng", "lat", "street"),
    [
        (114.343, 30.527, "珞南街道"),  # 街道口
        (114.355, 30.475, "狮子山街道"),  # 华中农业大学
        (114.372, 30.513, "卓刀泉街道"),  # 卓刀泉
        (114.400, 30.510, "关山街道"),  # 光谷步行街
        (114.280, 30.460, "青菱街道"),  # 青菱湖
    ],
)
def test_streets_lie_roughly_where_they_really_are(
    demo: DemoDistrict, lng: float, lat: float, street: str
) -> None:
    hits = [s.name for s in demo.streets if poly(s).contains(Point(lng, lat))]
    assert hits == [street]


def test_every_grid_point_locates_to_exactly_one_grid(demo: DemoDistrict) -> None:
    polygons = [(g, poly(g)) for g in demo.grids]
    for grid, p in polygons[::7]:
        c = p.representative_point()
        assert [g.code for g, q in polygons if q.contains(c)] == [grid.code]


def test_codes_are_hierarchical_unique_and_parents_come_first(demo: DemoDistrict) -> None:
    codes = [o.code for o in demo.orgs]
    assert len(set(codes)) == len(codes)
    seen: set[str] = set()
    for org in demo.orgs:
        if org.parent_code is not None:
            assert org.parent_code in seen, org.code
        seen.add(org.code)
    for street in demo.streets:
        assert re.fullmatch(r"420111\d{3}", street.code) and street.parent_code == "420111"
    for community in demo.communities:
        assert re.fullmatch(r"\d{12}", community.code)
        assert community.code[:9] == community.parent_code
    for grid in demo.grids:
        assert re.fullmatch(r"\d{15}", grid.code)
        assert grid.code[:12] == grid.parent_code
        assert grid.name.startswith(demo.org(grid.parent_code).name)


def test_seq_numbers_each_type_from_one(demo: DemoDistrict) -> None:
    for org_type in ("street", "community", "grid", "department"):
        orgs = demo.of_type(org_type)
        assert [o.seq for o in orgs] == list(range(1, len(orgs) + 1))
    assert demo.grids[0].code == "420111001001001"
    assert demo.grids[-1].seq == len(demo.grids)


def test_geojson_shape(demo: DemoDistrict) -> None:
    gj = demo.grids[0].geojson()
    assert gj is not None and gj["type"] == "Polygon"
    ring = gj["coordinates"][0]
    assert ring[0] == ring[-1] and len(ring) == 5
    assert all(114.25 <= lng <= 114.5 and 30.45 <= lat <= 30.6 for lng, lat in ring)
    assert demo.departments[0].geojson() is None


# -- departments and the catalogue ---------------------------------------------------------


def test_departments(demo: DemoDistrict) -> None:
    depts = demo.departments
    assert len(depts) >= 8
    assert all(d.parent_code == "420111" and d.boundary is None for d in depts)
    assert all(re.fullmatch(r"dept-[a-z]+", d.code) for d in depts)
    names = {d.name for d in depts}
    for required in (
        "区城管执法局",
        "区水务和湖泊局",
        "区园林和林业局",
        "区市场监管局",
        "区住建局",
    ):
        assert required in names
    assert any("生态环境" in n for n in names)
    assert "区应急管理局" in names
    assert any("公安分局" in n for n in names)


def test_categories_cover_every_group(demo: DemoDistrict) -> None:
    cats = demo.categories
    assert len(cats) >= 40
    assert {c.group for c in cats} == set(CATEGORY_GROUPS)
    assert {
        "市容环境",
        "街面秩序",
        "设施管理",
        "宣传广告",
        "施工管理",
        "园林绿化",
        "突发事件",
    } <= set(CATEGORY_GROUPS)
    codes = [c.code for c in cats]
    names = [c.name for c in cats]
    assert len(set(codes)) == len(codes) and len(set(names)) == len(names)
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", code) for code in codes)
    for name in (
        "暴露垃圾",
        "井盖缺失",
        "道路积水",
        "占道经营",
        "违章停车",
        "路灯不亮",
        "消防栓损坏",
    ):
        assert name in names


def test_category_departments_exist(demo: DemoDistrict) -> None:
    dept_codes = {d.code for d in demo.departments}
    for c in demo.categories:
        assert c.default_department in dept_codes, c.code


def test_sla_hours_never_grow_with_urgency(demo: DemoDistrict) -> None:
    for c in demo.categories:
        by_grade = c.sla_by_grade
        assert set(by_grade) == {1, 2, 3, 4}
        assert 0 < by_grade[1] <= by_grade[2] <= by_grade[3] <= by_grade[4], c.code
        assert c.handle_hours == by_grade[4] == c.hours_for(4)
    with pytest.raises(ValueError, match="grade"):
        demo.categories[0].hours_for(5)


def test_urgent_hazards_run_on_the_natural_clock(demo: DemoDistrict) -> None:
    by_name = {c.name: c for c in demo.categories}
    for name in ("道路积水", "井盖缺失", "燃气泄漏", "树木倒伏", "火灾隐患", "路面塌陷"):
        assert by_name[name].clock == "natural", name
    for name in ("暴露垃圾", "占道经营", "非法小广告", "井盖破损"):
        assert by_name[name].clock == "working", name
    assert {c.clock for c in demo.categories} == {"working", "natural"}


def test_duplicate_radius(demo: DemoDistrict) -> None:
    by_name = {c.name: c for c in demo.categories}
    assert by_name["暴露垃圾"].duplicate_radius_m == 50
    assert by_name["道路积水"].duplicate_radius_m > 50
    assert all(10 <= c.duplicate_radius_m <= 500 for c in demo.categories)
    assert not by_name["燃气泄漏"].photo_required
    assert by_name["暴露垃圾"].photo_required


# -- users ------------------------------------------------------------------------------------


def expected_logins(n_streets: int, n_depts: int, n_grids: int) -> list[tuple[str, str]]:
    logins = [
        ("admin", "admin"),
        ("district01", "district_dispatcher"),
        ("district02", "district_dispatcher"),
        ("leader01", "official"),
        ("leader02", "official"),
    ]
    for n in range(1, n_streets + 1):
        logins += [
            (f"street{n:02d}a", "street_dispatcher"),
            (f"street{n:02d}b", "street_dispatcher"),
        ]
    for n in range(1, n_depts + 1):
        logins += [(f"dept{n:02d}a", "dept_handler"), (f"dept{n:02d}b", "dept_handler")]
    for n in range(1, n_grids + 1):
        logins.append((f"grid{n:03d}", "grid_worker"))
        if n % 5 == 0:
            logins.append((f"grid{n:03d}b", "grid_worker"))
    return logins


def test_logins_match_the_contract_exactly(demo: DemoDistrict) -> None:
    got = [(u.username, u.role) for u in demo.users]
    assert got == expected_logins(len(demo.streets), len(demo.departments), len(demo.grids))
    grid_users = [u for u in demo.users if u.role == "grid_worker"]
    assert len(grid_users) == len(demo.grids) + len(demo.grids) // 5
    names = {u.username for u in demo.users}
    assert {"grid005b", "grid010b", "grid240b"} <= names
    assert not {"grid004b", "grid241b", "grid242"} & names


def test_users_belong_to_the_right_orgs(demo: DemoDistrict) -> None:
    users = {u.username: u for u in demo.users}
    for name in ("admin", "district01", "district02", "leader01", "leader02"):
        assert users[name].org_code == "420111"
    assert users["street01a"].org_code == users["street01b"].org_code == demo.streets[0].code
    assert users["street12b"].org_code == demo.streets[11].code
    assert users["dept01a"].org_code == "dept-cgzf"
    assert users["dept13b"].org_code == demo.departments[12].code
    assert users["grid001"].org_code == demo.grids[0].code
    assert users["grid005b"].org_code == users["grid005"].org_code == demo.grids[4].code
    org_types = {o.code: o.type for o in demo.orgs}
    expected_type = {
        "street_dispatcher": "street",
        "dept_handler": "department",
        "grid_worker": "grid",
    }
    for u in demo.users:
        assert org_types[u.org_code] == expected_type.get(u.role, "district"), u.username


def test_user_names_and_phones(demo: DemoDistrict) -> None:
    usernames = [u.username for u in demo.users]
    phones = [u.phone for u in demo.users]
    displays = [u.display_name for u in demo.users]
    assert len(set(usernames)) == len(usernames)
    assert len(set(phones)) == len(phones)
    assert len(set(displays)) == len(displays)
    for u in demo.users:
        assert re.fullmatch(r"1[358]\d{9}", u.phone), u.phone
        assert re.fullmatch(r"[\u4e00-\u9fff]{2,5}", u.display_name), u.display_name


def test_deterministic() -> None:
    first, second = build_demo_district(), build_demo_district()
    assert first == second
    assert first.users[17] == second.users[17]
    assert first.grids[100].boundary == second.grids[100].boundary
