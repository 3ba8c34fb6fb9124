"""Serve the built H5 pages under ``/app/``: hashed assets cached for good, every other
path answered with ``index.html`` (the pages route in the browser), all under a
Content-Security-Policy that allows no inline script and no host but our own, except the
map tile host an operator configured."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from litestar import Response, Router, get
from litestar.params import FromPath
from litestar.response import File

from backend.errors import ProblemError
from backend.parts import SettingsDep
from backend.settings import Settings

__all__ = ["DIST", "content_security_policy", "pages_router"]

DIST = Path(__file__).parent / "dist"
# Vite names everything under assets/ by content hash: a changed file is a new URL.
IMMUTABLE = "public, max-age=31536000, immutable"
# Explicit, not the host's mime.types: a module script served as anything but JavaScript
# is refused by the browser under nosniff.
MEDIA_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".woff2": "font/woff2",
    ".webmanifest": "application/manifest+json",
}


def content_security_policy(tile_url: str | None) -> str:
    img = ["'self'", "blob:", "data:"]
    if tile_url:
        # A Leaflet template's {s} subdomain becomes a CSP wildcard: a.tiles…, b.tiles…
        parts = urlsplit(tile_url)
        img.append(f"{parts.scheme}://{parts.netloc.replace('{s}', '*')}")
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            # Vant's icon font is inlined as a data: URL in its CSS.
            "font-src 'self' data:",
            f"img-src {' '.join(img)}",
            # 'self' covers ws:/wss: to our own host (CSP level 3).
            "connect-src 'self'",
            "worker-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _headers(settings: Settings, cache: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(settings.map_tile_url),
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
    }


def _index(settings: Settings) -> Response[bytes]:
    index = DIST / "index.html"
    if not index.is_file():
        raise ProblemError(
            404, "not_found", "the pages are not built (npm --prefix web run build)"
        )
    # no-cache: the shell is revalidated, so a new build is picked up on the next open.
    return Response(
        index.read_bytes(), media_type="text/html; charset=utf-8",
        headers=_headers(settings, "no-cache"),
    )


@get("/", include_in_schema=False, name="pages-root")
async def serve_root(settings: SettingsDep) -> Response[bytes]:
    return _index(settings)


@get("/{path:path}", include_in_schema=False, name="pages")
async def serve_page(settings: SettingsDep, path: FromPath[str]) -> Response[Any] | File:
    relative = path.lstrip("/")
    if relative == "config.json":
        return _config(settings)
    target = (DIST / relative).resolve()
    if relative and target.is_file() and target.is_relative_to(DIST.resolve()):
        immutable = relative.startswith("assets/")
        return File(
            target,
            media_type=MEDIA_TYPES.get(target.suffix, "application/octet-stream"),
            content_disposition_type="inline",
            headers=_headers(settings, IMMUTABLE if immutable else "no-cache"),
        )
    if relative.startswith("assets/"):
        raise ProblemError(404, "not_found", "no such asset")
    return _index(settings)


def _config(settings: Settings) -> Response[Any]:
    """What an operator configured for the pages; nothing secret."""
    return Response(
        {"map_tile_url": settings.map_tile_url, "map_attribution": settings.map_attribution},
        headers=_headers(settings, "no-cache"),
    )


def pages_router() -> Router:
    return Router(path="/app", route_handlers=[serve_root, serve_page])
