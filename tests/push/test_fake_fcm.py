"""The fake FCM itself: it must behave like FCM for the tests built on it to mean much."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from push.fake_fcm import FakeFcm, FakeReply

AUTH = {"authorization": "Bearer fake-fcm-access-token"}


@pytest.mark.parametrize("http1", [True, False], ids=["http1.1", "h2c"])
async def test_answers_over_http1_and_http2(fake_fcm: FakeFcm, http1: bool) -> None:
    fake_fcm.script("t", FakeReply.quota_exceeded(retry_after=45))
    body = {"message": {"token": "t", "data": {"a": "b"}}}
    async with httpx.AsyncClient(http1=http1, http2=True) as client:
        first = await client.post(fake_fcm.send_url, json=body, headers=AUTH)
        second = await client.post(fake_fcm.send_url, json=body, headers=AUTH)

    assert first.http_version == ("HTTP/1.1" if http1 else "HTTP/2")
    assert (first.status_code, first.headers["retry-after"]) == (429, "45")
    assert first.json()["error"]["details"][0]["errorCode"] == "QUOTA_EXCEEDED"
    assert (second.status_code, second.json()) == (
        200,
        {"name": "projects/chengyun-test/messages/1"},
    )
    assert len(fake_fcm.requests) == 2


async def test_many_concurrent_streams_on_one_connection(fake_fcm: FakeFcm) -> None:
    body = {"message": {"token": "t"}}
    async with httpx.AsyncClient(http1=False, http2=True) as client:
        responses = await asyncio.gather(
            *(client.post(fake_fcm.send_url, json=body, headers=AUTH) for _ in range(300))
        )
    assert [r.status_code for r in responses] == [200] * 300
    assert len({r.json()["name"] for r in responses}) == 300


async def test_rejects_like_fcm(fake_fcm: FakeFcm) -> None:
    async with httpx.AsyncClient() as client:
        no_auth = await client.post(fake_fcm.send_url, json={"message": {"token": "t"}})
        wrong_path = await client.post(fake_fcm.base_url + "/v1/projects/other/messages:send")
        numbers = await client.post(
            fake_fcm.send_url, json={"message": {"token": "t", "data": {"n": 1}}}, headers=AUTH
        )
        two_targets = await client.post(
            fake_fcm.send_url, json={"message": {"token": "t", "topic": "x"}}, headers=AUTH
        )

    assert no_auth.status_code == 401
    assert wrong_path.status_code == 404
    assert numbers.status_code == 400
    assert numbers.json()["error"]["details"][1]["fieldViolations"][0]["field"] == (
        "message.data[0].value"
    )
    assert two_targets.status_code == 400


async def test_always_and_clear(fake_fcm: FakeFcm) -> None:
    fake_fcm.always("dead", FakeReply.unregistered())
    body = {"message": {"token": "dead"}}
    async with httpx.AsyncClient() as client:
        codes = [(await client.post(fake_fcm.send_url, json=body, headers=AUTH)).status_code]
        codes.append((await client.post(fake_fcm.send_url, json=body, headers=AUTH)).status_code)
        fake_fcm.clear()
        codes.append((await client.post(fake_fcm.send_url, json=body, headers=AUTH)).status_code)

    assert codes == [404, 404, 200]
    assert len(fake_fcm.requests_for("dead")) == 1


def test_start_twice_is_an_error() -> None:
    with FakeFcm() as fake, pytest.raises(RuntimeError, match="already started"):
        fake.start()
