"""The server process: uvicorn (one process or ``--workers N``) around ``create_app``.

It lives above the app (it imports ``backend.app``; nothing in the app imports it), so
starting and stopping the process is in one place. Open sockets are closed 1001 (going
away) before uvicorn shuts connections down.

uvicorn ends WebSocket connections with 1012 (service restart) on SIGTERM, before the
app's lifespan shutdown runs; the contract promises 1001, so the hub closes them first.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from litestar import Litestar

from backend.app import create_app
from backend.settings import Settings

__all__ = ["ChengyunServer", "app_from_env", "find_litestar", "serve"]


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
        if app is not None:
            rooms = app.state["ctx"].rooms
            for server in self.servers:
                server.close()  # no new sockets while the open ones are told to go away
            await rooms.hub.close_all(1001)
        await super().shutdown(sockets)


def app_from_env() -> Litestar:
    """The factory each uvicorn worker process calls (``--workers N``)."""
    return create_app(Settings.from_env())


def serve(app: Litestar | None, *, workers: int = 1, **options: Any) -> None:
    """Serve one app in this process, or ``workers`` processes sharing one socket."""
    if workers <= 1:
        if app is None:
            app = app_from_env()
        ChengyunServer(uvicorn.Config(app, **options)).run()
        return
    from uvicorn.supervisors import Multiprocess

    # Workers run uvicorn's own Server; the SIGTERM hook the hub installs at startup
    # (``install_sigterm_close``) sends their sockets 1001 first.
    config = uvicorn.Config(
        "backend.serving:app_from_env", factory=True, workers=workers, **options
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()
