"""The application's long-lived parts, built once by ``build_context`` and kept on app state.

Every part is a typed attribute, assigned exactly once by ``backend.composition.build_context``
in dependency order (that function is the only writer); nothing is looked up by name. The
parts a setting switches off are ``Optional`` and say which setting it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import text

from backend.auth.service import AuthService
from backend.db.base import utcnow
from backend.db.engine import Database
from backend.settings import Settings

if TYPE_CHECKING:
    import httpx

    from backend.common.background import BackgroundTasks
    from backend.common.limits import RequestLimits
    from backend.events.service import EventService
    from backend.inbox.views import SyncCursors
    from backend.media_api.evidence import AttachedMedia, MediaReferences
    from backend.media_api.service import MediaLinks
    from backend.media_api.uploads import UploadService
    from backend.notify.relay import PushRelay
    from backend.notify.service import NotifyService
    from backend.observability.metrics import AppMetrics
    from backend.orgs.service import CategoryCache, GridIndexHolder
    from backend.rooms.core import Rooms
    from backend.rooms.wiring import RoomChannels
    from backend.scheduler.registry import JobRegistry
    from backend.scheduler.runner import SchedulerRunner
    from backend.sla.calendar import WorkingCalendar
    from backend.sla.service import SlaPlanner
    from media import ImagePool, MediaStore
    from push import PushSender

__all__ = ["AppContext", "Clock", "Hook", "Probe"]

Probe = Callable[[], Awaitable[Any]]
#: A start-up or shutdown step of a part (run by the lifespan, shutdown in reverse order).
Hook = Callable[[], Awaitable[None]]
#: "Now" for business rules, as handlers receive it (``ctx.now``).
Clock = Callable[[], datetime]


@dataclass(eq=False)
class AppContext:
    settings: Settings
    db: Database
    auth: AuthService
    probes: dict[str, Probe] = field(default_factory=dict)
    # The one source of "now" for business rules, so tests can move time (SLA clocks).
    clock: Callable[[], datetime] = utcnow
    # Run by the lifespan: start-up in order, shutdown in reverse order.
    on_startup: list[Hook] = field(default_factory=list)
    on_shutdown: list[Hook] = field(default_factory=list)

    # -- long-lived parts, in the order build_context makes them ---------------------------
    # Assigned once by build_context after the context exists (some need the context).
    grid_index: GridIndexHolder = field(init=False, repr=False)
    background: BackgroundTasks = field(init=False, repr=False)
    jobs: JobRegistry = field(init=False, repr=False)
    media_store: MediaStore = field(init=False, repr=False)
    image_pool: ImagePool = field(init=False, repr=False)
    media_links: MediaLinks = field(init=False, repr=False)
    uploads: UploadService = field(init=False, repr=False)
    media_refs: MediaReferences = field(init=False, repr=False)
    on_media_attached: Callable[[list[AttachedMedia]], None] = field(init=False, repr=False)
    calendar: WorkingCalendar = field(init=False, repr=False)
    sla_planner: SlaPlanner = field(init=False, repr=False)
    category_cache: CategoryCache = field(init=False, repr=False)
    events: EventService = field(init=False, repr=False)
    sync_cursors: SyncCursors = field(init=False, repr=False)
    push_sender: PushSender = field(init=False, repr=False)
    push_relay: PushRelay = field(init=False, repr=False)
    notify: NotifyService = field(init=False, repr=False)
    channels: RoomChannels = field(init=False, repr=False)
    rooms: Rooms = field(init=False, repr=False)
    metrics: AppMetrics = field(init=False, repr=False)
    #: The outermost request limits (header size, slow bodies); made by create_app.
    request_limits: RequestLimits = field(init=False, repr=False)

    # -- parts a setting switches off -------------------------------------------------------
    #: None when ``CHENGYUN_SCHEDULER_ENABLED`` is off (this process only serves).
    scheduler: SchedulerRunner | None = None
    #: How the city relay reaches ``CHENGYUN_CITY_ENDPOINT``; None is httpx's own network
    #: transport (tests put a mock transport here).
    city_transport: httpx.AsyncBaseTransport | None = None
    #: One city relay at a time in this process (the job and the after-commit kick).
    city_relay_lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def now(self) -> datetime:
        # UTC throughout, so an answer shows the same offset before and after a round trip
        # through the database.
        return self.clock().astimezone(UTC)

    async def _db_probe(self) -> None:
        async with self.db.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))

    async def _schema_probe(self) -> None:
        from backend.db.migrate import check_schema

        await check_schema(self.db.engine)

    def readiness_probes(self) -> dict[str, Probe]:
        # "schema": migrated to this code's revisions (a replica of an older release stays
        # ready when the schema is ahead of it, during a rolling upgrade).
        return {"database": self._db_probe, "schema": self._schema_probe, **self.probes}
