"""HTTP: login, refresh, logout, me, preferences."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, Request, get, post, put
from litestar.params import JSONBody

from backend.auth.service import IssuedTokens
from backend.common.phone import mask_phone
from backend.db.models import Org, User, UserPreference
from backend.deps import DB, PUBLIC, Caller, client_ip
from backend.orgs.service import org_out
from backend.parts import ContextDep
from schemas.auth import LoginIn, MeOut, QuietHours, RefreshIn, TokenPairOut
from schemas.common import Strict

__all__ = ["AuthController", "MeController"]


class PreferencesIO(Strict):
    quiet_hours: QuietHours | None = None
    muted_kinds: Annotated[
        list[Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[a-z_]+$")]],
        msgspec.Meta(max_length=50),
    ] = []


async def _me(db: DB, user: User) -> MeOut:
    org = await db.get(Org, user.org_id)
    assert org is not None  # users.org_id is a foreign key
    return MeOut(
        id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org=org_out(org),
        phone_masked=mask_phone(user.phone),
    )


async def _pair(db: DB, issued: IssuedTokens) -> TokenPairOut:
    return TokenPairOut(
        access_token=issued.access_token,
        refresh_token=issued.refresh_token,
        token_type="bearer",  # noqa: S106 - the OAuth token type, not a secret
        expires_in=issued.expires_in,
        user=await _me(db, issued.user),
    )


class AuthController(Controller):
    path = "/auth"
    tags = ["auth"]

    @post("/login", status_code=200, opt=PUBLIC)
    async def login(
        self, request: Request[Any, Any, Any], ctx: ContextDep, db: DB, data: JSONBody[LoginIn]
    ) -> TokenPairOut:
        issued = await ctx.auth.login(
            db, username=data.username, password=data.password, ip=client_ip(request)
        )
        return await _pair(db, issued)

    @post("/refresh", status_code=200, opt=PUBLIC)
    async def refresh(
        self, request: Request[Any, Any, Any], ctx: ContextDep, db: DB, data: JSONBody[RefreshIn]
    ) -> TokenPairOut:
        issued = await ctx.auth.refresh(db, token=data.refresh_token, ip=client_ip(request))
        return await _pair(db, issued)

    @post("/logout", status_code=204)
    async def logout(self, ctx: ContextDep, db: DB, principal: Caller) -> None:
        await ctx.auth.logout(db, principal)


class MeController(Controller):
    path = "/me"
    tags = ["auth"]

    @get("")
    async def me(self, ctx: ContextDep, db: DB, principal: Caller) -> MeOut:
        checked = ctx.auth.verified.profile(principal.id)
        if checked is not None:  # read with the login check, a moment ago
            return checked
        user = await db.get(User, principal.id)
        assert user is not None
        return await _me(db, user)

    @get("/preferences")
    async def get_preferences(self, db: DB, principal: Caller) -> PreferencesIO:
        pref = await db.get(UserPreference, principal.id)
        return _prefs_out(pref)

    @put("/preferences")
    async def put_preferences(
        self, db: DB, principal: Caller, data: JSONBody[PreferencesIO]
    ) -> PreferencesIO:
        pref = await db.get(UserPreference, principal.id)
        if pref is None:
            pref = UserPreference(user_id=principal.id)
            db.add(pref)
        pref.quiet_start = data.quiet_hours.start if data.quiet_hours else None
        pref.quiet_end = data.quiet_hours.end if data.quiet_hours else None
        pref.muted_kinds = sorted(set(data.muted_kinds))
        await db.flush()
        return _prefs_out(pref)


def _prefs_out(pref: UserPreference | None) -> PreferencesIO:
    if pref is None or pref.quiet_start is None or pref.quiet_end is None:
        quiet = None
    else:
        quiet = QuietHours(start=pref.quiet_start, end=pref.quiet_end)
    return PreferencesIO(quiet_hours=quiet, muted_kinds=list(pref.muted_kinds) if pref else [])
