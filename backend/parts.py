"""The long-lived parts as typed handler dependencies.

A handler declares what it uses by name and type (``events: EventsDep``, ``clock:
ClockDep``); ``part_dependencies`` provides them at the app.
The names are the ``AppContext`` attributes they come from.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.di import NamedDependency, Provide

from backend.auth.service import AuthService
from backend.context import AppContext, Clock
from backend.events.service import EventService
from backend.inbox.views import SyncCursors
from backend.media_api.service import MediaLinks
from backend.media_api.uploads import UploadService
from backend.orgs.service import GridIndexHolder
from backend.rooms.core import Rooms
from backend.settings import Settings
from backend.sla.calendar import WorkingCalendar
from media import MediaStore

__all__ = [
    "AuthDep",
    "CalendarDep",
    "ClockDep",
    "ContextDep",
    "EventsDep",
    "GridIndexDep",
    "MediaLinksDep",
    "MediaStoreDep",
    "RoomsDep",
    "SettingsDep",
    "SyncCursorsDep",
    "UploadsDep",
    "part_dependencies",
]

#: The whole context, for services that take it (readiness probes, incidents, the export).
ContextDep = NamedDependency[AppContext]
SettingsDep = NamedDependency[Settings]
#: "Now" for business rules (``AppContext.now``: tests move it).
ClockDep = NamedDependency[Clock]
AuthDep = NamedDependency[AuthService]
EventsDep = NamedDependency[EventService]
RoomsDep = NamedDependency[Rooms]
CalendarDep = NamedDependency[WorkingCalendar]
GridIndexDep = NamedDependency[GridIndexHolder]
UploadsDep = NamedDependency[UploadService]
MediaLinksDep = NamedDependency[MediaLinks]
MediaStoreDep = NamedDependency[MediaStore]
SyncCursorsDep = NamedDependency[SyncCursors]


def part_dependencies(ctx: AppContext) -> dict[str, Provide]:
    """App-level dependencies: each handler parameter named like a part gets that part.

    Read from the context on each use, not cached: a test (or an operator's reload) that
    replaces a part on the context is seen by the next request, as before.
    """
    provides: dict[str, Provide] = {
        "ctx": Provide(lambda: ctx, sync_to_thread=False),
        "clock": Provide(lambda: ctx.now, sync_to_thread=False),
    }
    for name in PARTS:
        provides[name] = Provide(_reader(ctx, name), sync_to_thread=False)
    return provides


#: The parts handed out under their own attribute name.
PARTS = (
    "settings",
    "auth",
    "events",
    "rooms",
    "calendar",
    "grid_index",
    "uploads",
    "media_links",
    "media_store",
    "sync_cursors",
)


def _reader(ctx: AppContext, name: str) -> Callable[[], Any]:
    def provide() -> Any:
        return getattr(ctx, name)

    return provide
