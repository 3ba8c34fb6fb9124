"""Scenario 1, the grid worker's part: report from the phone, see the handler's report
arrive live, verify on site with an after photo, and read the same timeline as the API."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.browser.flows import GRID001_SPOT, fill_report, log_in, photo, submit_report
from tests.browser.harness import PHONE, shot


def unread_badge(page: Page) -> int:
    badge = page.get_by_role("tab", name="消息").locator(".van-badge")
    return int(badge.inner_text()) if badge.count() else 0


def test_report_then_verify_on_site_and_the_timeline_matches_the_api(
    contexts, people, tmp_path: Path
) -> None:
    phone = contexts(PHONE, geolocation=GRID001_SPOT)
    page = phone.page()
    log_in(page, "grid001")
    tag = f"核查流程-{uuid.uuid4().hex[:8]}"
    expect(page.get_by_text("已定位")).to_be_visible()
    fill_report(page, [photo(tmp_path / "before.jpg")], f"{tag} 井边堆放垃圾")
    submit_report(page)
    expect(page.locator(".outbox .item").first).to_have_attribute("data-state", "sent")
    (event,) = people.events_matching("grid001", tag)

    # The street accepts and dispatches; the department starts and reports with a photo.
    people.act("street01a", event["id"], "accept")
    people.act("street01a", event["id"], "dispatch", org_id=people.org_id("dept-cgzf"))
    people.act("dept01a", event["id"], "start")
    before = unread_badge(page)
    people.act(
        "dept01a", event["id"], "report", note="已清理完毕", media_ids=[people.upload("dept01a", 3)]
    )
    # "您上报的事件已处置" arrives over the socket: the badge counts it without a reload.
    expect(page.get_by_role("tab", name="消息").locator(".van-badge")).to_have_text(str(before + 1))

    page.get_by_role("tab", name="任务").click()
    task = page.get_by_role("link").filter(has_text=tag)
    expect(task).to_contain_text("待核查")
    shot(page, "tasks-phone")
    task.click()
    expect(page.get_by_text("待核查", exact=True)).to_be_visible()
    page.get_by_role("button", name="核查", exact=True).click()
    page.get_by_role("radio", name="已处置好（通过）").click()
    page.locator(".action-form input[type=file]").set_input_files(
        str(photo(tmp_path / "after.jpg", (30, 160, 90)))
    )
    page.get_by_label("说明").fill("现场已清理干净")
    shot(page, "event-verify-phone")
    page.get_by_role("button", name="提交核查").click()
    expect(page.locator(".status")).to_have_text("已核查")

    people.act("street01a", event["id"], "close", note="结案")
    page.reload()
    expect(page.locator(".status")).to_have_text("已结案")
    shot(page, "event-closed-phone", full_page=True)

    detail = people.get("grid001", f"/events/{event['id']}")
    api_actions = [t["action"] for t in detail["timeline"]]
    page_actions = page.locator(".timeline .entry").evaluate_all(
        "els => els.map(e => e.dataset.action)"
    )
    assert page_actions == api_actions
    assert api_actions[0] == "report_event" and api_actions[-1] == "close"
    verify = next(t for t in detail["timeline"] if t["action"] == "verify")
    assert verify["note"] == "现场已清理干净" and len(verify["media"]) == 1

    page.get_by_role("tab", name="我的上报").click()
    expect(page.get_by_role("link").filter(has_text=tag)).to_contain_text("已结案")
    shot(page, "my-reports-phone")
