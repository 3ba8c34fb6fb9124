"""What the flood-day simulator reads from the server beside the API: ``/metrics`` of each
worker (the event loop's lag histogram, the outboxes), and a fake city platform that the
server's city-link relay delivers to (bench/floodday.py)."""

from __future__ import annotations

import asyncio
import json
import re
import socket
import time
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import httpx

LAG = "chengyun_event_loop_lag_seconds"
_LINE = re.compile(r"^([a-zA-Z_:][\w:]*)(?:\{([^}]*)\})? ([-+\w.]+)$")


def samples(text: str) -> list[tuple[str, dict[str, str], float]]:
    out = []
    for line in text.splitlines():
        m = _LINE.match(line)
        if m:
            labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
            out.append((m.group(1), labels, float(m.group(3))))
    return out


def value(text: str, name: str, **labels: str) -> float | None:
    for n, got, v in samples(text):
        if n == name and got == labels:
            return v
    return None


def pid_of(text: str) -> str | None:
    for n, labels, _ in samples(text):
        if n == "chengyun_process":
            return labels.get("pid")
    return None


def lag_buckets(text: str) -> dict[float, float]:
    """Cumulative counts by upper bound (+Inf as inf) of the loop-lag histogram."""
    return {float(labels["le"]): v for n, labels, v in samples(text) if n == f"{LAG}_bucket"}


async def scrape(port: int, workers: int, tries: int = 12) -> dict[str, str]:
    """/metrics of each worker behind the port: a fresh connection per scrape lands on one
    worker at random, so scrape until every worker (by pid) answered or ``tries`` ran out."""
    got: dict[str, str] = {}
    for _ in range(tries):
        try:
            async with httpx.AsyncClient(timeout=10) as c:
                r = await c.get(f"http://127.0.0.1:{port}/metrics")
        except httpx.HTTPError:
            continue
        pid = pid_of(r.text) if r.status_code == 200 else None
        if pid:
            got[pid] = r.text
        if len(got) >= workers:
            break
    return got


def lag_between(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Per worker: samples, the bucket that holds p99, and the share under 20 ms, of the
    loop-lag histogram between two scrapes (a worker new since ``before`` from zero)."""
    lines = []
    for pid, text in sorted(after.items()):
        b = lag_buckets(text)
        a = lag_buckets(before.get(pid, ""))
        d = {le: b[le] - a.get(le, 0.0) for le in b}
        total = d.get(float("inf"), 0.0)
        if total <= 0:
            lines.append(f"worker {pid}: no samples")
            continue
        p99 = next(le for le in sorted(d) if d[le] >= 0.99 * total)
        under = d.get(0.02, 0.0) / total
        over = total - d.get(0.1, 0.0)
        bound = "> 2.5 s" if p99 == float("inf") else f"<= {p99 * 1000:g} ms"
        lines.append(
            f"worker {pid}: {int(total)} samples, p99 {bound}, {under:.1%} under 20 ms, "
            f"{int(over)} over 100 ms"
        )
    return lines


def outbox(text: str) -> dict[str, tuple[float, float]]:
    """outbox -> (pending rows, oldest due age in seconds)."""
    out = {}
    for name in ("push", "city"):
        pending = value(text, "chengyun_outbox_pending", outbox=name)
        age = value(text, "chengyun_outbox_oldest_age_seconds", outbox=name)
        if pending is not None and age is not None:
            out[name] = (pending, age)
    return out


@dataclass
class FakeCity:
    """The city platform (市城运中心) as the relay sees it: HTTP/1.1, answers 200 to every
    POST and records its body (``id`` is the city's de-duplication key)."""

    sock: socket.socket = field(default_factory=socket.socket)
    received: list[dict[str, Any]] = field(default_factory=list)
    at: list[float] = field(default_factory=list)  # monotonic, per received
    _server: asyncio.AbstractServer | None = None

    def __post_init__(self) -> None:
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])

    def env(self) -> dict[str, str]:
        return {
            "CHENGYUN_CITY_ENDPOINT": f"http://127.0.0.1:{self.port}/cases",
            "CHENGYUN_CITY_SECRET": "flood-day-city",
        }

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._conn, sock=self.sock)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _conn(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                m = re.search(rb"(?i)content-length:\s*(\d+)", head)
                body = await reader.readexactly(int(m.group(1))) if m else b""
                try:
                    self.received.append(json.loads(body))
                    self.at.append(time.monotonic())
                except ValueError:
                    pass
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()

    def created_by_event(self, before: float | None = None) -> dict[str, set[str]]:
        """event id -> the body ids of its event.created deliveries (up to ``before``)."""
        out: dict[str, set[str]] = defaultdict(set)
        for body, at in zip(self.received, self.at, strict=True):
            if body.get("kind") == "event.created" and (before is None or at <= before):
                out[body["event"]["id"]].add(body["id"])
        return out
