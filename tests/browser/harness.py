"""Browser helpers: Debian's chromium under Playwright, pages that fail their test on a
console error, screenshots into tests/browser/output/."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, ConsoleMessage, Page

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "OUTPUT", "PHONE", "TABLET", "Watched", "shot"]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
OUTPUT = Path(__file__).parent / "output"
PHONE = {"width": 360, "height": 640}
TABLET = {"width": 1024, "height": 768}


@dataclass
class Watched:
    """A browser context whose pages record console errors, uncaught exceptions and every
    request URL; the fixture fails the test on any error not explicitly expected."""

    context: BrowserContext
    errors: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    expected: list[re.Pattern[str]] = field(default_factory=list)

    def page(self) -> Page:
        page = self.context.new_page()
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("request", lambda req: self.urls.append(req.url))
        return page

    def expect_errors(self, *patterns: str) -> None:
        """Console errors this test causes on purpose (e.g. a request while offline)."""
        self.expected.extend(re.compile(p) for p in patterns)

    def _console(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"console: {message.text} @ {message.location.get('url', '')}")

    def unexpected_errors(self) -> list[str]:
        return [e for e in self.errors if not any(p.search(e) for p in self.expected)]


def new_watched(
    browser: Browser,
    base_url: str,
    viewport: dict[str, int],
    *,
    geolocation: dict[str, float] | None = None,
    extra: Iterable[tuple[str, object]] = (),
) -> Watched:
    context = browser.new_context(
        base_url=base_url,
        viewport=viewport,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        geolocation=geolocation,
        permissions=["geolocation"] if geolocation else [],
        has_touch=viewport["width"] < 800,
        is_mobile=viewport["width"] < 800,
        device_scale_factor=2 if viewport["width"] < 800 else 1,
        **dict(extra),
    )
    return Watched(context)


def shot(page: Page, name: str, *, full_page: bool = False) -> Path:
    """A screenshot to look at: tests/browser/output/<name>.png (gitignored)."""
    OUTPUT.mkdir(exist_ok=True)
    path = OUTPUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path
