"""``GET /metrics``: the Prometheus text format, for loopback and private addresses only.

No authentication: keep it off the public port. A request from a public address (as
uvicorn sees it, after a trusted proxy's X-Forwarded-For) gets 403 unless
CHENGYUN_METRICS_PUBLIC=1.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException

from backend.parts import ContextDep

__all__ = ["metrics_endpoint", "private_address"]

TEXT_FORMAT = "text/plain; version=0.0.4"


def private_address(host: str | None) -> bool:
    if not host:
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_private


@get("/metrics", include_in_schema=False)
async def metrics_endpoint(request: Request[Any, Any, Any], ctx: ContextDep) -> Response[bytes]:
    client = request.client.host if request.client else None
    if not ctx.settings.metrics_public and not private_address(client):
        raise PermissionDeniedException("metrics are served to private addresses only")
    body = await ctx.metrics.render()
    # What generate_latest writes (Litestar appends the charset).
    return Response(body, media_type=TEXT_FORMAT)
