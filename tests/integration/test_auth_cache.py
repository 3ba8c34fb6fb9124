"""Checked logins answered from memory (backend/auth/verified.py): a revoked login still
stops at once, a change made behind the app's back within the cache's time, and the
cache is bounded.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from sqlalchemy import update

from backend.auth.principal import Principal
from backend.auth.verified import VerifiedSessions
from backend.db.models import AuthSession, User
from schemas.auth import MeOut
from schemas.orgs import OrgOut

LOGIN = "/api/v1/auth/login"
LOGOUT = "/api/v1/auth/logout"


async def login(client: Any, username: str) -> dict[str, Any]:
    r = await client.post(LOGIN, json={"username": username, "password": "chengyun-demo"})
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def me(client: Any, token: str) -> int:
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    return r.status_code  # type: ignore[no-any-return]


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_token_checked_a_moment_ago_stops_at_once_on_logout(app: Any, client: Any) -> None:
    pair = await login(client, "grid008")
    token = pair["access_token"]
    assert [await me(client, token), await me(client, token)] == [200, 200]
    assert app.state["ctx"].auth.verified.get(token) is not None  # answered from memory
    r = await client.post(LOGOUT, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 204
    assert await me(client, token) == 401


async def test_a_reused_refresh_token_stops_the_checked_access_token(client: Any) -> None:
    first = await login(client, "grid007")
    assert await me(client, first["access_token"]) == 200
    second = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert second.status_code == 200
    replay = await client.post(
        "/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]}
    )
    assert replay.status_code == 401
    assert await me(client, first["access_token"]) == 401
    assert await me(client, second.json()["access_token"]) == 401


async def test_a_login_ended_by_another_process_stops_when_its_broadcast_arrives(
    app: Any, client: Any
) -> None:
    ctx = app.state["ctx"]
    pair = await login(client, "grid009")
    token = pair["access_token"]
    assert await me(client, token) == 200
    session_id = ctx.auth.verified.get(token).principal.session_id
    # Another process revokes the login in the database and broadcasts its end.
    async with ctx.db.sessions() as s:
        await s.execute(
            update(AuthSession).where(AuthSession.id == session_id).values(revoked_at=ctx.now())
        )
        await s.commit()
    hub = ctx.rooms.hub
    arrived = asyncio.Event()
    hub.session_ended_listeners.append(lambda sid: arrived.set())  # runs after the cache's
    hub.end_session(session_id)
    await asyncio.wait_for(arrived.wait(), timeout=10)
    assert ctx.auth.verified.get(token) is None
    assert await me(client, token) == 401


async def test_a_user_deactivated_behind_the_apps_back_stops_within_the_cache_time(
    app: Any, client: Any
) -> None:
    ctx = app.state["ctx"]
    ticks = Ticks()
    ctx.auth.verified.clock = ticks
    pair = await login(client, "grid010")
    token = pair["access_token"]
    assert await me(client, token) == 200
    async with ctx.db.sessions() as s:
        await s.execute(update(User).where(User.username == "grid010").values(is_active=False))
        await s.commit()
    ticks.now += ctx.settings.auth_cache_seconds - 0.5
    assert await me(client, token) == 200  # still within the documented bound
    ticks.now += 1
    assert await me(client, token) == 401


async def test_with_the_cache_off_every_request_reads_the_login(app: Any, client: Any) -> None:
    ctx = app.state["ctx"]
    ctx.auth.verified.seconds = 0
    pair = await login(client, "grid011")
    token = pair["access_token"]
    assert await me(client, token) == 200
    assert ctx.auth.verified.get(token) is None
    async with ctx.db.sessions() as s:
        await s.execute(update(User).where(User.username == "grid011").values(is_active=False))
        await s.commit()
    assert await me(client, token) == 401


def _principal(n: int) -> Principal:
    return Principal(
        id=f"u{n}",
        username=f"user{n}",
        display_name="x",
        role="grid_worker",
        org_id="o",
        org_type="grid",
        street_id=None,
        session_id=f"s{n}",
    )


def _me(n: int) -> MeOut:
    org = OrgOut(id="o", code="1", name="grid", type="grid", parent_id=None)
    return MeOut(
        id=f"u{n}",
        username=f"user{n}",
        display_name="x",
        role="grid_worker",
        org=org,
        phone_masked=None,
    )


def test_the_cache_is_bounded_and_never_outlives_the_token() -> None:
    ticks = Ticks()
    cache = VerifiedSessions(5, max_entries=3, clock=ticks)
    far = 4e9  # a token expiry far ahead (seconds since the epoch)
    for n in range(5):
        cache.put(f"t{n}", _principal(n), _me(n), far)
    assert [cache.get(f"t{n}") is not None for n in range(5)] == [False, False, True, True, True]
    # A token about to expire is never kept past its expiry; an expired one is not kept.
    cache.put("soon", _principal(7), _me(7), time.time() + 1)
    assert cache.get("soon") is not None
    ticks.now += 1.5
    assert cache.get("soon") is None
    cache.put("gone", _principal(8), _me(8), time.time() - 1)
    assert cache.get("gone") is None
    # Ending a login drops its tokens and its profile, nobody else's.
    cache.put("t9", _principal(9), _me(9), far)
    cache.forget_session("s9")
    assert (cache.get("t9"), cache.profile("u9")) == (None, None)
    assert cache.get("t4") is not None
