"""Schemathesis hooks for the fuzz run (loaded through SCHEMATHESIS_HOOKS).

Every request carries the caller's bearer token, logged in before the run (fuzzing the
login would otherwise lock the user out through the throttle). Logout would end that
session, so each logout case spends a throwaway session of its own from a pool logged in
beforehand; refresh is fuzzed with generated tokens (a refresh never touches the caller).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import schemathesis

_TOKEN = os.environ["CHENGYUN_FUZZ_TOKEN"]
_POOL_FILE = Path(os.environ["CHENGYUN_FUZZ_POOL"])
_pool: list[str] = json.loads(_POOL_FILE.read_text())


def _throwaway() -> str:
    # An exhausted pool reuses the last (already logged out) session: a 401 is a valid
    # answer for logout too, and the caller's own session is never spent.
    return _pool.pop() if len(_pool) > 1 else _pool[0]


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    token = _throwaway() if case.path == "/api/v1/auth/logout" else _TOKEN
    # Always the run's own token: a generated Authorization header would only test 401s.
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}
