"""Servers in child processes and a keep-alive HTTP/1.1 load generator, for bench/api.py.

A raw client on asyncio streams: an async httpx client spends more CPU per request than a
hello-world server does, so it would measure itself, not the server. The server's cost is
read from ``/proc`` (its CPU time, all threads, while a scenario is measured), the figure
that hardly moves when other work shares the machine.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Result",
    "drive",
    "get_request",
    "hello_app",
    "http_json",
    "post_request",
    "serve_hello",
    "server",
]

#: What one request index sends: one request, or several sent in order on one connection
#: (an action sequence on one event), each timed and counted on its own.
Requests = bytes | list[bytes]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def hello_app() -> Any:
    from litestar import Litestar, get

    @get("/")
    async def hello() -> dict[str, str]:
        return {"hello": "world"}

    return Litestar(route_handlers=[hello], debug=False)


def serve_hello(port: int) -> None:
    """The baseline: what uvicorn + Litestar cost with no database and no auth."""
    import uvicorn

    uvicorn.run(
        hello_app(),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        log_level="warning",
    )


def _pin(cpus: set[int] | None) -> Callable[[], None] | None:
    if not cpus:
        return None
    return lambda: os.sched_setaffinity(0, cpus)


@contextmanager
def server(
    argv: list[str], env: dict[str, str], ready_path: str, log: Path, cpus: set[int] | None
) -> Iterator[tuple[int, int]]:
    """Yields the server's port and process id."""
    port = free_port()
    argv = [a.replace("{port}", str(port)) for a in argv]
    with log.open("wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            argv, env=env, stdout=out, stderr=subprocess.STDOUT, preexec_fn=_pin(cpus)
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{ready_path}", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"server not ready:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        yield port, proc.pid
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def http_json(port: int, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
    """One plain request outside the measurement (log in, read a cursor)."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=None if body is None else json.dumps(body).encode(),
        headers=headers,
        method=method,
    )
    with urllib.request.urlopen(req, timeout=30) as r:  # noqa: S310 - http://127.0.0.1 only
        return json.load(r)


@dataclass
class Result:
    name: str
    done: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    cpu_seconds: float = math.nan  # the server process's CPU time (all threads) while measured

    @property
    def cpu_ms(self) -> float:
        return self.cpu_seconds / self.done * 1000 if self.done else math.nan

    @property
    def rps(self) -> float:
        return self.done / self.seconds if self.seconds else 0.0

    def pct(self, p: float) -> float:
        if not self.latencies:
            return math.nan
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    return status


async def _workers(
    port: int,
    make_request: Callable[[int], Requests],
    indices: Iterator[int],
    concurrency: int,
    deadline: float,
    record: Callable[[float, int], None],
) -> None:
    """``concurrency`` connections share one iterator of request indices until it runs dry."""

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for i in indices:
                if time.perf_counter() > deadline:
                    break
                requests = make_request(i)
                for request in [requests] if isinstance(requests, bytes) else requests:
                    t0 = time.perf_counter()
                    writer.write(request)
                    status = await _read_response(reader)
                    record(time.perf_counter() - t0, status)
        finally:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def drive(
    port: int,
    make_request: Callable[[int], Requests],
    *,
    name: str,
    total: int,
    concurrency: int,
    max_seconds: float,
    warmup: int,
    pid: int | None = None,
) -> Result:
    """Request indices ``warmup .. warmup + total`` over ``concurrency`` keep-alive
    connections, at most ``max_seconds``.

    Indices ``0 .. warmup`` (connection set-up, caches, first SQL compilations) run before
    the clock starts and are not counted.
    """
    result = Result(name)

    def record(latency: float, status: int) -> None:
        result.latencies.append(latency)
        result.statuses[status] += 1

    await _workers(
        port, make_request, iter(range(warmup)), concurrency, math.inf, lambda _l, _s: None
    )
    cpu0 = process_cpu_seconds(pid) if pid else math.nan
    start = time.perf_counter()
    await _workers(
        port,
        make_request,
        iter(range(warmup, warmup + total)),
        concurrency,
        start + max_seconds,
        record,
    )
    result.seconds = time.perf_counter() - start
    if pid:
        result.cpu_seconds = process_cpu_seconds(pid) - cpu0
    result.done = len(result.latencies)
    return result


def get_request(path: str, token: str | None, headers: str = "") -> bytes:
    auth = f"Authorization: Bearer {token}\r\n" if token else ""
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{auth}{headers}\r\n".encode()


def post_request(path: str, token: str, body: Any, idempotency_key: str) -> bytes:
    data = json.dumps(body, ensure_ascii=False).encode()
    return (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
        f"Idempotency-Key: {idempotency_key}\r\nContent-Length: {len(data)}\r\n\r\n"
    ).encode() + data
