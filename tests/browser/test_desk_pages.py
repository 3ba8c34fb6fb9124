"""The street center's and the department's pages with a working day's cases in them:
every page at tablet (1024×768) and phone (360×640) size, screenshots to look at, no
console error, and no layout shift while photos and the map load."""

from __future__ import annotations

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Page, expect

from tests.browser.flows import log_in
from tests.browser.harness import PHONE, TABLET, shot
from tests.integration.demo import demo, grid_point, street_of_grid

# Layout shifts as the browser measures them (CLS) of the page's own content (inside the
# shell's <main>), summed from the first paint: photos, map and duplicates arriving late.
CLS_PROBE = """
window.__cls = 0;
window.__shifts = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.hadRecentInput) continue;
    const mine = (e.sources || []).filter((s) => s.node?.closest?.('main'));
    if (!mine.length) continue;
    window.__cls += e.value;
    mine.forEach((s) => window.__shifts.push(`${e.value.toFixed(3)} ${s.node.className}`));
  }
}).observe({ type: 'layout-shift', buffered: true });
"""

DESCRIPTIONS = [
    ("garbage_exposed", "人行道上堆放生活垃圾，影响通行"),
    ("garbage_exposed", "垃圾桶满溢，周边散落垃圾"),
    ("garbage_accumulated", "工地门口积存渣土"),
    ("garbage_exposed", "绿化带内有建筑垃圾"),
    ("garbage_accumulated", "小区后门积存大件垃圾"),
    ("garbage_exposed", "公交站台旁有散落垃圾"),
]


# A function, not an expression: Playwright eval()s an expression in the page, which the
# pages' CSP (no unsafe-eval) refuses once the first check has failed and it polls.
PHOTOS_LOADED = """() =>
[...document.querySelectorAll('.photos img')].every((i) => i.complete)
  && document.querySelectorAll('.photos img').length > 0
"""


def street1_grids() -> list[int]:
    """The first street's grids but grid001, where the phone tests report: this day's
    open cases stay out of their possible duplicates."""
    first = demo().streets[0].code
    return [i for i in range(2, len(demo().grids) + 1) if street_of_grid(i) == first]


def report(people, user: str, grid: int, category: str, text: str, nudge: float = 0.0) -> dict:
    p = grid_point(grid)
    r = people.client.post(
        "/events",
        json={
            "category_code": category,
            "description": text,
            "location": {"lat": p["lat"] + nudge, "lng": p["lng"], "address": "珞喻路沿线"},
            "media_ids": [people.upload(user, grid * 10 + len(text))],
        },
        headers={**people.headers(user), "Idempotency-Key": str(uuid.uuid4())},
    )
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture(scope="module")
def working_day(live_server) -> dict:
    """A dozen cases of the first street in every state of a working day, a duplicate
    pair, and today's duty roster."""
    from tests.browser.api import Api

    people = Api(live_server.api)
    try:
        grids = street1_grids()
        tag = uuid.uuid4().hex[:6]
        events = []
        for n, (category, text) in enumerate(DESCRIPTIONS * 2):
            grid = grids[n % len(grids)]
            events.append(report(people, f"grid{grid:03d}", grid, category, f"{text} {tag}{n}"))
        dept = people.org_id("dept-cgzf")
        for e in events[:8]:
            people.act("street01a", e["id"], "accept")
        for e in events[:6]:
            people.act("street01a", e["id"], "dispatch", org_id=dept)
        for e in events[:4]:
            people.act("dept01a", e["id"], "start")
        people.act(
            "dept01a",
            events[0]["id"],
            "report",
            note="已清理",
            media_ids=[people.upload("dept01a", 7)],
        )
        people.act("street01a", events[1]["id"], "supervise", note="请加快处置")
        # A second report of the same problem a few metres away: a duplicate pair.
        first = events[-1]
        grid = grids[(len(events) - 1) % len(grids)]
        dup = report(
            people,
            f"grid{grid:03d}",
            grid,
            first["category"]["code"],
            f"同一处垃圾再次上报 {tag}",
            0.0001,
        )
        me = people.get("street01a", "/me")
        today = datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
        b = people.get("street01b", "/me")
        street = me["org"]["id"]
        # The shift on duty now (after midnight: yesterday's night), and today's two.
        now = people.get("street01a", "/duty/now", org_id=street)
        shifts = {(now["date"], now["shift"]), (today, "day"), (today, "night")}
        r = people.client.put(
            "/duty/rosters",
            json=[
                {
                    "org_id": street,
                    "date": d,
                    "shift": s,
                    "user_ids": [me["id"], b["id"]],
                    "leader_id": me["id"],
                }
                for d, s in sorted(shifts)
            ],
            headers=people.headers("street01a"),
        )
        assert r.status_code == 200, r.text
        r = people.client.post(
            "/rooms",
            json={
                "title": f"防汛联勤 {tag}",
                "kind": "joint_operation",
                "member_user_ids": [people.get("dept01a", "/me")["id"]],
                "member_org_ids": [],
            },
            headers=people.headers("street01a"),
        )
        assert r.status_code == 201, r.text
        room = r.json()
        people.client.post(
            f"/rooms/{room['id']}/messages",
            json={
                "client_msg_id": f"hello-{tag}",
                "kind": "text",
                "text": "各单位注意，今晚有强降雨",
            },
            headers=people.headers("street01a"),
        ).raise_for_status()
        linked = people.get("street01a", f"/events/{dup['id']}")["duplicate_of"]
        assert linked in {e["id"] for e in events}
        return {
            "events": events,
            "duplicate": dup,
            "linked": linked,
            "room": room,
            "tag": tag,
            "shifts": len(shifts),
        }
    finally:
        people.close()


def visit(page: Page, path: str, ready: str) -> None:
    page.goto(path)
    expect(page.locator(ready).first).to_be_visible()


@pytest.mark.parametrize(("size", "viewport"), [("tablet", TABLET), ("phone", PHONE)])
def test_the_street_centers_pages(contexts, working_day, size: str, viewport) -> None:
    ctx = contexts(viewport)
    ctx.context.add_init_script(CLS_PROBE)
    page = ctx.page()
    log_in(page, "street01a")
    expect(page).to_have_url("/app/board")
    # Other tests share the server: count this day's cases by their tag.
    rows = page.locator(".rows li").filter(has_text=working_day["tag"])
    expect(rows).to_have_count(13)
    # Status and time left are words, not only colours.
    expect(page.locator(".rows").get_by_text("待受理").first).to_be_visible()
    expect(page.locator(".rows .sla").first).to_contain_text("剩余")
    expect(page.locator(".rows").get_by_text("督办 1")).to_be_visible()
    assert page.evaluate("window.__cls") < 0.05, page.evaluate("window.__shifts")
    shot(page, f"board-{size}", full_page=False)

    # The filters narrow on the server: "待受理" leaves the reports no one accepted.
    page.locator(".filters .van-dropdown-menu__item").first.click()
    page.locator(".van-dropdown-item__option:visible").get_by_text("待受理", exact=True).click()
    expect(rows).to_have_count(5)
    shot(page, f"board-filtered-{size}", full_page=False)

    dup = working_day["duplicate"]
    visit(page, f"/app/events/{dup['id']}", ".event-page .head")
    linked = next(e for e in working_day["events"] if e["id"] == working_day["linked"])
    # The case the server linked comes first, beside this one, marked as the system's.
    first = page.locator(".dups .pair").first
    expect(first).to_contain_text(linked["case_no"])
    expect(first).to_contain_text("系统判定")
    expect(page.locator(".photos img").first).to_be_visible()
    page.wait_for_function(PHOTOS_LOADED)
    assert page.evaluate("window.__cls") < 0.05, page.evaluate("window.__shifts")
    shot(page, f"event-duplicate-{size}")
    first.get_by_role("button", name="合并到").click()
    expect(page.locator("select[aria-label=合并到]")).to_have_value(linked["id"])
    shot(page, f"event-merge-form-{size}", full_page=False)
    page.get_by_role("button", name="取消").click()

    handling = working_day["events"][1]
    visit(page, f"/app/events/{handling['id']}", ".event-page .timeline .entry")
    shot(page, f"event-handling-{size}")
    # The case's own room, made on first request and the same room after.
    page.get_by_role("button", name="案件群").click()
    expect(page.locator(".room-head")).to_contain_text(handling["case_no"])
    room_url = page.url
    page.go_back()
    page.get_by_role("button", name="案件群").click()
    expect(page.locator(".room-head")).to_contain_text(handling["case_no"])
    assert page.url == room_url

    visit(page, "/app/rooms", ".rooms .room")
    shot(page, f"rooms-{size}", full_page=False)
    page.locator(".rooms .room").first.click()
    expect(page.locator(".msg").first).to_be_visible()
    shot(page, f"room-{size}", full_page=False)

    visit(page, "/app/duty", ".rosters tbody tr")
    expect(page.locator(".rosters tbody tr")).to_have_count(working_day["shifts"])
    expect(page.locator(".rosters tbody tr.current")).to_have_count(1)
    expect(page.locator(".leader")).to_contain_text("带班领导")
    shot(page, f"duty-{size}", full_page=False)


@pytest.mark.parametrize(("size", "viewport"), [("tablet", TABLET), ("phone", PHONE)])
def test_the_department_queue(contexts, working_day, size: str, viewport) -> None:
    page = contexts(viewport).page()
    log_in(page, "dept01a")
    expect(page).to_have_url("/app/queue")
    # Dispatched or handling, assigned to the department: five of the six (one is handled).
    rows = page.locator(".rows li").filter(has_text=working_day["tag"])
    expect(rows).to_have_count(5)
    shot(page, f"dept-queue-{size}", full_page=False)
    rows.first.click()
    expect(page.locator(".event-page .actions")).to_contain_text("申请延期")
    shot(page, f"dept-event-{size}", full_page=False)
