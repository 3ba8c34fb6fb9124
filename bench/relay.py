"""Outbox relay benchmark: one notification to 10,000 devices, through the database.

    .venv/bin/python bench/relay.py [--devices 10000] [--latency-ms 20] [--rounds 3]
                                    [--database-url postgresql+asyncpg://...]

Same approach as bench/push.py: push.fake_fcm.FakeFcm answers every request after 20 ms in
a child process (like the real FCM, its CPU work is not billed to the client), and the
baseline is a bare httpx HTTP/2 client sending the same 10,000 requests with 500 in flight.
Here the measured path is the whole relay: claim due rows (SKIP LOCKED on PostgreSQL),
build messages, FcmSender, record every result and attempt row, commit. It prints

- the relay's drain time as a throughput ratio to the bare client (target >= 0.7);
- the event loop's p99 lag during the fan-out (target < 20 ms), sampled by a task asking
  for 5 ms sleeps, as bench/push.py does;
- for information, how long notify_users takes to write the 10,000 outbox rows.

SQLite (a temporary file, migrated and seeded) unless --database-url names a PostgreSQL
database to use (it is migrated and seeded, and the bench's rows are left behind).
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and would shadow `push`.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import multiprocessing  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from multiprocessing.connection import Connection  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
from sqlalchemy import func, insert, select, update  # noqa: E402

from backend.auth.passwords import password_service  # noqa: E402
from backend.db.base import new_id, utcnow  # noqa: E402
from backend.db.engine import Database  # noqa: E402
from backend.db.migrate import upgrade_head  # noqa: E402
from backend.db.models import Device, PushDelivery, User  # noqa: E402
from backend.notify.relay import PushRelay, RelayConfig  # noqa: E402
from backend.notify.service import NotifyService  # noqa: E402
from backend.orgs.seed import seed_demo  # noqa: E402
from bench._lag import measure, p99  # noqa: E402
from push import PushMessage  # noqa: E402
from push.fake_fcm import FakeFcm, StaticTokenCredential  # noqa: E402
from push.fcm import FcmSender  # noqa: E402


def _serve_fake(conn: Connection, latency: float) -> None:
    with FakeFcm(latency=latency) as fake:
        conn.send((fake.base_url, fake.send_url, fake.project_id, fake.access_token))
        conn.recv()


def _bare_body(token: str) -> dict[str, Any]:
    """What FcmSender puts on the wire for one of the bench's messages, built by hand."""
    return {
        "message": {
            "token": token,
            "notification": {"title": "事件上报区城运中心", "body": "请立即处置"},
            "data": {"event_id": "e-1", "case_no": "HS20261124000001", "kind": "escalated"},
            "android": {
                "priority": "normal",
                "collapse_key": "escalated:e-1",
                "notification": {"channel_id": "chengyun_default", "tag": "escalated:e-1"},
            },
            "apns": {
                "headers": {"apns-priority": "5", "apns-push-type": "alert"},
                "payload": {"aps": {"sound": "default"}},
            },
        }
    }


async def _prepare(db: Database, devices: int) -> list[str]:
    """Seed, then spread `devices` Android devices over every demo user; their user ids."""
    async with db.sessions() as s:
        await seed_demo(s, password_service("fast"))
        await s.commit()
    async with db.sessions() as s:
        users = list(await s.scalars(select(User.id).order_by(User.username)))
        now = utcnow()
        rows = [
            {
                "id": new_id(),
                "token": f"bench-{i:05d}-{new_id()}",
                "user_id": users[i % len(users)],
                "platform": "android",
                "created_at": now,
                "last_seen_at": now,
                "active": True,
            }
            for i in range(devices)
        ]
        await s.execute(insert(Device), rows)
        await s.commit()
    return users


async def main(args: argparse.Namespace) -> None:
    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite+aiosqlite:///{tmp.name}/bench.db"
    await asyncio.to_thread(upgrade_head, url)
    db = Database(url)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve_fake, args=(child, args.latency), daemon=True)
    server.start()
    base_url, send_url, project_id, access_token = parent.recv()
    sender = FcmSender(
        credentials=StaticTokenCredential(access_token),
        project_id=project_id,
        base_url=base_url,
        http1=False,
    )
    bare = httpx.AsyncClient(http1=False, http2=True, timeout=60)
    auth = {"authorization": f"Bearer {access_token}"}
    try:
        users = await _prepare(db, args.devices)
        relay = PushRelay(
            db, sender, utcnow, RelayConfig(workers=args.workers, batch_size=args.batch_size)
        )
        notify = NotifyService(sender=sender, kick_relay=lambda: None)
        async with db.sessions() as s:
            tokens = list(await s.scalars(select(Device.token)))
        start = time.perf_counter()
        async with db.sessions() as s:
            await notify.notify_users(
                s,
                user_ids=users,
                kind="escalated",
                title="事件上报区城运中心",
                body="请立即处置",
                data={"event_id": "e-1", "case_no": "HS20261124000001"},
                priority="high",
                collapse_key="escalated:e-1",
                now=utcnow(),
            )
            await s.commit()
        write_s = time.perf_counter() - start

        async def via_relay() -> int:
            await relay.drain()
            async with db.sessions() as s:
                return int(
                    await s.scalar(
                        select(func.count())
                        .select_from(PushDelivery)
                        .where(PushDelivery.state == "delivered")
                    )
                    or 0
                )

        async def reset() -> None:
            async with db.sessions() as s:
                await s.execute(
                    update(PushDelivery).values(
                        state="pending", attempts=0, next_attempt_at=utcnow(), claimed_until=None
                    )
                )
                await s.commit()

        async def via_bare() -> int:
            in_flight = asyncio.Semaphore(500)

            async def one(token: str) -> bool:
                async with in_flight:
                    r = await bare.post(send_url, json=_bare_body(token), headers=auth)
                return r.status_code == 200

            return sum(await asyncio.gather(*(one(t) for t in tokens)))

        # Warm both up (connections, credential) outside the measurement.
        await sender.send(
            [
                PushMessage(token=t, platform="android", title="w", body="w", kind="w")
                for t in tokens[:50]
            ]
        )
        await asyncio.gather(
            *(bare.post(send_url, json=_bare_body(t), headers=auth) for t in tokens[:50])
        )
        runs: dict[str, list[tuple[float, int, list[float]]]] = {"relay": [], "bare": []}
        for i in range(args.rounds):
            if i:
                await reset()
            runs["relay"].append(await measure(via_relay))
            runs["bare"].append(await measure(via_bare))
    finally:
        await sender.close()
        await bare.aclose()
        await db.dispose()
        parent.send("stop")
        server.join()
        tmp.cleanup()

    relay_s = statistics.median(r[0] for r in runs["relay"])
    bare_s = statistics.median(r[0] for r in runs["bare"])
    relay_lag = statistics.median(p99(r[2]) for r in runs["relay"])
    bare_lag = statistics.median(p99(r[2]) for r in runs["bare"])
    n = args.devices
    print(
        f"database: {db.dialect}, devices: {n} over {len(users)} users, fake FCM latency "
        f"{args.latency * 1000:.0f} ms, relay workers {args.workers}, "
        f"median of {args.rounds} alternating rounds"
    )
    print(f"notify_users writing the outbox: {write_s:6.2f} s")
    print(
        f"relay drain : {relay_s:6.2f} s  ({n / relay_s:7.0f} msg/s), "
        f"{min(r[1] for r in runs['relay'])} delivered"
    )
    print(
        f"bare httpx  : {bare_s:6.2f} s  ({n / bare_s:7.0f} msg/s), "
        f"{min(r[1] for r in runs['bare'])} delivered"
    )
    print(f"throughput ratio relay/bare: {bare_s / relay_s:.2f}  (target >= 0.70)")
    print(
        f"event-loop lag p99: relay {relay_lag * 1000:.1f} ms, bare {bare_lag * 1000:.1f} ms"
        "  (target < 20 ms)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", type=int, default=10_000)
    parser.add_argument("--latency-ms", dest="latency", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch-size", dest="batch_size", type=int, default=50)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args()
    arguments.latency /= 1000
    asyncio.run(main(arguments))
