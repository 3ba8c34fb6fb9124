"""API steps and page checks the screen's browser tests share: a server whose SLA sweep
runs every second, reports and dispatches over HTTP, and canvases that must not be blank."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page

from tests.browser.server import LiveServer, start_server
from tests.integration.demo import first_grid_of_street, grid_point

__all__ = ["CANVASES_DRAWN", "Api", "canvases_drawn", "screen_server_in"]

PASSWORD = "chengyun-demo"

# True when every canvas of the page that has a size holds at least one drawn pixel.
CANVASES_DRAWN = """() => {
  const seen = [...document.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0);
  if (seen.length === 0) return 0;
  let drawn = 0;
  for (const c of seen) {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4 * 97) { if (data[i] !== 0) { drawn += 1; break; } }
  }
  return drawn === seen.length ? drawn : -drawn;
}"""


def canvases_drawn(page: Page) -> int:
    """How many canvases the page has, all drawn; negative when some are blank."""
    return int(page.evaluate(CANVASES_DRAWN))


def screen_server_in(tmp: Path) -> Iterator[LiveServer]:
    # The SLA sweep every second, so a deadline a few seconds ahead passes during a test.
    server = start_server(tmp, {"CHENGYUN_SLA_SWEEP_SECONDS": "1"})
    try:
        yield server
    finally:
        server.stop()


class Api:
    """The demo users over HTTP, outside the browser."""

    def __init__(self, server: LiveServer) -> None:
        self.base = server.api
        self.tokens: dict[str, str] = {}

    def _auth(self, user: str) -> dict[str, str]:
        if user not in self.tokens:
            r = httpx.post(f"{self.base}/auth/login", json={"username": user, "password": PASSWORD})
            r.raise_for_status()
            self.tokens[user] = r.json()["access_token"]
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    def get(self, user: str, path: str, **params: Any) -> Any:
        r = httpx.get(f"{self.base}{path}", params=params, headers=self._auth(user), timeout=30)
        r.raise_for_status()
        return r.json()

    def post(self, user: str, path: str, body: dict[str, Any]) -> Any:
        r = httpx.post(f"{self.base}{path}", json=body, headers=self._auth(user), timeout=30)
        assert r.status_code in (200, 201), r.text
        return r.json()

    def report(self, user: str = "grid001", *, street: int = 1) -> dict[str, Any]:
        body = {
            "category_code": "garbage_exposed",
            "description": "人行道上有暴露垃圾",
            "location": {**grid_point(first_grid_of_street(street)), "address": "洪山区珞喻路"},
        }
        return self.post(user, "/events", body)  # type: ignore[no-any-return]

    def act(self, user: str, event_id: str, action: str, **body: Any) -> Any:
        return self.post(user, f"/events/{event_id}/actions", {"action": action, **body})

    def dept_org_id(self, code: str = "dept-cgzf") -> str:
        stack = list(self.get("admin", "/orgs"))
        while stack:
            org = stack.pop()
            if org["code"] == code:
                return str(org["id"])
            stack.extend(org.get("children") or [])
        raise LookupError(code)

    def today_overview(self, user: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        local = now + timedelta(hours=8)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(hours=8)
        return self.get(
            user, "/stats/overview", **{"from": midnight.isoformat(), "to": now.isoformat()}
        )  # type: ignore[no-any-return]
