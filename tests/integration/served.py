"""``chengyun serve`` in a child process, as production runs it, for the fault tests.

The tests kill it with SIGKILL (``kill -9``) and start it again on the same port; the
database is the test's own (``database_url``). It starts without the scheduler and with
the memory push sender unless the test asks otherwise.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

CHENGYUN = str(Path(sys.executable).with_name("chengyun"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class ServedProcess:
    def __init__(self, database_url: str, data_dir: Path, **env: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.data_dir = data_dir
        self.env = {
            **os.environ,
            "CHENGYUN_ENV": "test",
            "CHENGYUN_DATABASE_URL": database_url,
            "CHENGYUN_DATA_DIR": str(data_dir),
            "CHENGYUN_PASSWORD_PROFILE": "fast",
            "CHENGYUN_SCHEDULER": "off",
            "CHENGYUN_PUSH_SENDER": "memory",
            "CHENGYUN_LOG_LEVEL": "WARNING",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = data_dir / "serve.log"

    async def start(self, within: float = 60) -> float:
        """Start the server; return the monotonic time it first answered."""
        assert self.proc is None
        with self.log.open("ab") as out:
            # Popen only forks; it returns at once.
            self.proc = subprocess.Popen(  # noqa: S603, ASYNC220 - our own CLI
                [CHENGYUN, "serve", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(base_url=self.base, timeout=2) as c:
            while True:
                if self.proc.poll() is not None:
                    raise AssertionError(f"serve exited: {self.log.read_text()[-3000:]}")
                try:
                    if (await c.get("/api/v1/health/live")).status_code == 200:
                        return time.monotonic()
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise AssertionError(f"serve never answered: {self.log.read_text()[-3000:]}")
                await asyncio.sleep(0.05)

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None


async def login(client: httpx.AsyncClient, username: str) -> dict[str, str]:
    r = await client.post(
        "/api/v1/auth/login", json={"username": username, "password": "chengyun-demo"}
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def until_answered(
    client: httpx.AsyncClient, deadline: float, method: str, path: str, **kw: Any
) -> httpx.Response:
    """What the phone does: retry on 409 in flight / 503 (after Retry-After) and on a lost
    connection, until an answer that is not one of those, or ``deadline`` (monotonic)."""
    while True:
        try:
            r = await client.request(method, path, **kw)
            if r.status_code not in (409, 503) or r.json().get("code") not in (
                "idempotency_in_flight",
                "unavailable",
            ):
                return r
            pause = float(r.headers.get("retry-after", "1"))
        except httpx.TransportError:
            pause = 0.1
        if time.monotonic() + pause > deadline:
            raise AssertionError(f"{method} {path}: no answer before the deadline")
        await asyncio.sleep(pause)
