"""The demo district (洪山区) as plain frozen data, for ``chengyun seed-demo``.

Pure and deterministic: no database, no I/O, the same objects on every call, so the seed
command can compare against what is stored and a second run changes nothing. Logins follow
the "Demo data" section of the API contract exactly; passwords are the seed command's job.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from backend.orgs.demo_catalogue import (
    CATEGORY_GROUPS,
    DEPARTMENTS,
    DemoCategory,
    build_categories,
)
from backend.orgs.demo_geo import DISTRICT_CODE, DemoOrg, OrgType, build_geography

__all__ = [
    "CATEGORY_GROUPS",
    "DISTRICT_CODE",
    "DemoCategory",
    "DemoDistrict",
    "DemoOrg",
    "DemoUser",
    "OrgType",
    "Role",
    "build_demo_district",
]

Role = Literal[
    "admin",
    "district_dispatcher",
    "official",
    "street_dispatcher",
    "dept_handler",
    "grid_worker",
]

# Common surnames and given names; combined by _display_name so no two users share a name.
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
_GIVEN_NAMES = (
    "建国", "海燕", "志强", "秀英", "丽娟", "伟", "芳", "敏", "静", "磊", "军", "洋",
    "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞", "平", "刚", "桂英", "晨",
    "文博", "思远", "雨欣", "子豪", "梓涵", "浩然", "欣怡", "宇航", "佳琪", "俊杰",
    "晓燕", "红梅", "国强", "春华", "德胜", "玉兰", "少华", "立新", "文静", "汉生",
    "楚雄", "江涛",
)  # fmt: skip
# Mainland mobile prefixes (China Mobile, Unicom, Telecom), all 13x/15x/18x.
_PHONE_PREFIXES = (
    "138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187",
    "188", "189", "130", "131", "132", "155", "156", "185", "133", "153", "180", "181",
)  # fmt: skip


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    role: Role
    org_code: str
    phone: str


@dataclass(frozen=True)
class DemoDistrict:
    """Orgs (parents before children), the category catalogue and the demo logins."""

    orgs: tuple[DemoOrg, ...]
    categories: tuple[DemoCategory, ...]
    users: tuple[DemoUser, ...]

    @property
    def district(self) -> DemoOrg:
        return self.orgs[0]

    def of_type(self, org_type: OrgType) -> tuple[DemoOrg, ...]:
        """Orgs of one type, in ``seq`` order."""
        return tuple(o for o in self.orgs if o.type == org_type)

    @property
    def streets(self) -> tuple[DemoOrg, ...]:
        return self.of_type("street")

    @property
    def communities(self) -> tuple[DemoOrg, ...]:
        return self.of_type("community")

    @property
    def grids(self) -> tuple[DemoOrg, ...]:
        return self.of_type("grid")

    @property
    def departments(self) -> tuple[DemoOrg, ...]:
        return self.of_type("department")

    def org(self, code: str) -> DemoOrg:
        for o in self.orgs:
            if o.code == code:
                return o
        raise KeyError(code)

    def children(self, code: str) -> tuple[DemoOrg, ...]:
        return tuple(o for o in self.orgs if o.parent_code == code)


def _display_name(i: int) -> str:
    # (i mod 40, (i // 40 + i) mod 47) is one-to-one for i < 40 * 47 because 41 and 47 are
    # coprime, so names stay unique for up to 1880 users without a lookup table.
    surname = _SURNAMES[i % len(_SURNAMES)]
    given = _GIVEN_NAMES[(i // len(_SURNAMES) + i) % len(_GIVEN_NAMES)]
    return surname + given


def _phone(i: int) -> str:
    # 7919 is coprime to 10**8, so the eight-digit suffixes never repeat.
    return _PHONE_PREFIXES[i % len(_PHONE_PREFIXES)] + f"{(i * 7919 + 20_261_124) % 10**8:08d}"


def _build_users(
    streets: tuple[DemoOrg, ...], departments: tuple[DemoOrg, ...], grids: tuple[DemoOrg, ...]
) -> tuple[DemoUser, ...]:
    if len(streets) > 99 or len(departments) > 99 or len(grids) > 999:
        raise ValueError("demo login numbering has room for 99 streets/departments, 999 grids")
    specs: list[tuple[str, Role, str]] = [
        ("admin", "admin", DISTRICT_CODE),
        ("district01", "district_dispatcher", DISTRICT_CODE),
        ("district02", "district_dispatcher", DISTRICT_CODE),
        ("leader01", "official", DISTRICT_CODE),
        ("leader02", "official", DISTRICT_CODE),
    ]
    for street in streets:
        specs += [(f"street{street.seq:02d}{s}", "street_dispatcher", street.code) for s in "ab"]
    for dept in departments:
        specs += [(f"dept{dept.seq:02d}{s}", "dept_handler", dept.code) for s in "ab"]
    for grid in grids:
        specs.append((f"grid{grid.seq:03d}", "grid_worker", grid.code))
        if grid.seq % 5 == 0:
            specs.append((f"grid{grid.seq:03d}b", "grid_worker", grid.code))
    # Names and phones follow the login's position, so they are stable as long as the org
    # lists are; adding a street or department renumbers the logins after it anyway.
    users = []
    for i, (username, role, org_code) in enumerate(specs):
        display = "系统管理员" if role == "admin" else _display_name(i)
        users.append(DemoUser(username, display, role, org_code, _phone(i)))
    return tuple(users)


def build_demo_district() -> DemoDistrict:
    """Build the whole demo district; equal output on every call."""
    geography = build_geography()
    departments = tuple(
        DemoOrg(code, name, "department", DISTRICT_CODE, seq)
        for seq, (code, name) in enumerate(DEPARTMENTS, start=1)
    )
    district, rest = geography[0], geography[1:]
    orgs = DemoDistrict(orgs=(district, *departments, *rest), categories=(), users=())
    users = _build_users(orgs.streets, orgs.departments, orgs.grids)
    return DemoDistrict(orgs=orgs.orgs, categories=build_categories(), users=users)
