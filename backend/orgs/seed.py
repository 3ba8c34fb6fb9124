"""Writes the demo district into the database: idempotent, a second run changes nothing."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.passwords import PasswordService
from backend.db.models import Category, Org, User
from backend.mapping.demo import seed_map_features
from backend.orgs.demo_catalogue import AUTO_DISPATCH
from backend.orgs.demo_data import DemoDistrict, build_demo_district
from backend.orgs.service import set_ancestry
from backend.settings import DEMO_PASSWORD

__all__ = ["SeedReport", "seed_demo"]


@dataclass(frozen=True, slots=True)
class SeedReport:
    orgs_added: int
    categories_added: int
    users_added: int
    district: DemoDistrict


async def seed_demo(session: AsyncSession, passwords: PasswordService) -> SeedReport:
    demo = build_demo_district()
    existing = {o.code: o for o in (await session.execute(select(Org))).scalars()}
    orgs_added = 0
    for d in demo.orgs:  # parents come before children
        if d.code in existing:
            continue
        parent = existing.get(d.parent_code) if d.parent_code else None
        org = Org(
            code=d.code,
            name=d.name,
            type=d.type,
            parent_id=parent.id if parent else None,
            boundary=d.geojson() if d.boundary else None,
        )
        session.add(org)
        await session.flush()
        set_ancestry(org, parent)
        existing[d.code] = org
        orgs_added += 1

    have_categories = set((await session.execute(select(Category.code))).scalars())
    categories_added = 0
    for order, c in enumerate(demo.categories):
        if c.code in have_categories:
            continue
        session.add(
            Category(
                code=c.code,
                name=c.name,
                group=c.group,
                default_department_id=existing[c.default_department].id,
                sla_hours={str(g): float(h) for g, h in c.sla_by_grade.items()},
                sla_clock=c.clock,
                photo_required=c.photo_required,
                duplicate_radius_m=c.duplicate_radius_m,
                auto_dispatch=c.code in AUTO_DISPATCH,
                sort_order=order,
            )
        )
        categories_added += 1

    have_users = set((await session.execute(select(User.username))).scalars())
    # One argon2 hash shared by every demo login: they all have the same password, and
    # hashing hundreds of times would make seeding take minutes.
    demo_hash: str | None = None
    users_added = 0
    for u in demo.users:
        if u.username in have_users:
            continue
        demo_hash = demo_hash or passwords.hash(DEMO_PASSWORD)
        session.add(
            User(
                username=u.username,
                display_name=u.display_name,
                role=u.role,
                org_id=existing[u.org_code].id,
                phone=u.phone,
                password_hash=demo_hash,
                demo_password=True,
            )
        )
        users_added += 1
    await session.flush()
    # Demo features for the one map (风险隐患, 物资储备, 救援力量, 避难场所).
    await seed_map_features(session)
    return SeedReport(orgs_added, categories_added, users_added, demo)
