"""City platform link: outbox in the event's transaction, signed relay with retries after
commit (exactly one delivery), and signed inbound cases (replay, bad signature, stale)."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from tests.integration.demo import grid_point
from tests.integration.flows import drive_to, report

SECRET = "out-secret-0123456789"
INBOUND = "in-secret-0123456789"


@pytest.fixture
def settings(settings: Any) -> Any:
    return settings.with_overrides(
        city_endpoint="https://city.example/cases",
        city_secret=SECRET,
        city_inbound_secret=INBOUND,
    )


class FakeCity:
    """The city's endpoint: fails the first ``fail`` calls, then accepts; checks signatures."""

    def __init__(self, fail: int = 0) -> None:
        self.fail = fail
        self.calls: list[dict[str, Any]] = []
        self.accepted: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        ts = request.headers["X-Chengyun-Timestamp"]
        expected = hmac.new(SECRET.encode(), ts.encode() + b"." + request.content, hashlib.sha256)
        assert request.headers["X-Chengyun-Signature"] == expected.hexdigest()
        body = json.loads(request.content)
        self.calls.append(body)
        if len(self.calls) <= self.fail:
            return httpx.Response(503)
        self.accepted.append(body)
        return httpx.Response(200)


def city_of(app: Any, fake: FakeCity) -> Any:
    ctx = app.state["ctx"]
    ctx.city_transport = httpx.MockTransport(fake)
    return ctx


async def test_created_and_closed_are_delivered_once_after_failures(
    api: Any, app: Any, clock: Any
) -> None:
    from backend.citylink.service import relay_once

    fake = FakeCity(fail=2)
    ctx = city_of(app, fake)
    event = await drive_to(api, "closed")
    # "closed" waits behind "created": messages of one event keep their order.
    assert await relay_once(ctx) == 0  # created: 503
    assert await relay_once(ctx) == 0  # not due yet: backing off
    assert len(fake.calls) == 1
    clock.advance(seconds=601)
    assert await relay_once(ctx) == 0  # created: 503 again
    clock.advance(seconds=601)
    assert await relay_once(ctx) == 1  # created: 200
    assert await relay_once(ctx) == 1  # closed: 200
    clock.advance(seconds=601)
    assert await relay_once(ctx) == 0
    assert len(fake.calls) == 4
    assert [(b["kind"], b["event"]["case_no"]) for b in fake.accepted] == [
        ("event.created", event["case_no"]),
        ("event.closed", event["case_no"]),
    ]
    assert fake.accepted[1]["event"]["status"] == "closed"
    assert len({b["id"] for b in fake.calls}) == 2  # a retry carries the same id


async def test_a_rolled_back_report_sends_nothing(api: Any, app: Any) -> None:
    from backend.citylink.service import relay_once

    fake = FakeCity()
    ctx = city_of(app, fake)
    # Outside the district: the report fails inside its transaction.
    r = await api.post(
        "grid001",
        "/events",
        {"category_code": "garbage_exposed", "description": "x", "location": {"lat": 1, "lng": 1}},
    )
    assert r.status_code == 422
    assert await relay_once(ctx) == 0 and fake.calls == []
    await report(api)
    assert await relay_once(ctx) == 1


def signed(body: bytes, ts: int, secret: str = INBOUND) -> dict[str, str]:
    sig = hmac.new(secret.encode(), str(ts).encode() + b"." + body, hashlib.sha256).hexdigest()
    return {
        "X-Chengyun-Timestamp": str(ts),
        "X-Chengyun-Signature": sig,
        "Content-Type": "application/json",
    }


async def test_inbound_case_is_signed_fresh_and_idempotent(
    api: Any, app: Any, client: Any, clock: Any
) -> None:
    from backend.citylink.service import relay_once

    fake = FakeCity()
    ctx = city_of(app, fake)
    case = {
        "city_case_id": "WH-2026-000123",
        "category_code": "garbage_exposed",
        "description": "市热线转办：垃圾未清运",
        "location": {**grid_point(1), "address": "珞喻路"},
    }
    body = json.dumps(case, ensure_ascii=False).encode()
    now = int(clock.now.timestamp())
    first = await client.post("/api/v1/city/cases", content=body, headers=signed(body, now))
    assert first.status_code == 201, first.text
    again = await client.post("/api/v1/city/cases", content=body, headers=signed(body, now + 5))
    assert again.status_code == 200
    assert again.json() == first.json()
    assert first.json()["status"] == "reported"
    event = (await api.get("district01", f"/events/{first.json()['event_id']}")).json()
    assert (event["source"], event["reporter"]["display_name"]) == ("city", "市城运中心")

    bad = await client.post(
        "/api/v1/city/cases", content=body, headers=signed(body, now, secret="wrong")
    )
    stale = await client.post("/api/v1/city/cases", content=body, headers=signed(body, now - 301))
    tampered = await client.post(
        "/api/v1/city/cases", content=body.replace(b"123", b"124"), headers=signed(body, now)
    )
    assert [bad.status_code, stale.status_code, tampered.status_code] == [401, 401, 401]
    # The city is not told about its own case.
    assert await relay_once(ctx) == 0 and fake.calls == []
    login = await client.post(
        "/api/v1/auth/login", json={"username": "city-link", "password": "chengyun-demo"}
    )
    assert login.status_code == 401


async def test_inbound_cases_switched_off_answer_404_not_503(app: Any, client: Any) -> None:
    """Not configured is not "unavailable": 503 would have the city platform retry forever."""
    app.state["ctx"].settings = app.state["ctx"].settings.with_overrides(city_inbound_secret=None)
    r = await client.post("/api/v1/city/cases", content=b"{}")
    assert r.status_code == 404, r.text
    assert r.json()["code"] == "not_found"
    assert "retry-after" not in r.headers


def test_every_503_problem_says_when_to_retry() -> None:
    from backend.errors import problem_response

    assert problem_response(503, "unavailable", "down").headers["Retry-After"] == "5"
    r = problem_response(503, "unavailable", "busy", headers={"Retry-After": "1"})
    assert r.headers["Retry-After"] == "1"


async def test_rows_a_dead_relay_claimed_go_again_when_the_set_lease_runs_out(
    api: Any, app: Any, clock: Any
) -> None:
    from backend.citylink.service import _claim, relay_once

    fake = FakeCity()
    ctx = city_of(app, fake)
    ctx.settings = ctx.settings.with_overrides(city_lease_seconds=15)
    await report(api)
    # A relay claims the row and dies before it sends (kill -9 between claim and record).
    assert len(await _claim(ctx, ctx.now())) == 1
    clock.advance(seconds=14)
    assert await relay_once(ctx) == 0 and fake.calls == []  # still leased
    clock.advance(seconds=2)
    assert await relay_once(ctx) == 1  # CHENGYUN_CITY_LEASE_SECONDS, not a fixed minute
