"""Run the scale-out shape of deploy/compose.yaml natively, check it, tear it down.

Two ``chengyun serve --workers 2`` replicas (four worker processes: compose's replicas,
each also in uvicorn's multi-process mode, so both ways of sharing a port are covered)
on a fresh PostgreSQL database and Redis db 14, behind nginx with a config derived from
deploy/nginx.conf (no nginx on PATH: the client round-robins over the replica ports).
It checks that
a. ``/api/v1/health/ready`` answers 200 through the front port;
b. 16 room sockets through the front, and more on each replica until every worker serves
   some, all get a message sent on one of them;
c. exactly one worker holds the scheduler's advisory lock (pg_locks) and only it reports
   ``chengyun_scheduler_leader 1`` on ``/metrics``;
d. SIGTERM to the scheduler's replica closes its sockets with 1001 and the lock moves to
   a survivor; its clients reconnect through the front with ``since_seq`` and get what
   they missed; every socket saw each of the three messages once, in seq order.
Which worker holds a connection is not in the API: it is read from /proc (Linux only).
Needs PostgreSQL (user postgres, trust) and Redis on 127.0.0.1; everything it creates is
removed at the end, pass or fail. From the repository root:

    .venv/bin/python deploy/check_scaleout.py
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import inspect
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import redis.asyncio as redis
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from backend.scheduler.leader import LOCK_KEY
from backend.settings import DEMO_PASSWORD

DEPLOY = Path(__file__).resolve().parent
CHENGYUN = str(Path(sys.executable).with_name("chengyun"))
PG = "postgresql://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
MEMBERS = ("district01", "street01a", "dept01a", "dept01b")
FRONT_SOCKETS = 16
LEADER = re.compile(r"^chengyun_scheduler_leader (\S+)$", re.MULTILINE)
RESULTS: list[bool] = []


def report(name: str, ok: bool, detail: str = "") -> None:
    RESULTS.append(ok)
    print(f"{'PASS' if ok else 'FAIL'}  {name}: {detail}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def until(predicate: Any, seconds: float, what: str) -> Any:
    """Poll ``predicate`` (sync or async) every 0.1 s until truthy, for at most ``seconds``."""
    deadline = time.monotonic() + seconds
    while True:
        value = predicate()
        if inspect.isawaitable(value):
            value = await value
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} after {seconds:.0f} s")
        await asyncio.sleep(0.1)


# -- which process holds which TCP connection (/proc) -------------------------------------
def established() -> list[tuple[int, int, int]]:
    """(local port, remote port, socket inode) of every established IPv4 TCP socket."""
    rows = [line.split() for line in Path("/proc/net/tcp").read_text().splitlines()[1:]]
    port = lambda address: int(address.split(":")[1], 16)  # noqa: E731
    return [(port(f[1]), port(f[2]), int(f[9])) for f in rows if f[3] == "01"]


def socket_inodes(pid: int) -> set[int]:
    inodes = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                if (target := os.readlink(f"/proc/{pid}/fd/{fd}")).startswith("socket:["):
                    inodes.add(int(target[8:-1]))
    return inodes


def owner(pids: list[int], local: int, remote: int) -> int | None:
    """The process among ``pids`` holding the socket from port ``local`` to ``remote``."""
    inodes = {i for lp, rp, i in established() if (lp, rp) == (local, remote)}
    return next((p for p in pids if socket_inodes(p) & inodes), None)


# -- processes ------------------------------------------------------------------------------
class Proc:
    """A process we started, in its own process group, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], tmp: Path, port: int):
        self.name, self.port, self.log = name, port, tmp / f"{name}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(  # noqa: S603 - our own binaries and arguments
                argv, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )

    def workers(self) -> list[int]:
        """uvicorn's worker processes (not multiprocessing's resource tracker)."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        with contextlib.suppress(OSError):
            kids = [int(k) for k in children.read_text().split()]
            return [k for k in kids if "spawn_main" in Path(f"/proc/{k}/cmdline").read_text()]
        return []

    def sockets_per_worker(self) -> dict[int, int]:
        inodes = {i for lp, _, i in established() if lp == self.port}
        return {pid: len(socket_inodes(pid) & inodes) for pid in self.workers()}

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(20)
        with contextlib.suppress(ProcessLookupError):  # anything left in its process group
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(5)

    def tail(self, lines: int = 12) -> str:
        text = self.log.read_text(errors="replace").splitlines()[-lines:]
        return "\n".join(f"  {self.name}| {line}" for line in text)


def nginx_conf(tmp: Path, port: int, upstreams: list[int]) -> Path:
    """deploy/nginx.conf with local upstreams and port, and every path under ``tmp``."""
    text = (DEPLOY / "nginx.conf").read_text()
    servers = "".join(f"    server 127.0.0.1:{p};\n" for p in upstreams)
    text, n = re.subn(r"(upstream chengyun \{\n)(?:\s*server [^;]+;\n)+", rf"\g<1>{servers}", text)
    temp = "".join(f"  {k}_temp_path {tmp}/{k};\n" for k in ("client_body", "proxy", "fastcgi"))
    temp += "".join(f"  {k}_temp_path {tmp}/{k};\n" for k in ("uwsgi", "scgi"))
    for old, new in (
        ("events {}", f"pid {tmp}/nginx.pid;\nerror_log {tmp}/nginx-error.log;\nevents {{}}"),
        ("http {\n", f"http {{\n  access_log {tmp}/nginx-access.log;\n{temp}"),
        ("listen 8000;", f"listen 127.0.0.1:{port};"),
    ):
        assert n == 1 and old in text, f"deploy/nginx.conf changed shape near {old!r}"
        text = text.replace(old, new, 1)
    (tmp / "nginx.conf").write_text(text)
    return tmp / "nginx.conf"


# -- room sockets ---------------------------------------------------------------------------
class Client:
    """One room socket: answers the server's pings, keeps every frame, notes its close code."""

    def __init__(self, ws: ClientConnection, user: str, via: str) -> None:
        self.ws, self.user, self.via = ws, user, via
        self.frames: list[dict[str, Any]] = []
        self.closed: int | None = None
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        with contextlib.suppress(ConnectionClosed):
            async for raw in self.ws:
                self.frames.append(frame := json.loads(raw))
                if frame["op"] == "ping":
                    await self.ws.send('{"op": "pong"}')
        self.closed = self.ws.close_code or 1006

    def frame(self, op: str, **match: Any) -> dict[str, Any] | None:
        return next((f for f in self.frames if f["op"] == op and match.items() <= f.items()), None)

    def messages(self) -> list[tuple[int, str]]:
        frames = [f["message"] for f in self.frames if f["op"] == "message"]
        return [(m["seq"], m["text"]) for m in frames]

    @classmethod
    async def open(cls, port: int, user: str, via: str, token: str, room: str, since: int = 0):
        ws = await connect(f"ws://127.0.0.1:{port}/api/v1/ws", open_timeout=10, ping_interval=None)
        client = cls(ws, user, via)
        await ws.send(json.dumps({"op": "auth", "token": token}))
        await until(lambda: client.frame("ready"), 10, f"ready frame for {user}")
        sub = {"op": "subscribe", "room_id": room} | ({"since_seq": since} if since else {})
        await ws.send(json.dumps(sub))
        await until(lambda: client.frame("subscribed", room_id=room), 10, "subscribed frame")
        return client

    async def say(self, room: str, text: str) -> tuple[int, str]:
        """Sends a text message; its seq and text."""
        cid = uuid.uuid4().hex
        frame = {"op": "send", "room_id": room, "client_msg_id": cid, "kind": "text", "text": text}
        await self.ws.send(json.dumps(frame, ensure_ascii=False))
        sent = await until(lambda: self.frame("sent", client_msg_id=cid), 10, "sent frame")
        return int(sent["seq"]), text


# -- the stack ------------------------------------------------------------------------------
class Stack:
    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="cy_scaleout_"))
        self.tmp.chmod(0o755)  # nginx's workers run as nobody
        self.db = f"cy_scaleout_{secrets.token_hex(4)}"
        self.db_created = False
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CHENGYUN_")} | {
            "CHENGYUN_ENV": "development",
            "CHENGYUN_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{self.db}",
            "CHENGYUN_REDIS_URL": REDIS_URL,
            "CHENGYUN_DATA_DIR": str(self.tmp / "data"),
            "CHENGYUN_SECRET_KEY": secrets.token_urlsafe(32),
        }
        self.replicas: list[Proc] = []
        self.nginx: Proc | None = None
        self.front_ports: list[int] = []
        self.clients: list[Client] = []
        self.turn = 0

    def front(self) -> int:
        """The front port: nginx's, or the next replica's when there is no nginx."""
        self.turn += 1
        return self.front_ports[self.turn % len(self.front_ports)]

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.front()}/api/v1{path}"


async def ready(proc: Proc, port: int) -> bool:
    if proc.proc.poll() is not None:
        raise RuntimeError(f"{proc.name} exited with {proc.proc.returncode}:\n{proc.tail()}")
    with contextlib.suppress(httpx.HTTPError):
        async with httpx.AsyncClient(timeout=3) as client:
            return (await client.get(f"http://127.0.0.1:{port}/api/v1/health/ready")).is_success
    return False


async def sql(statement: str, *args: Any) -> list[Any]:
    admin = await asyncpg.connect(f"{PG}/postgres")
    try:
        return await admin.fetch(statement, *args)
    finally:
        await admin.close()


async def flush_redis() -> None:
    async with redis.Redis.from_url(REDIS_URL) as client:
        await client.flushdb()


async def up(stack: Stack) -> None:
    await sql(f'CREATE DATABASE "{stack.db}"')
    stack.db_created = True
    await flush_redis()
    for command in ("migrate", "seed-demo"):
        run = [CHENGYUN, command]
        done = await asyncio.to_thread(
            subprocess.run, run, env=stack.env, capture_output=True, text=True, timeout=300
        )
        if done.returncode:
            raise RuntimeError(f"chengyun {command} failed:\n{done.stdout}{done.stderr}")
    print(f"database {stack.db} migrated and seeded, Redis {REDIS_URL} flushed")
    for name in ("app1", "app2"):
        port = free_port()
        argv = [CHENGYUN, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"]
        stack.replicas.append(Proc(name, argv, stack.env, stack.tmp, port))
    for r in stack.replicas:
        await until(lambda r=r: ready(r, r.port) if len(r.workers()) == 2 else False, 60, r.name)
        print(f"replica {r.name} on 127.0.0.1:{r.port}, worker pids {r.workers()}")
    stack.front_ports = [r.port for r in stack.replicas]
    if (nginx := shutil.which("nginx")) is None:
        print("nginx: not on PATH; the client round-robins over the replica ports instead")
        return
    port = free_port()
    conf = nginx_conf(stack.tmp, port, stack.front_ports)
    argv = [nginx, "-p", str(stack.tmp), "-c", str(conf), "-g", "daemon off;"]
    stack.nginx = Proc("nginx", argv, stack.env, stack.tmp, port)
    stack.front_ports = [port]
    await until(lambda: ready(stack.nginx, port), 15, "nginx")
    print(f"nginx: {nginx} in front on 127.0.0.1:{port}, config from deploy/nginx.conf")


async def down(stack: Stack) -> None:
    """Every step runs even when an earlier one failed."""
    if stack.clients:
        await asyncio.wait([asyncio.create_task(c.ws.close()) for c in stack.clients], timeout=10)
    for proc in [stack.nginx, *stack.replicas]:
        if proc is not None:
            await asyncio.to_thread(proc.stop)
    drop = [sql(f'DROP DATABASE IF EXISTS "{stack.db}" WITH (FORCE)')] if stack.db_created else []
    for step in [*drop, flush_redis()]:
        try:
            await step
        except Exception as exc:  # noqa: BLE001 - report it, go on tearing down
            print(f"teardown: {type(exc).__name__}: {exc}")
    shutil.rmtree(stack.tmp, ignore_errors=True)
    print(f"torn down: processes stopped, database {stack.db} dropped, Redis db 14 flushed")


# -- the checks -----------------------------------------------------------------------------
async def check_ready(stack: Stack, label: str) -> None:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(stack.url("/health/ready"))
    report(f"{label} ready through the front", response.status_code == 200, response.text)


def leader_gauges(stack: Stack, workers: list[int], seconds: float = 30) -> dict[int, str]:
    """Scrape /metrics on new connections until every worker has answered once."""
    gauges: dict[int, str] = {}
    deadline = time.monotonic() + seconds
    while set(gauges) != set(workers) and time.monotonic() < deadline:
        for r in stack.replicas:
            conn = http.client.HTTPConnection("127.0.0.1", r.port, timeout=5)
            try:
                conn.request("GET", "/metrics")
                body = conn.getresponse().read().decode()
                worker = owner(workers, r.port, conn.sock.getsockname()[1])
            finally:
                conn.close()
            if worker is not None and (m := LEADER.search(body)):
                gauges[worker] = m.group(1)
    return dict(sorted(gauges.items()))


LOCK_SQL = """
SELECT a.client_port FROM pg_locks l
JOIN pg_stat_activity a ON a.pid = l.pid JOIN pg_database d ON d.oid = l.database
WHERE l.locktype = 'advisory' AND l.granted AND d.datname = $1
  AND l.classid = $2 AND l.objid = $3 AND l.objsubid = 1
"""


async def lock_holders(stack: Stack, workers: list[int]) -> list[int | None]:
    """The worker processes whose database connection holds the scheduler's lock."""
    rows = await sql(LOCK_SQL, stack.db, LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF)
    return [owner(workers, row["client_port"], 5432) for row in rows]


async def one_holder(stack: Stack, workers: list[int]) -> bool:
    return len(holders := await lock_holders(stack, workers)) == 1 and holders[0] in workers


async def check_scheduler(stack: Stack) -> int | None:
    workers = [w for r in stack.replicas for w in r.workers()]
    gauges = await asyncio.to_thread(leader_gauges, stack, workers)
    holders = await lock_holders(stack, workers)
    one = len(workers) == 4 and len(holders) == 1 and holders[0] in workers
    report("c. one of 4 workers holds the scheduler's lock", one, f"pg_locks: worker {holders}")
    leaders = [w for w, gauge in gauges.items() if gauge == "1.0"]
    ok = leaders == holders and len(gauges) == len(workers) == 4
    report("c. one of 4 workers reports chengyun_scheduler_leader 1", ok, f"per worker {gauges}")
    return holders[0] if holders else None


async def check_room(stack: Stack) -> tuple[str, dict[str, str], tuple[int, str]]:
    async with httpx.AsyncClient(timeout=30) as client:
        users = {}
        for name in MEMBERS:
            login = {"username": name, "password": DEMO_PASSWORD}
            response = await client.post(stack.url("/auth/login"), json=login)
            users[name] = response.raise_for_status().json()
        tokens = {name: user["access_token"] for name, user in users.items()}
        body = {
            "title": "扩容检查 scale-out check",
            "kind": "joint_operation",
            "member_user_ids": [users[name]["user"]["id"] for name in MEMBERS[1:]],
        }
        auth = {"Authorization": f"Bearer {tokens[MEMBERS[0]]}"}
        created = await client.post(stack.url("/rooms"), json=body, headers=auth)
    assert created.status_code == 201, f"POST /rooms: {created.status_code} {created.text}"
    room, clients = created.json()["id"], stack.clients
    for i in range(FRONT_SOCKETS):
        user = MEMBERS[i % len(MEMBERS)]
        clients.append(await Client.open(stack.front(), user, "front", tokens[user], room))
    for r in stack.replicas:  # 4 or more each, until both of its workers hold room sockets
        for i in range(24):
            user = MEMBERS[i % len(MEMBERS)]
            clients.append(await Client.open(r.port, user, r.name, tokens[user], room))
            if i >= 3 and all(r.sockets_per_worker().values()):
                break
    per_worker = {w: n for r in stack.replicas for w, n in r.sockets_per_worker().items()}
    detail = f"{FRONT_SOCKETS} via the front + {len(clients) - FRONT_SOCKETS} direct: {per_worker}"
    spread = len(per_worker) == 4 and all(per_worker.values())
    report("b. room sockets on every worker", spread, detail)
    first = await clients[0].say(room, "联勤联动 message 1")
    with contextlib.suppress(TimeoutError):
        await until(lambda: all(c.messages() for c in clients), 10, "message 1 everywhere")
    got = sum(c.messages() == [first] for c in clients)
    detail = f"seq {first[0]} on {got}/{len(clients)} sockets"
    report("b. the message reaches every socket", got == len(clients), detail)
    return room, tokens, first


async def check_shutdown(stack: Stack, leader: int | None) -> None:
    """SIGTERM to the replica running the scheduler: 1001 on its sockets, the lock moves."""
    gone = next((r for r in stack.replicas if leader in r.workers()), stack.replicas[0])
    kept = [w for r in stack.replicas if r is not gone for w in r.workers()]
    clients, expected = stack.clients, sum(gone.sockets_per_worker().values())
    started = time.monotonic()
    gone.proc.send_signal(signal.SIGTERM)
    await until(lambda: gone.proc.poll() is not None, 25, f"exit of {gone.name}")
    with contextlib.suppress(TimeoutError):
        await until(lambda: sum(c.closed is not None for c in clients) >= expected, 5, "closes")
    codes = Counter(c.closed for c in clients if c.closed is not None)
    direct = [c.closed is not None for c in clients if c.via != "front"]
    direct_ok = direct == [c.via == gone.name for c in clients if c.via != "front"]
    detail = f"{gone.name} exited {gone.proc.returncode}, held {expected}, closes {dict(codes)}"
    report(
        "d. SIGTERM closes its sockets with 1001", codes == {1001: expected} and direct_ok, detail
    )
    with contextlib.suppress(TimeoutError):  # the survivors' next election tick, within 15 s
        await until(lambda: one_holder(stack, kept), 25, "a new scheduler leader")
    took, moved = time.monotonic() - started, await one_holder(stack, kept)
    detail = (
        f"from worker {leader} to {await lock_holders(stack, kept)}, {took:.1f} s after SIGTERM"
    )
    report("d. the scheduler lock moved to one survivor", moved, detail)
    if stack.nginx is None:
        stack.front_ports.remove(gone.port)


async def check_resume(stack: Stack, room: str, tokens: dict[str, str], first: Any) -> None:
    """The closed clients reconnect through the front with since_seq; nothing lost or doubled."""
    closed = [c for c in stack.clients if c.closed is not None]
    survivors = [c for c in stack.clients if c.closed is None]
    second = await survivors[0].say(room, "联勤联动 message 2")
    back = []
    for c in closed:
        args = (stack.front(), c.user, "front", tokens[c.user], room, first[0])
        back.append(await Client.open(*args))
    stack.clients.extend(back)
    live = survivors + back
    with contextlib.suppress(TimeoutError):
        await until(lambda: all(second in c.messages() for c in live), 10, "message 2")
    replayed = all(c.messages() == [second] for c in back)
    recovered = all(c.frame("subscribed", room_id=room)["recovered"] for c in back)
    detail = f"{len(back)} resubscribed via the front, since_seq={first[0]}, got seq {second[0]}"
    report("d. reconnected clients get the missed message", replayed and recovered, detail)
    await check_ready(stack, "d. one replica down,")
    third = await back[0].say(room, "联勤联动 message 3")
    with contextlib.suppress(TimeoutError):
        await until(lambda: all(third in c.messages() for c in live), 10, "message 3")
    exact = (
        all(c.messages() == [first] for c in closed)
        and all(c.messages() == [first, second, third] for c in survivors)
        and all(c.messages() == [second, third] for c in back)
    )
    detail = f"seqs {first[0]}-{third[0]}, {len(survivors)} survivors, {len(back)} reconnected"
    report("d. every socket saw each message once, in order", exact, detail)


async def main() -> int:
    stack = Stack()
    try:
        await up(stack)
        await check_ready(stack, "a.")
        leader = await check_scheduler(stack)
        room, tokens, first = await check_room(stack)
        await check_shutdown(stack, leader)
        await check_resume(stack, room, tokens, first)
    except Exception as exc:  # noqa: BLE001 - reported as a failure, then torn down
        report("the run completed", False, f"{type(exc).__name__}: {exc}")
    finally:
        if not all(RESULTS):
            print("\n".join(p.tail() for p in [*stack.replicas, stack.nginx] if p is not None))
        await down(stack)
    print(f"{sum(RESULTS)}/{len(RESULTS)} checks passed")
    return 0 if RESULTS and all(RESULTS) else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
