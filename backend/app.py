"""``create_app(settings)``: the one composition root."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager

from litestar import Litestar, Router
from litestar.config.cors import CORSConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from sqlalchemy import func, select

from backend.auth.controllers import AuthController, MeController
from backend.common.jsonbody import CheckedRequest
from backend.common.limits import RequestLimits
from backend.common.openapi_exact import install_exact_openapi
from backend.common.strictbody import StrictBodyPlugin
from backend.composition import build_context
from backend.context import AppContext
from backend.db.models import User
from backend.deps import SessionJanitor, provide_db, provide_principal, require_bearer
from backend.errors import exception_handlers
from backend.health.controllers import HealthController
from backend.orgs.controllers import OrgsController
from backend.parts import part_dependencies
from backend.settings import Settings, SettingsError

__all__ = ["create_app"]

log = logging.getLogger("chengyun.app")

API_PREFIX = "/api/v1"


async def _refuse_unsafe_production(ctx: AppContext) -> None:
    if not ctx.settings.is_production:
        return
    ctx.settings.check()
    async with ctx.db.sessions() as session:
        demo_users = await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.demo_password.is_(True), User.is_active.is_(True))
        )
    if demo_users:
        raise SettingsError(
            f"production refuses to start: {demo_users} active users still have the demo "
            "password (change them with `chengyun create-user --reset`)"
        )


def create_app(settings: Settings) -> Litestar:
    from backend.observability.logs import configure_logging

    configure_logging(settings.log_level)
    ctx = build_context(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncGenerator[None, None]:
        try:
            await _refuse_unsafe_production(ctx)
            for start in ctx.on_startup:
                await start()
            if ctx.settings.env != "test":  # many apps in one test process: keep collecting
                # Everything built so far lives as long as the process: out of the cycle
                # collector's reach, so its full collections stop walking it. They paused
                # every request in flight (SQLite at 16 clients: p99 7-17 x p50 for the list
                # and the sync before, 1.4-3 x after; bench/README.md, reads third pass).
                gc.collect()
                gc.freeze()
            yield
        finally:
            # Finish post-commit work while its tools (pool, store, sender) still run.
            await ctx.background.drain(grace_seconds=10)
            for stop in reversed(ctx.on_shutdown):
                await stop()
            await ctx.db.dispose()

    from backend.citylink.controllers import CityController
    from backend.duty.controllers import DutyController
    from backend.events.controllers import EventsController
    from backend.inbox.controllers import InboxController
    from backend.incidents.controllers import IncidentsController
    from backend.mapping.controllers import MapController
    from backend.media_api.controllers import MediaController, MediaFilesController
    from backend.notify.controllers import DevicesController, NotificationsController
    from backend.observability.asgi import ObservabilityMiddleware
    from backend.observability.controllers import metrics_endpoint
    from backend.open311.controllers import Open311KeysController, open311_router
    from backend.pages.controllers import pages_router
    from backend.rooms.asyncapi import asyncapi_endpoint
    from backend.rooms.controllers import RoomsController
    from backend.rooms.ws import ws_endpoint
    from backend.routing.controllers import RoutingController
    from backend.sla.controllers import CalendarController
    from backend.stats.controllers import StatsController
    from backend.stats.export import ExportController

    # Auth declared once: every operation of the API needs a bearer token and may take the
    # caller as ``principal``, except those marked ``opt=PUBLIC`` (health, login, refresh,
    # signed media links, the city's signed cases, the socket's own auth).
    api = Router(
        path=API_PREFIX,
        guards=[require_bearer],
        dependencies={"principal": Provide(provide_principal)},
        route_handlers=[
            HealthController,
            AuthController,
            MeController,
            OrgsController,
            EventsController,
            ExportController,
            StatsController,
            RoutingController,
            InboxController,
            MediaController,
            MediaFilesController,
            DutyController,
            CityController,
            MapController,
            Open311KeysController,
            DevicesController,
            NotificationsController,
            RoomsController,
            IncidentsController,
            CalendarController,
            ws_endpoint,
        ],
    )
    cors = (
        CORSConfig(allow_origins=list(settings.allowed_origins), allow_credentials=False)
        if settings.allowed_origins
        else None
    )
    app: Litestar = Litestar(
        route_handlers=[api, open311_router(), metrics_endpoint, asyncapi_endpoint, pages_router()],
        dependencies={"db": Provide(provide_db), **part_dependencies(ctx)},
        exception_handlers=exception_handlers,
        lifespan=[lifespan],
        state=State({"ctx": ctx}),
        plugins=[ctx.channels, StrictBodyPlugin()],  # JSON bodies decoded once
        cors_config=cors,
        openapi_config=OpenAPIConfig(
            title="chengyun city-operations API",
            version="1.0.0",
            path="/schema",
            description="Wire contract of the Hongshan District city-operations backend.",
        ),
        request_max_body_size=1024 * 1024,
        request_class=CheckedRequest,  # hostile JSON refused where any body is read
        # Logging is ours (backend.observability.logs, set up above): Litestar's default
        # config would replace the root handlers with its own at startup.
        logging_config=None,
        debug=False,
    )
    # Outermost, around Litestar's exception handling and routing: request ids and
    # latency for every answer, 404s and errors included.
    limited = RequestLimits(
        SessionJanitor(app.asgi_handler),
        max_header_bytes=settings.max_header_bytes,
        body_idle_seconds=settings.body_idle_seconds,
        body_min_rate=settings.body_min_rate,
        body_grace_seconds=settings.body_grace_seconds,
    )
    ctx.request_limits = limited
    install_exact_openapi(app)
    app.asgi_handler = ObservabilityMiddleware(limited, ctx.metrics)
    return app
