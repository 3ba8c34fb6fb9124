"""uvicorn, with open sockets closed 1001 (going away) before it shuts connections down.

uvicorn ends WebSocket connections with 1012 (service restart) on SIGTERM, before the
app's lifespan shutdown runs; the contract promises 1001, so the hub closes them first.
"""

from __future__ import annotations

from typing import Any

import uvicorn
from litestar import Litestar

__all__ = ["ChengyunServer", "app_from_env", "find_litestar", "install_sigterm_close", "serve"]


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
        rooms = app.state["ctx"].rooms if app is not None else None
        if rooms is not None:
            for server in self.servers:
                server.close()  # no new sockets while the open ones are told to go away
            await rooms.hub.close_all(1001)
        await super().shutdown(sockets)


def app_from_env() -> Litestar:
    """The factory each uvicorn worker process calls (``--workers N``)."""
    from backend.app import create_app
    from backend.settings import Settings

    return create_app(Settings.from_env())


def serve(app: Litestar | None, *, workers: int = 1, **options: Any) -> None:
    """Serve one app in this process, or ``workers`` processes sharing one socket."""
    if workers <= 1:
        ChengyunServer(uvicorn.Config(app, **options)).run()
        return
    from uvicorn.supervisors import Multiprocess

    # Workers run uvicorn's own Server; the SIGTERM hook the hub installs at startup
    # (``install_sigterm_close``) sends their sockets 1001 first.
    config = uvicorn.Config(
        "backend.rooms.serving:app_from_env", factory=True, workers=workers, **options
    )
    Multiprocess(config, sockets=[config.bind_socket()]).run()


def install_sigterm_close(close_now: Any) -> Any:
    """Chain a SIGTERM/SIGINT handler that closes sockets (1001) before uvicorn's own.

    uvicorn's handler only flags the exit; its main loop starts shutting connections down
    (1012) on its next 0.1 s tick, after our close frames went out. Returns an undo.
    """
    import asyncio
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(sig: int, frame: Any) -> None:
        loop.call_soon_threadsafe(close_now)
        prev = previous.get(sig)
        if callable(prev):
            prev(sig, frame)

    for sig in previous:
        signal.signal(sig, handler)

    def undo() -> None:
        for sig, prev in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, prev)

    return undo
