"""uvicorn, with open sockets closed 1001 (going away) before it shuts connections down.

uvicorn ends WebSocket connections with 1012 (service restart) on SIGTERM, before the
app's lifespan shutdown runs; the contract promises 1001, so the hub closes them first.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from litestar import Litestar

__all__ = ["ChengyunServer", "find_litestar"]


def find_litestar(app: Any) -> Litestar | None:
    """The Litestar app under uvicorn's middleware wrappers (proxy headers, ...)."""
    for _ in range(10):
        if isinstance(app, Litestar):
            return app
        app = getattr(app, "app", None)
    return None


class ChengyunServer(uvicorn.Server):
    async def shutdown(self, sockets: Any = None) -> None:
        app = find_litestar(getattr(self.config, "loaded_app", None))
        rooms = app.state["ctx"].parts.get("rooms") if app is not None else None
        if rooms is not None:
            for server in self.servers:
                server.close()  # no new sockets while the open ones are told to go away
            await rooms.hub.close_all(1001)
        await super().shutdown(sockets)
