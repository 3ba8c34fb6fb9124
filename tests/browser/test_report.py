"""The grid worker's report: photos, position, category, description, address; sent
through the IndexedDB outbox, and never twice — not even across offline and a reload."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
from playwright.sync_api import expect

from tests.browser.flows import GRID001_SPOT, fill_report, log_in, photo, submit_report
from tests.browser.harness import PHONE, shot


def events_matching(api: str, token: str, text: str) -> list[dict]:
    r = httpx.get(
        f"{api}/events",
        params={"q": text, "limit": 200},
        headers={"Authorization": f"Bearer {token}"},
    )
    r.raise_for_status()
    return r.json()["items"]


def test_a_report_with_a_photo_and_a_granted_position_becomes_one_event(
    contexts, live_server, api_login, tmp_path: Path
) -> None:
    phone = contexts(PHONE, geolocation=GRID001_SPOT)
    page = phone.page()
    log_in(page, "grid001")
    expect(page).to_have_url("/app/report")
    expect(page.get_by_text("已定位")).to_be_visible()
    expect(page.get_by_text("精度约 ±12 米")).to_be_visible()
    tag = f"浏览器上报-{uuid.uuid4().hex[:8]}"
    fill_report(page, [photo(tmp_path / "a.jpg")], f"{tag} 人行道上有成堆生活垃圾")
    shot(page, "report-filled-phone")
    submit_report(page)
    item = page.locator(".outbox .item").first
    expect(item).to_have_attribute("data-state", "sent", timeout=15_000)
    expect(item.get_by_role("link", name="HS")).to_be_visible()
    shot(page, "report-sent-phone")

    token = api_login("grid001")["access_token"]
    (event,) = events_matching(live_server.api, token, tag)
    assert event["category"]["code"] == "garbage_exposed"
    assert event["location"]["address"] == "珞喻路129号门前"
    assert abs(event["location"]["lat"] - GRID001_SPOT["latitude"]) < 1e-6
    assert len(event["media"]) == 1


def test_offline_two_reports_and_a_reload_send_exactly_two_events_once_each(
    contexts, live_server, api_login, tmp_path: Path
) -> None:
    phone = contexts(PHONE, geolocation=GRID001_SPOT)
    # Requests the page makes while the network is off fail by design.
    phone.expect_errors(r"net::ERR_INTERNET_DISCONNECTED", r"Failed to fetch")
    page = phone.page()
    log_in(page, "grid005b")
    expect(page).to_have_url("/app/report")
    # The service worker holds the pages, and the catalogue is on the phone, before the
    # network goes.
    # A function, not an expression: an expression is eval()ed in the page, which the CSP
    # (no unsafe-eval) refuses.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    expect(page.get_by_text("已定位")).to_be_visible()
    page.get_by_label("类别", exact=True).click()
    expect(page.get_by_role("button", name="暴露垃圾", exact=True)).to_be_visible()
    page.get_by_role("button", name="关闭").click()

    phone.context.set_offline(True)
    expect(page.get_by_role("status")).to_contain_text("当前离线")
    tag = f"离线上报-{uuid.uuid4().hex[:8]}"
    for n, colour in ((1, (90, 120, 60)), (2, (60, 90, 140))):
        fill_report(page, [photo(tmp_path / f"{n}.jpg", colour)], f"{tag} 第{n}条")
        submit_report(page)
        expect(page.locator(".outbox .item")).to_have_count(n)
    expect(page.locator(".outbox .item[data-state=sent]")).to_have_count(0)
    shot(page, "report-offline-queued-phone")

    page.reload()
    expect(page).to_have_url("/app/report")
    items = page.locator(".outbox .item")
    expect(items).to_have_count(2)
    expect(page.locator(".outbox .item[data-state=sent]")).to_have_count(0)

    phone.context.set_offline(False)
    expect(page.locator(".outbox .item[data-state=sent]")).to_have_count(2, timeout=30_000)
    shot(page, "report-offline-sent-phone")

    token = api_login("grid005b")["access_token"]
    found = events_matching(live_server.api, token, tag)
    assert sorted(e["description"] for e in found) == [f"{tag} 第1条", f"{tag} 第2条"]


def test_without_a_position_the_pin_on_the_map_places_the_report(
    contexts, people, tmp_path: Path
) -> None:
    phone = contexts(PHONE)  # no geolocation permission: the browser refuses a position
    page = phone.page()
    log_in(page, "grid001")
    expect(page.get_by_text("没有定位权限")).to_be_visible()
    pin = page.get_by_role("button", name="事件位置")
    expect(pin).to_be_visible()
    expect(page.locator("path.leaflet-interactive").first).to_be_attached()
    box = pin.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] - 4
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 20, y + 15, steps=5)
    page.mouse.up()
    expect(page.get_by_text("已在地图上标出位置")).to_be_visible()
    # The located grid under the position (the map also names the grid under the mouse).
    expect(page.locator("p", has_text="街道口社区第1网格")).to_be_visible()
    shot(page, "report-no-position-phone")
    tag = f"地图标点-{uuid.uuid4().hex[:8]}"
    fill_report(page, [photo(tmp_path / "p.jpg")], f"{tag} 井盖缺失")
    submit_report(page)
    expect(page.locator(".outbox .item").first).to_have_attribute("data-state", "sent")
    (event,) = people.events_matching("grid001", tag)
    grid = event["location"]["grid_id"]
    assert grid == people.get("grid001", "/me")["org"]["id"]
