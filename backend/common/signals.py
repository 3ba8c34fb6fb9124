"""A SIGTERM/SIGINT hook that runs before uvicorn's own (for the 1001 close of sockets)."""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Callable
from types import FrameType

__all__ = ["install_sigterm_close"]


def install_sigterm_close(close_now: Callable[[], object]) -> Callable[[], None]:
    """Chain a SIGTERM/SIGINT handler that closes sockets (1001) before uvicorn's own.

    uvicorn's handler only flags the exit; its main loop starts shutting connections down
    (1012) on its next 0.1 s tick, after our close frames went out. Returns an undo.
    """
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    loop = asyncio.get_running_loop()
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(sig: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(close_now)
        prev = previous.get(signal.Signals(sig))
        if callable(prev):
            prev(sig, frame)

    for sig in previous:
        signal.signal(sig, handler)

    def undo() -> None:
        for sig, prev in previous.items():
            if signal.getsignal(sig) is handler:
                signal.signal(sig, prev)

    return undo
