"""Schemathesis against the served app, as a district dispatcher and as a grid worker.

``chengyun serve`` runs in a child process on the test's own seeded database, as production
runs it; the fuzzer is the ``schemathesis`` CLI (all its phases: examples, coverage,
fuzzing and the stateful phase, which follows the document's links from each create to the
reads and actions on it). Every request carries a token logged in before the run; logout
spends throwaway sessions (tests/fuzz/fuzz_hooks.py). There is no password-change
operation in the HTTP API (passwords are set with ``chengyun create-user --reset``).

Slow by nature, so it runs only when asked: ``CHENGYUN_FUZZ=1`` (the fuzz step of
``.ci/run``). ``CHENGYUN_FUZZ_EXAMPLES`` and ``CHENGYUN_FUZZ_SECONDS`` bound each role's
run (defaults keep the step within its three minutes on a 2-core box).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.integration.served import ServedProcess, login

pytestmark = pytest.mark.skipif(
    os.environ.get("CHENGYUN_FUZZ") != "1", reason="the fuzz step: CHENGYUN_FUZZ=1"
)

ST = str(Path(sys.executable).with_name("schemathesis"))
CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "negative_data_rejection",
    "positive_data_acceptance",
]
ROLES = ["district01", "grid001"]  # a district dispatcher, a grid worker

# Operations left out of the run, each with the reason it cannot be fuzzed from the schema.
EXCLUDED: dict[str, str] = {}

# 422 is the contract's answer to well-formed input that names things that do not exist or
# are not the caller's (media_ids not uploaded by them, an unknown response plan, unknown
# room members, a point outside the district): a JSON Schema cannot know the database, so
# a generated valid-looking request may rightly get it. Likewise 415: an upload's content
# (a JPEG, PNG, WebP or HEIC photo; a CSV roster) is not something the schema describes.
ACCEPTED_SEMANTIC_REFUSALS = ["2xx", "3xx", "401", "403", "404", "409", "415", "422", "429", "5xx"]

# positive_data_acceptance is not run on these operations, each for a rule between values
# that JSON Schema cannot state (every other check still runs on them).
NO_POSITIVE_CHECK: dict[str, str] = {
    "GET /api/v1/events": "created_from must be before created_to; cursor is server-issued",
    "GET /api/v1/events/export.csv": "created_from must be before created_to",
    "GET /api/v1/stats/overview": "from must be before to",
    "GET /api/v1/stats/hotspots": "from must be before to",
    "GET /api/v1/calendar/working-periods": "from must be before to, within a bounded span",
    "GET /api/v1/map/layers/{code}/features": "bbox needs min < max on each axis",
    "GET /api/v1/duty/rosters": "cursor is an opaque token the server issued",
    "GET /api/v1/grids": "cursor is an opaque token the server issued",
    "GET /api/v1/inbox/sync": "cursor is an opaque token the server issued",
    "GET /api/v1/notifications": "cursor is an opaque token the server issued",
    "GET /api/v1/rooms/{room_id}/messages": "after_seq and before_seq are not both given",
    "POST /api/v1/rooms": "an event room needs event_id, other kinds must not have one",
    "POST /api/v1/rooms/{room_id}/messages": (
        "room_id in the body must equal the path's; a text message needs text, an image "
        "message a media_id"
    ),
    "POST /api/v1/map/layers/{code}/features": (
        "free-form GeoJSON properties: a NUL anywhere is refused (PostgreSQL cannot store "
        "it), which a schema for an open object cannot say"
    ),
    "PUT /api/v1/map/layers/{code}/features/{feature_id}": "as POST features",
}


def _config() -> str:
    # The checks are chosen here, not with --checks: a CLI option would override the
    # per-operation settings below.
    statuses = ", ".join(f'"{s}"' for s in ACCEPTED_SEMANTIC_REFUSALS)
    lines = ["[checks]", "enabled = false"]
    lines += [f"{check}.enabled = true" for check in CHECKS if check != "positive_data_acceptance"]
    lines.append(
        f"positive_data_acceptance = {{ enabled = true, expected-statuses = [{statuses}] }}"
    )
    for operation in NO_POSITIVE_CHECK:
        lines += [
            "",
            "[[operations]]",
            f'include-name = "{operation}"',
            "checks.positive_data_acceptance.enabled = false",
        ]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("role", ROLES)
async def test_fuzz_as(role: str, database_url: str, tmp_path: Path) -> None:
    served = ServedProcess(database_url, tmp_path)
    await served.start()
    try:
        async with httpx.AsyncClient(base_url=served.base, timeout=30) as client:
            caller = (await login(client, role))["Authorization"].split()[1]
            pool = [(await login(client, role))["Authorization"].split()[1] for _ in range(20)]
        (tmp_path / "pool.json").write_text(json.dumps(pool))
        examples = os.environ.get("CHENGYUN_FUZZ_EXAMPLES", "8")
        seconds = os.environ.get("CHENGYUN_FUZZ_SECONDS", "40")
        (tmp_path / "schemathesis.toml").write_text(_config())
        command = [
            ST,
            "--config-file",
            str(tmp_path / "schemathesis.toml"),
            "run",
            f"{served.base}/schema/openapi.json",
            "--phases",
            "examples,coverage,fuzzing,stateful",
            "--max-examples",
            examples,
            "--max-time",
            seconds,
            # One worker: with two, hypothesis parses lambda sources in both threads at
            # once and CPython 3.11.7 fails with "AST constructor recursion depth
            # mismatch" (gh-106905, fixed in later point releases).
            "--workers",
            "1",
            "--generation-deterministic",
            "--request-timeout",
            "20",
            "--max-failures",
            "200",
            "--no-color",
            "--warnings",
            "off",
        ]
        for operation in EXCLUDED:
            method, path = operation.split(" ", 1)
            command += ["--exclude-by", f'method == "{method}" and path == "{path}"']
        env = {
            **os.environ,
            "SCHEMATHESIS_HOOKS": "fuzz_hooks",
            "PYTHONPATH": str(Path(__file__).parent),
            "CHENGYUN_FUZZ_TOKEN": caller,
            "CHENGYUN_FUZZ_POOL": str(tmp_path / "pool.json"),
        }
        run = subprocess.run(  # noqa: S603, ASYNC221 - the fuzzer CLI; the server is separate
            command, env=env, capture_output=True, text=True, timeout=900, check=False
        )
        print(run.stdout[-20000:])
        assert run.returncode == 0, run.stdout[-20000:] + run.stderr[-3000:]
    finally:
        served.stop()
