"""The flood-day simulator's processes: ``chengyun serve`` pinned to its core (one process,
or ``--workers 2`` behind one port), the private PostgreSQL / redis-server it may restart
(tests/integration/private_services.py), a moto S3 server it may stop, and the fake FCM in
a child process of its own, to which the server's FCM sender is pointed as production
points it anywhere: ``CHENGYUN_FCM_ENDPOINT`` and a service-account file
(``CHENGYUN_FCM_CREDENTIALS``) whose token_uri is the fake's OAuth endpoint."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
CHENGYUN = str(Path(sys.executable).with_name("chengyun"))



def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def children(pid: int) -> list[int]:
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(c) for c in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            pass
    return out


class FakeFcmProcess:
    """push.fake_fcm.FakeFcm in a child process; it writes what it received to a file."""

    def __init__(self, workdir: Path, cpus: set[int] | None) -> None:
        self.out = workdir / "fcm.json"
        self.proc = subprocess.Popen(  # noqa: S603
            [sys.executable, str(Path(__file__).with_name("_flood_fcm.py")), str(self.out)],
            stdout=subprocess.PIPE,
            preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
        )
        assert self.proc.stdout is not None
        self.port = int(self.proc.stdout.readline())

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def credentials(self) -> Path:
        """The service-account file the fake wrote (its token_uri is the fake's)."""
        return self.out.with_name("fcm-service-account.json")

    def env(self) -> dict[str, str]:
        return {
            "CHENGYUN_PUSH_SENDER": "fcm",
            "CHENGYUN_FCM_ENDPOINT": self.url,
            "CHENGYUN_FCM_CREDENTIALS": str(self.credentials),
        }

    def received(self) -> list[dict[str, Any]]:
        try:
            return list(json.loads(self.out.read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return []

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


class Moto:
    def __init__(self) -> None:
        import logging

        from moto.server import ThreadedMotoServer

        # werkzeug's access log (a line per S3 request) costs the simulator's core.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._cls = ThreadedMotoServer
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        self.host, self.port = self.server.get_host_and_port()
        import boto3

        boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id="k",
            aws_secret_access_key="s",
            region_name="us-east-1",
        ).create_bucket(Bucket="flood")

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        return {
            "CHENGYUN_S3_ENDPOINT": self.endpoint,
            "CHENGYUN_S3_BUCKET": "flood",
            "CHENGYUN_S3_ACCESS_KEY": "k",
            "CHENGYUN_S3_SECRET_KEY": "s",
        }

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server = self._cls(ip_address="127.0.0.1", port=self.port, verbose=False)
        self.server.start()


class Server:
    """``chengyun serve`` as production runs it, restartable on the same port."""

    def __init__(
        self, workdir: Path, env: dict[str, str], workers: int, cpus: set[int] | None
    ) -> None:
        self.workdir, self.workers, self.cpus = workdir, workers, cpus
        self.port = free_port()
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "CHENGYUN_ENV": "development",
            "CHENGYUN_DATA_DIR": str(workdir / "data"),
            "CHENGYUN_PASSWORD_PROFILE": "fast",
            "CHENGYUN_LOG_LEVEL": "WARNING",
            **env,
        }
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = workdir / "serve.log"
        self.cpu_by_pid: dict[int, float] = {}

    def run_cli(self, *args: str) -> None:
        subprocess.run([CHENGYUN, *args], env=self.env, check=True, capture_output=True)  # noqa: S603

    def start(self) -> None:
        assert self.proc is None
        argv = [CHENGYUN, "serve", "--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers > 1:
            argv += ["--workers", str(self.workers)]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(  # noqa: S603
                argv,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                preexec_fn=(lambda: os.sched_setaffinity(0, self.cpus)) if self.cpus else None,
            )

    async def until_live(self, within: float = 120) -> float:
        deadline = time.monotonic() + within
        async with httpx.AsyncClient(timeout=2) as c:
            while True:
                if self.proc is not None and self.proc.poll() is not None:
                    raise RuntimeError(f"serve exited: {self.log.read_text()[-3000:]}")
                try:
                    r = await c.get(f"http://127.0.0.1:{self.port}/api/v1/health/live")
                    if r.status_code == 200:
                        return time.monotonic()
                except httpx.TransportError:
                    pass
                if time.monotonic() > deadline:
                    raise RuntimeError(f"serve never answered: {self.log.read_text()[-3000:]}")
                await asyncio.sleep(0.05)

    def pids(self) -> list[int]:
        if self.proc is None:
            return []
        out, todo = [], [self.proc.pid]
        while todo:
            pid = todo.pop()
            out.append(pid)
            todo += children(pid)
        return out

    def sample_cpu(self) -> float:
        """CPU seconds of every server process ever seen (a killed one keeps its last)."""
        for pid in self.pids():
            self.cpu_by_pid[pid] = max(self.cpu_by_pid.get(pid, 0.0), cpu_seconds(pid))
        return sum(self.cpu_by_pid.values())

    def kill9(self) -> str:
        """kill -9 the server, or one worker when there are several (uvicorn starts another)."""
        assert self.proc is not None
        self.sample_cpu()
        if self.workers > 1:
            workers = [p for p in self.pids() if p != self.proc.pid]
            victim = workers[0]
            os.kill(victim, signal.SIGKILL)
            return f"worker {victim}"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()
        self.proc = None
        return "server"

    def stop(self) -> None:
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
