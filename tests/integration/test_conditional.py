"""Conditional reads (backend/common/conditional.py): GET /events, /events/{id}, /inbox and
/notifications answer an ETag and 304 for a current If-None-Match, and the tag moves with
everything the caller would see: a new or changed event, visibility gained or lost, an
sla_state moving with the clock, a photo link about to expire. A changed view is never
answered 304.
"""

from __future__ import annotations

import re
from typing import Any

import msgspec
from sqlalchemy import select, update

from backend.common.conditional import LINK_EPOCH_SECONDS, etag_of
from backend.db.models import Org, User
from tests.integration.flows import dept_org_id, drive_to, report, upload

_LINK_QUERY = re.compile(r"\?exp=\d+&sig=[A-Za-z0-9_\-=]+")


async def tagged(api: Any, user: str, path: str, *tags: str) -> tuple[int, str, str]:
    """(status, ETag, body with the links' exp and sig left out) of a conditional GET."""
    headers = {"If-None-Match": ", ".join(tags)} if tags else {}
    r = await api.client.get(f"/api/v1{path}", headers=await api.headers(user, **headers))
    assert r.status_code in (200, 304), r.text
    if r.status_code == 304:
        assert r.content == b""
    return r.status_code, r.headers["etag"], _LINK_QUERY.sub("", r.text)


async def test_an_unchanged_view_answers_304_with_its_tag(api: Any) -> None:
    event = await drive_to(api, "dispatched")
    views = [
        ("street01a", "/events"),
        ("grid001", f"/events/{event['id']}"),
        ("dept01a", "/inbox"),
        ("dept01a", "/notifications"),
    ]
    for user, path in views:
        status, tag, body = await tagged(api, user, path)
        assert status == 200 and body and re.fullmatch(r'"[0-9a-f]{32}"', tag), path
        for sent in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again, same, _ = await tagged(api, user, path, sent)
            assert (again, same) == (304, tag), (path, sent)
        assert (await tagged(api, user, path, '"other"'))[0] == 200


async def test_a_new_or_changed_event_changes_the_tags(api: Any) -> None:
    first = await report(api)
    _, list_tag, _ = await tagged(api, "street01a", "/events")
    _, detail_tag, _ = await tagged(api, "grid001", f"/events/{first['id']}")
    await report(api, grid=2)  # new in the dispatcher's view
    status, new_list_tag, _ = await tagged(api, "street01a", "/events", list_tag)
    assert status == 200 and new_list_tag != list_tag
    r = await api.act("street01a", first["id"], "supervise", note="请尽快处理")
    assert r.status_code == 200
    for user, path, tag in (
        ("street01a", "/events", new_list_tag),
        ("grid001", f"/events/{first['id']}", detail_tag),
    ):
        status, changed, _ = await tagged(api, user, path, tag)
        assert status == 200 and changed != tag, path


async def test_visibility_gained_and_lost_changes_the_tag(app: Any, api: Any) -> None:
    ctx = app.state["ctx"]
    event = await drive_to(api, "registered")
    _, before, body = await tagged(api, "dept01a", "/events")
    assert event["id"] not in body
    r = await api.act("street01a", event["id"], "dispatch", org_id=await dept_org_id(api))
    assert r.status_code == 200
    status, gained, body = await tagged(api, "dept01a", "/events", before)
    assert status == 200 and gained != before and event["id"] in body
    # The dispatcher moves to another street: the event leaves their view.
    _, seen, body = await tagged(api, "street01a", "/events")
    assert event["id"] in body
    ctx.auth.verified.clear()  # read the move at once (test_auth_cache covers the delay)
    async with ctx.db.sessions() as s:
        other = await s.scalar(select(Org.id).where(Org.type == "street", Org.code != "420111001"))
        await s.execute(update(User).where(User.username == "street01a").values(org_id=other))
        await s.commit()
    status, lost, body = await tagged(api, "street01a", "/events", seen)
    assert status == 200 and lost != seen and event["id"] not in body


async def test_sla_state_moving_with_the_clock_changes_the_tags(api: Any, clock: Any) -> None:
    event = await drive_to(api, "dispatched")
    views = [("street01a", "/events"), ("grid001", f"/events/{event['id']}"), ("dept01a", "/inbox")]
    tags = {path: (await tagged(api, user, path))[1] for user, path in views}
    clock.advance(days=30)  # far past the due time: overdue
    for user, path in views:
        status, tag, body = await tagged(api, user, path, tags[path])
        assert status == 200 and tag != tags[path] and '"overdue"' in body, path


async def test_a_photo_link_about_to_expire_changes_the_tag(app: Any, api: Any) -> None:
    links = app.state["ctx"].events.links
    media_id = await upload(api, "grid001", 3)
    event = await report(api, media_ids=[media_id])
    path = f"/events/{event['id']}"
    start = (links.clock() // LINK_EPOCH_SECONDS + 1) * LINK_EPOCH_SECONDS
    links.clock = lambda: start + 1
    _, tag, _ = await tagged(api, "grid001", path)
    links.clock = lambda: start + LINK_EPOCH_SECONDS - 1  # new exp, same period: still good
    assert (await tagged(api, "grid001", path, tag))[:2] == (304, tag)
    links.clock = lambda: start + LINK_EPOCH_SECONDS  # the links are due for renewal
    status, renewed, _ = await tagged(api, "grid001", path, tag)
    assert status == 200 and renewed != tag


async def test_notifications_read_changes_the_tag(api: Any) -> None:
    await drive_to(api, "dispatched")
    _, tag, body = await tagged(api, "dept01a", "/notifications")
    assert '"unread_count":0' not in body.replace(" ", "")
    r = await api.post("dept01a", "/notifications/read-all")
    assert r.status_code == 200
    status, changed, _ = await tagged(api, "dept01a", "/notifications", tag)
    assert status == 200 and changed != tag


async def test_a_changed_view_is_never_answered_304(api: Any, clock: Any) -> None:
    """Through a run of changes, every tag ever seen is sent back: a 304 only ever comes
    for a tag whose answer is exactly what a fresh read shows now."""
    seen: dict[str, str] = {}  # tag -> the body it was answered with
    event = await report(api)
    dept = await dept_org_id(api)
    steps = [
        lambda: report(api, grid=2),
        lambda: api.act("street01a", event["id"], "accept"),
        lambda: api.act("street01a", event["id"], "supervise", note="请尽快处理"),
        lambda: api.act("street01a", event["id"], "dispatch", org_id=dept),
        lambda: _advance(clock, hours=1),
        lambda: _advance(clock, days=30),
        lambda: api.act("dept01a", event["id"], "start"),
    ]
    for step in [_nothing, _nothing, *steps, _nothing]:
        await step()
        for user, path in (("street01a", "/events"), ("street01a", f"/events/{event['id']}")):
            _, _, fresh = await tagged(api, user, path)
            status, tag, _ = await tagged(api, user, path, *seen) if seen else (200, "", "")
            if status == 304:
                assert seen[tag] == fresh, path
            _, tag, body = await tagged(api, user, path)
            seen[tag] = body


async def _nothing() -> None:
    return None


async def _advance(clock: Any, **delta: float) -> None:
    clock.advance(**delta)


def test_text_that_looks_like_a_link_is_never_left_out_of_the_tag() -> None:
    link = '"thumb":"/api/v1/media/m-1/thumb?exp={}&sig={}"'
    real = [f'{{"urls":{{{link.format(e, s)}}}}}'.encode() for e, s in ((100, "aA_-"), (160, "zz"))]
    assert etag_of(real[0], 1) == etag_of(real[1], 1) != etag_of(real[0], 2)
    # A description quoting a link (its quotes escaped by the encoder) stays in the hash.
    quoted = [
        f'{{"description":{msgspec.json.encode(link.format(e, "x")).decode()}}}'.encode()
        for e in (1, 2)
    ]
    assert etag_of(quoted[0], 1) != etag_of(quoted[1], 1)
