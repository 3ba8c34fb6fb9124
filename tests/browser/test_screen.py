"""一屏统览 in a real browser: charts and map drawn at the wall's and the tablet's size, a
report reaching today's count and the map live, an overdue case raising the banner, and
a street dispatcher's screen covering their street only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import _chromium_or_skip
from tests.browser.flows import log_in
from tests.browser.harness import TABLET, Watched, shot
from tests.browser.screen_flows import CANVASES_DRAWN, Api, canvases_drawn, screen_server_in
from tests.browser.server import LiveServer

WALL = {"width": 1920, "height": 1080}


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """This module's own server (its SLA sweep runs every second); `contexts` opens the
    pages on it."""
    _chromium_or_skip()
    yield from screen_server_in(Path(tmp_path_factory.mktemp("screen-server")))


@pytest.fixture(scope="module")
def api(live_server: LiveServer) -> Api:
    return Api(live_server)


def open_screen(watched: Watched, user: str) -> Page:
    page = watched.page()
    log_in(page, user)
    page.goto("/app/screen")
    expect(page.locator("[data-figure=total]")).to_be_visible()
    # The map has drawn its grids and read the open events.
    expect(page.locator(".onemap .canvas")).to_have_attribute("data-ready", "true")
    # Live from here on: the socket is authenticated.
    expect(page.locator(".top .status")).to_have_text("实时")
    expect(page.locator(".onemap .canvas")).not_to_have_attribute("data-grid-count", "0")
    return page


def figure(page: Page, key: str) -> str:
    return page.locator(f"[data-figure={key}] .value").inner_text().split("\n")[0].rstrip("件%/5")


@pytest.mark.parametrize("size", [WALL, TABLET], ids=["wall", "tablet"])
def test_the_screen_draws_its_charts_and_map(contexts, api: Api, size: dict[str, int]) -> None:
    api.report()
    page = open_screen(contexts(size), "leader01")
    expect(page.get_by_role("img", name="今日与往周同日对比")).to_be_visible()
    expect(page.locator(".echart canvas")).to_have_count(3)
    expect(page.locator(".leaflet-overlay-pane canvas")).to_have_count(1)
    # Every canvas (three charts, the map) has something drawn on it.
    page.wait_for_function(f"() => ({CANVASES_DRAWN})() >= 4")
    assert canvases_drawn(page) >= 4
    shot(page, f"screen-{size['width']}x{size['height']}", full_page=False)
    # A figure opens the list it counts.
    today = api.today_overview("leader01")
    assert figure(page, "total") == str(today["total"])
    page.locator("[data-figure=total]").click()
    expect(page).to_have_url(re.compile(r"/app/screen/list\?.*created_from="))
    expect(page.locator("tr[data-event]")).to_have_count(today["total"])
    shot(page, f"screen-list-{size['width']}", full_page=False)


def test_a_report_reaches_the_count_and_the_map_without_a_reload(contexts, api: Api) -> None:
    page = open_screen(contexts(WALL), "district01")
    before = int(figure(page, "total"))
    count = int(page.locator(".onemap .canvas").get_attribute("data-event-count") or "0")
    page.evaluate("window.__same_page = true")
    event = api.report()
    expect(page.locator("[data-figure=total] .value")).to_have_text(
        re.compile(rf"^{before + 1}\s*件"), timeout=2000
    )
    expect(page.locator(".onemap .canvas")).to_have_attribute(
        "data-last-event", event["id"], timeout=2000
    )
    expect(page.locator(".onemap .canvas")).to_have_attribute("data-event-count", str(count + 1))
    assert page.evaluate("window.__same_page") is True  # no reload happened
    assert int(figure(page, "total")) == api.today_overview("district01")["total"]


def test_a_case_that_runs_overdue_raises_the_banner_and_is_supervised_from_it(
    contexts, api: Api
) -> None:
    page = open_screen(contexts(WALL), "leader01")
    event = api.report()
    api.act("street01a", event["id"], "accept")
    due = (datetime.now(UTC) + timedelta(seconds=3)).isoformat()
    api.act("street01a", event["id"], "dispatch", org_id=api.dept_org_id(), due_at=due)
    banner = page.get_by_test_id("alert-banner")
    # The sweep (every second on this server) finds it past due and supervises it.
    expect(banner).to_contain_text(event["case_no"], timeout=20_000)
    expect(banner).to_contain_text("超期")
    expect(banner).to_have_css("animation-name", "none")
    shot(page, "screen-overdue-banner", full_page=False)
    before = api.get("leader01", f"/events/{event['id']}")["supervision_count"]
    banner.get_by_role("button", name="督办").click()
    page.get_by_label("督办意见").fill("请今日内办结")
    page.get_by_role("button", name="确认督办").click()
    expect(page.get_by_role("dialog", name="督办")).to_be_hidden()
    after = api.get("leader01", f"/events/{event['id']}")
    assert after["supervision_count"] == before + 1


def test_a_street_dispatcher_sees_only_their_street(contexts, api: Api) -> None:
    api.report(street=2)  # another street's event: never on street01's screen
    api.report()
    page = open_screen(contexts(TABLET), "street01a")
    mine = api.today_overview("street01a")
    district = api.today_overview("district01")
    assert mine["total"] < district["total"]
    expect(page.locator("[data-figure=total] .value")).to_have_text(
        re.compile(rf"^{mine['total']}\s*件")
    )
    street_id = api.get("street01a", "/me")["org"]["id"]
    grids = api.get("street01a", "/grids", street_id=street_id, limit=200)["items"]
    expect(page.locator(".onemap .canvas")).to_have_attribute("data-grid-count", str(len(grids)))
    visible = api.get(
        "street01a",
        "/events",
        status="reported,registered,dispatched,handling,handled,verified",
        limit=200,
    )
    expect(page.locator(".onemap .canvas")).to_have_attribute(
        "data-event-count", str(len(visible["items"]))
    )
    expect(page.get_by_role("heading", level=1)).to_contain_text(
        api.get("street01a", "/me")["org"]["name"]
    )
    shot(page, "screen-street-tablet", full_page=True)


def test_war_time_declared_from_a_plan_shows_its_room_and_acknowledgements_live(
    contexts, api: Api
) -> None:
    page = open_screen(contexts(WALL), "leader01")
    page.get_by_role("button", name="宣布战时").click()
    dialog = page.get_by_role("dialog", name="宣布战时")
    plans = api.get("leader01", "/incidents/plans")
    dialog.get_by_label("应急预案").select_option(plans[0]["code"])
    dialog.get_by_label("事件名称").fill("暴雨内涝")
    dialog.get_by_role("button", name="宣布").click()
    expect(dialog).to_be_hidden()
    incident = api.get("leader01", "/incidents", active="true")[0]
    assert (incident["title"], incident["plan_code"]) == ("暴雨内涝", plans[0]["code"])
    card = page.locator(f"[data-incident='{incident['id']}']")
    expect(card.get_by_role("link", name="进入指挥室")).to_have_attribute(
        "href", f"/app/rooms/{incident['room_id']}"
    )
    room = api.get("leader01", f"/rooms/{incident['room_id']}")
    expect(card).to_contain_text(f"成员 {len(room['members'])}")

    # An instruction to two members; one acknowledges: the screen says 1/2, live.
    me = api.get("leader01", "/me")["id"]
    leader02 = api.get("leader02", "/me")["id"]
    other = next(m["user_id"] for m in room["members"] if m["user_id"] not in (me, leader02))
    sent = api.post(
        "leader01",
        f"/rooms/{incident['room_id']}/messages",
        {
            "client_msg_id": "screen-ins-1",
            "kind": "instruction",
            "text": "转移低洼群众",
            "targets": [leader02, other],
        },
    )
    expect(card).to_contain_text("已签收 0/2")
    api.post(
        "leader02", f"/rooms/{incident['room_id']}/messages/{sent['seq']}/ack", {"text": "收到"}
    )
    expect(card).to_contain_text("已签收 1/2")
    shot(page, "screen-war-time", full_page=False)
