"""Steps a person takes in the pages, shared by the browser tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect

__all__ = ["log_in"]


def log_in(page: Page, username: str, password: str = "chengyun-demo") -> None:
    page.goto("/app/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()
