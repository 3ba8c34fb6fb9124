"""Hostile transport: oversized headers, bodies that trickle in, and WebSocket frames no
fuzzer sends. Each gets a 4xx (or an error frame, or a close code), never a 500 or a
crashed socket."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import websockets

from backend.settings import Settings
from tests.integration.test_problems import assert_problem, valid_event
from tests.integration.wsclient import connect

BIG = "a" * 100_000


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(body_idle_seconds=0.3)


class Ticks:
    """A monotonic clock the request body itself moves, so the rate rule is exact."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticks(app: Any) -> Ticks:
    clock = Ticks()
    app.state["ctx"].request_limits.clock = clock
    return clock


async def test_100_kb_of_headers_answer_431(api: Any) -> None:
    r = await api.client.get("/api/v1/health/live", headers={"X-Padding": BIG})
    assert_problem(r, 431, "headers_too_large")
    many = {f"X-H{i}": "b" * 100 for i in range(1000)}
    r = await api.client.get("/api/v1/health/live", headers=many)
    assert_problem(r, 431, "headers_too_large")
    r = await api.client.get("/api/v1/health/live", headers={"X-Padding": "a" * 1000})
    assert r.status_code == 200


async def test_a_real_server_refuses_big_headers_on_http_and_websocket(live: Any) -> None:
    r = await live.api.client.get("/api/v1/health/live", headers={"X-Padding": BIG})
    assert_problem(r, 431, "headers_too_large")
    with pytest.raises(websockets.InvalidStatus):
        await websockets.connect(f"{live.ws_url}/api/v1/ws", additional_headers={"X-Padding": BIG})
    ws = await connect(live.ws_url, await live.api.token("street01a"))  # the limit only
    await ws.close()


async def _stalled(first: bytes, stop: asyncio.Event) -> AsyncIterator[bytes]:
    yield first
    await stop.wait()  # the client goes quiet mid-body
    yield b"}"


async def test_a_body_that_stops_arriving_answers_408(api: Any) -> None:
    stop = asyncio.Event()
    headers = await api.headers("grid001", **{"Content-Type": "application/json"})
    r = await api.client.post(
        "/api/v1/events", content=_stalled(b'{"description": "x"', stop), headers=headers
    )
    stop.set()
    assert_problem(r, 408, "request_timeout")
    assert (await api.get("grid001", "/events")).json()["items"] == []


async def _paced(raw: bytes, ticks: Ticks, chunk: int, seconds: float) -> AsyncIterator[bytes]:
    for i in range(0, len(raw), chunk):
        yield raw[i : i + chunk]
        ticks.now += seconds


async def test_a_trickling_body_answers_408_and_an_honest_slow_one_passes(
    api: Any, ticks: Ticks
) -> None:
    headers = await api.headers("grid001", **{"Content-Type": "application/json"})
    raw = json.dumps(valid_event(description="路边垃圾" * 100), ensure_ascii=False).encode()
    # 3 bytes every 5 s: far below any real network, past the 10 s grace.
    r = await api.client.post("/api/v1/events", content=_paced(raw, ticks, 3, 5), headers=headers)
    assert_problem(r, 408, "request_timeout")
    # 256 bytes a second (a bad 2G link): 1.6 KB over 6 s, inside the grace and the rate.
    r = await api.client.post("/api/v1/events", content=_paced(raw, ticks, 256, 1), headers=headers)
    assert r.status_code == 201, r.text


async def test_hostile_websocket_frames_get_error_frames_and_the_socket_stays(live: Any) -> None:
    ws = await connect(live.ws_url, await live.api.token("street01a"))
    frames: list[str | bytes] = [
        '{"x":' + "[" * 30_000 + "]" * 30_000 + ',"op":"ping"}',  # under 64 KiB, very deep
        "[" * 30_000 + "]" * 30_000,
        '{"op": "read", "room_id": "r", "seq": NaN}',
        '{"op": "read", "room_id": "r", "seq": 100000000000000000000000}',
        '{"op": "read", "room_id": "r", "seq": 1e400}',
        b'{"op": "typing", "room_id": "\xff"}',
        '{"op": "typing", "room_id": "a\\u0000"}',
        '\ufeff{"op": "ping"}',
    ]
    for raw in frames:
        await ws.conn.send(raw)
        err = await ws.expect("error")
        assert err["code"] == "bad_frame", raw[:40]
    await ws.send(op="ping")
    await ws.expect("pong")
    await ws.close()


async def test_a_hostile_first_frame_closes_4001(live: Any) -> None:
    for raw in ("[" * 30_000 + "]" * 30_000, '{"op": "auth", "token": "\\u0000"}', b"\xff"):
        ws = await connect(live.ws_url)
        await ws.conn.send(raw)
        assert await ws.closed_with() == 4001
