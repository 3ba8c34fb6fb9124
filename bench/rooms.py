"""Room fan-out: our WebSocket rooms beside a bare ``websockets`` broadcast server.

For rooms of 1,000 and 5,000 connected members (one run): delivered frames per second at
saturation, p50/p99 delivery latency at half of our saturation rate, memory per idle
connection (server RSS delta / connections), and the others' p99 with one member that
never reads. Servers and clients run in separate processes (multiprocessing children) on
loopback; the clients use the ``websockets`` asyncio client, many connections in one
process. Bounded: a fixed number of messages per phase, a timeout on every wait.

    .venv/bin/python bench/rooms.py [--sizes 1000,5000] [--frames 200000]

Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import re
import resource
import socket
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

TS = re.compile(r'"text":"T([0-9.]+)\|')
PAD = "x" * 80
CONNECT_CONCURRENCY = 100
# Sender sockets, round-robin: a socket's frames are handled one after another (each send
# is a committed row), so one socket would measure its round trip, not the fan-out.
SENDERS = 4
PHASE_TIMEOUT = 90.0


def _raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


# -- servers ---------------------------------------------------------------------------
def _settings(data_dir: str) -> Any:
    from backend.settings import Settings

    return Settings(
        env="development",
        data_dir=Path(data_dir),
        scheduler_enabled=False,
        push_sender="memory",
        password_profile="fast",
        log_level="WARNING",
        # The sender is one user sending fast: lift the per-user token bucket.
        ws_send_rate=1e6,
        ws_send_burst=1_000_000,
        # The bench's clients do not answer the app's ping frames: no idle closes.
        ws_ping_seconds=3600.0,
        ws_idle_seconds=7200.0,
    )


def serve_ours(port: int, data_dir: str) -> None:
    import uvicorn

    from backend.app import create_app

    _raise_nofile()
    app = create_app(_settings(data_dir))
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=1024 * 1024,
        log_config=None,
        log_level="warning",
        access_log=False,
        backlog=4096,
    )
    uvicorn.Server(config).run()


def serve_bare(port: int, template: str | None) -> None:
    """The same frames, broadcast by ``websockets`` itself: no auth, no database.

    ``template`` is a ``message`` frame our server delivered in its own run: the bare
    server sends that frame with the seq, id and text of each new message, so both
    servers compress and write the same bytes per member."""
    import uvloop
    from websockets.asyncio.server import broadcast, serve
    from websockets.exceptions import ConnectionClosed

    _raise_nofile()
    members: set[Any] = set()
    seq = 0
    shape = json.loads(template)["message"] if template else {"kind": "text"}

    async def handler(ws: Any) -> None:
        nonlocal seq
        try:
            async for raw in ws:
                frame = json.loads(raw)
                if frame["op"] == "subscribe":
                    members.add(ws)
                    await ws.send(json.dumps({"op": "subscribed", "room_id": frame["room_id"]}))
                elif frame["op"] == "send":
                    seq += 1
                    message = {**shape, "seq": seq, "id": uuid.uuid4().hex, "text": frame["text"]}
                    message["client_msg_id"] = frame.get("client_msg_id")
                    out = {"op": "message", "room_id": frame["room_id"], "message": message}
                    broadcast(members, json.dumps(out, ensure_ascii=False, separators=(",", ":")))
                    await ws.send(json.dumps({"op": "sent", "seq": seq}))
        except ConnectionClosed:
            pass
        finally:
            members.discard(ws)

    async def main() -> None:
        async with serve(handler, "127.0.0.1", port, max_size=1024 * 1024, backlog=4096):
            await asyncio.Future()

    uvloop.run(main())


# -- clients ---------------------------------------------------------------------------
class Receivers:
    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.count = 0
        self.want = 0
        self.done = asyncio.Event()
        self.sample: str | None = None  # one delivered message frame, as it came

    def reset(self, want: int) -> None:
        self.latencies, self.count, self.want = [], 0, want
        self.done.clear()


async def _open(url: str, token: str | None, room: str, stats: Receivers | None) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(url, max_size=None, open_timeout=60, ping_interval=None, max_queue=4)
    if token is not None:
        await ws.send(json.dumps({"op": "auth", "token": token}))
        while json.loads(await ws.recv())["op"] != "ready":
            pass
    await ws.send(json.dumps({"op": "subscribe", "room_id": room}))
    while json.loads(await ws.recv())["op"] != "subscribed":
        pass
    if stats is not None:
        asyncio.get_running_loop().create_task(_read(ws, stats))
    return ws


async def _read(ws: Any, stats: Receivers) -> None:
    try:
        async for raw in ws:
            m = TS.search(raw)
            if m is not None:
                if stats.sample is None:
                    stats.sample = raw
                stats.latencies.append(time.monotonic() - float(m.group(1)))
                stats.count += 1
                if stats.count >= stats.want:
                    stats.done.set()
    except Exception:  # noqa: BLE001, S110 - a closed socket ends its reader
        pass


async def _sender(url: str, token: str | None) -> Any:
    from websockets.asyncio.client import connect

    ws = await connect(url, max_size=None, ping_interval=None)
    if token is not None:
        await ws.send(json.dumps({"op": "auth", "token": token}))
        while json.loads(await ws.recv())["op"] != "ready":
            pass

    async def drain() -> None:
        try:
            async for _ in ws:
                pass
        except Exception:  # noqa: BLE001, S110
            pass

    asyncio.get_running_loop().create_task(drain())
    return ws


def _frame(room: str, n: int) -> str:
    text = f"T{time.monotonic():.6f}|{PAD}"
    return json.dumps(
        {"op": "send", "room_id": room, "client_msg_id": f"b{n}", "kind": "text", "text": text}
    )


async def _phase(
    senders: list[Any], stats: Receivers, room: str, messages: int, members: int, rate: float | None
) -> dict[str, float]:
    stats.reset(messages * members)
    start = time.monotonic()
    for n in range(messages):
        if rate is not None:
            delay = start + n / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
        await senders[n % len(senders)].send(_frame(room, n + int(start * 1000) * 1000))
    want = messages * members
    try:
        await asyncio.wait_for(stats.done.wait(), PHASE_TIMEOUT)
    except TimeoutError:
        pass  # reported as frames not delivered
    elapsed = time.monotonic() - start
    lat = sorted(stats.latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else float("nan")

    return {
        "delivered": stats.count,
        "wanted": want,
        "seconds": elapsed,
        "frames_per_s": stats.count / elapsed,
        "msgs_per_s": messages / elapsed,
        "p50_ms": pct(0.50),
        "p99_ms": pct(0.99),
        "sample": stats.sample,
    }


def run_clients(conn: Any, url: str, tokens: list[str] | None, room: str, members: int) -> None:
    """Child process: opens the members, then runs the phases the parent asks for."""
    import uvloop

    _raise_nofile()

    async def main() -> None:
        stats = Receivers()
        sem = asyncio.Semaphore(CONNECT_CONCURRENCY)

        async def one(i: int) -> Any:
            async with sem:
                token = tokens[1 + i % (len(tokens) - 1)] if tokens else None
                return await _open(url, token, room, stats)

        t0 = time.monotonic()
        socks = await asyncio.gather(*(one(i) for i in range(members)))
        senders = [await _sender(url, tokens[0] if tokens else None) for _ in range(SENDERS)]
        conn.send({"connected": len(socks), "seconds": time.monotonic() - t0})
        slow: Any = None
        while True:
            cmd = await asyncio.to_thread(conn.recv)
            match cmd["op"]:
                case "phase":
                    result = await _phase(
                        senders, stats, room, cmd["messages"], members, cmd.get("rate")
                    )
                    conn.send(result)
                case "slow":
                    # Subscribed, then never reads: its queue, then the kernel's, fill up.
                    token = tokens[1] if tokens else None
                    slow = await _open(url, token, room, None)
                    conn.send({"slow": True})
                case "stop":
                    for ws in [*socks, *senders, *([slow] if slow else [])]:
                        ws.transport.abort()
                    conn.send({"stopped": True})
                    return

    uvloop.run(main())


# -- the parent ------------------------------------------------------------------------
def _wait_port(port: int, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"nothing listens on {port}")


def _prepare_ours(data_dir: str) -> None:
    from backend.cli import _migrate, _seed

    settings = _settings(data_dir)
    _migrate(settings)
    asyncio.run(_seed(settings))


def _room_and_tokens(port: int) -> tuple[str, list[str]]:
    import httpx

    base = f"http://127.0.0.1:{port}/api/v1"
    with httpx.Client(base_url=base, timeout=30) as c:

        def login(user: str) -> str:
            r = c.post("/auth/login", json={"username": user, "password": "chengyun-demo"})
            r.raise_for_status()
            return str(r.json()["access_token"])

        tokens = {u: login(u) for u in ("district01", "street01a", "dept01a", "dept01b")}
        ids = [
            c.get("/me", headers={"Authorization": f"Bearer {tokens[u]}"}).json()["id"]
            for u in ("street01a", "dept01a", "dept01b")
        ]
        r = c.post(
            "/rooms",
            json={"title": "bench", "kind": "joint_operation", "member_user_ids": ids},
            headers={"Authorization": f"Bearer {tokens['district01']}"},
        )
        r.raise_for_status()
        # The sender first, then the members' users (connections share them round-robin).
        return str(r.json()["id"]), [tokens["street01a"], tokens["dept01a"], tokens["dept01b"]]


def _ask(parent: Any, clients: Any, cmd: dict[str, Any] | None, seconds: float = 400) -> Any:
    if cmd is not None:
        parent.send(cmd)
    deadline = time.monotonic() + seconds
    while not parent.poll(1):
        if not clients.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"clients gone or silent during {cmd}")
    return parent.recv()


def measure(
    kind: str,
    members: int,
    frames: int,
    data_dir: str,
    rate: float | None,
    template: str | None = None,
) -> dict:
    port = _free_port()
    ctx = mp.get_context("spawn")
    if kind == "ours":
        server = ctx.Process(target=serve_ours, args=(port, data_dir), daemon=True)
    else:
        server = ctx.Process(target=serve_bare, args=(port, template), daemon=True)
    server.start()
    _wait_port(port)
    room, tokens = _room_and_tokens(port) if kind == "ours" else ("bench", None)
    assert server.pid is not None
    rss0 = _rss_kib(server.pid)
    parent, child = ctx.Pipe()
    clients = ctx.Process(
        target=run_clients, args=(child, f"ws://127.0.0.1:{port}/api/v1/ws", tokens, room, members)
    )
    clients.start()
    out: dict[str, Any] = {"kind": kind, "members": members}
    try:
        out["connect"] = _ask(parent, clients, None)
        time.sleep(1.0)
        out["kib_per_conn"] = (_rss_kib(server.pid) - rss0) / members
        messages = max(10, frames // members)
        _ask(parent, clients, {"op": "phase", "messages": messages // 4})  # warm up
        out["burst"] = _ask(parent, clients, {"op": "phase", "messages": messages})
        half = rate if rate is not None else out["burst"]["msgs_per_s"] / 2
        out["half_rate"] = half
        out["paced"] = _ask(parent, clients, {"op": "phase", "messages": messages, "rate": half})
        if kind == "ours":
            _ask(parent, clients, {"op": "slow"})
            out["slow"] = _ask(parent, clients, {"op": "phase", "messages": messages, "rate": half})
        parent.send({"op": "stop"})
        parent.poll(30)
    finally:
        clients.join(30)
        if clients.is_alive():
            clients.kill()
        server.terminate()
        server.join(15)
        if server.is_alive():
            server.kill()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument(
        "--frames", type=int, default=100_000, help="frames per phase (messages x members)"
    )
    args = parser.parse_args()
    _raise_nofile()
    with tempfile.TemporaryDirectory(prefix="chengyun-bench-rooms-") as data_dir:
        _prepare_ours(data_dir)
        rows = []
        for members in (int(s) for s in args.sizes.split(",")):
            ours = measure("ours", members, args.frames, data_dir, None)
            # The bare server at our half rate too, so both latencies are at one load.
            # ... broadcasting the very frame ours delivered (same fields, same size).
            template = ours["burst"]["sample"]
            bare = measure("bare", members, args.frames, data_dir, ours["half_rate"], template)
            rows.append((ours, bare))
            print(json.dumps({"ours": ours, "bare": bare}), file=sys.stderr)
    print(f"\nrooms fan-out, {os.cpu_count()} cpus, loopback; clients in a separate process\n")
    head = (
        f"{'members':>7} {'server':>6} {'frames/s':>9} {'msgs/s':>7} {'ratio':>6} "
        f"{'rate':>6} {'p50 ms':>7} {'p99 ms':>7} {'slow p99':>8} {'KiB/conn':>8}"
    )
    print(head)
    print("-" * len(head))
    for ours, bare in rows:
        ratio = ours["burst"]["frames_per_s"] / bare["burst"]["frames_per_s"]
        for r, ratio_text in ((ours, f"{ratio:.2f}"), (bare, "1.00")):
            slow = f"{r['slow']['p99_ms']:.1f}" if "slow" in r else "-"
            lost = r["burst"]["wanted"] - r["burst"]["delivered"]
            print(
                f"{r['members']:>7} {r['kind']:>6} {r['burst']['frames_per_s']:>9.0f} "
                f"{r['burst']['msgs_per_s']:>7.1f} {ratio_text:>6} {r['half_rate']:>6.1f} "
                f"{r['paced']['p50_ms']:>7.1f} {r['paced']['p99_ms']:>7.1f} {slow:>8} "
                f"{r['kib_per_conn']:>8.1f}" + (f"  ({lost} frames not delivered)" if lost else "")
            )
    print(
        "\nframes/s, msgs/s: burst (as fast as 4 sender sockets go); ratio: ours / bare frames/s;"
        "\nrate: the paced phase's msgs/s (half of our burst rate, both servers); p50/p99:"
        "\nsend-to-receive latency at that rate; slow p99: the others' p99 at that rate with"
        "\none member that never reads; KiB/conn: server RSS delta / idle connections."
    )


if __name__ == "__main__":
    main()
