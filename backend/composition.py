"""``build_context(settings)``: every long-lived part, built in one place in dependency order.

The parts are typed attributes of ``AppContext`` (backend/context.py); each domain's
``wiring.install`` makes its own from the parts made before it. The events domain's hooks
run inside the transaction of each change in the order of ``event_hooks`` below.
"""

from __future__ import annotations

from backend.auth.passwords import password_service
from backend.auth.service import AuthService
from backend.auth.tokens import TokenService
from backend.common.background import BackgroundTasks
from backend.context import AppContext
from backend.db.engine import Database
from backend.events.hooks import DomainHooks
from backend.orgs.service import GridIndexHolder
from backend.settings import Settings

__all__ = ["build_context", "event_hooks"]


def _auth(settings: Settings) -> AuthService:
    tokens = TokenService(
        settings.secret_key,
        audience=settings.jwt_audience,
        issuer=settings.jwt_issuer,
        access_seconds=settings.access_token_seconds,
    )
    return AuthService(
        passwords=password_service(settings.password_profile),
        tokens=tokens,
        refresh_seconds=settings.refresh_token_seconds,
        max_failures=settings.login_max_failures,
        ip_max_failures=settings.login_ip_max_failures,
        window_seconds=settings.login_window_seconds,
        verified_seconds=settings.auth_cache_seconds,
    )


def event_hooks(ctx: AppContext) -> list[DomainHooks]:
    """The other domains' hooks on the events domain, in the order they run.

    Each runs inside the change's transaction after it is written; a later hook sees what
    an earlier one wrote.
    """
    from backend.citylink.service import event_hooks as city_hooks
    from backend.inbox.wiring import event_hooks as inbox_hooks
    from backend.notify.event_hooks import EventNotifier
    from backend.rooms.event_feed import event_feed_hooks
    from backend.rooms.wiring import system_line_hooks
    from backend.routing.wiring import event_hooks as routing_hooks
    from backend.stats.wiring import event_hooks as stats_hooks

    return [
        # First: the event's tasks are part of every event change.
        inbox_hooks(ctx),
        # The statistics' columns on the event, set before the action's flush (before_write)
        # so they go out in its UPDATE of the event.
        stats_hooks(),
        # Notifications (outbox rows; pushed after commit).
        DomainHooks(action=EventNotifier(ctx.notify).on_action),
        # The system line in the event's room; the room follows its event's assignee.
        system_line_hooks(ctx.rooms),
        # Live `event` frames to everyone who sees the event, after commit.
        event_feed_hooks(ctx.rooms.hub),
        # City sync outbox rows, only with CHENGYUN_CITY_ENDPOINT set.
        *([city_hooks(ctx)] if ctx.settings.city_endpoint else []),
        # Last: its auto-dispatch runs inside the accept's hook loop, so every hook above
        # has seen the `accept` before it sees the `dispatch`.
        routing_hooks(ctx),
    ]


def build_context(settings: Settings) -> AppContext:
    from backend.citylink.wiring import install as install_citylink
    from backend.common.views import ViewCache
    from backend.events.wiring import install as install_events
    from backend.inbox.wiring import install as install_inbox
    from backend.media_api.wiring import install as install_media
    from backend.notify.wiring import install as install_notify
    from backend.observability.wiring import install as install_metrics
    from backend.rooms.wiring import install as install_rooms
    from backend.scheduler.wiring import install as install_jobs
    from backend.scheduler.wiring import start_scheduler

    ctx = AppContext(
        settings=settings, db=Database(settings.resolved_database_url), auth=_auth(settings)
    )
    ctx.grid_index = GridIndexHolder()
    ctx.background = BackgroundTasks()
    # Polled answers, kept while no commit could have changed them (the rooms' channels
    # carry other processes' commits: rooms/view_broadcast.py).
    ctx.views = ViewCache(
        max_age=settings.view_cache_seconds,
        max_entries=4096 if settings.view_cache_seconds > 0 else 0,
    )
    ctx.db.view_changes.append(ctx.views.bump)
    install_jobs(ctx)  # the job registry every domain adds its jobs to
    install_media(ctx)  # store, image pool, links, uploads (uses background)
    install_events(ctx)  # calendar, SLA planner, EventService (uses media, grid index)
    install_inbox(ctx)  # sync cursors, SLA sweep and briefing jobs
    install_notify(ctx)  # push sender, relay, NotifyService
    install_rooms(ctx)  # channels, hub, Rooms (the hub listens to notify)
    install_citylink(ctx)  # the relay job, with CHENGYUN_CITY_ENDPOINT set
    for hooks in event_hooks(ctx):
        if hooks.created is not None:
            ctx.events.hooks.created.append(hooks.created)
        if hooks.action is not None:
            ctx.events.hooks.action.append(hooks.action)
        if hooks.before_write is not None:
            ctx.events.hooks.before_write.append(hooks.before_write)
    start_scheduler(ctx)  # every domain has registered its jobs
    install_metrics(ctx)  # last: reads the hub and the scheduler, hooks the relay's results
    return ctx
