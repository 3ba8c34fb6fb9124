"""A real `chengyun serve` (uvicorn) on a free loopback port, over a seeded SQLite file."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

__all__ = ["LiveServer", "start_server"]

CLI = [sys.executable, "-m", "backend.cli"]


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def api(self) -> str:
        return f"{self.url}/api/v1"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: Path, extra_env: dict[str, str] | None = None) -> LiveServer:
    env = {
        **os.environ,
        "CHENGYUN_DATA_DIR": str(data_dir),
        "CHENGYUN_PASSWORD_PROFILE": "fast",
        "CHENGYUN_PUSH_SENDER": "memory",
        "CHENGYUN_LOG_LEVEL": "WARNING",
        **(extra_env or {}),
    }
    # Never the developer's or CI's PostgreSQL/Redis: this server owns its SQLite file.
    for name in ("CHENGYUN_DATABASE_URL", "CHENGYUN_REDIS_URL", "CHENGYUN_S3_BUCKET"):
        env.pop(name, None)
    for step in ("migrate", "seed-demo"):
        subprocess.run([*CLI, step], env=env, check=True, capture_output=True, timeout=120)
    port = _free_port()
    log = data_dir / "server.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chengyun serve exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.api}/health/ready", timeout=2).status_code == 200:
                return server
        except httpx.TransportError:
            pass
        time.sleep(0.1)  # polling the port until it answers; there is nothing to await
    server.stop()
    raise RuntimeError(f"chengyun serve did not become ready:\n{log.read_text()[-3000:]}")
