"""Scenario 3: in a dispatch room the street dispatcher gives an instruction to two
members; both of their pages show it; one acknowledges with a note; the sender's page
shows 1/2 acknowledged without a reload, and the acknowledgement's details."""

from __future__ import annotations

import re
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


def test_a_drop_mid_send_doubles_nothing_and_misses_nothing(contexts, people) -> None:
    """The socket is cut right after a `send` frame reached the server, before its `sent`
    came back; meanwhile someone else posts. After the page reconnects by itself: its
    message is there once (resent with the same client_msg_id), the other one arrived
    through since_seq, and nothing is left pending."""
    dept = people.get("dept01a", "/me")
    r = people.client.post(
        "/rooms",
        json={
            "title": f"断线-{uuid.uuid4().hex[:6]}",
            "kind": "joint_operation",
            "member_user_ids": [dept["id"]],
            "member_org_ids": [],
        },
        headers=people.headers("street01a"),
    )
    assert r.status_code == 201, r.text
    room = r.json()
    cut = {"armed": False, "drops": 0}

    def route(ws) -> None:
        server = ws.connect_to_server()

        def from_page(message) -> None:
            server.send(message)
            if cut["armed"] and isinstance(message, str) and '"op":"send"' in message:
                cut["armed"] = False
                cut["drops"] += 1
                ws.close(code=4000, reason="dropped by the test")
                server.close()

        ws.on_message(from_page)

    page = contexts(TABLET).page()
    page.route_web_socket(re.compile(r"/api/v1/ws$"), route)
    log_in(page, "street01a")
    page.goto(f"/app/rooms/{room['id']}")
    expect(page.locator(".room-head")).to_contain_text(room["title"])
    expect(page.locator(".room-head .offline")).to_be_hidden()

    mine, theirs = (
        f"掉线时发出的消息 {uuid.uuid4().hex[:4]}",
        f"掉线期间的消息 {uuid.uuid4().hex[:4]}",
    )
    cut["armed"] = True
    page.get_by_label("消息内容").fill(mine)
    page.get_by_role("button", name="发送").click()
    expect(page.locator(".room-head .offline")).to_be_visible()
    people.client.post(
        f"/rooms/{room['id']}/messages",
        json={"client_msg_id": str(uuid.uuid4()), "kind": "text", "text": theirs},
        headers=people.headers("dept01a"),
    ).raise_for_status()

    expect(page.locator(".room-head .offline")).to_be_hidden()
    expect(page.locator(".msg").filter(has_text=mine)).to_have_count(1)
    expect(page.locator(".msg").filter(has_text=theirs)).to_have_count(1)
    expect(page.locator(".pending")).to_have_count(0)
    assert cut["drops"] == 1
    texts = [m["text"] for m in people.get("street01a", f"/rooms/{room['id']}/messages")["items"]]
    assert texts.count(mine) == 1 and texts.count(theirs) == 1
