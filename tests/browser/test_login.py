"""Logging in, staying logged in across a reload, and a clean logout when the login ends."""

from __future__ import annotations

import re

import httpx
from playwright.sync_api import expect

from tests.browser.flows import log_in
from tests.browser.harness import PHONE, TABLET, shot


def test_login_survives_a_reload_and_lands_on_the_role_home(contexts) -> None:
    phone = contexts(PHONE)
    page = phone.page()
    page.goto("/app/")
    expect(page).to_have_url(re.compile(r"/app/login"))
    shot(page, "login-phone")
    log_in(page, "dept01a")
    expect(page).to_have_url("/app/queue")
    page.reload()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
    expect(page).to_have_url("/app/queue")
    # The refresh token is what survives the tab; the access token stays in this tab.
    stored = page.evaluate("Object.keys(localStorage)")
    assert "chengyun.refresh_token" in stored
    assert not [k for k in stored if "access" in k]
    assert page.evaluate("Object.keys(sessionStorage)") == ["chengyun.access"]


def test_wrong_password_says_so_in_plain_words(contexts) -> None:
    tablet = contexts(TABLET)
    tablet.expect_errors(r"status of 401")
    page = tablet.page()
    page.goto("/app/login")
    page.get_by_label("用户名").fill("street01a")
    page.get_by_label("密码").fill("not-the-password")
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")
    shot(page, "login-error-tablet")


def test_a_revoked_login_ends_on_the_login_page(contexts, live_server) -> None:
    phone = contexts(PHONE)
    phone.expect_errors(r"status of 401")
    page = phone.page()
    log_in(page, "dept01b")
    expect(page).to_have_url("/app/queue")
    # Someone presents the page's refresh token twice (a stolen copy): the server revokes
    # the whole login, the page's access token included.
    token = page.evaluate("localStorage.getItem('chengyun.refresh_token')")
    for _ in range(2):
        httpx.post(f"{live_server.api}/auth/refresh", json={"refresh_token": token})
    # The server closes the page's socket (4001); its refresh is refused: the page shows
    # the login form by itself, having forgotten the spent token.
    expect(page).to_have_url(re.compile(r"/app/login"))
    assert page.evaluate("localStorage.getItem('chengyun.refresh_token')") is None
    page.goto("/app/notifications")
    expect(page).to_have_url("/app/login?next=/notifications")


def test_logout_forgets_the_login(contexts) -> None:
    phone = contexts(PHONE)
    page = phone.page()
    log_in(page, "dept02a")
    page.get_by_role("tab", name="我的").click()
    shot(page, "me-phone")
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url("/app/login")
    page.reload()
    expect(page).to_have_url("/app/login")


def test_a_second_401_after_a_successful_refresh_logs_out_cleanly(contexts) -> None:
    phone = contexts(PHONE)
    phone.expect_errors(r"status of 401")
    page = phone.page()
    log_in(page, "dept02b")
    refreshes: list[int] = []
    page.on(
        "response",
        lambda r: refreshes.append(r.status) if r.url.endswith("/auth/refresh") else None,
    )
    # The notifications answer 401 whatever token they get: the page refreshes once (the
    # refresh itself succeeds), retries, meets 401 again, and ends the login here.
    page.route(
        "**/api/v1/notifications**",
        lambda route: route.fulfill(
            status=401,
            content_type="application/problem+json",
            body='{"type":"about:blank","title":"Unauthorized","status":401,'
            '"code":"unauthenticated","detail":"token rejected"}',
        ),
    )
    page.goto("/app/notifications")
    expect(page).to_have_url(re.compile(r"/app/login"))
    assert refreshes == [200]
    assert page.evaluate("localStorage.getItem('chengyun.refresh_token')") is None
    assert page.evaluate("sessionStorage.getItem('chengyun.access')") is None
