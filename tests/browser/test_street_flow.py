"""Scenario 1 from the street center's and the department's side: a grid worker reports
from the phone page; the street dispatcher's board (another browser context, a tablet)
announces it within 2 s without a reload; the dispatcher accepts and dispatches to the
suggested department; the department handler starts and reports back with a photo from
its queue; the grid worker verifies; the street closes; the page's timeline is the API's."""

from __future__ import annotations

import re
import time
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.flows import GRID001_SPOT, fill_report, log_in, photo, submit_report
from tests.browser.harness import PHONE, TABLET, shot


def status_of(page: Page):
    return page.locator(".event-page .head .status")


def settled(page: Page) -> Page:
    """No overlay or toast left over a page about to be photographed."""
    expect(page.locator(".van-overlay:visible, .van-toast:visible")).to_have_count(0)
    return page


def take_action(page: Page, action: str, fill=None) -> None:
    """Two taps: the action's button, then the form's confirm (after filling it)."""
    page.locator(".actions").get_by_role("button", name=action, exact=True).click()
    form = page.locator(".action-form")
    expect(form).to_be_visible()
    if fill:
        fill(form)
    form.get_by_role("button", name=f"确认{action}").click()
    expect(form).to_be_hidden()
    expect(page.locator(".van-overlay:visible")).to_have_count(0)


def test_report_appears_live_then_dispatch_handle_verify_close(
    contexts, people, tmp_path: Path
) -> None:
    desk = contexts(TABLET).page()
    log_in(desk, "street01a")
    expect(desk).to_have_url("/app/board")
    expect(desk.locator(".board .bar")).to_contain_text("实时推送")
    dept = contexts(PHONE).page()
    log_in(dept, "dept01a")
    expect(dept).to_have_url("/app/queue")
    expect(dept.locator(".board .bar")).to_contain_text("实时推送")

    # The grid worker reports with a photo and a granted position, from the phone page.
    phone = contexts(PHONE, geolocation=GRID001_SPOT).page()
    log_in(phone, "grid001")
    expect(phone.get_by_text("已定位")).to_be_visible()
    tag = f"街道流程-{uuid.uuid4().hex[:8]}"
    fill_report(phone, [photo(tmp_path / "before.jpg")], f"{tag} 路口垃圾桶满溢")
    submit_report(phone)
    expect(phone.locator(".outbox .item").first).to_have_attribute("data-state", "sent")
    sent_at = time.monotonic()
    (event,) = people.events_matching("street01a", tag)

    # The board announces it without a reload, within 2 s, and does not reorder itself.
    banner = desk.get_by_role("button", name=re.compile(r"1 条新上报，点击查看"))
    expect(banner).to_be_visible(timeout=2_000)
    assert time.monotonic() - sent_at < 2.0
    shot(desk, "board-new-arrival-tablet", full_page=False)
    banner.click()
    row = desk.get_by_role("link").filter(has_text=event["case_no"])
    expect(row).to_contain_text("待受理")
    expect(row).to_contain_text("新")
    shot(desk, "board-tablet", full_page=False)

    row.click()
    expect(status_of(desk)).to_have_text("待受理")
    expect(desk.locator(".photos img").first).to_be_visible()
    shot(desk, "event-reported-tablet", full_page=False)
    take_action(desk, "受理")
    expect(status_of(desk)).to_have_text("已立案")

    # Dispatch: the suggested department is preselected.
    suggested = people.get("street01a", f"/events/{event['id']}")["suggested_assignee"]
    desk.locator(".actions").get_by_role("button", name="派遣", exact=True).click()
    target = desk.locator("select[aria-label=处置单位]")
    expect(target).to_have_value(suggested["org_id"])
    shot(desk, "event-dispatch-form-tablet", full_page=False)
    desk.get_by_role("button", name="确认派遣").click()
    expect(status_of(desk)).to_have_text("已派遣")
    expect(desk.locator(".head")).to_contain_text("剩余")

    # The department's queue hears of the dispatch live; the handler starts and reports.
    fresh = dept.get_by_role("button", name=re.compile(r"1 条新派遣，点击查看"))
    expect(fresh).to_be_visible()
    fresh.click()
    shot(dept, "dept-queue-phone", full_page=False)
    dept.get_by_role("link").filter(has_text=event["case_no"]).click()
    expect(status_of(dept)).to_have_text("已派遣")
    take_action(dept, "开始处置")
    expect(status_of(dept)).to_have_text("处置中")

    def report_back(form) -> None:
        form.get_by_label("处置情况").fill("已清运，垃圾桶已清洗")
        form.locator("input[type=file]").set_input_files(
            str(photo(tmp_path / "after.jpg", (40, 150, 200)))
        )
        expect(form.locator(".van-uploader__preview")).to_have_count(1)
        expect(form.get_by_role("button", name="确认反馈")).to_be_enabled()
        shot(dept, "event-report-back-phone", full_page=False)

    take_action(dept, "反馈", report_back)
    expect(status_of(dept)).to_have_text("待核查")
    shot(settled(dept), "event-handled-phone")

    # The grid worker verifies (over the API); the street's open page follows live.
    people.act("grid001", event["id"], "verify", passed=True, note="现场已清理")
    expect(status_of(desk)).to_have_text("已核查")
    take_action(desk, "结案", lambda form: form.get_by_label("结案说明").fill("处置到位"))
    expect(status_of(desk)).to_have_text("已结案")
    shot(settled(desk), "event-closed-tablet")

    detail = people.get("street01a", f"/events/{event['id']}")
    assert detail["status"] == "closed"
    api_entries = [(t["seq"], t["action"]) for t in detail["timeline"]]
    page_entries = desk.locator(".timeline .entry").evaluate_all(
        "els => els.map(e => [Number(e.dataset.seq), e.dataset.action])"
    )
    assert [tuple(e) for e in page_entries] == api_entries
    assert [a for _, a in api_entries] == [
        "report_event",
        "accept",
        "dispatch",
        "start",
        "report",
        "verify",
        "close",
    ]
    report = next(t for t in detail["timeline"] if t["action"] == "report")
    assert report["note"] == "已清运，垃圾桶已清洗" and len(report["media"]) == 1
    # Each decision was taken once, whatever the retries: one entry per action.
    assert detail["version"] == len(api_entries)


def test_a_case_changed_by_someone_else_is_a_conflict_that_offers_to_reload(
    contexts, people
) -> None:
    from tests.integration.demo import grid_point

    r = people.client.post(
        "/events",
        json={
            "category_code": "graffiti",
            "description": f"墙面小广告 {uuid.uuid4().hex[:6]}",
            "location": {**grid_point(1), "address": "珞喻路"},
        },
        headers=people.headers("grid001"),
    )
    assert r.status_code == 201, r.text
    event = r.json()
    ctx = contexts(TABLET)
    ctx.expect_errors(r"status of 409")  # the refused action, on purpose
    desk = ctx.page()
    log_in(desk, "street01a")
    desk.goto(f"/app/events/{event['id']}")
    expect(status_of(desk)).to_have_text("待受理")
    desk.locator(".actions").get_by_role("button", name="不予受理", exact=True).click()
    desk.locator(".action-form").get_by_label("理由").fill("不属于城市管理范围")
    # Meanwhile the other dispatcher of the street accepts it.
    people.act("street01b", event["id"], "accept", note="已受理")
    expect(desk.get_by_text("其他人刚刚对这个案件进行了「受理」")).to_be_visible()
    desk.get_by_role("button", name="确认不予受理").click()
    dialog = desk.get_by_role("dialog").filter(has_text="案件已被他人修改")
    expect(dialog).to_be_visible()
    shot(desk, "event-conflict-tablet", full_page=False)
    dialog.get_by_role("button", name="重新载入").click()
    expect(status_of(desk)).to_have_text("已立案")
    expect(desk.locator(".actions").get_by_role("button", name="派遣", exact=True)).to_be_visible()
    # The refused decision changed nothing: accepted once, not rejected.
    detail = people.get("street01a", f"/events/{event['id']}")
    assert [t["action"] for t in detail["timeline"]] == ["report_event", "accept"]
