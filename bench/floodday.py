"""Flood day: the district's worst hour against ``chengyun serve``, through crashes and
outages (issue 12).

    .venv/bin/python bench/floodday.py                       # embedded: one process, SQLite
    .venv/bin/python bench/floodday.py --kill-at 3
    .venv/bin/python bench/floodday.py --shape scaled --pg-restart-at 3 --redis-restart-at 6
    .venv/bin/python bench/floodday.py --minutes 60           # the whole hour

Shapes: ``embedded`` runs one ``chengyun serve`` on SQLite; ``scaled`` runs
``chengyun serve --workers 2`` on a private PostgreSQL cluster and a private redis-server
(started in a temp dir on ports of their own, never the machine's shared ones). The server
is pinned to the last core, the simulator (and the fake FCM) to the first.

The load (each a flag): ``--phones`` WebSocket phones, shared round-robin by the demo
district's 343 users (grid workers, street dispatchers, department handlers, district
dispatchers, officials), each syncing its inbox every 60 s and on each notification;
``--reports-per-hour`` reports with 1-3 real phone photos (tests/data/photos/phones), 5 %
sent twice with the same Idempotency-Key as after a lost answer; the street dispatcher of
the report's street accepts and dispatches it within a minute, a handler of the category's
department starts it and reports back with a photo, the reporting grid worker verifies;
at ``--incident-at`` an incident is declared and its room filled to ``--room-members``
users, ``--messages-per-second`` messages and an instruction to ``--targets`` users each
minute, which their phones acknowledge; every notification is pushed to each device of its
user (one per phone) through the fake FCM over HTTP/2 on loopback (the server reaches it
through CHENGYUN_FCM_ENDPOINT and a service-account file, as production would a gateway);
at ``--push-burst-at`` instructions to every room member make ``--push-burst`` pushes at
once, timed until the fake FCM has them all, with the server's event-loop lag read from
its ``/metrics`` (per worker); every report goes to a fake city platform through the
city-link relay; the officials read the overview and the map every 30 s. ``--grids N``
keeps a small population (the grid workers of N grids, every other role).

Faults, each at its minute: ``--kill-at`` (kill -9 of the server, of one worker in the
scaled shape; restarted), ``--pg-restart-at``, ``--redis-restart-at`` (stopped for
``--outage-seconds``), ``--media-outage-at`` (S3 on a moto server, stopped for 30 s).

After each fault: seconds until the first 2xx, until every socket is back and
resubscribed, and until the push and city relays have delivered what was accepted before
the repair. At the end the ledger (everything the simulator was told was accepted) is
compared with the database, read through the API, with the fake FCM and the fake city, and
with what each phone received. A push sent again only because FCM's answer was lost in a
fault is counted apart. Prints figures; exits 1 when anything was lost or doubled.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import resource
import shutil
import signal
import struct
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import websockets  # noqa: E402

from bench._flood_infra import FakeFcmProcess, Moto, Server  # noqa: E402
from bench._flood_ledger import (  # noqa: E402
    Fault,
    Ledger,
    check_city,
    check_pushes,
    fault_lines,
    pct,
    phone_order,
    print_block,
    route_table,
)
from bench._flood_probe import FakeCity, lag_between, scrape  # noqa: E402

PASSWORD = "chengyun-demo"
PHOTOS = sorted((ROOT / "tests/data/photos/phones").iterdir())
RETRYABLE = {409, 429, 502, 503, 504}


class Phone:
    def __init__(self, n: int, user: dict[str, Any]) -> None:
        self.n, self.user = n, user
        self.ws: Any = None
        self.ready = False
        self.rooms: dict[str, int] = {}  # room id -> last seq seen
        self.wake = asyncio.Event()
        self.cursor: str | None = None
        self.primary = False
        self.pending_acks: set[int] = set()


class Sim:
    def __init__(
        self, args: argparse.Namespace, server: Server, fcm: FakeFcmProcess, city: FakeCity
    ) -> None:
        self.args, self.server, self.fcm, self.city = args, server, fcm, city
        self.base = f"http://127.0.0.1:{server.port}/api/v1"
        self.ws_url = f"ws://127.0.0.1:{server.port}/api/v1/ws"
        self.http = httpx.AsyncClient(
            base_url=self.base,
            timeout=httpx.Timeout(30, connect=5),
            limits=httpx.Limits(max_connections=args.connections, max_keepalive_connections=64),
        )
        self.ledger = Ledger()
        self.faults: list[Fault] = []
        self.rng = random.Random(args.seed)
        self.users: dict[str, dict[str, Any]] = {}  # username -> login's user + token
        self.phones: list[Phone] = []
        self.running = True  # the load
        self.phones_on = True  # the phones (they outlive the load, to catch up)
        self.t0 = 0.0
        self.room_id: str | None = None
        self.tag = uuid.uuid4().hex[:8]
        self.lags: list[float] = []
        self.metrics_at_start: dict[str, str] = {}
        self.burst_lines: list[str] = []
        self.room_members: list[str] = []
        self.tasks: set[asyncio.Task[Any]] = set()
        self.watchers: set[asyncio.Task[Any]] = set()
        self.stopped = asyncio.Event()  # set when the load ends
        self.media_cache: dict[tuple[str, int], str] = {}

    # -- HTTP with the phone's retries ------------------------------------------------
    async def call(
        self,
        route: str,
        method: str,
        path: str,
        user: str,
        *,
        key: str | None = None,
        retry: bool = True,
        give_up: float = 300,
        **kw: Any,
    ) -> httpx.Response | None:
        headers = {"Authorization": f"Bearer {self.users[user]['token']}"}
        if key:
            headers["Idempotency-Key"] = key
        deadline = time.monotonic() + give_up
        interrupted = False
        while True:
            start = time.monotonic()
            try:
                r = await self.http.request(method, path, headers=headers, **kw)
            except httpx.TransportError:
                self.ledger.call(route, start, 0)
                interrupted = True
                pause = 0.2
            else:
                self.ledger.call(route, start, r.status_code)
                if r.status_code < 400:
                    self._ok(start, interrupted)
                    return r
                if r.status_code == 401:
                    await self.login(user)
                    headers["Authorization"] = f"Bearer {self.users[user]['token']}"
                    pause = 0.0
                elif r.status_code in RETRYABLE:
                    interrupted = True
                    pause = min(float(r.headers.get("retry-after", "1")), 5.0)
                else:
                    self.ledger.errors[f"{route} {r.status_code} {r.text[:120]}"] += 1
                    return r
            if not retry or time.monotonic() + pause > deadline:
                self.ledger.errors[f"{route} gave up"] += 1
                return None
            await asyncio.sleep(pause * (0.5 + self.rng.random()))

    def _ok(self, start: float, interrupted: bool) -> None:
        now = time.monotonic()
        for f in self.faults:
            if f.repaired and f.first_ok is None and start >= f.repaired:
                f.first_ok = now
        # An interrupted request belongs to the latest fault before it was answered.
        latest = [f for f in self.faults if f.at <= now]
        if interrupted and latest and latest[-1].repaired:
            f = latest[-1]
            f.interrupted += 1
            f.retry_answered = max(f.retry_answered, now)

    async def login(self, username: str) -> None:
        while True:
            try:
                r = await self.http.post(
                    "/auth/login", json={"username": username, "password": PASSWORD}
                )
                if r.status_code == 200:
                    body = r.json()
                    self.users[username] = {**body["user"], "token": body["access_token"]}
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.5)

    async def pause(self, seconds: float) -> None:
        """A phone user's think time, cut short when the load ends (the next step sees
        ``self.running`` false and stops)."""
        try:
            await asyncio.wait_for(self.stopped.wait(), seconds)
        except TimeoutError:
            pass

    def spawn(self, coro: Any) -> None:
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def minute(self) -> float:
        return (time.monotonic() - self.t0) / 60

    # -- setup ------------------------------------------------------------------------
    async def setup(self) -> None:
        from tests.integration.demo import demo

        d = demo()
        self.demo = d
        # --grids N: reports from the first N grids only, and of the grid workers only
        # theirs take part (every street, department and district user still does).
        self.grids = d.grids[: self.args.grids] if self.args.grids else list(d.grids)
        codes = {g.code for g in self.grids}
        names = [
            u.username
            for u in d.users
            if u.role != "admin" and (u.role != "grid_worker" or u.org_code in codes)
        ]
        sem = asyncio.Semaphore(16)

        async def one(name: str) -> None:
            async with sem:
                await self.login(name)

        await asyncio.gather(*(one(n) for n in names))
        self.by_org: dict[str, list[str]] = defaultdict(list)
        for name in names:
            self.by_org[self.users[name]["org"]["code"]].append(name)
        self.org_id = {
            code: self.users[us[0]]["org"]["id"] for code, us in self.by_org.items() if us
        }
        self.grid_seq = {g.code: i for i, g in enumerate(d.grids, start=1)}
        order = itertools.cycle(names)
        for n in range(self.args.phones):
            self.phones.append(Phone(n, self.users[next(order)]))
        # Devices: one FCM token per phone, and one for each user without a phone; a
        # notification is pushed to every device of its user.
        self.tokens_of: dict[str, list[str]] = defaultdict(list)
        for p in self.phones:
            self.tokens_of[p.user["username"]].append(f"flood-{self.tag}-p{p.n}")
        for name in names:
            if not self.tokens_of[name]:
                self.tokens_of[name].append(f"flood-{self.tag}-{name}")

        async def device(name: str, token: str) -> None:
            async with sem:
                await self.call(
                    "POST /devices",
                    "POST",
                    "/devices",
                    name,
                    json={"token": token, "platform": "android"},
                )

        await asyncio.gather(*(device(n, t) for n in names for t in self.tokens_of[n]))
        self.devices_of_uid = {self.users[n]["id"]: len(self.tokens_of[n]) for n in names}
        seen: set[str] = set()
        for p in self.phones:
            p.primary = p.user["username"] not in seen
            seen.add(p.user["username"])
        self.phones_of: dict[str, list[Phone]] = defaultdict(list)
        for p in self.phones:
            self.phones_of[p.user["id"]].append(p)

    # -- phones -----------------------------------------------------------------------
    async def phone_socket(self, p: Phone) -> None:
        while self.phones_on:
            try:
                async with websockets.connect(
                    self.ws_url, open_timeout=30, max_size=2**20, close_timeout=1
                ) as ws:
                    await ws.send(json.dumps({"op": "auth", "token": p.user["token"]}))
                    try:
                        first = json.loads(await asyncio.wait_for(ws.recv(), 30))
                    except websockets.ConnectionClosed as closed:
                        first = {"op": "closed", "code": closed.rcvd and closed.rcvd.code}
                    if first.get("op") != "ready":
                        await self.login(p.user["username"])
                        p.user = self.users[p.user["username"]]
                        continue
                    p.ws = ws
                    for room, last in list(p.rooms.items()):
                        await ws.send(
                            json.dumps({"op": "subscribe", "room_id": room, "since_seq": last})
                        )
                    p.ready = True
                    p.wake.set()
                    async for raw in ws:
                        self.on_frame(p, json.loads(raw))
            except (OSError, TimeoutError, websockets.WebSocketException, json.JSONDecodeError):
                pass
            p.ready = False
            p.ws = None
            await asyncio.sleep(0.2 + self.rng.random())

    def on_frame(self, p: Phone, frame: dict[str, Any]) -> None:
        op = frame.get("op")
        if op == "message":
            m = frame["message"]
            room, seq = m["room_id"], m["seq"]
            self.ledger.phone_seqs[p.n].append(seq)
            p.rooms[room] = max(p.rooms.get(room, 0), seq)
            sent = self.ledger.sent_at.get(m.get("client_msg_id") or "")
            if sent is not None and not self.in_fault():
                self.ledger.delivery.append(time.monotonic() - sent)
            if m["kind"] == "instruction" and p.primary:
                if p.user["id"] in (m.get("instruction") or {}).get("targets", []):
                    p.pending_acks.add(seq)
                    self.spawn(self.ack(p, room, seq))
            if m["kind"] == "ack" and (m.get("sender") or {}).get("user_id") == p.user["id"]:
                self.ledger.acks.add((m["ack_of_seq"], p.user["id"]))
                p.pending_acks.discard(m["ack_of_seq"])
        elif op == "subscribed":
            self.ledger.phone_first_seq.setdefault(p.n, frame["last_seq"] + 1)
            if not frame.get("recovered", True):
                self.ledger.errors["subscribed recovered=false"] += 1
        elif op == "notification":
            self.ledger.notes_on_socket[p.user["id"]].add(frame["notification"]["id"])
            self.ledger.note_seen.setdefault(
                (p.user["id"], frame["notification"]["id"]), time.monotonic()
            )
            p.wake.set()

    def in_fault(self) -> bool:
        now = time.monotonic()
        return any(f.at <= now <= f.window()[1] for f in self.faults if f.repaired) or any(
            not f.repaired for f in self.faults
        )

    async def ack(self, p: Phone, room: str, seq: int) -> None:
        await asyncio.sleep(1 + 4 * self.rng.random())
        while self.phones_on and seq in p.pending_acks:
            if p.ws is not None and p.ready:
                try:
                    await p.ws.send(json.dumps({"op": "ack", "room_id": room, "seq": seq}))
                except websockets.WebSocketException:
                    pass
            await asyncio.sleep(10)

    async def phone_sync(self, p: Phone) -> None:
        await asyncio.sleep(self.rng.random() * 60)
        while self.running:
            with_timeout = asyncio.wait_for(p.wake.wait(), 60)
            try:
                await with_timeout
            except TimeoutError:
                pass
            p.wake.clear()
            if not self.running:
                return
            while True:
                q = {"limit": 200, **({"cursor": p.cursor} if p.cursor else {})}
                r = await self.call(
                    "GET /inbox/sync", "GET", "/inbox/sync", p.user["username"], params=q
                )
                if r is None or r.status_code != 200:
                    break
                body = r.json()
                p.cursor = body["cursor"]
                if not body["has_more"]:
                    break

    # -- the work ---------------------------------------------------------------------
    async def upload(self, user: str) -> str | None:
        photo = self.rng.choice(PHOTOS)
        # Each upload is different bytes: the phone's photo plus a trailing comment byte
        # run (JPEG/HEIC decoders ignore trailing bytes), so dedup does not skip the work.
        data = photo.read_bytes()
        # HEIC: a top-level ISO BMFF "free" box; JPEG: bytes after the end marker.
        extra = uuid.uuid4().bytes
        data += (
            struct.pack(">I", 8 + len(extra)) + b"free" if photo.suffix.lower() == ".heic" else b""
        ) + extra
        ctype = "image/heic" if photo.suffix.lower() == ".heic" else "image/jpeg"
        r = await self.call(
            "POST /media", "POST", "/media", user, files={"file": (photo.name, data, ctype)}
        )
        if r is None or r.status_code not in (200, 201):
            return None
        return str(r.json()["id"])

    async def report(self, n: int) -> None:
        grid = self.rng.choice(self.grids)
        workers = self.by_org.get(grid.code)
        if not workers:
            return
        user = workers[0]
        cat = self.rng.choice(self.demo.categories)
        media = []
        for _ in range(self.rng.randint(1, 3)):
            mid = await self.upload(user)
            if mid:
                media.append(mid)
        c = grid.polygon().representative_point()
        body = {
            "category_code": cat.code,
            "description": f"暴雨积水 flood-{self.tag}-{n}",
            "location": {"lat": round(c.y, 6), "lng": round(c.x, 6), "address": "洪山区"},
            "media_ids": media,
        }
        key = f"flood-{self.tag}-report-{n}"
        r = await self.call("POST /events", "POST", "/events", user, key=key, json=body)
        if r is None or r.status_code != 201:
            return
        event_id = r.json()["id"]
        self.ledger.reports[key] = event_id
        self.ledger.report_at[key] = time.monotonic()
        if self.rng.random() < self.args.retry_share:
            again = await self.call("POST /events", "POST", "/events", user, key=key, json=body)
            self.ledger.report_repeats[key] += 1
            if again is None or again.json().get("id") != event_id:
                self.ledger.report_doubled.append(key)
        await self.lifecycle(event_id, grid, cat, user)

    async def act(self, event_id: str, user: str, action: dict[str, Any]) -> bool:
        key = f"flood-{self.tag}-{event_id}-{action['action']}"
        r = await self.call(
            f"POST actions {action['action']}",
            "POST",
            f"/events/{event_id}/actions",
            user,
            key=key,
            json=action,
        )
        if r is None or r.status_code >= 400:
            return False
        self.ledger.actions.append((event_id, action["action"]))
        return True

    async def lifecycle(self, event_id: str, grid: Any, cat: Any, reporter: str) -> None:
        from tests.integration.demo import street_of_grid

        street = street_of_grid(self.grid_seq[grid.code])
        dispatcher = self.by_org[street][self.rng.randrange(len(self.by_org[street]))]
        dept = cat.default_department
        handlers = self.by_org.get(dept) or []
        await self.pause(self.rng.uniform(5, 50))
        if not self.running or not await self.act(event_id, dispatcher, {"action": "accept"}):
            return
        await self.pause(self.rng.uniform(1, 10))
        if not self.running:
            return
        body = {"action": "dispatch", "org_id": self.org_id[dept]}
        if not handlers or not await self.act(event_id, dispatcher, body):
            return
        handler = handlers[0]
        await self.pause(self.rng.uniform(10, 40))
        if not self.running or not await self.act(event_id, handler, {"action": "start"}):
            return
        await self.pause(self.rng.uniform(20, 60))
        if not self.running:
            return
        photo = await self.upload(handler)
        done = {"action": "report", "note": "已处置", "media_ids": [photo] if photo else []}
        if not await self.act(event_id, handler, done):
            return
        await self.pause(self.rng.uniform(10, 60))
        if not self.running:
            return
        await self.act(event_id, reporter, {"action": "verify", "passed": True})

    async def reports(self) -> None:
        n = 0
        gap = 3600 / self.args.reports_per_hour
        while self.running:
            self.spawn(self.report(n))
            n += 1
            await asyncio.sleep(self.rng.expovariate(1 / gap))

    async def officials(self) -> None:
        names = [u.username for u in self.demo.users if u.role == "official"]
        bbox = "114.2,30.4,114.6,30.6"
        while self.running:
            for name in names:
                await self.call("GET /stats/overview", "GET", "/stats/overview", name)
                await self.call(
                    "GET /map features",
                    "GET",
                    "/map/layers/hazards/features",
                    name,
                    params={"bbox": bbox},
                )
            await asyncio.sleep(30)

    async def incident(self) -> None:
        await asyncio.sleep(max(0.0, self.args.incident_at * 60 - (time.monotonic() - self.t0)))
        chief = "district01"
        r = await self.call(
            "POST /incidents",
            "POST",
            "/incidents",
            chief,
            key=f"flood-{self.tag}-incident",
            json={"title": "暴雨内涝应急响应", "level": 2},
        )
        if r is None or r.status_code != 201:
            return
        room = str(r.json()["room_id"])
        have = {m["user_id"] for m in (await self._room(room, chief))["members"]}
        want = [
            u["id"] for u in self.users.values() if u["id"] not in have and self.phones_of[u["id"]]
        ]
        add = want[: max(0, self.args.room_members - len(have))]
        for i in range(0, len(add), 100):
            await self.call(
                "POST /rooms members",
                "POST",
                f"/rooms/{room}/members",
                chief,
                json={"user_ids": add[i : i + 100]},
            )
        self.ledger.incident_members = sorted(have)  # told of the incident when declared
        members = [m["user_id"] for m in (await self._room(room, chief))["members"]]
        self.room_members = members
        self.room_id = room
        for uid in members:
            for p in self.phones_of.get(uid, []):
                p.rooms.setdefault(room, 0)
                if p.ws is not None and p.ready:
                    try:
                        await p.ws.send(
                            json.dumps({"op": "subscribe", "room_id": room, "since_seq": 0})
                        )
                    except websockets.WebSocketException:
                        pass
        targets_pool = [u for u in members if u != self.users[chief]["id"]]
        n = 0
        gap = 1 / self.args.messages_per_second
        next_instruction = time.monotonic()
        while self.running:
            n += 1
            cid = f"flood-{self.tag}-m{n}"
            body: dict[str, Any] = {"client_msg_id": cid, "kind": "text", "text": f"水位通报 {n}"}
            if time.monotonic() >= next_instruction:
                next_instruction += 60
                targets = self.rng.sample(targets_pool, min(self.args.targets, len(targets_pool)))
                body = {
                    "client_msg_id": cid,
                    "kind": "instruction",
                    "text": f"请立即前往积水点 {n}",
                    "targets": targets,
                }
            self.spawn(self.send_message(room, chief, body))
            await asyncio.sleep(gap)

    async def _room(self, room: str, user: str) -> dict[str, Any]:
        r = await self.call("GET /rooms/{id}", "GET", f"/rooms/{room}", user)
        assert r is not None
        return dict(r.json())

    async def send_message(self, room: str, user: str, body: dict[str, Any]) -> None:
        self.ledger.sent_at[body["client_msg_id"]] = time.monotonic()
        r = await self.call(
            "POST /rooms messages", "POST", f"/rooms/{room}/messages", user, json=body
        )
        if r is None or r.status_code >= 400:
            return
        seq = int(r.json()["seq"])
        self.ledger.messages[body["client_msg_id"]] = seq
        if body["kind"] == "instruction":
            self.ledger.instructions[seq] = list(body["targets"])

    # -- faults -----------------------------------------------------------------------
    async def at_minute(self, minute: float | None) -> bool:
        if minute is None:
            return False
        await asyncio.sleep(max(0.0, minute * 60 - (time.monotonic() - self.t0)))
        return self.running

    async def fault_kill(self) -> None:
        if not await self.at_minute(self.args.kill_at):
            return
        f = Fault("kill -9", time.monotonic())
        f.t0 = self.t0
        self.faults.append(f)
        f.note = self.server.kill9()
        if self.server.proc is None:
            self.server.start()
        await asyncio.sleep(0.05)
        f.repaired = await self.server.until_live(within=1800)
        await self.watch_sockets(f)

    async def fault_pg(self) -> None:
        if not await self.at_minute(self.args.pg_restart_at):
            return
        f = Fault("PostgreSQL restart", time.monotonic(), note="pg_ctl stop -m fast; start")
        f.t0 = self.t0
        self.faults.append(f)
        await asyncio.to_thread(self.args.cluster.stop, "fast")
        await asyncio.sleep(self.args.outage_seconds)
        await asyncio.to_thread(self.args.cluster.start)
        f.repaired = time.monotonic()
        await self.watch_sockets(f)

    async def fault_redis(self) -> None:
        if not await self.at_minute(self.args.redis_restart_at):
            return
        f = Fault("Redis restart", time.monotonic(), note=f"down {self.args.outage_seconds} s")
        f.t0 = self.t0
        self.faults.append(f)
        await asyncio.to_thread(self.args.redis.stop)
        await asyncio.sleep(self.args.outage_seconds)
        await asyncio.to_thread(self.args.redis.start)
        f.repaired = time.monotonic()
        await self.watch_sockets(f)

    async def fault_media(self) -> None:
        if not await self.at_minute(self.args.media_outage_at):
            return
        f = Fault("media store outage", time.monotonic(), note="moto stopped 30 s")
        f.t0 = self.t0
        self.faults.append(f)
        await asyncio.to_thread(self.args.moto.stop)
        await asyncio.sleep(30)
        await asyncio.to_thread(self.args.moto.start)
        f.repaired = time.monotonic()
        await self.watch_sockets(f)

    async def watch_sockets(self, f: Fault) -> None:
        f.wall_at = time.time() - (time.monotonic() - f.at)
        f.wall_repaired = time.time() - (time.monotonic() - f.repaired)
        self.spawn_watch(self.watch_relays(f))
        await asyncio.sleep(0.5)
        while self.phones_on:
            if all(p.ready for p in self.phones):
                f.sockets_back = time.monotonic()
                return
            await asyncio.sleep(0.1)

    def spawn_watch(self, coro: Any) -> None:
        # Not in self.tasks: the load's end does not wait for (or cancel) a watcher.
        task = asyncio.create_task(coro)
        self.watchers.add(task)
        task.add_done_callback(self.watchers.discard)

    async def watch_relays(self, f: Fault) -> None:
        """Seconds from the repair until the relays caught up with what was accepted
        before it: every report answered by then at the fake city (event.created), every
        notification a phone was shown by then pushed to each device of its user."""
        by_uid = {self.users[u]["id"]: set(self.tokens_of[u]) for u in self.users}
        while self.phones_on:
            if f.city_caught is None:
                at_city = self.city.created_by_event()
                due = [
                    eid
                    for k, eid in self.ledger.reports.items()
                    if self.ledger.report_at[k] <= f.repaired
                ]
                if all(eid in at_city for eid in due):
                    f.city_caught = time.monotonic()
            if f.push_caught is None:
                pushed = {(str(x["token"]), str(x["notification_id"])) for x in self.fcm.received()}
                due_notes = [k for k, at in self.ledger.note_seen.items() if at <= f.repaired]
                if all((t, nid) in pushed for uid, nid in due_notes for t in by_uid.get(uid, ())):
                    f.push_caught = time.monotonic()
            if f.city_caught is not None and f.push_caught is not None:
                return
            await asyncio.sleep(1)

    # -- the push burst ---------------------------------------------------------------
    async def push_burst(self) -> None:
        """At --push-burst-at: instructions to every member of the incident room, as many
        as make --push-burst pushes (one per device of each target), sent at once; the
        seconds until the fake FCM has all of them, and the server's loop lag meanwhile."""
        if not self.args.push_burst or not await self.at_minute(self.args.push_burst_at):
            return
        while self.running and self.room_id is None:  # noqa: ASYNC110 - the incident's task
            await asyncio.sleep(0.5)
        if not self.running or self.room_id is None:
            return
        chief = "district01"
        targets = [u for u in self.room_members if u != self.users[chief]["id"]][:200]
        per_message = sum(self.devices_of_uid.get(u, 0) for u in targets)
        if not per_message:
            return
        count = -(-self.args.push_burst // per_message)
        workers = self.server.workers
        before = await scrape(self.server.port, workers)
        start = time.monotonic()
        cids = [f"flood-{self.tag}-burst{i}" for i in range(count)]
        bodies = [
            {"client_msg_id": c, "kind": "instruction", "text": f"全员转移 {i}", "targets": targets}
            for i, c in enumerate(cids)
        ]
        await asyncio.gather(*(self.send_message(self.room_id, chief, b) for b in bodies))
        sent = time.monotonic()
        seqs = {str(self.ledger.messages[c]) for c in cids if c in self.ledger.messages}
        expected = per_message * len(seqs)
        got = 0
        while time.monotonic() - start < self.args.push_wait:
            received = self.fcm.received()
            got = sum(1 for x in received if x.get("kind") == "instruction" and x["seq"] in seqs)
            if got >= expected:
                break
            await asyncio.sleep(0.5)
        done = time.monotonic()
        after = await scrape(self.server.port, workers)
        self.burst_lines = [
            f"{count} instructions to {len(targets)} members ({per_message} pushes each), "
            f"accepted in {sent - start:.1f} s: {got} of {expected} pushes at the fake FCM "
            f"{done - start:.1f} s after the first was sent "
            f"({got / max(done - start, 1e-9):.0f} pushes/s)",
            "server event-loop lag during the burst (GET /metrics, per worker scraped):",
            *[f"  {line}" for line in lag_between(before, after)],
        ]
        print("  push burst: " + self.burst_lines[0], flush=True)

    # -- run ---------------------------------------------------------------------------
    async def lag_probe(self) -> None:
        while self.running:
            start = time.perf_counter()
            await asyncio.sleep(0.05)
            self.lags.append(time.perf_counter() - start - 0.05)

    async def run(self) -> int:
        await self.setup()
        stamp("population logged in, devices registered")
        self.t0 = time.monotonic()
        cpu0 = self.server.sample_cpu()
        loops = [asyncio.create_task(self.phone_socket(p)) for p in self.phones]
        loops += [asyncio.create_task(self.phone_sync(p)) for p in self.phones]
        while not all(p.ready for p in self.phones):  # noqa: ASYNC110 - many conditions
            await asyncio.sleep(0.1)
        connected_in = time.monotonic() - self.t0
        print(f"{len(self.phones)} phones connected in {connected_in:.1f} s", flush=True)
        self.t0 = time.monotonic()
        cpu0 = self.server.sample_cpu()
        self.metrics_at_start = await scrape(self.server.port, self.server.workers)
        self.burst_task = asyncio.create_task(self.push_burst())
        loops.append(self.burst_task)
        work = [
            self.reports(),
            self.officials(),
            self.incident(),
            self.fault_kill(),
            self.fault_pg(),
            self.fault_redis(),
            self.fault_media(),
            self.lag_probe(),
        ]
        loops += [asyncio.create_task(c) for c in work]
        end = self.t0 + self.args.minutes * 60
        while time.monotonic() < end:
            self.server.sample_cpu()
            await asyncio.sleep(1)
            m = self.minute()
            if abs(m - round(m)) < 1 / 120:
                print(f"  minute {m:.0f}: {len(self.ledger.reports)} reports accepted", flush=True)
        wall = time.monotonic() - self.t0
        cpu = self.server.sample_cpu() - cpu0
        self.running = False
        self.stopped.set()
        # Let the in-flight work finish (lifecycles stop at their next step): on a starved
        # box a report sent in the last second may take long to be answered.
        for _ in range(int(self.args.drain_seconds * 10)):
            if not [t for t in self.tasks if not t.done()]:
                break
            await asyncio.sleep(0.1)
        for t in list(self.tasks):
            t.cancel()
        drained = await self.drain()
        # The burst's own wait, and each fault's relay catch-up, bounded by --push-wait.
        await asyncio.wait([self.burst_task, *self.watchers], timeout=self.args.push_wait)
        for t in list(self.watchers):
            t.cancel()
        self.metrics_at_end = await scrape(self.server.port, self.server.workers)
        self.phones_on = False
        for p in self.phones:
            p.wake.set()
        for t in loops:
            t.cancel()
        await asyncio.gather(*loops, return_exceptions=True)
        stamp("load over, phones caught up")
        return await self.report_out(wall, cpu, drained)

    async def drain(self) -> float:
        """After the load: every phone back on its socket, caught up with the room and
        its acknowledgements sent (a phone's own pace, not a deadline of the ledger's)."""
        start = time.monotonic()
        last = max(self.ledger.messages.values(), default=0)
        while time.monotonic() - start < self.args.drain_seconds:
            if all(
                p.ready
                and not p.pending_acks
                and (self.room_id is None or p.rooms.get(self.room_id, last) >= last)
                for p in self.phones
            ):
                break
            await asyncio.sleep(0.2)
        return time.monotonic() - start

    # -- the ledger against the database and the phones -------------------------------
    async def all_pages(
        self, path: str, user: str, cursor_param: str = "cursor", **params: Any
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        cursor = None
        while True:
            q = {"limit": 200, **params, **({cursor_param: cursor} if cursor else {})}
            r = await self.call("ledger", "GET", path, user, params=q)
            assert r is not None and r.status_code == 200, r and r.text
            body = r.json()
            out += body["items"]
            cursor = body.get("next_cursor")
            if not cursor:
                return out

    async def report_out(self, wall: float, cpu: float, drained: float) -> int:
        led = self.ledger
        chief = "district01"
        problems = 0
        # Reports: every accepted key's event exists once; nothing else with our tag.
        events = await self.all_pages("/events", chief, q=f"flood-{self.tag}")
        ids = [e["id"] for e in events if f"flood-{self.tag}-" in e["description"]]
        got = set(ids)
        lost_reports = sum(1 for eid in led.reports.values() if eid not in got)
        doubled_reports = len(ids) - len(got) + len(led.report_doubled)
        extra_reports = len(got - set(led.reports.values()))
        # Actions: each accepted one appears once in its event's timeline.
        want_actions: dict[str, list[str]] = defaultdict(list)
        for eid, action in led.actions:
            want_actions[eid].append(action)
        lost_actions = doubled_actions = 0
        for eid, actions in want_actions.items():
            r = await self.call("ledger", "GET", f"/events/{eid}", chief)
            assert r is not None
            timeline = [t["action"] for t in r.json()["timeline"]]
            for a in set(actions):
                c = timeline.count(a)
                lost_actions += c == 0
                doubled_actions += max(0, c - 1)
        # Messages: each accepted client_msg_id once in the room, seqs without gaps.
        lost_msgs = doubled_msgs = 0
        ack_lost = ack_doubled = 0
        if self.room_id:
            items = await self.all_pages(
                f"/rooms/{self.room_id}/messages", chief, cursor_param="after_seq"
            )
            by_cid: dict[tuple[str, str], int] = defaultdict(int)
            for m in items:
                if m.get("client_msg_id"):
                    by_cid[(m["client_msg_id"], (m["sender"] or {}).get("user_id", ""))] += 1
            sender = self.users[chief]["id"]
            lost_msgs = sum(1 for c in led.messages if by_cid.get((c, sender), 0) == 0)
            doubled_msgs = sum(v - 1 for v in by_cid.values() if v > 1)
            for cid in [c for c, v in by_cid.items() if v > 1][:3]:
                same = [(m["seq"], m["kind"]) for m in items if m.get("client_msg_id") == cid[0]]
                led.errors[f"message {cid} stored as {same}"] += 1
            acks: dict[tuple[int, str], int] = defaultdict(int)
            for m in items:
                if m["kind"] == "ack":
                    acks[(m["ack_of_seq"], m["sender"]["user_id"])] += 1
            ack_lost = sum(1 for k in led.acks if acks.get(k, 0) == 0)
            ack_doubled = sum(v - 1 for v in acks.values() if v > 1)
        missing, doubled_frames, disorder = phone_order(led)
        # Notifications: each user's stored ones; the socket's are a subset; the incident's
        # members each got incident_declared once; pushes one per notification and device.
        notes: dict[str, list[str]] = {}
        note_doubled = note_lost = 0
        sem = asyncio.Semaphore(8)

        async def read_notes(name: str) -> None:
            async with sem:
                items = await self.all_pages("/notifications", name)
            uid = self.users[name]["id"]
            notes[uid] = [n["id"] for n in items]
            keys = [(n["kind"], json.dumps(n["data"], sort_keys=True)) for n in items]
            nonlocal note_doubled, note_lost
            note_doubled += len(keys) - len(set(keys))
            phantom = led.notes_on_socket.get(uid, set()) - set(notes[uid])
            if phantom:
                led.errors[f"on a socket, not stored: {sorted(phantom)[:2]} of {name}"] += 1
            note_lost += len(phantom)
            if uid in led.incident_members and uid != self.users[chief]["id"]:
                note_lost += not any(k == "incident_declared" for k, _ in keys)

        await asyncio.gather(*(read_notes(n) for n in self.users))
        # The relay has its own pace: wait for it to catch up before counting pushes.
        by_user = {self.users[u]["id"]: self.tokens_of[u] for u in self.users}
        caught = time.monotonic()
        outages = [f.lost_answer_window(self.args.lease_seconds) for f in self.faults]
        push = check_pushes(self.fcm.received(), notes, by_user, outages)
        while push["lost"] and time.monotonic() - caught < self.args.push_wait:
            await asyncio.sleep(1)
            push = check_pushes(self.fcm.received(), notes, by_user, outages)
        city = check_city(self.city, led.reports.values())
        while city["lost"] and time.monotonic() - caught < self.args.push_wait:
            await asyncio.sleep(1)
            city = check_city(self.city, led.reports.values())
        push_tail = time.monotonic() - caught

        a = self.args
        print_block(
            "run",
            [
                f"shape {a.shape}, {a.minutes} min, {len(self.phones)} phones over "
                f"{len(self.users)} users, {a.reports_per_hour}/h reports",
                f"load average at the end: {os.getloadavg()}",
                f"phones caught up {drained:.1f} s after the load stopped",
            ],
        )
        print_block("routes (outside / inside fault windows)", route_table(led, self.faults))
        print_block(
            "room and loop",
            [
                f"room delivery (outside faults) n={len(led.delivery)} "
                f"p50 {pct(led.delivery, 50) * 1000:.1f} ms "
                f"p99 {pct(led.delivery, 99) * 1000:.1f} ms",
                f"simulator event-loop lag p99 {pct(self.lags, 99) * 1000:.1f} ms "
                "(the simulator keeping up)",
                "server event-loop lag over the run (GET /metrics, per worker scraped):",
                *[f"  {line}" for line in lag_between(self.metrics_at_start, self.metrics_at_end)],
                f"server CPU share {cpu / wall:.1%} of one core ({cpu:.1f} s in {wall:.0f} s)",
                f"server CPU per simulated phone-hour "
                f"{cpu / (len(self.phones) * wall / 3600) * 1000:.1f} ms",
            ],
        )
        print_block("push burst", self.burst_lines or ["none"])
        print_block("faults", fault_lines(self.faults) or ["none"])
        ledger_lines = [
            f"reports accepted {len(led.reports)} (repeated {sum(led.report_repeats.values())}):"
            f" lost {lost_reports}, doubled {doubled_reports}, unexpected {extra_reports}",
            f"actions accepted {len(led.actions)}: lost {lost_actions}, doubled {doubled_actions}",
            f"room messages accepted {len(led.messages)}: lost {lost_msgs}, doubled {doubled_msgs}",
            f"phones' room frames: missing {missing}, doubled {doubled_frames}, "
            f"out of order {disorder}",
            f"acks {len(led.acks)} of {sum(len(t) for t in led.instructions.values())} targets:"
            f" lost {ack_lost}, doubled {ack_doubled}",
            f"notifications stored {sum(len(v) for v in notes.values())}: lost {note_lost}, "
            f"doubled {note_doubled}",
            f"pushes {push['pushed']} for {push['expected']} (notification, device): "
            f"lost {push['lost']}, doubled {push['doubled']}, sent again only because FCM's "
            f"answer was lost in a fault {push['answer_lost']} (counted apart), "
            f"caught up {push_tail:.1f} s after the load stopped",
            f"city link: {city['delivered']} deliveries for {city['expected']} reports "
            f"(event.created): lost {city['lost']}, doubled {city['doubled']}, delivered "
            f"again with the same id {city['redelivered']} (the city de-duplicates on it)",
        ]
        print_block("ledger", ledger_lines)
        if led.errors:
            print_block("errors", [f"{n} x {e}" for e, n in led.errors.most_common(15)])
        problems = (
            lost_reports
            + doubled_reports
            + lost_actions
            + doubled_actions
            + lost_msgs
            + doubled_msgs
            + missing
            + doubled_frames
            + disorder
            + ack_lost
            + ack_doubled
            + note_lost
            + note_doubled
            + push["lost"]
            + push["doubled"]
            + city["lost"]
            + city["doubled"]
        )
        print(f"\nLEDGER {'OK' if problems == 0 else 'FAILED'}: {problems} lost or doubled")
        await self.http.aclose()
        return 0 if problems == 0 else 1


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--shape", choices=("embedded", "scaled"), default="embedded")
    p.add_argument("--minutes", type=float, default=10)
    p.add_argument("--phones", type=int, default=3000)
    p.add_argument("--reports-per-hour", type=float, default=2000)
    p.add_argument("--retry-share", type=float, default=0.05)
    p.add_argument("--incident-at", type=float, default=5)
    p.add_argument("--room-members", type=int, default=200)
    p.add_argument("--messages-per-second", type=float, default=5)
    p.add_argument("--targets", type=int, default=30)
    p.add_argument("--kill-at", type=float)
    p.add_argument("--pg-restart-at", type=float)
    p.add_argument("--redis-restart-at", type=float)
    p.add_argument("--media-outage-at", type=float)
    p.add_argument("--outage-seconds", type=float, default=10)
    p.add_argument("--connections", type=int, default=64, help="HTTP keep-alive connections")
    p.add_argument("--seed", type=int, default=12)
    p.add_argument("--drain-seconds", type=float, default=180, help="most to wait for phones")
    p.add_argument("--push-wait", type=float, default=120, help="seconds to wait for pushes")
    p.add_argument("--no-pin", action="store_true", help="do not pin server and simulator")
    p.add_argument("--grids", type=int, default=0, help="reports from the first N grids (0: all)")
    p.add_argument("--push-burst", type=int, default=10000, help="pushes in the burst (0: none)")
    p.add_argument("--push-burst-at", type=float, default=6, help="minute of the burst")
    p.add_argument(
        "--lease-seconds",
        type=int,
        default=60,
        help="the server's push and city-link leases (a killed send's; the city's at least 15)."
        " Keep it above the FCM sender's 30 s timeout: a send slower than the lease is claimed"
        " and sent again by another relay",
    )
    return p.parse_args(argv)


STARTED = time.monotonic()


def stamp(what: str) -> None:
    print(f"[{time.monotonic() - STARTED:6.1f} s] {what}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    ncpu = os.cpu_count() or 1
    sim_cpus = None if args.no_pin or ncpu < 2 else {0}
    srv_cpus = None if args.no_pin or ncpu < 2 else {ncpu - 1}
    if sim_cpus:
        os.sched_setaffinity(0, sim_cpus)
    # SIGTERM (a test's timeout): tear down what we started, as on ^C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    work = Path(tempfile.mkdtemp(prefix="floodday-"))
    cleanup: list[Any] = []
    try:
        env: dict[str, str] = {
            # A fixed key, as production has: tokens outlive a restart.
            "CHENGYUN_SECRET_KEY": "flood-day-" + uuid.uuid4().hex,
            "CHENGYUN_WS_SEND_RATE": "1000",
            "CHENGYUN_WS_SEND_BURST": "1000",
            # A killed relay's claimed pushes go again after the lease: shorter than the
            # default 120 s so that a run of minutes sees them.
            "CHENGYUN_PUSH_LEASE_SECONDS": str(args.lease_seconds),
            "CHENGYUN_CITY_LEASE_SECONDS": str(max(15, args.lease_seconds)),
        }
        city = FakeCity()
        env.update(city.env())
        fcm = FakeFcmProcess(work, sim_cpus)
        cleanup.append(fcm.stop)
        env.update(fcm.env())
        args.cluster = args.redis = args.moto = None
        if args.shape == "scaled":
            from tests.integration.private_services import PrivateCluster, PrivateRedis

            args.cluster = PrivateCluster()
            cleanup.append(args.cluster.destroy)
            args.cluster.start()
            import asyncpg

            async def create() -> None:
                c = await asyncpg.connect(f"postgresql://postgres@127.0.0.1:{args.cluster.port}")
                await c.execute("CREATE DATABASE flood")
                await c.close()

            asyncio.run(create())
            args.redis = PrivateRedis()
            cleanup.append(args.redis.destroy)
            args.redis.start()
            env["CHENGYUN_DATABASE_URL"] = args.cluster.url + "/flood"
            env["CHENGYUN_REDIS_URL"] = args.redis.url
        elif args.pg_restart_at is not None or args.redis_restart_at is not None:
            raise SystemExit("--pg-restart-at/--redis-restart-at need --shape scaled")
        if args.media_outage_at is not None:
            args.moto = Moto()
            cleanup.append(args.moto.stop)
            env.update(args.moto.env())
        server = Server(work, env, 2 if args.shape == "scaled" else 1, srv_cpus)
        cleanup.append(server.stop)
        server.run_cli("migrate")
        server.run_cli("seed-demo")
        stamp("migrated and seeded")
        server.start()
        asyncio.run(server.until_live())
        stamp("server answering")

        async def go() -> int:
            await city.start()
            try:
                return await Sim(args, server, fcm, city).run()
            finally:
                await city.stop()

        return asyncio.run(go())
    finally:
        for step in reversed(cleanup):
            try:
                step()
            except Exception as exc:  # noqa: BLE001 - best effort teardown
                print(f"teardown: {exc}", file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
