"""Rooms through real sockets: live fan-out, idempotent send, replay with no seam,
slow consumers, shutdown, keepalive, and two servers sharing rooms through Redis."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import socket
from typing import Any

import pytest

from backend.settings import Settings
from tests.conftest import REDIS_URL, serving
from tests.integration.rooms_helpers import make_room, me, send_http
from tests.integration.wsclient import WS, connect


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(ws_send_rate=10_000.0, ws_send_burst=10_000, ws_queue_max=16)


async def _subscribed(url: str, token: str, room: str, since: int | None = None) -> WS:
    ws = await connect(url, token)
    frame: dict[str, Any] = {"op": "subscribe", "room_id": room}
    if since is not None:
        frame["since_seq"] = since
    await ws.send(**frame)
    await ws.expect("subscribed", room_id=room)
    return ws


async def _send(ws: WS, room: str, cid: str, text: str) -> int:
    await ws.send(op="send", room_id=room, client_msg_id=cid, kind="text", text=text)
    return (await ws.expect("sent", client_msg_id=cid))["seq"]  # type: ignore[no-any-return]


async def test_a_message_reaches_members_once_and_a_resend_gives_the_same_seq(live: Any) -> None:
    api = live.api
    room = await make_room(api)
    dept = await _subscribed(live.ws_url, await api.token("dept01a"), room)
    street = await _subscribed(live.ws_url, await api.token("street01a"), room)
    hub = live.app.state["ctx"].rooms.hub
    # Served by uvicorn through Litestar's wrappers: fan-out writes to idle sockets directly.
    assert [c.eager for cs in hub.users.values() for c in cs] == [True, True]
    assert await _send(street, room, "m-1", "桥下积水约30厘米") == 1
    frame = await dept.expect("message", room_id=room)
    msg = frame["message"]
    assert (msg["seq"], msg["kind"], msg["text"], msg["client_msg_id"]) == (
        1,
        "text",
        "桥下积水约30厘米",
        "m-1",
    )
    assert msg["sender"]["user_id"] == await me(api, "street01a")
    assert await _send(street, room, "m-1", "桥下积水约30厘米") == 1  # resend: same seq
    r = await send_http(api, "street01a", room, "桥下积水约30厘米", "m-1")
    assert (r.status_code, r.json()["seq"]) == (200, 1)
    r = await send_http(
        api,
        "dept01a",
        room,
        "收到，马上到",
        "h-1",
    )
    assert (r.status_code, r.json()["seq"]) == (201, 2)
    headers = {"Idempotency-Key": "k-77"}
    body = {"client_msg_id": "h-2", "kind": "text", "text": "已到场"}
    first = await api.post("dept01a", f"/rooms/{room}/messages", body, headers=headers)
    again = await api.post("dept01a", f"/rooms/{room}/messages", body, headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert await dept.messages(room, 2) == [2, 3]
    await dept.send(op="ping")
    await dept.expect("pong")
    assert [f["message"]["seq"] for f in dept.seen if f["op"] == "message"] == [1, 2, 3]
    r = await api.get("district01", f"/rooms/{room}/messages")
    assert [m["seq"] for m in r.json()["items"]] == [1, 2, 3]
    r = await api.get("district01", f"/rooms/{room}/messages", params={"after_seq": 1, "limit": 1})
    assert ([m["seq"] for m in r.json()["items"]], r.json()["next_cursor"]) == ([2], "2")
    for ws in (dept, street):
        await ws.close()


async def test_reconnect_with_last_seq_gets_all_500_in_order_exactly_once(live: Any) -> None:
    api = live.api
    room = await make_room(api)
    sender = await _subscribed(live.ws_url, await api.token("street01a"), room)
    token = await api.token("dept01a")
    reader = await _subscribed(live.ws_url, token, room)
    assert await _send(sender, room, "first", "开始") == 1
    assert await reader.messages(room, 1) == [1]
    await reader.close()  # cut off

    async def send_all() -> None:
        for i in range(2, 502):
            await sender.send(
                op="send", room_id=room, client_msg_id=f"n{i}", kind="text", text=f"第{i}条"
            )

    sending = asyncio.create_task(send_all())
    for _ in range(150):  # let a good part go by while it is away
        await sender.expect("sent", timeout=10)
    reader = await _subscribed(live.ws_url, token, room, since=1)  # mid-stream: the seam
    seqs = await reader.messages(room, 500, timeout=60)
    await sending
    await sender.expect("sent", timeout=60, client_msg_id="n501")
    await reader.send(op="ping")
    await reader.expect("pong")
    seqs += [f["message"]["seq"] for f in reader.seen[-1:] if f["op"] == "message"]
    assert seqs == list(range(2, 502))
    assert sum(1 for f in reader.seen if f["op"] == "message") == 500
    await reader.close()
    await sender.close()


async def test_a_client_at_the_head_or_live_only_gets_the_head_and_then_only_new(
    live: Any,
) -> None:
    api = live.api
    room = await make_room(api)
    sender = await _subscribed(live.ws_url, await api.token("street01a"), room)
    for n in (1, 2, 3):
        assert await _send(sender, room, f"h{n}", f"第{n}条") == n
    token = await api.token("dept01a")
    last = 3
    for since in (3, None):  # already has everything / wants only what comes next
        ws = await connect(live.ws_url, token)
        frame: dict[str, Any] = {"op": "subscribe", "room_id": room}
        if since is not None:
            frame["since_seq"] = since
        await ws.send(**frame)
        head = await ws.expect("subscribed", room_id=room)
        assert (head["last_seq"], head["recovered"]) == (last, True)
        seq = await _send(sender, room, f"next-{since}", "之后")
        assert seq == last + 1
        assert await ws.messages(room, 1) == [seq]
        last = seq
        assert [f["message"]["seq"] for f in ws.seen if f["op"] == "message"] == [seq]
        await ws.close()
    await sender.close()


async def test_a_socket_whose_send_failed_is_still_cleaned_up_when_the_client_leaves(
    live: Any,
) -> None:
    api = live.api
    room = await make_room(api)
    sender = await _subscribed(live.ws_url, await api.token("street01a"), room)
    leaving = await _subscribed(live.ws_url, await api.token("dept01a"), room)
    hub = live.app.state["ctx"].rooms.hub
    gone_id = await me(api, "dept01a")
    (conn,) = hub.users[gone_id]

    async def lost(message: dict[str, Any]) -> None:
        raise OSError("connection reset")  # fan-out notices the client is gone first

    conn._direct = lost
    assert await _send(sender, room, "g1", "有人掉线") == 1
    assert conn.closed and conn.close_code is None
    await leaving.close()
    async with asyncio.timeout(10):  # its handler ends (it used to wait here forever)
        await conn.done.wait()
    assert gone_id not in hub.users
    await sender.close()


async def test_missing_more_than_the_replay_limit_says_not_recovered(live: Any, app: Any) -> None:
    api = live.api
    room = await make_room(api)
    sender = await _subscribed(live.ws_url, await api.token("street01a"), room)
    for i in range(3):
        await _send(sender, room, f"x{i}", "x")
    ws = await connect(live.ws_url, await api.token("dept01a"))
    await ws.send(op="subscribe", room_id=room, since_seq=0)
    sub = await ws.expect("subscribed")
    assert (sub["last_seq"], sub["recovered"]) == (3, True)
    assert await ws.messages(room, 3) == [1, 2, 3]
    await ws.close()
    await sender.close()


def _frame(text: str) -> bytes:
    """A masked client text frame (RFC 6455)."""
    data = text.encode()
    mask = os.urandom(4)
    n = len(data)
    head = bytes([0x81]) + (
        bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + n.to_bytes(2, "big")
    )
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data))


def _read_frame(sock: socket.socket) -> tuple[int, bytes]:
    def exact(n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = sock.recv(n - len(buf))
            if not chunk:
                raise EOFError
            buf += chunk
        return buf

    b0, b1 = exact(2)
    n = b1 & 0x7F
    if n == 126:
        n = int.from_bytes(exact(2), "big")
    elif n == 127:
        n = int.from_bytes(exact(8), "big")
    return b0 & 0x0F, exact(n)


def _raw_client(port: int, token: str, room: str) -> socket.socket:
    """A client that stops reading: a small receive buffer and no library buffering."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        "Sec-WebSocket-Version: 13\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)
    assert b" 101 " in head
    sock.sendall(_frame(json.dumps({"op": "auth", "token": token})))
    sock.sendall(_frame(json.dumps({"op": "subscribe", "room_id": room})))
    while True:
        _, payload = _read_frame(sock)
        if json.loads(payload)["op"] == "subscribed":
            return sock


def _close_code(sock: socket.socket) -> int:
    while True:
        opcode, payload = _read_frame(sock)
        if opcode == 8:
            return int.from_bytes(payload[:2], "big")


async def test_a_slow_consumer_is_closed_4008_while_the_others_keep_receiving(live: Any) -> None:
    api = live.api
    room = await make_room(api, members=("street01a", "dept01a", "dept01b"))
    port = int(live.ws_url.rsplit(":", 1)[1])
    token = await api.token("dept01b")
    slow = await asyncio.to_thread(_raw_client, port, token, room)
    # From here the slow client reads nothing until the end.
    fast = await _subscribed(live.ws_url, await api.token("dept01a"), room)
    # Not subscribed: it gets only its small `sent` frames, which it does not read here.
    sender = await connect(live.ws_url, await api.token("street01a"))
    big = "𝄞" * 3900  # 15.6 KB a frame: fills the kernel's buffers in a few hundred
    hub = live.app.state["ctx"].rooms.hub
    slow_id = await me(api, "dept01b")
    n = 0
    got: list[int] = []
    while slow_id in hub.users:
        assert n < 5000, "the slow consumer was never closed"
        for _ in range(50):  # pipelined: the fast member reads all the while
            n += 1
            await sender.send(op="send", room_id=room, client_msg_id=f"b{n}", kind="text", text=big)
        got += await fast.messages(room, 50, timeout=20)
    n += 1
    await sender.send(op="send", room_id=room, client_msg_id=f"b{n}", kind="text", text="之后")
    got += await fast.messages(room, 1, timeout=30)
    assert got == list(range(1, n + 1))
    slow.settimeout(30)
    assert await asyncio.to_thread(_close_code, slow) == 4008
    slow.close()
    await fast.close()
    await sender.close()


async def test_shutdown_closes_sockets_with_1001(app: Any) -> None:
    import httpx

    from tests.conftest import Api

    async with serving(app) as url:
        async with httpx.AsyncClient(base_url=url.replace("ws://", "http://")) as c:
            token = await Api(client=c, tokens={}).token("street01a")
        ws = await connect(url, token)
        closing = asyncio.create_task(ws.closed_with())
    assert await closing == 1001


@pytest.mark.parametrize("overrides", [{"ws_ping_seconds": 0.2, "ws_idle_seconds": 0.7}])
async def test_server_pings_and_closes_a_silent_socket(app: Any, overrides: dict[str, Any]) -> None:
    import httpx

    from tests.conftest import Api

    ctx = app.state["ctx"]
    ctx.settings = ctx.settings.with_overrides(**overrides)
    async with serving(app) as url:
        async with httpx.AsyncClient(base_url=url.replace("ws://", "http://")) as c:
            token = await Api(client=c, tokens={}).token("street01a")
        ws = await connect(url, token)
        await ws.expect("ping", timeout=5)
        assert await ws.closed_with(timeout=5) == 4000


async def _start_server_process(settings: Settings) -> tuple[Any, str]:
    """``chengyun serve`` in its own OS process, sharing the test's database and Redis."""
    import subprocess
    import sys

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {
        **os.environ,
        "CHENGYUN_ENV": "test",
        "CHENGYUN_DATABASE_URL": settings.database_url,
        "CHENGYUN_DATA_DIR": str(settings.data_dir),
        "CHENGYUN_REDIS_URL": str(REDIS_URL),
        "CHENGYUN_SECRET_KEY": settings.secret_key,
        "CHENGYUN_SCHEDULER": "off",
        "CHENGYUN_PUSH_SENDER": "memory",
        "CHENGYUN_PASSWORD_PROFILE": "fast",
        "CHENGYUN_LOG_LEVEL": "WARNING",
    }
    code = "import sys; from backend.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.Popen(  # noqa: ASYNC220, S603 - our own interpreter and CLI
        [sys.executable, "-c", code, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base) as c, asyncio.timeout(60):
        while True:  # poll readiness (the process imports and builds its app first)
            assert proc.poll() is None, "the server process exited"
            try:
                if (await c.get("/api/v1/health/ready")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    return proc, f"ws://127.0.0.1:{port}"


@pytest.mark.skipif(not REDIS_URL, reason="needs CHENGYUN_TEST_REDIS_URL")
async def test_two_server_processes_on_redis_share_a_room_and_sigterm_closes_1001(
    settings: Settings,
) -> None:
    import signal

    import httpx

    from tests.conftest import Api

    procs: list[Any] = []
    try:
        for _ in range(2):
            procs.append(await _start_server_process(settings))
        (one, url1), (_, url2) = procs
        async with httpx.AsyncClient(base_url=url1.replace("ws://", "http://")) as c:
            api = Api(client=c, tokens={})
            room = await make_room(api)
            on_two = await _subscribed(url2, await api.token("dept01a"), room)
            on_one = await _subscribed(url1, await api.token("street01a"), room)
            assert await _send(on_one, room, "p1", "一号进程发出") == 1
            frame = await on_two.expect("message", room_id=room)
            assert frame["message"]["text"] == "一号进程发出"
            await on_two.send(op="send", room_id=room, client_msg_id="p2", kind="text", text="二")
            # The sender's own copy may come before or after its "sent" (a process delivers
            # to its own sockets without a Redis round trip).
            early = [f["message"]["seq"] for f in on_one.seen if f["op"] == "message"]
            assert early + await on_one.messages(room, 2 - len(early)) == [1, 2]
            # Presence spans the processes: each announces its own members on the channel.
            # (Frames the waits above skipped count: on a slow box the debounced presence
            # can arrive while the messages are awaited.)
            seen = [f for f in on_one.seen if f["op"] == "presence"]
            presence = seen[-1] if seen else await on_one.expect("presence", timeout=5)
            while len(presence["online"]) < 2:
                presence = await on_one.expect("presence", timeout=5)
            assert set(presence["online"]) == {await me(api, "dept01a"), await me(api, "street01a")}
            one.send_signal(signal.SIGTERM)
            assert await on_one.closed_with(timeout=15) == 1001
            await asyncio.to_thread(one.wait, 15)
            # The other process goes on serving the room.
            await on_two.send(op="send", room_id=room, client_msg_id="p3", kind="text", text="三")
            assert (await on_two.expect("sent", client_msg_id="p3"))["seq"] == 3
            await on_two.close()
    finally:
        for proc, _ in procs:
            if proc.poll() is None:
                proc.kill()
            await asyncio.to_thread(proc.wait, 15)
