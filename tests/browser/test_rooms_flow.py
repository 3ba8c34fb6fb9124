"""Scenario 3: in a dispatch room the street dispatcher gives an instruction to two
members; both of their pages show it; one acknowledges with a note; the sender's page
shows 1/2 acknowledged without a reload, and the acknowledgement's details."""

from __future__ import annotations

import uuid

from playwright.sync_api import expect

from tests.browser.flows import log_in
from tests.browser.harness import PHONE, TABLET, shot


def test_an_instruction_to_two_members_and_one_ack_shows_live(contexts, people) -> None:
    me = {u: people.get(u, "/me") for u in ("street01a", "dept01a", "grid001")}
    title = f"联勤-{uuid.uuid4().hex[:6]}"
    r = people.client.post(
        "/rooms",
        json={
            "title": title,
            "kind": "joint_operation",
            "member_user_ids": [me["dept01a"]["id"], me["grid001"]["id"]],
            "member_org_ids": [],
        },
        headers=people.headers("street01a"),
    )
    assert r.status_code == 201, r.text
    room = r.json()

    sender = contexts(TABLET).page()
    log_in(sender, "street01a")
    sender.get_by_role("tab", name="联勤").click()
    sender.get_by_role("link").filter(has_text=title).click()
    expect(sender.locator(".room-head")).to_contain_text(title)
    targets = []
    for user in ("dept01a", "grid001"):
        page = contexts(PHONE).page()
        log_in(page, user)
        page.goto(f"/app/rooms/{room['id']}")
        expect(page.locator(".room-head")).to_contain_text(title)
        targets.append(page)
    # Presence: the sender sees all three online.
    expect(sender.locator(".presence")).to_have_text("在线 3/3")

    text = f"请立即到珞喻路口疏导积水 {uuid.uuid4().hex[:4]}"
    sender.get_by_role("button", name="指令").click()
    for user in ("dept01a", "grid001"):
        sender.get_by_role("checkbox", name=me[user]["display_name"]).click()
    sender.get_by_label("消息内容").fill(text)
    sender.get_by_role("button", name="发送").click()
    instruction = sender.locator(".msg.kind-instruction").filter(has_text=text)
    expect(instruction.locator(".count")).to_have_text("0/2 已确认")

    for page in targets:
        mine = page.locator(".msg.kind-instruction").filter(has_text=text)
        expect(mine).to_be_visible()
        expect(mine.get_by_role("button", name="确认收到")).to_be_visible()
    shot(targets[0], "room-instruction-phone", full_page=False)

    dept = targets[0]
    dept.locator(".msg.kind-instruction").filter(has_text=text).get_by_role(
        "button", name="确认收到"
    ).click()
    dept.get_by_label("回复").fill("收到，已派两人前往")
    dept.get_by_role("button", name="确认", exact=True).click()
    expect(dept.locator(".msg.kind-instruction").filter(has_text=text)).to_contain_text("您已确认")

    # The sender's page follows live: 1/2, the acknowledger ticked, the other not.
    expect(instruction.locator(".count")).to_have_text("1/2 已确认")
    expect(instruction.locator(".targets .done")).to_have_text(f"✓ {me['dept01a']['display_name']}")
    expect(sender.locator(".ack-line")).to_contain_text("收到，已派两人前往")
    shot(sender, "room-acked-tablet", full_page=False)
    instruction.locator(".count").click()
    details = sender.locator(".members").last
    expect(details).to_contain_text("收到，已派两人前往")
    expect(details).to_contain_text("未确认")

    # The API agrees: one ack, from the department's handler.
    seq = int(instruction.get_attribute("data-seq"))
    acks = people.get("street01a", f"/rooms/{room['id']}/messages/{seq}/acks")
    acked = {a["user_id"]: a for a in acks if a["acked_at"]}
    assert list(acked) == [me["dept01a"]["id"]]
    assert acked[me["dept01a"]["id"]]["text"] == "收到，已派两人前往"
    # The other target's page still asks for the acknowledgement.
    other = targets[1].locator(".msg.kind-instruction").filter(has_text=text)
    expect(other.get_by_role("button", name="确认收到")).to_be_visible()
    expect(other.locator(".count")).to_have_text("1/2 已确认")
