"""The ``chengyun`` command: serve, migrate, seed-demo, import-district, create-user, openapi,
rebuild-rollups."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from backend.settings import DEMO_PASSWORD, Settings, SettingsError

if TYPE_CHECKING:
    from backend.orgs.district_file import DecodedDistrict
    from backend.orgs.district_import import DistrictPlan

__all__ = ["main"]


def _migrate(settings: Settings) -> None:
    from backend.db.migrate import upgrade_head

    upgrade_head(settings.resolved_database_url)
    print(f"schema is up to date ({_redact(settings.resolved_database_url)})")


def _require_schema(settings: Settings) -> None:
    """Refuse to work on a database that is unreachable or not migrated, in one line
    instead of a traceback (or, for ``serve``, a server answering 500 to everything)."""
    from sqlalchemy.exc import DBAPIError

    from backend.db.engine import Database
    from backend.db.migrate import SchemaBehind, check_schema

    async def check() -> None:
        db = Database(settings.resolved_database_url)
        try:
            await check_schema(db.engine)
        finally:
            await db.dispose()

    where = _redact(settings.resolved_database_url)
    if where.startswith("sqlite"):
        path = where.split("///", 1)[-1]
        if path and path != ":memory:" and not Path(path).is_file():
            # Not opened: SQLite would create an empty file there.
            raise SettingsError(f"no database at {path}: run `chengyun migrate` first")
    try:
        asyncio.run(check())
    except SchemaBehind as exc:
        raise SettingsError(f"{where}: {exc}") from exc
    except (DBAPIError, OSError) as exc:
        reason = getattr(exc, "orig", None) or exc
        raise SettingsError(f"cannot reach the database {where}: {reason}") from exc


def _redact(url: str) -> str:
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


async def _seed(settings: Settings) -> None:
    from backend.auth.passwords import password_service
    from backend.db.engine import Database
    from backend.orgs.seed import seed_demo

    if settings.is_production:
        raise SettingsError("seed-demo refuses to run in production (demo passwords)")
    db = Database(settings.resolved_database_url)
    try:
        async with db.sessions() as session:
            report = await seed_demo(session, password_service(settings.password_profile))
            await session.commit()
    finally:
        await db.dispose()
    d = report.district
    print(
        f"demo district {d.district.name}: added {report.orgs_added} orgs, "
        f"{report.categories_added} categories, {report.users_added} users "
        "(a second run adds nothing)"
    )
    print(f"\nDemo logins (password: {DEMO_PASSWORD}):")
    by_role: dict[str, list[str]] = {}
    for u in d.users:
        by_role.setdefault(u.role, []).append(u.username)
    for role, names in by_role.items():
        shown = ", ".join(names[:6]) + (f", ... ({len(names)} in all)" if len(names) > 6 else "")
        print(f"  {role:<20} {shown}")


def _import_district(settings: Settings, args: argparse.Namespace) -> int:
    from backend.orgs.district_file import decode_district
    from backend.orgs.district_import import DistrictImportError

    try:
        decoded = decode_district(Path(args.file).read_bytes())
    except OSError as exc:
        raise SettingsError(f"cannot read {args.file}: {exc.strerror}") from exc
    try:
        plan = asyncio.run(_plan_and_apply(settings, decoded, write=not args.dry_run))
    except DistrictImportError as exc:
        print(f"chengyun: {args.file} refused, nothing written:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 2
    if not plan.changes:
        print(f"{args.file}: nothing to change, the database already matches it")
    elif args.dry_run:
        print(f"dry run of {args.file}, nothing written; an import would make these changes:")
    else:
        print(f"imported {args.file} in one transaction:")
    for change in plan.changes:
        print(f"  {change.describe()}")
    for kind, label in (("org", "orgs"), ("category", "categories")):
        n = plan.counts(kind)
        print(f"{label}: {n['added']} added, {n['updated']} updated, {n['unchanged']} unchanged")
    if plan.changes and not args.dry_run:
        print("running servers pick up new or reshaped grids within a minute")
    return 0


async def _plan_and_apply(
    settings: Settings, decoded: DecodedDistrict, *, write: bool
) -> DistrictPlan:
    from backend.db.engine import Database
    from backend.orgs.district_import import apply_district, plan_district

    db = Database(settings.resolved_database_url)
    try:
        # A dry run only reads (on SQLite it then takes no write lock).
        async with (db.sessions if write else db.read_sessions)() as session:
            plan = await plan_district(session, decoded)
            if write:
                await apply_district(session, plan)
                await session.commit()
    finally:
        await db.dispose()
    return plan


async def _create_user(settings: Settings, args: argparse.Namespace) -> None:
    from sqlalchemy import select

    from backend.auth.passwords import password_service
    from backend.auth.principal import ROLES
    from backend.db.engine import Database
    from backend.db.models import Org, User

    if args.role not in ROLES:
        raise SettingsError(f"role must be one of {', '.join(ROLES)}")
    password = args.password or getpass.getpass("password: ")
    if len(password) < 8:
        raise SettingsError("the password must have at least 8 characters")
    if settings.is_production and password == DEMO_PASSWORD:
        raise SettingsError("production refuses the demo password")
    db = Database(settings.resolved_database_url)
    try:
        async with db.sessions() as session:
            org = (
                await session.execute(select(Org).where(Org.code == args.org_code))
            ).scalar_one_or_none()
            if org is None:
                raise SettingsError(f"no org with code {args.org_code!r}")
            user = (
                await session.execute(select(User).where(User.username == args.username))
            ).scalar_one_or_none()
            hashed = password_service(settings.password_profile).hash(password)
            if user is None:
                session.add(
                    User(
                        username=args.username,
                        display_name=args.display_name or args.username,
                        role=args.role,
                        org_id=org.id,
                        phone=args.phone,
                        password_hash=hashed,
                        demo_password=password == DEMO_PASSWORD,
                    )
                )
                verb = "created"
            elif args.reset:
                user.password_hash = hashed
                user.demo_password = password == DEMO_PASSWORD
                user.role, user.org_id = args.role, org.id
                verb = "updated"
            else:
                raise SettingsError(f"user {args.username!r} exists (use --reset to change it)")
            await session.commit()
    finally:
        await db.dispose()
    print(f"user {args.username} {verb}")


def _openapi(settings: Settings) -> None:
    from litestar._openapi.plugin import OpenAPIPlugin

    from backend.app import create_app

    app = create_app(settings)
    doc = app.plugins.get(OpenAPIPlugin).provide_openapi_schema()  # the exact one, as served
    print(json.dumps(doc, ensure_ascii=False, indent=2))


def _serve(settings: Settings, args: argparse.Namespace) -> None:

    from backend.app import create_app

    if args.demo:
        _migrate(settings)
        asyncio.run(_seed(settings))
    else:
        _require_schema(settings)
    from backend.serving import serve

    # One process builds its app here; with --workers each worker builds its own.
    app = create_app(settings) if args.workers <= 1 else None
    serve(
        app,
        workers=args.workers,
        host=args.host,
        port=args.port,
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=1024 * 1024,  # frames over 64 KiB get an error frame; over 1 MiB, 1009
        # h11 only (httptools has no such knob): the app's RequestLimits answers 431 anyway.
        h11_max_incomplete_event_size=settings.max_header_bytes,
        log_level=settings.log_level.lower(),
        # Our JSON lines (backend.observability.logs) for uvicorn's loggers too; the
        # app writes one access line per request, with its request id.
        log_config=None,
        access_log=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )


async def _rebuild_rollups(settings: Settings) -> None:
    from backend.db.engine import Database
    from backend.stats.rollup import rebuild

    db = Database(settings.resolved_database_url)
    try:
        async with db.sessions() as session:
            rows = await rebuild(session)
            await session.commit()
    finally:
        await db.dispose()
    if rows is None:
        print("no roll-ups on SQLite (its statistics read the events): nothing to do")
    else:
        counts = ", ".join(f"{table} {n}" for table, n in rows.items())
        print(f"rebuilt the statistics' roll-ups from the events: {counts} rows")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="chengyun", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve HTTP and WebSocket")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="migrate and load demo data first")
    serve.add_argument("--workers", type=int, default=1, help="worker processes on one port")
    sub.add_parser("migrate", help="create or upgrade the database schema")
    sub.add_parser("seed-demo", help="load the demo district (idempotent)")
    sub.add_parser("openapi", help="print the OpenAPI document")
    sub.add_parser("rebuild-rollups", help="recompute the statistics' roll-ups")
    imp = sub.add_parser(
        "import-district",
        help="load or update the district's orgs, grids and categories from a JSON file",
    )
    imp.add_argument("file", help="the district file (docs/operations.md)")
    imp.add_argument("--dry-run", action="store_true", help="check and show, write nothing")
    cu = sub.add_parser("create-user", help="create a user (or --reset an existing one)")
    cu.add_argument("username")
    cu.add_argument("--role", required=True)
    cu.add_argument("--org-code", required=True)
    cu.add_argument("--display-name")
    cu.add_argument("--phone")
    cu.add_argument("--password", help="prompted for when omitted")
    cu.add_argument("--reset", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from backend.observability.logs import configure_logging

    configure_logging(os.environ.get("CHENGYUN_LOG_LEVEL", "INFO"))
    try:
        settings = Settings.from_env()
        match args.command:
            case "migrate":
                _migrate(settings)
            case "seed-demo":
                if settings.is_production:
                    raise SettingsError("seed-demo refuses to run in production (demo passwords)")
                _require_schema(settings)
                asyncio.run(_seed(settings))
            case "import-district":
                _require_schema(settings)
                return _import_district(settings, args)
            case "create-user":
                _require_schema(settings)
                asyncio.run(_create_user(settings, args))
            case "openapi":
                _openapi(settings)
            case "rebuild-rollups":
                _require_schema(settings)
                asyncio.run(_rebuild_rollups(settings))
            case "serve":
                _serve(settings, args)
    except SettingsError as exc:
        print(f"chengyun: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
