"""The H5 pages under /app/: the built shell for every page path, hashed assets cached
for good, a Content-Security-Policy without inline script, nothing outside the build."""

from __future__ import annotations

import re
from typing import Any

import pytest

from backend.pages.controllers import DIST, content_security_policy
from backend.settings import Settings, SettingsError


def _asset_names() -> list[str]:
    return sorted(p.name for p in (DIST / "assets").iterdir() if p.suffix == ".js")


async def test_every_page_path_answers_the_shell_under_the_policy(client: Any) -> None:
    for path in ("/app/", "/app", "/app/tasks", "/app/events/abc/def"):
        r = await client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert r.headers["cache-control"] == "no-cache"
        assert '<div id="app"></div>' in r.text
        policy = r.headers["content-security-policy"]
        script = re.search(r"script-src ([^;]+)", policy)
        assert script is not None and script.group(1) == "'self'"
        assert "unsafe" not in policy
    # The built shell carries no inline script: every <script> has a src.
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", r.text)


async def test_hashed_assets_are_immutable_and_missing_ones_404(client: Any) -> None:
    name = _asset_names()[0]
    r = await client.get(f"/app/assets/{name}")
    assert r.status_code == 200
    assert r.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert "javascript" in r.headers["content-type"]
    missing = await client.get("/app/assets/index-00000000.js")
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


async def test_nothing_outside_the_build_is_served(client: Any) -> None:
    for path in (
        "/app/%2e%2e/controllers.py",
        "/app/..%2fcontrollers.py",
        "/app/assets/..%2f..%2fcontrollers.py",
    ):
        r = await client.get(path)
        # The shell (the pages route it) or a 404, never the file beside the build.
        assert "def content_security_policy" not in r.text, path
        assert r.status_code == 404 or '<div id="app"></div>' in r.text, path


async def test_config_says_no_tile_host_unless_one_is_configured(client: Any) -> None:
    r = await client.get("/app/config.json")
    assert r.status_code == 200
    assert r.json() == {"map_tile_url": None, "map_attribution": None}
    assert "img-src 'self' blob: data:;" in r.headers["content-security-policy"]


def test_a_configured_tile_host_is_the_only_other_host_allowed() -> None:
    policy = content_security_policy("https://{s}.tiles.example.org/{z}/{x}/{y}.png")
    assert "img-src 'self' blob: data: https://*.tiles.example.org;" in policy
    assert "connect-src 'self';" in policy


def test_the_tile_url_must_be_an_http_template() -> None:
    ok = Settings.from_env(
        {"CHENGYUN_MAP_TILE_URL": "https://{s}.tiles.example.org/{z}/{x}/{y}.png"}
    )
    assert ok.map_tile_url == "https://{s}.tiles.example.org/{z}/{x}/{y}.png"
    for bad in ("javascript:alert(1)", "https://tiles.example.org'; script-src *", "//tiles"):
        with pytest.raises(SettingsError, match="CHENGYUN_MAP_TILE_URL"):
            Settings.from_env({"CHENGYUN_MAP_TILE_URL": bad})
