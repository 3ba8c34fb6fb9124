"""Polled answers kept in memory (backend/common/views.py): a current If-None-Match is
answered 304 without a database statement, and any commit that could change the view,
in this process, behind the requests, or in another process, drops what was kept.
(test_conditional.py covers each cause a caller sees: every one of them now goes through
the kept answer too.)
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack, contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, func, insert, select, text, update

from backend.db.models import AuditEntry, Category, Org, User
from tests.conftest import REDIS_URL, Api, running
from tests.integration.flows import drive_to, report

VIEWS = ("/events", "/inbox", "/notifications")


@contextmanager
def statements(ctx: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_c: Any, _cur: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    engine = ctx.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def get(api: Api, user: str, path: str, tag: str | None = None) -> httpx.Response:
    headers = {"If-None-Match": tag} if tag else {}
    r = await api.client.get(f"/api/v1{path}", headers=await api.headers(user, **headers))
    assert r.status_code in (200, 304), r.text
    return r


async def test_a_current_tag_is_answered_304_without_a_statement(app: Any, api: Api) -> None:
    ctx = app.state["ctx"]
    event_ = await drive_to(api, "dispatched")
    for user, path in [
        ("street01a", "/events"),
        ("street01a", f"/events/{event_['id']}"),
        ("grid001", f"/events/{event_['id']}"),
        ("dept01a", "/inbox"),
        ("dept01a", "/notifications"),
    ]:
        first = await get(api, user, path)
        with statements(ctx) as ran:
            again = await get(api, user, path, first.headers["etag"])
        assert again.status_code == 304 and again.headers["etag"] == first.headers["etag"]
        assert ran == [], path


async def test_a_poll_without_its_tag_gets_the_same_bytes_without_a_statement(
    app: Any, api: Api
) -> None:
    ctx = app.state["ctx"]
    await report(api)
    first = await get(api, "street01a", "/events")
    with statements(ctx) as ran:
        again = await get(api, "street01a", "/events")
    assert ran == [] and again.status_code == 200
    assert (again.content, again.headers["etag"]) == (first.content, first.headers["etag"])


async def test_an_audited_read_is_sent_again_only_through_a_new_audit_row(
    app: Any, api: Api
) -> None:
    """The street dispatcher's own case shows the reporter's phone: each 200 is audited, a
    304 sends no phone and writes nothing (and does not drop the kept answer either)."""
    ctx = app.state["ctx"]
    case = await report(api)
    path = f"/events/{case['id']}"

    async def audited() -> int:
        async with ctx.db.sessions() as s:
            n = await s.scalar(select(func.count()).where(AuditEntry.action == "phone.unmasked"))
            return int(n or 0)

    first = await get(api, "street01a", path)
    before = await audited()
    assert (await get(api, "street01a", path)).status_code == 200
    assert await audited() == before + 1
    with statements(ctx) as ran:
        assert (await get(api, "street01a", path, first.headers["etag"])).status_code == 304
    assert ran == [] and await audited() == before + 1


async def test_a_list_filtered_by_sla_state_is_never_kept(app: Any, api: Api) -> None:
    ctx = app.state["ctx"]
    await drive_to(api, "dispatched")
    path = "/events?sla_state=normal"
    tag = (await get(api, "street01a", path)).headers["etag"]
    with statements(ctx) as ran:
        assert (await get(api, "street01a", path, tag)).status_code == 304
    assert ran  # read again: its members move with the clock


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(
            update(Category)
            .where(Category.code == "garbage_exposed")
            .values(name="暴露垃圾（新）"),
            id="a category renamed",
        ),
        pytest.param(
            update(User).where(User.username == "grid001").values(display_name="新名字"),
            id="a reporter renamed",
        ),
        pytest.param(
            update(Org).where(Org.code == "dept-cgzf").values(name="城管执法（新）"),
            id="the assignee department renamed",
        ),
        pytest.param(
            text("UPDATE events SET description = 'by hand'"),
            id="SQL through the app's engine",
        ),
    ],
)
async def test_a_commit_behind_the_requests_drops_the_kept_answers(
    app: Any, api: Api, write: Any
) -> None:
    ctx = app.state["ctx"]
    await drive_to(api, "dispatched")
    tag = (await get(api, "street01a", "/events")).headers["etag"]
    assert (await get(api, "street01a", "/events", tag)).status_code == 304
    async with ctx.db.sessions() as s:
        await s.execute(write)
        await s.commit()
    again = await get(api, "street01a", "/events", tag)
    assert again.status_code == 200 and again.headers["etag"] != tag


async def test_a_rolled_back_write_or_one_no_view_shows_keeps_them(app: Any, api: Api) -> None:
    ctx = app.state["ctx"]
    await report(api)
    tag = (await get(api, "street01a", "/events")).headers["etag"]
    generation = ctx.views.generation
    async with ctx.db.sessions() as s:
        await s.execute(update(Category).values(name="x"))
        await s.rollback()
    async with ctx.db.sessions() as s:
        await s.execute(
            insert(AuditEntry).values(action="test", target_type="t", target_id="1", data={})
        )
        await s.commit()
    assert ctx.views.generation == generation
    with statements(ctx) as ran:
        assert (await get(api, "street01a", "/events", tag)).status_code == 304
    assert ran == []


# -- another process ------------------------------------------------------------------------


@pytest.fixture
async def two_apps(settings: Any, tmp_path: Any) -> AsyncIterator[list[Api]]:
    """Two app instances over the same database and the same Redis channels."""
    from backend.app import create_app

    async with AsyncExitStack() as stack:
        apis = []
        for n in range(2):
            app = create_app(
                settings.with_overrides(redis_url=REDIS_URL, data_dir=tmp_path / f"p{n}")
            )
            stack.push_async_callback(app.state["ctx"].db.dispose)
            await stack.enter_async_context(running(app))
            await app.state["ctx"].channels._backend.wait_connected()
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
            client = await stack.enter_async_context(
                httpx.AsyncClient(transport=transport, base_url="http://testserver")
            )
            apis.append(Api(client=client, tokens={}))
        yield apis


@pytest.mark.skipif(not REDIS_URL, reason="needs CHENGYUN_TEST_REDIS_URL")
async def test_a_write_in_another_process_drops_the_kept_answers(two_apps: list[Api]) -> None:
    writer, reader = two_apps
    views = reader.client._transport.app.state["ctx"].views
    await report(writer)
    tag = (await get(reader, "street01a", "/events")).headers["etag"]
    assert (await get(reader, "street01a", "/events", tag)).status_code == 304
    arrived = asyncio.Event()
    bump = views.bump

    def bumped(**kw: Any) -> None:
        bump(**kw)
        arrived.set()

    views.bump = bumped  # the broadcast's consumer calls it
    await report(writer, grid=2)  # committed in the other process
    await asyncio.wait_for(arrived.wait(), timeout=10)
    again = await get(reader, "street01a", "/events", tag)
    assert again.status_code == 200 and again.headers["etag"] != tag
