"""Auth through HTTP: login, throttling, token forgery, rotation, logout, /me, preferences,
and the audit rows each of them leaves."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
from sqlalchemy import select

from backend.db.models import AuditEntry
from tests.integration.demo import demo, grid_point

LOGIN = "/api/v1/auth/login"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
PASSWORD = "chengyun-demo"
WRONG_KEY = "an-entirely-different-signing-key-of-sufficient-length-0123456789"


async def login(client: Any, username: str, password: str = PASSWORD) -> Any:
    return await client.post(LOGIN, json={"username": username, "password": password})


async def login_ok(client: Any, username: str) -> dict[str, Any]:
    r = await login(client, username)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


async def me_status(client: Any, token: str) -> int:
    r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    if r.status_code == 401:
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "unauthenticated"
    return r.status_code  # type: ignore[no-any-return]


async def audit_rows(app: Any, action: str) -> list[AuditEntry]:
    async with app.state["ctx"].db.sessions() as session:
        rows = await session.execute(
            select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
        )
        return list(rows.scalars())


def _b64(obj: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


# -- login ------------------------------------------------------------------------------------


async def test_login_returns_token_pair_and_user(client: Any) -> None:
    body = await login_ok(client, "street01a")
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["access_token"] != body["refresh_token"]
    user = body["user"]
    assert set(user) == {"id", "username", "display_name", "role", "org", "phone_masked"}
    assert user["username"] == "street01a"
    assert user["role"] == "street_dispatcher"
    assert user["org"]["type"] == "street"
    assert user["org"]["code"] == demo().streets[0].code
    assert await me_status(client, body["access_token"]) == 200


async def test_wrong_user_and_wrong_password_answer_identically(client: Any) -> None:
    unknown = await login(client, "no-such-user")
    wrong = await login(client, "grid001", "not-the-password")
    for r in (unknown, wrong):
        assert r.status_code == 401
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"] == 'Bearer realm="chengyun"'
    assert unknown.json() == wrong.json()
    assert unknown.json()["code"] == "unauthenticated"


async def test_login_with_nul_byte_is_just_a_wrong_username(client: Any) -> None:
    # PostgreSQL cannot compare text with a NUL byte; it must still be an ordinary 401.
    r = await login(client, "grid001\x00")
    assert r.status_code == 401
    assert r.json() == (await login(client, "no-such-user")).json()


async def test_five_failures_throttle_the_username(client: Any) -> None:
    for username in ("grid002", "ghost-user"):  # a known and an unknown username alike
        for _ in range(5):
            assert (await login(client, username, "wrong")).status_code == 401, username
        r = await login(client, username, "wrong")
        assert r.status_code == 429, username
        assert r.json()["code"] == "rate_limited"
        assert r.headers["content-type"] == "application/problem+json"
        assert 1 <= int(r.headers["retry-after"]) <= 901
    # Locked means locked: the right password waits out the window as well.
    assert (await login(client, "grid002")).status_code == 429
    # Another username from the same address is not affected.
    assert (await login(client, "grid003")).status_code == 200


async def test_success_resets_the_failure_count(client: Any) -> None:
    for _ in range(4):
        assert (await login(client, "grid004", "wrong")).status_code == 401
    assert (await login(client, "grid004")).status_code == 200
    # Without the reset the second failure below would be the sixth and answer 429.
    for _ in range(5):
        assert (await login(client, "grid004", "wrong")).status_code == 401
    assert (await login(client, "grid004", "wrong")).status_code == 429


async def test_login_and_failed_login_are_audited(app: Any, client: Any) -> None:
    body = await login_ok(client, "grid005")
    await login(client, "grid005", "wrong")
    await login(client, "nobody-at-all", "wrong")
    ok = await audit_rows(app, "login")
    assert [(r.actor_id, r.target_id) for r in ok] == [(body["user"]["id"], body["user"]["id"])]
    failed = await audit_rows(app, "login_failed")
    assert [(r.actor_id, r.target_id, r.data["username"]) for r in failed] == [
        (None, body["user"]["id"], "grid005"),
        (None, None, "nobody-at-all"),
    ]


# -- forged, expired and foreign tokens ------------------------------------------------------


@pytest.fixture
async def real_claims(client: Any) -> tuple[str, dict[str, Any]]:
    token = (await login_ok(client, "grid001"))["access_token"]
    return token, jwt.decode(token, options={"verify_signature": False})


async def test_resigned_copy_of_a_real_token_is_accepted(
    client: Any, settings: Any, real_claims: tuple[str, dict[str, Any]]
) -> None:
    # The control for the forgeries below: same claims, the app's key → accepted.
    _, claims = real_claims
    token = jwt.encode(claims, settings.secret_key, algorithm="HS256")
    assert await me_status(client, token) == 200


def _forgeries(secret: str, token: str, claims: dict[str, Any]) -> dict[str, str]:
    now = int(time.time())
    header, payload, signature = token.split(".")
    elevated = _b64({**claims, "role": "district_dispatcher"})
    return {
        "alg_none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "alg_none_upper": f"{_b64({'alg': 'None', 'typ': 'JWT'})}.{payload}.",
        "wrong_key": jwt.encode(claims, WRONG_KEY, algorithm="HS256"),
        "hs512_same_key": jwt.encode(claims, secret + "-" * 20, algorithm="HS512"),
        "edited_payload": f"{header}.{elevated}.{signature}",
        "expired": jwt.encode(
            {**claims, "iat": now - 7200, "exp": now - 3600}, secret, algorithm="HS256"
        ),
        "wrong_audience": jwt.encode({**claims, "aud": "other-app"}, secret, algorithm="HS256"),
        "wrong_issuer": jwt.encode({**claims, "iss": "someone-else"}, secret, algorithm="HS256"),
        "not_access_typ": jwt.encode({**claims, "typ": "refresh"}, secret, algorithm="HS256"),
        "no_session": jwt.encode(
            {k: v for k, v in claims.items() if k != "sid"}, secret, algorithm="HS256"
        ),
        "unknown_session": jwt.encode(
            {**claims, "sid": "00000000-0000-0000-0000-000000000000"}, secret, algorithm="HS256"
        ),
        "garbage": "not-a-jwt",
        "three_garbage_parts": "a.b.c",
    }


FORGERIES = [
    "alg_none",
    "alg_none_upper",
    "wrong_key",
    "hs512_same_key",
    "edited_payload",
    "expired",
    "wrong_audience",
    "wrong_issuer",
    "not_access_typ",
    "no_session",
    "unknown_session",
    "garbage",
    "three_garbage_parts",
]


async def test_forged_or_foreign_tokens_are_unauthenticated(
    client: Any, settings: Any, real_claims: tuple[str, dict[str, Any]]
) -> None:
    token, claims = real_claims
    forgeries = _forgeries(settings.secret_key, token, claims)
    assert sorted(forgeries) == sorted(FORGERIES)
    for kind, forged in forgeries.items():
        r = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {forged}"})
        assert r.status_code == 401, kind
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "unauthenticated", kind
        # Also where a body is read: the token is refused first.
        r = await client.post(
            "/api/v1/events",
            json={
                "category_code": "garbage_exposed",
                "description": "x",
                "location": grid_point(1),
            },
            headers={"Authorization": f"Bearer {forged}"},
        )
        assert r.status_code == 401, kind
    assert await me_status(client, token) == 200  # the real token was never the problem


async def test_refresh_token_is_not_a_bearer_token(client: Any) -> None:
    body = await login_ok(client, "grid001")
    assert await me_status(client, body["refresh_token"]) == 401


async def test_missing_or_other_scheme_is_unauthenticated(client: Any) -> None:
    for header in ("", "Bearer", "Bearer ", "Basic Z3JpZDAwMTpjaGVuZ3l1bi1kZW1v", "Token abc"):
        r = await client.get("/api/v1/me", headers={"Authorization": header} if header else {})
        assert r.status_code == 401, header
        assert r.json()["code"] == "unauthenticated"


# -- refresh rotation and reuse ---------------------------------------------------------------


async def refresh(client: Any, token: str) -> Any:
    return await client.post(REFRESH, json={"refresh_token": token})


async def test_refresh_rotates_and_an_old_refresh_token_is_refused(client: Any) -> None:
    first = await login_ok(client, "grid006")
    r = await refresh(client, first["refresh_token"])
    assert r.status_code == 200
    second = r.json()
    assert set(second) == {"access_token", "refresh_token", "token_type", "expires_in", "user"}
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert second["user"]["username"] == "grid006"
    assert await me_status(client, second["access_token"]) == 200
    again = await refresh(client, first["refresh_token"])
    assert again.status_code == 401
    assert again.json()["code"] == "unauthenticated"


async def test_reusing_a_refresh_token_revokes_the_family(app: Any, client: Any) -> None:
    first = await login_ok(client, "grid007")
    other_login = await login_ok(client, "grid007")
    second = (await refresh(client, first["refresh_token"])).json()
    third = (await refresh(client, second["refresh_token"])).json()
    # A thief replays the first token: the whole login is revoked.
    assert (await refresh(client, first["refresh_token"])).status_code == 401
    assert (await refresh(client, third["refresh_token"])).status_code == 401
    for token in (first["access_token"], second["access_token"], third["access_token"]):
        assert await me_status(client, token) == 401
    # The user's other login is a different family and keeps working.
    assert await me_status(client, other_login["access_token"]) == 200
    assert (await refresh(client, other_login["refresh_token"])).status_code == 200
    reuse = await audit_rows(app, "refresh_reuse")
    assert [r.actor_id for r in reuse] == [first["user"]["id"]]


async def test_unknown_refresh_token_is_unauthenticated(client: Any) -> None:
    for token in ("never-issued", "x" * 512, "\x00"):
        r = await refresh(client, token)
        assert r.status_code == 401, token
        assert r.json()["code"] == "unauthenticated"


# -- logout ------------------------------------------------------------------------------------


async def test_logout_ends_only_that_login(client: Any) -> None:
    one = await login_ok(client, "grid008")
    two = await login_ok(client, "grid008")
    r = await client.post(LOGOUT, headers={"Authorization": f"Bearer {one['access_token']}"})
    assert r.status_code == 204
    assert r.content == b""
    assert await me_status(client, one["access_token"]) == 401
    assert (await refresh(client, one["refresh_token"])).status_code == 401
    assert await me_status(client, two["access_token"]) == 200
    # A second logout with the dead token is itself unauthenticated.
    again = await client.post(LOGOUT, headers={"Authorization": f"Bearer {one['access_token']}"})
    assert again.status_code == 401


# -- /me and preferences -----------------------------------------------------------------------


async def test_me_shape_with_masked_phone(api: Any) -> None:
    r = await api.get("grid001", "/me")
    assert r.status_code == 200
    body = r.json()
    assert set(body) == {"id", "username", "display_name", "role", "org", "phone_masked"}
    user = next(u for u in demo().users if u.username == "grid001")
    assert body["username"] == "grid001"
    assert body["display_name"] == user.display_name
    assert body["role"] == "grid_worker"
    assert body["phone_masked"] == f"{user.phone[:3]}****{user.phone[-4:]}"
    assert len(body["phone_masked"]) == 11
    assert set(body["org"]) == {"id", "code", "name", "type", "parent_id"}
    assert body["org"]["code"] == demo().grids[0].code
    assert body["org"]["type"] == "grid"


async def put_prefs(api: Any, username: str, body: Any) -> Any:
    return await api.client.put(
        "/api/v1/me/preferences", json=body, headers=await api.headers(username)
    )


async def test_preferences_round_trip(api: Any) -> None:
    r = await api.get("grid001", "/me/preferences")
    assert r.status_code == 200
    assert r.json() == {"quiet_hours": None, "muted_kinds": []}
    wanted = {
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "muted_kinds": ["supervised", "daily_briefing", "supervised"],
    }
    r = await put_prefs(api, "grid001", wanted)
    assert r.status_code == 200
    stored = {
        "quiet_hours": {"start": "22:00", "end": "07:00"},
        "muted_kinds": ["daily_briefing", "supervised"],
    }
    assert r.json() == stored
    assert (await api.get("grid001", "/me/preferences")).json() == stored
    # Preferences are per user.
    assert (await api.get("grid002", "/me/preferences")).json() == {
        "quiet_hours": None,
        "muted_kinds": [],
    }
    r = await put_prefs(api, "grid001", {"quiet_hours": None, "muted_kinds": []})
    assert r.status_code == 200
    assert (await api.get("grid001", "/me/preferences")).json() == {
        "quiet_hours": None,
        "muted_kinds": [],
    }


BAD_PREFERENCES = [
    ({"quiet_hours": None, "muted_kinds": [], "theme": "dark"}, "theme"),
    ({"quiet_hours": {"start": "22:00", "end": "07:00", "tz": "UTC"}}, "quiet_hours.tz"),
    ({"quiet_hours": {"start": "24:00", "end": "07:00"}}, "quiet_hours.start"),
    ({"muted_kinds": "supervised"}, "muted_kinds"),
]


async def test_bad_preferences_are_rejected(api: Any) -> None:
    for body, field in BAD_PREFERENCES:
        r = await put_prefs(api, "grid001", body)
        assert r.status_code == 400, body
        problem = r.json()
        assert problem["code"] == "validation_failed"
        assert [e["field"] for e in problem["errors"]] == [field]
    assert (await api.get("grid001", "/me/preferences")).json() == {
        "quiet_hours": None,
        "muted_kinds": [],
    }


# -- authorization failures leave a trace ------------------------------------------------------


async def test_forbidden_action_is_audited(app: Any, api: Any) -> None:
    r = await api.post(
        "grid001",
        "/events",
        {"category_code": "garbage_exposed", "description": "路边垃圾", "location": grid_point(1)},
    )
    assert r.status_code == 201
    event = r.json()
    dept = (await api.get("grid001", "/categories")).json()["items"][0]["default_department"]
    r = await api.act("grid001", event["id"], "dispatch", org_id=dept["id"])
    assert r.status_code == 403
    assert r.json()["code"] == "forbidden"
    me = (await api.get("grid001", "/me")).json()
    rows = await audit_rows(app, "forbidden")
    assert [(r.actor_id, r.target_type, r.target_id, r.data) for r in rows] == [
        (me["id"], "event", event["id"], {"attempt": "dispatch"})
    ]
    # The refused action changed nothing.
    after = (await api.get("grid001", f"/events/{event['id']}")).json()
    assert (after["status"], after["version"], len(after["timeline"])) == ("reported", 1, 1)


async def test_a_401_for_a_revoked_session_returns_its_database_connection(
    client: Any, app: Any
) -> None:
    # Litestar drops the request's session dependency unfinalised when the caller
    # dependency raises; the app must still give the connection back to the pool.
    one = await login_ok(client, "grid008")
    r = await client.post(LOGOUT, headers={"Authorization": f"Bearer {one['access_token']}"})
    assert r.status_code == 204
    pool = app.state["ctx"].db.engine.pool
    for _ in range(3):
        assert await me_status(client, one["access_token"]) == 401
        assert pool.checkedout() == 0
