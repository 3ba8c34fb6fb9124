"""Reconnect storm: every member of a room comes back to a restarted server (issue 12).

``chengyun serve`` runs as production runs it, in a child process pinned to core 0 (SQLite,
one process); the members run in one client process pinned to core 1. A room with
``--members`` users (created for the run), all connected and subscribed; ``--before``
messages posted; the server killed with ``kill -9`` and started again; the members
reconnect as the app does (backoff 0.5-1 s, then 1-2 s, ... with jitter), send ``auth``,
and resubscribe with ``since_seq``, while ``--after`` more messages are posted as soon as
the server answers. Prints the seconds until every socket is subscribed again and until
every one has every message, the server's CPU ms per socket over the storm, and checks
that each socket saw every seq once, in order.

    .venv/bin/python bench/reconnect.py [--members 3000] [--before 20] [--after 20] [--procs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.rooms import _free_port, _raise_nofile

CHENGYUN = str(Path(sys.executable).with_name("chengyun"))
PASSWORD = "chengyun-demo"
MAX_BACKOFF = 30.0
TIMEOUT = 300.0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- the client process ----------------------------------------------------------------
class Member:
    def __init__(self, token: str) -> None:
        self.token = token
        self.seqs: list[int] = []
        self.connections = 0
        self.subscribed_on = 0  # the connection (1, 2, ...) last subscribed on


async def _member(url: str, room: str, m: Member, state: dict[str, Any]) -> None:
    """One phone: connect, auth, subscribe with since_seq, read; on a close, back off."""
    from websockets.asyncio.client import connect

    attempt = 0
    while not state["stop"]:
        try:
            async with connect(url, open_timeout=60, ping_interval=None, max_size=None) as ws:
                await ws.send(json.dumps({"op": "auth", "token": m.token}))
                async for raw in ws:
                    frame = json.loads(raw)
                    op = frame["op"]
                    if op == "ready":
                        attempt = 0
                        m.connections += 1
                        sub: dict[str, Any] = {"op": "subscribe", "room_id": room}
                        if m.seqs:
                            sub["since_seq"] = m.seqs[-1]
                        await ws.send(json.dumps(sub))
                    elif op == "subscribed":
                        m.subscribed_on = m.connections
                        state["changed"].set()
                    elif op == "message" and frame["room_id"] == room:
                        m.seqs.append(frame["message"]["seq"])
                        state["changed"].set()
        except Exception:  # noqa: BLE001, S110 - a refused or dropped connection: back off
            pass
        if state["stop"]:
            return
        base = min(MAX_BACKOFF, 2.0**attempt)
        attempt += 1
        await asyncio.sleep(base / 2 + random.random() * base / 2)


def run_clients(conn: Any, url: str, room: str, tokens: list[str], pin: bool = True) -> None:
    import uvloop

    if pin:
        os.sched_setaffinity(0, {1})
    _raise_nofile()

    async def main() -> None:
        members = [Member(t) for t in tokens]
        state: dict[str, Any] = {"stop": False, "changed": asyncio.Event()}
        tasks = []
        for m in members:  # paced, not the storm: the first connect is not measured
            tasks.append(asyncio.create_task(_member(url, room, m, state)))
            await asyncio.sleep(0.002)

        async def until(cond: Any) -> float:
            deadline = time.monotonic() + TIMEOUT
            while not cond():
                state["changed"].clear()
                left = deadline - time.monotonic()
                if left <= 0:
                    return float("nan")
                try:
                    await asyncio.wait_for(state["changed"].wait(), min(left, 1.0))
                except TimeoutError:
                    pass
            return time.monotonic()

        while True:
            cmd = await asyncio.to_thread(conn.recv)
            if cmd["op"] == "connected":
                await until(lambda: all(m.subscribed_on == 1 for m in members))
                conn.send({"ok": True})
            elif cmd["op"] == "have":
                n = cmd["seqs"]
                await until(lambda: all(len(m.seqs) >= n for m in members))  # noqa: B023
                conn.send({"ok": True})
            elif cmd["op"] == "storm":
                n = cmd["seqs"]
                back = await until(lambda: all(m.subscribed_on >= 2 for m in members))
                caught = await until(lambda: all(len(m.seqs) >= n for m in members))  # noqa: B023
                want = list(range(1, n + 1))
                wrong = sum(1 for m in members if m.seqs != want)
                doubled = sum(len(m.seqs) - len(set(m.seqs)) for m in members)
                missing = sum(len(set(want) - set(m.seqs)) for m in members)
                state["stop"] = True
                for t in tasks:
                    t.cancel()
                conn.send(
                    {
                        "back": back,
                        "caught_up": caught,
                        "wrong": wrong,
                        "doubled": doubled,
                        "missing": missing,
                        "connections": sum(m.connections for m in members),
                    }
                )
                return

    uvloop.run(main())


# -- the parent ------------------------------------------------------------------------
class Server:
    def __init__(self, env: dict[str, str], port: int, log: Path) -> None:
        self.env, self.port, self.log = env, port, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> tuple[float, float]:
        """(monotonic time started, time it first answered)."""
        import httpx

        started = time.monotonic()
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own CLI, pinned by taskset
                ["taskset", "-c", "0", CHENGYUN, "serve", "--port", str(self.port)],  # noqa: S607
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = started + 120
        while time.monotonic() < deadline:
            try:
                r = httpx.get(f"http://127.0.0.1:{self.port}/api/v1/health/live", timeout=1)
                if r.status_code == 200:
                    return started, time.monotonic()
            except httpx.TransportError:
                time.sleep(0.02)
        raise RuntimeError(self.log.read_text()[-3000:])

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()


async def _add_users(env: dict[str, str], n: int) -> None:
    """``n`` grid workers of one grid's org, password ``PASSWORD`` (one hash for all)."""
    from sqlalchemy import select

    from backend.auth.passwords import password_service
    from backend.db.engine import Database
    from backend.db.models import User
    from backend.settings import Settings

    settings = Settings.from_env(env)
    db = Database(settings.resolved_database_url)
    hashed = password_service(settings.password_profile).hash(PASSWORD)
    try:
        async with db.sessions() as session:
            like = (
                await session.execute(select(User).where(User.username == "grid001"))
            ).scalar_one()
            session.add_all(
                User(
                    username=f"storm{i:05d}",
                    display_name=f"网格员{i}",
                    role=like.role,
                    org_id=like.org_id,
                    password_hash=hashed,
                    demo_password=True,
                )
                for i in range(n)
            )
            await session.commit()
    finally:
        await db.dispose()


async def _setup(base: str, n: int) -> tuple[str, str, list[str]]:
    """The room, the poster's token, and the members' tokens."""
    import httpx

    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=60) as c:
        sem = asyncio.Semaphore(16)

        async def login(user: str) -> str:
            async with sem:
                r = await c.post("/auth/login", json={"username": user, "password": PASSWORD})
                r.raise_for_status()
                return str(r.json()["access_token"])

        owner, poster = await login("district01"), await login("street01a")
        tokens = await asyncio.gather(*(login(f"storm{i:05d}") for i in range(n)))

        async def me(token: str) -> str:
            async with sem:
                r = await c.get("/me", headers={"Authorization": f"Bearer {token}"})
                return str(r.json()["id"])

        ids = await asyncio.gather(*(me(t) for t in [poster, *tokens]))
        h = {"Authorization": f"Bearer {owner}"}
        body = {"title": "重连风暴", "kind": "joint_operation", "member_user_ids": ids[:500]}
        r = await c.post("/rooms", json=body, headers=h)
        r.raise_for_status()
        room = str(r.json()["id"])
        for at in range(500, len(ids), 500):
            r = await c.post(
                f"/rooms/{room}/members", json={"user_ids": ids[at : at + 500]}, headers=h
            )
            r.raise_for_status()
        return room, poster, list(tokens)


async def _post(base: str, room: str, token: str, first: int, count: int) -> None:
    """Messages ``first``.. over HTTP, each retried until the server accepts it."""
    import httpx

    h = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=30) as c:
        for n in range(first, first + count):
            body = {"client_msg_id": f"storm-{n}", "kind": "text", "text": f"第{n}条"}
            while True:
                try:
                    r = await c.post(f"/rooms/{room}/messages", json=body, headers=h)
                    if r.status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.05)


def _py_spy(pid: int, out: str) -> subprocess.Popen[bytes]:
    spy = str(Path(sys.executable).with_name("py-spy"))
    return subprocess.Popen(  # noqa: S603 - py-spy from the bench's venv
        [spy, "record", "--pid", str(pid), "--format", "raw", "--rate", "250", "-o", out],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _ask(parents: list[Any], cmd: dict[str, Any]) -> list[Any]:
    """Send ``cmd`` to every client process, then wait for each one's answer."""
    for parent in parents:
        parent.send(cmd)
    return [_answer(parent, cmd) for parent in parents]


def _answer(parent: Any, cmd: dict[str, Any]) -> Any:
    if not parent.poll(TIMEOUT + 60):
        raise RuntimeError(f"clients silent during {cmd}")
    return parent.recv()


def _merge(outs: list[dict[str, Any]]) -> dict[str, Any]:
    """The storm over every client process: the last one back, the sums of the counts."""
    merged = {k: max(o[k] for o in outs) for k in ("back", "caught_up")}
    for k in ("wrong", "doubled", "missing", "connections"):
        merged[k] = sum(o[k] for o in outs)
    return merged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=3000)
    parser.add_argument("--before", type=int, default=20, help="messages before the kill")
    parser.add_argument("--after", type=int, default=20, help="messages during the storm")
    parser.add_argument(
        "--profile", metavar="FILE", help="py-spy the server over the storm (collapsed stacks)"
    )
    parser.add_argument(
        "--procs", type=int, default=1, help="client processes the members are spread over"
    )
    parser.add_argument(
        "--clients-unpinned",
        action="store_true",
        help="let the client processes run on any core (default: all on core 1)",
    )
    args = parser.parse_args()
    _raise_nofile()
    os.sched_setaffinity(0, {1})
    with tempfile.TemporaryDirectory(prefix="chengyun-bench-reconnect-") as data_dir:
        port = _free_port()
        env = {
            **os.environ,
            "CHENGYUN_ENV": "development",
            "CHENGYUN_DATA_DIR": data_dir,
            "CHENGYUN_PASSWORD_PROFILE": "fast",
            "CHENGYUN_SCHEDULER": "off",
            "CHENGYUN_PUSH_SENDER": "memory",
            "CHENGYUN_LOG_LEVEL": "WARNING",
        }
        for step in ("migrate", "seed-demo"):
            subprocess.run([CHENGYUN, step], env=env, check=True, capture_output=True)  # noqa: S603
        asyncio.run(_add_users(env, args.members))
        server = Server(env, port, Path(data_dir) / "serve.log")
        base = f"http://127.0.0.1:{port}"
        ctx = mp.get_context("spawn")
        clients: list[Any] = []
        try:
            server.start()
            room, poster, tokens = asyncio.run(_setup(base, args.members))
            parents = []
            url = f"ws://127.0.0.1:{port}/api/v1/ws"
            for i in range(args.procs):
                parent, child = ctx.Pipe()
                share = tokens[i :: args.procs]
                proc = ctx.Process(
                    target=run_clients, args=(child, url, room, share, not args.clients_unpinned)
                )
                proc.start()
                parents.append(parent)
                clients.append(proc)
            _ask(parents, {"op": "connected"})
            asyncio.run(_post(base, room, poster, 1, args.before))
            _ask(parents, {"op": "have", "seqs": args.before})
            server.kill9()
            restarted, up = server.start()
            assert server.proc is not None
            cpu0 = _cpu_seconds(server.proc.pid)
            spy = _py_spy(server.proc.pid, args.profile) if args.profile else None
            storm = {"op": "storm", "seqs": args.before + args.after}
            for parent in parents:
                parent.send(storm)
            asyncio.run(_post(base, room, poster, args.before + 1, args.after))
            out = _merge([_answer(parent, storm) for parent in parents])
            cpu = _cpu_seconds(server.proc.pid) - cpu0
            if spy is not None:
                spy.send_signal(signal.SIGINT)
                spy.wait(60)
        finally:
            for proc in clients:
                proc.join(30)
                if proc.is_alive():
                    proc.kill()
            server.stop()
    n = args.members
    where = "any core" if args.clients_unpinned else "core 1"
    print(
        f"\nreconnect storm, {n} members, {os.cpu_count()} cpus (server on core 0, "
        f"{args.procs} client processes on {where})"
    )
    print(f"  server answering after restart: {up - restarted:6.2f} s")
    print(f"  all {n} subscribed again:       {out['back'] - restarted:6.2f} s after the restart")
    total = args.before + args.after
    print(f"  all caught up ({total} seqs):      {out['caught_up'] - restarted:6.2f} s")
    print(f"  server CPU over the storm:      {cpu * 1000 / n:6.2f} ms per socket ({cpu:.1f} s)")
    print(
        f"  sockets with a wrong sequence: {out['wrong']}, missing: {out['missing']}, "
        f"doubled: {out['doubled']}, connections: {out['connections']}"
    )


if __name__ == "__main__":
    main()
