"""A small flood day (bench/floodday.py) end to end: phones on sockets, reports with real
photos (some sent twice with the same Idempotency-Key), triage, handling with a photo,
verification, an incident room with messages and acknowledged instructions, pushes through
the fake FCM, a ``kill -9`` of the server in the middle; then its ledger, compared with the
database and with what each phone received, shows nothing lost and nothing doubled.

The simulator runs in a child process (it pins itself and starts its own server); its
speed is the benchmark's to report, nothing here is timed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.private_services import pg_binaries, redis_binary

ROOT = Path(__file__).resolve().parents[2]

# Issue 12 lets a smoke of the simulator run in CI if it stays under a minute: the one-kill
# smoke below runs in every suite run (the SQLite pass: the embedded shape is the same
# server whichever database the suite tests), about 40 s on this 2-core box. The fuller
# smokes (about 3 min each) run where asked for (CHENGYUN_FLOODDAY_SMOKE=1).
fuller = pytest.mark.skipif(
    os.environ.get("CHENGYUN_FLOODDAY_SMOKE") != "1",
    reason="set CHENGYUN_FLOODDAY_SMOKE=1: about 3 min, over the CI minute of issue 12",
)
SMALL = [
    "--phones", "24",
    "--minutes", "0.3",
    "--incident-at", "0.05",
    "--reports-per-hour", "900",
    "--messages-per-second", "2",
    "--targets", "5",
    "--room-members", "30",
    "--no-pin",
]  # fmt: skip


# The CI minute: a handful of phones, the grid workers of four grids (every other role
# takes part), 12 s of load, one kill; no push burst (bench/floodday.py measures that).
MINUTE = [
    "--phones", "6",
    "--grids", "4",
    "--minutes", "0.2",
    "--incident-at", "0.02",
    "--reports-per-hour", "1200",
    "--messages-per-second", "2",
    "--targets", "3",
    "--room-members", "8",
    "--push-burst", "0",
    "--lease-seconds", "10",
    "--no-pin",
]  # fmt: skip


def _flood(*extra: str, base: list[str] = SMALL) -> str:
    # The simulator tears down its server, databases and fake FCM on SIGTERM: if the test
    # is stopped (a timeout, ^C), nothing it started is left running.
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and script
        [sys.executable, str(ROOT / "bench" / "floodday.py"), *base, *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
    )
    try:
        out, _ = proc.communicate()
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()
    assert proc.returncode == 0, out[-6000:]
    assert "LEDGER OK: 0 lost or doubled" in out, out[-6000:]
    return out


@pytest.mark.skipif(
    bool(os.environ.get("CHENGYUN_TEST_DATABASE_URL")),
    reason="the embedded shape (SQLite) runs once, in the SQLite pass",
)
@pytest.mark.timeout(600)
def test_a_minute_of_flood_day_through_a_kill_loses_and_doubles_nothing() -> None:
    out = _flood("--kill-at", "0.08", base=MINUTE)
    assert "kill -9 at" in out, out[-3000:]
    assert "reports accepted 0 " not in out, out[-3000:]
    assert "city link:" in out, out[-3000:]


# A kill and restart of the server on a loaded 2-core box takes tens of seconds; the run
# is bounded by the simulator itself (its drain and push waits), not by this number.
@fuller
@pytest.mark.timeout(900)
def test_a_small_flood_day_through_a_kill_loses_and_doubles_nothing() -> None:
    out = _flood("--kill-at", "0.1")
    assert "kill -9 at" in out, out[-3000:]
    assert "reports accepted 0 " not in out, out[-3000:]


@fuller
@pytest.mark.skipif(
    not (os.environ.get("CHENGYUN_TEST_DATABASE_URL") and os.environ.get("CHENGYUN_TEST_REDIS_URL"))
    or pg_binaries() is None
    or redis_binary() is None,
    reason="the scaled shape runs where CI has PostgreSQL and Redis",
)
@pytest.mark.timeout(900)
def test_a_small_flood_day_on_two_workers_through_pg_and_redis_restarts() -> None:
    out = _flood(
        "--shape", "scaled", "--kill-at", "0.1", "--pg-restart-at", "0.2",
        "--redis-restart-at", "0.3", "--outage-seconds", "3",
    )  # fmt: skip
    assert "PostgreSQL restart at" in out and "Redis restart at" in out, out[-3000:]
