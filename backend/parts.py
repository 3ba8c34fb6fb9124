"""The app context as a typed handler dependency.

Handlers declare ``ctx: ContextDep`` (or ``settings: SettingsDep``) and use typed
attributes (``ctx.events``, ``ctx.now()``); nothing is looked up by name.

Why one dependency and not one per part (``events: EventService``, ``clock``, ...), nor a
small typed bundle per controller: Litestar (2.x, ``KwargsModel.resolve_dependencies`` in
litestar/_kwargs/kwargs_model.py) sorts a handler's dependencies into batches, each batch
the ones whose own dependencies are all resolved, and runs every batch of two or more in
an anyio task group; a batch of one is awaited directly. Whether a provider is sync, cached
or has sub-dependencies does not matter, only the batch size. A part (or a bundle) beside
``db`` is a second member of ``db``'s batch: with no sub-dependency it sits in the first
batch with ``ctx``, and taking ``ctx`` it sits in the second with ``db``. Either way every
request of that handler goes through a task group. GET /me in bench/api.py: 0.30 -> 0.42
ms CPU when the handlers took ``auth``, ``events``, ``clock`` as dependencies; measured
again on 2026-12-05 with a one-field bundle (``MeParts(auth)`` provided from ``ctx``):
cost ratio to hello-world 0.23 and 0.28, against 0.35-0.36 with ``ctx`` (bench/README.md,
"The house"). Only
a chain avoids it, and chaining parts behind ``principal`` would invent dependencies that
do not exist (and public handlers have no principal). So the chain is ``ctx`` -> ``db`` ->
``principal``, one at a time, and the narrow typing lives one level down: the parts
themselves take what they use (``Rooms(db, hub, links, notify)``), never the context.
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
