"""Fixtures for the pages in a real browser: one seeded `chengyun serve` and one chromium
for the session; each test gets fresh browser contexts whose console errors fail it.

Chromium is Debian's (`.ci/run` installs it); Playwright's own download is not used. When
it is missing the tests skip, unless CHENGYUN_REQUIRE_BROWSER=1 (set by .ci/run) makes
that a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from tests.browser.harness import CHROMIUM, CHROMIUM_ARGS, Watched, new_watched
from tests.browser.server import LiveServer, start_server

PASSWORD = "chengyun-demo"


def _chromium_or_skip() -> None:
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CHENGYUN_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    _chromium_or_skip()
    server = start_server(tmp_path_factory.mktemp("browser-server"))
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    # Per module, not per session: Playwright's sync API keeps an event loop running in
    # this thread while it lives, and the async tests of other folders need it gone.
    _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def contexts(browser, live_server: LiveServer) -> Iterator[Callable[..., Watched]]:
    """Open browser contexts on the live server; each fails the test on a console error."""
    opened: list[Watched] = []

    def open_context(viewport: dict[str, int], **kwargs: object) -> Watched:
        watched = new_watched(browser, live_server.url, viewport, **kwargs)  # type: ignore[arg-type]
        opened.append(watched)
        return watched

    yield open_context
    problems: list[str] = []
    for watched in opened:
        problems += watched.unexpected_errors()
        # Tokens travel in headers and the socket's first frame, never in a URL.
        problems += [f"token in URL: {u}" for u in watched.urls if "token" in u.lower()]
        # No tile URL is configured here: the pages ask no other host for anything.
        own = (live_server.url, "data:", "blob:")
        problems += [f"outside request: {u}" for u in watched.urls if not u.startswith(own)]
        watched.context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def people(live_server: LiveServer) -> Iterator[object]:
    """The street center, the department and the others, acting over HTTP."""
    from tests.browser.api import Api

    api = Api(live_server.api)
    try:
        yield api
    finally:
        api.close()


@pytest.fixture
def api_login(live_server: LiveServer) -> Callable[[str], dict[str, object]]:
    """Log in over HTTP (outside the browser): the token pair of a demo user."""

    def login(username: str) -> dict[str, object]:
        r = httpx.post(
            f"{live_server.api}/auth/login", json={"username": username, "password": PASSWORD}
        )
        r.raise_for_status()
        return r.json()

    return login
