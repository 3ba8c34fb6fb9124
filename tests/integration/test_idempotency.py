"""Idempotency-Key on POST /events and POST /events/{id}/actions (API.md, Conventions)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from backend.db.base import utcnow
from backend.db.models import Event, IdempotencyRecord
from tests.integration.demo import grid_point
from tests.integration.flows import drive_to


def _body(**extra: Any) -> dict[str, Any]:
    return {
        "category_code": "garbage_exposed",
        "description": "垃圾桶满溢",
        "location": {**grid_point(1), "address": "洪山区"},
        **extra,
    }


async def _event_count(app: Any) -> int:
    async with app.state["ctx"].db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Event)) or 0)


async def test_repeat_replays_the_first_answer_and_creates_one_event(api, app) -> None:
    headers = {"Idempotency-Key": "report-1"}
    first = await api.post("grid001", "/events", _body(), headers=headers)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = await api.post("grid001", "/events", _body(), headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.content == first.content
    assert await _event_count(app) == 1


async def test_same_key_other_body_is_422(api, app) -> None:
    headers = {"Idempotency-Key": "report-2"}
    assert (await api.post("grid001", "/events", _body(), headers=headers)).status_code == 201
    r = await api.post("grid001", "/events", _body(grade=2), headers=headers)
    assert r.status_code == 422
    assert r.json()["code"] == "idempotency_conflict"
    assert await _event_count(app) == 1


async def test_keys_are_scoped_to_the_caller(api, app) -> None:
    headers = {"Idempotency-Key": "shared-key"}
    a = await api.post("grid001", "/events", _body(), headers=headers)
    b = await api.post("grid002", "/events", _body(location={**grid_point(2)}), headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    assert await _event_count(app) == 2


@pytest.mark.pg_only
async def test_a_repeat_while_the_first_runs_is_409(api, app) -> None:
    import msgspec

    from backend.idempotency.service import LOCK_CLASS, claim_lock_key

    me = (await api.get("grid001", "/me")).json()
    # The first request's transaction holds the claim's advisory lock while it works.
    async with app.state["ctx"].db.engine.connect() as first:
        await first.execute(
            select(func.pg_advisory_xact_lock(LOCK_CLASS, claim_lock_key(me["id"], "busy")))
        )
        r = await api.post("grid001", "/events", _body(), headers={"Idempotency-Key": "busy"})
        assert r.status_code == 409
        assert r.json()["code"] == "idempotency_in_flight"
        assert r.headers["retry-after"] == "1"
        await first.rollback()
    assert await _event_count(app) == 0
    r = await api.post("grid001", "/events", _body(), headers={"Idempotency-Key": "busy"})
    assert r.status_code == 201, msgspec.json.decode(r.content)


async def test_a_committed_in_flight_claim_is_taken_over_at_once(api, app) -> None:
    """A claim committed before the work (as a release before this one did) belongs to a
    request that died: a retry must not wait for it to age, even one second."""
    import msgspec

    from backend.idempotency.service import _request_hash

    me = (await api.get("grid001", "/me")).json()
    async with app.state["ctx"].db.sessions() as s:
        s.add(
            IdempotencyRecord(
                user_id=me["id"],
                key="crashed",
                request_hash=_request_hash("POST /events", msgspec.json.encode(_body())),
                claim="dead-process",
                state="in_flight",
                created_at=utcnow(),
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        await s.commit()
    r = await api.post("grid001", "/events", _body(), headers={"Idempotency-Key": "crashed"})
    assert r.status_code == 201, r.text
    assert await _event_count(app) == 1
    again = await api.post("grid001", "/events", _body(), headers={"Idempotency-Key": "crashed"})
    assert again.headers["idempotent-replayed"] == "true"
    assert await _event_count(app) == 1


async def test_a_failed_request_releases_its_key(api, app) -> None:
    headers = {"Idempotency-Key": "fix-and-retry"}
    outside = _body(location={"lat": 31.9, "lng": 118.8})
    r = await api.post("grid001", "/events", outside, headers=headers)
    assert r.status_code == 422 and r.json()["code"] == "out_of_district"
    r = await api.post("grid001", "/events", _body(), headers=headers)
    assert r.status_code == 201
    assert await _event_count(app) == 1


@pytest.mark.parametrize("key", ["", "has space", "x" * 256, "中文".encode()])
async def test_invalid_keys_are_400(api, key: str | bytes) -> None:
    r = await api.post("grid001", "/events", _body(), headers={"Idempotency-Key": key})
    assert r.status_code == 400
    assert r.json()["code"] == "validation_failed"


async def test_a_retried_action_applies_once(api) -> None:
    event = await drive_to(api, "reported")
    headers = {"Idempotency-Key": "accept-once"}
    body = {"action": "supervise", "note": "督办"}
    first = await api.post("street01a", f"/events/{event['id']}/actions", body, headers=headers)
    again = await api.post("street01a", f"/events/{event['id']}/actions", body, headers=headers)
    assert first.status_code == again.status_code == 200
    assert again.headers["idempotent-replayed"] == "true"
    now = (await api.get("street01a", f"/events/{event['id']}")).json()
    assert now["version"] == event["version"] + 1
    assert now["supervision_count"] == 1


@pytest.mark.pg_only
async def test_200_concurrent_posts_with_one_key_create_one_event(api, app) -> None:
    headers = {"Idempotency-Key": "storm"}
    await api.token("grid001")

    async def client_that_retries() -> Any:
        # What the mobile app does: a 409 in-flight answer means "ask again".
        for _ in range(500):
            r = await api.post("grid001", "/events", _body(), headers=headers)
            if r.status_code != 409:
                return r
            await asyncio.sleep(0)
        raise AssertionError("still in flight after 500 tries")

    answers = await asyncio.gather(*(client_that_retries() for _ in range(200)))
    assert {r.status_code for r in answers} == {201}
    assert len({r.content for r in answers}) == 1
    assert sum(1 for r in answers if "idempotent-replayed" not in r.headers) == 1
    assert await _event_count(app) == 1
