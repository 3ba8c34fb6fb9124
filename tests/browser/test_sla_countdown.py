"""The SLA chip counts the time left on the server's working calendar, not wall time."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from backend.sla.calendar import load_default_calendar
from tests.browser.flows import log_in
from tests.browser.harness import TABLET


def _working_text(minutes: int) -> str:
    # As web/src/common/sla.ts says working time: hours and minutes, never days.
    h, m = divmod(minutes, 60)
    span = f"{m} 分钟" if h == 0 else (f"{h} 小时 {m} 分钟" if m else f"{h} 小时")
    return f"剩余 {span}（工作时间）"


def _dispatched_task(people, days: int) -> tuple[str, datetime, datetime]:
    """A working-clock event dispatched to dept01b's department, due ``days`` from now."""
    tag = f"工时-{uuid.uuid4().hex[:6]}"
    r = people.client.post(
        "/events",
        json={
            "category_code": "garbage_exposed",  # a working-clock category
            "description": f"{tag} 垃圾清运不及时",
            "location": {"lat": 30.5403, "lng": 114.3342},
        },
        headers={**people.headers("grid001"), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    event = r.json()
    assert any(
        c["code"] == "garbage_exposed" and c["sla"]["handle"]["clock"] == "working"
        for c in people.get("dept01b", "/categories")["items"]
    )
    start = datetime.now(UTC)
    due = (start + timedelta(days=days)).replace(microsecond=0)
    people.act("street01a", event["id"], "accept")
    org = people.org_id("dept-cgzf")
    people.act("street01a", event["id"], "dispatch", org_id=org, due_at=due.isoformat())
    return tag, start, due


def _chip(contexts, tag: str, block_calendar: bool = False):
    watched = contexts(TABLET)
    page = watched.page()
    if block_calendar:
        watched.expect_errors(r"ERR_FAILED @ \S*/api/v1/calendar/working-periods")
        page.route("**/api/v1/calendar/working-periods*", lambda route: route.abort())
    log_in(page, "dept01b")
    page.get_by_role("tab", name="任务").click()
    return page.get_by_role("link").filter(has_text=tag).locator(".sla")


def test_time_left_is_counted_on_the_working_calendar(contexts, people) -> None:
    # Three days on: across nights, lunch breaks and (often) a weekend, whatever today is.
    tag, start, due = _dispatched_task(people, days=3)
    calendar = load_default_calendar()
    # The page counts from its own now, a little after `start`: any minute in that span.
    counts = {
        int(calendar.working_time_between(start + timedelta(minutes=k), due).total_seconds() // 60)
        for k in range(0, 6)
    }
    expected = "|".join(re.escape(_working_text(m)) for m in sorted(counts))
    chip = _chip(contexts, tag)
    expect(chip).to_have_class(re.compile(r"\bsla-normal\b"))
    expect(chip).to_have_text(re.compile(f"^({expected})$"))
    # Wall time would say about 3 days; the working count is never more than 3 × 7 h.
    assert max(counts) <= 3 * 7 * 60


def test_without_the_calendar_the_count_says_it_is_approximate(contexts, people) -> None:
    tag, _, _ = _dispatched_task(people, days=3)
    chip = _chip(contexts, tag, block_calendar=True)
    expect(chip).to_have_class(re.compile(r"\bsla-normal\b"))
    # Wall time, marked: never a plain "剩余 2 天 23 小时" that looks exact.
    expect(chip).to_have_text(re.compile(r"^剩余 约 \d+ 天( \d+ 小时)?$"))
