"""System reporters: the user an event posted by another system (Open311, the city
platform) is reported as. Created on first use, so production needs no demo seed; they can
never log in (the password hash is not a hash)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from backend.auth.principal import Principal
from backend.db.models import Org, User

__all__ = ["NO_LOGIN_HASH", "system_principal"]

NO_LOGIN_HASH = "!system-account-no-login"


async def system_principal(session: AsyncSession, username: str, display_name: str) -> Principal:
    """A district-dispatcher principal for ``username`` (created under the district org)."""
    user = await session.scalar(select(User).where(User.username == username))
    if user is None:
        district = await session.scalar(
            select(Org).where(Org.type == "district", Org.parent_id.is_(None))
        )
        if district is None:
            raise LookupError("no district org: run `chengyun migrate` and load the orgs first")
        user = User(
            username=username,
            display_name=display_name,
            role="district_dispatcher",
            org_id=district.id,
            password_hash=NO_LOGIN_HASH,
        )
        session.add(user)
        await session.flush()
    return Principal(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org_id=user.org_id,
        org_type="district",
        street_id=None,
        session_id="system",
    )
