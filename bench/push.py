"""Push fan-out benchmark: FcmSender vs a bare httpx HTTP/2 client, same fake FCM.

    .venv/bin/python bench/push.py [--messages 10000] [--latency-ms 20]

Starts push.fake_fcm.FakeFcm (its own thread and loop) answering every request after a
simulated 20 ms, sends N messages through FcmSender, then sends the same N requests with
a bare httpx.AsyncClient over HTTP/2, and prints

- throughput ratio = bare time / FcmSender time (target >= 0.7: the SDK layer, our
  message building and result mapping cost at most ~30% of raw HTTP/2 throughput);
- event-loop lag p99 during each fan-out (target < 20 ms: the API keeps answering
  while a 10,000-device broadcast goes out), sampled by a task asking for a 5 ms sleep.

Both clients speak HTTP/2 with prior knowledge to the fake (real FCM negotiates HTTP/2
over TLS); the fake's per-connection limit of 100 concurrent streams applies to both.
"""

from __future__ import annotations

import sys
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and this file would
# shadow the `push` package it measures.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]
sys.path.insert(0, str(_HERE.parent))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import multiprocessing  # noqa: E402
import statistics  # noqa: E402
from multiprocessing.connection import Connection  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from bench._lag import measure, p99  # noqa: E402
from push import Delivered, PushMessage  # noqa: E402
from push.fake_fcm import FakeFcm, StaticTokenCredential  # noqa: E402
from push.fcm import FcmSender  # noqa: E402


def _messages(count: int) -> list[PushMessage]:
    return [
        PushMessage(
            token=f"bench-token-{i:05d}",
            platform="android" if i % 3 else "ios",
            title="事件已分派",
            body="洪山区城运中心: 请于 2 小时内处理",
            kind="event_assigned",
            data={"event_id": i, "seq": i},
            priority="high" if i % 10 == 0 else "normal",
            collapse_key=f"event-{i}",
            ttl_seconds=3600,
        )
        for i in range(count)
    ]


def _bare_body(message: PushMessage) -> dict[str, Any]:
    """The same JSON FcmSender puts on the wire, built by hand."""
    high = message.priority == "high"
    return {
        "message": {
            "token": message.token,
            "notification": {"title": message.title, "body": message.body},
            "data": message.wire_data,
            "android": {
                "priority": "high" if high else "normal",
                "collapse_key": message.collapse_key,
                "ttl": f"{message.ttl_seconds}s",
                "notification": {"channel_id": "x", "tag": message.collapse_key},
            },
            "apns": {
                "headers": {"apns-priority": "10" if high else "5", "apns-push-type": "alert"},
                "payload": {"aps": {"sound": "default"}},
            },
        }
    }


def _serve_fake(conn: Connection, latency: float) -> None:
    """Child process: run the fake FCM until the parent says stop.

    A separate process, like the real FCM: the fake's own CPU work (HTTP/2 framing, JSON)
    must not be billed to the client under test, nor stall its event loop via the GIL.
    """
    with FakeFcm(latency=latency) as fake:
        conn.send((fake.base_url, fake.send_url, fake.project_id, fake.access_token))
        conn.recv()


async def main(count: int, latency: float, rounds: int, sender_options: dict[str, Any]) -> None:
    messages = _messages(count)
    parent, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=_serve_fake, args=(child, latency), daemon=True)
    server.start()
    base_url, send_url, project_id, access_token = parent.recv()
    try:
        sender = FcmSender(
            credentials=StaticTokenCredential(access_token),
            project_id=project_id,
            base_url=base_url,
            http1=False,  # HTTP/2 with prior knowledge, as the fake's sender_options() says
            **sender_options,
        )

        async def via_sender() -> int:
            results = await sender.send(messages)
            return sum(isinstance(r, Delivered) for r in results)

        auth = {"authorization": f"Bearer {access_token}"}
        bare = httpx.AsyncClient(http1=False, http2=True, timeout=60)

        async def via_bare() -> int:
            # A sensible hand-written client: at most 500 requests in flight (what one
            # FcmSender batch puts in flight); gathering all 10,000 at once is slower,
            # because httpcore's pool rescans every queued request on each completion.
            in_flight = asyncio.Semaphore(500)

            async def one(message: PushMessage) -> bool:
                async with in_flight:
                    response = await bare.post(send_url, json=_bare_body(message), headers=auth)
                return response.status_code == 200

            return sum(await asyncio.gather(*(one(m) for m in messages)))

        runs: dict[str, list[tuple[float, int, list[float]]]] = {"sender": [], "bare": []}
        try:
            # Warm both up (connections, imports, credential) outside the measurement.
            await sender.send(messages[:50])
            await asyncio.gather(
                *(bare.post(send_url, json=_bare_body(m), headers=auth) for m in messages[:50])
            )
            # Alternate the two so a noisy neighbour on the machine hits both alike.
            for _ in range(rounds):
                runs["sender"].append(await measure(via_sender))
                runs["bare"].append(await measure(via_bare))
        finally:
            await sender.close()
            await bare.aclose()
    finally:
        parent.send("stop")
        server.join()

    sender_s = statistics.median(r[0] for r in runs["sender"])
    bare_s = statistics.median(r[0] for r in runs["bare"])
    sender_ok = min(r[1] for r in runs["sender"])
    bare_ok = min(r[1] for r in runs["bare"])
    sender_lag = statistics.median(p99(r[2]) for r in runs["sender"])
    bare_lag = statistics.median(p99(r[2]) for r in runs["bare"])
    print(
        f"messages: {count}, fake FCM latency: {latency * 1000:.0f} ms per request, "
        f"median of {rounds} alternating rounds"
    )
    print(f"FcmSender : {sender_s:6.2f} s  ({count / sender_s:7.0f} msg/s), {sender_ok} delivered")
    print(f"bare httpx: {bare_s:6.2f} s  ({count / bare_s:7.0f} msg/s), {bare_ok} delivered")
    ratio = bare_s / sender_s
    print(f"throughput ratio FcmSender/bare: {ratio:.2f}  (target >= 0.70)")
    print(
        f"event-loop lag p99: FcmSender {sender_lag * 1000:.1f} ms, "
        f"bare {bare_lag * 1000:.1f} ms  (target < 20 ms)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--concurrent-batches", type=int, default=None)
    arguments = parser.parse_args()
    overrides = {
        "batch_size": arguments.batch_size,
        "concurrent_batches": arguments.concurrent_batches,
    }
    options = {name: value for name, value in overrides.items() if value is not None}
    print(f"FcmSender options: {options or 'defaults'}")
    asyncio.run(main(arguments.messages, arguments.latency_ms / 1000, arguments.rounds, options))
