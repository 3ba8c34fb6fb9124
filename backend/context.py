"""The application's long-lived parts, built once by ``build_context`` and kept on app state.

Every part is a typed attribute, assigned exactly once by ``backend.composition.build_context``
in dependency order (that function is the only writer); nothing is looked up by name. The
parts a setting switches off are ``Optional`` and say which setting it is.

The imports run one way: this module names each part by its own module's type, and a part
never imports this module back; it is built from the parts it uses, passed to it (``Rooms``,
``AppMetrics``), and the scheduler is generic over what its jobs receive. What takes the
whole context stands above the parts: ``composition``, each domain's ``wiring.py`` (builds
and hooks its parts) and ``jobs.py`` (the scheduler's entry points), the handlers.
tests/unit/test_house_shape.py fails on any import cycle in backend/.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
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
    from backend.common.views import ViewCache
    from backend.events.service import EventService
    from backend.inbox.views import SyncCursors
    from backend.media_api.evidence import AttachedMedia, MediaReferences
    from backend.media_api.service import MediaLinks
    from backend.media_api.uploads import UploadService
    from backend.notify.relay import PushRelay
    from backend.notify.service import NotifyService
    from backend.observability.metrics import AppMetrics
    from backend.orgs.service import CategoryCache, GridIndexHolder
    from backend.rooms.channels import RoomChannels
    from backend.rooms.core import Rooms
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


class AppContext:
    """Not a dataclass: handlers receive it as a dependency, and Litestar's signature model
    would rebuild a dataclass value field by field instead of checking its type."""

    settings: Settings
    db: Database
    auth: AuthService
    # The one source of "now" for business rules, so tests can move time (SLA clocks).
    clock: Callable[[], datetime]
    probes: dict[str, Probe]
    # Run by the lifespan: start-up in order, shutdown in reverse order.
    on_startup: list[Hook]
    on_shutdown: list[Hook]

    # -- long-lived parts, in the order build_context makes them ---------------------------
    # Assigned once by build_context after the context exists (some need the context).
    grid_index: GridIndexHolder
    background: BackgroundTasks
    views: ViewCache
    jobs: JobRegistry[AppContext]
    media_store: MediaStore
    image_pool: ImagePool
    media_links: MediaLinks
    uploads: UploadService
    media_refs: MediaReferences
    on_media_attached: Callable[[list[AttachedMedia]], None]
    calendar: WorkingCalendar
    sla_planner: SlaPlanner
    category_cache: CategoryCache
    events: EventService
    sync_cursors: SyncCursors
    push_sender: PushSender
    push_relay: PushRelay
    notify: NotifyService
    channels: RoomChannels
    rooms: Rooms
    metrics: AppMetrics
    #: The outermost request limits (header size, slow bodies); made by create_app.
    request_limits: RequestLimits

    # -- parts a setting switches off -------------------------------------------------------
    #: None when ``CHENGYUN_SCHEDULER_ENABLED`` is off (this process only serves).
    scheduler: SchedulerRunner[AppContext] | None
    #: How the city relay reaches ``CHENGYUN_CITY_ENDPOINT``; None is httpx's own network
    #: transport (tests put a mock transport here).
    city_transport: httpx.AsyncBaseTransport | None
    #: One city relay at a time in this process (the job and the after-commit kick).
    city_relay_lock: asyncio.Lock

    def __init__(
        self,
        *,
        settings: Settings,
        db: Database,
        auth: AuthService,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.settings = settings
        self.db = db
        self.auth = auth
        self.clock = clock
        self.probes = {}
        self.on_startup = []
        self.on_shutdown = []
        self.scheduler = None
        self.city_transport = None
        self.city_relay_lock = asyncio.Lock()

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
