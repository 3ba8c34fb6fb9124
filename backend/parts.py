"""The app context as a typed handler dependency.

Handlers declare ``ctx: ContextDep`` (or ``settings: SettingsDep``) and use typed
attributes (``ctx.events``, ``ctx.now()``); nothing is looked up by name.

Why one dependency and not one per part (``events: EventService``, ``clock``, ...): Litestar
resolves the dependencies that have none of their own together in one batch, and a batch
of two or more runs in an anyio task group. A part beside ``db`` put every request of that
handler through one (GET /me: 0.30 -> 0.42 ms CPU in bench/api.py). Here the chain is
``ctx`` -> ``db`` -> ``principal``, one at a time, awaited directly.
"""

from __future__ import annotations

from litestar.di import NamedDependency, Provide

from backend.context import AppContext
from backend.settings import Settings

__all__ = ["ContextDep", "SettingsDep", "part_dependencies"]

#: The long-lived parts, typed (backend/context.py).
ContextDep = NamedDependency[AppContext]
#: The settings alone, for handlers that need nothing else (the pages).
SettingsDep = NamedDependency[Settings]


def part_dependencies(ctx: AppContext) -> dict[str, Provide]:
    """App-level dependencies ``ctx`` and ``settings``.

    ``settings`` is read from the context on each use: a test that replaces it on the
    context is seen by the next request, as before.
    """
    return {
        "ctx": Provide(lambda: ctx, sync_to_thread=False),
        "settings": Provide(lambda: ctx.settings, sync_to_thread=False),
    }
