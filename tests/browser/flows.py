"""Steps a person takes in the pages, shared by the browser tests."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

__all__ = ["GRID001_SPOT", "fill_report", "log_in", "photo", "submit_report"]


def log_in(page: Page, username: str, password: str = "chengyun-demo") -> None:
    page.goto("/app/login")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("navigation", name="主导航")).to_be_visible()


GRID001_SPOT = {"latitude": 30.5400, "longitude": 114.3340, "accuracy": 12}


def photo(path: Path, colour: tuple[int, int, int] = (90, 120, 60)) -> Path:
    """A real JPEG, the kind a phone camera writes (without EXIF)."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (1200, 900), colour)
    ImageDraw.Draw(image).rectangle((300, 200, 900, 700), fill=(200, 180, 40))
    image.save(path, "JPEG", quality=85)
    return path


def fill_report(
    page: Page, photos: list[Path], description: str, *, category: str = "暴露垃圾"
) -> None:
    """Fill the report form (the position comes from the context's geolocation)."""
    page.locator(".van-uploader input[type=file]").set_input_files([str(p) for p in photos])
    expect(page.locator(".van-uploader__preview")).to_have_count(len(photos))
    page.get_by_label("类别", exact=True).click()
    page.get_by_placeholder("输入名称搜索").fill(category[:2])
    page.get_by_role("button", name=category, exact=True).click()
    # The picker slides away; until it has, it still covers the form.
    expect(page.get_by_role("dialog", name="选择事件类别")).to_be_hidden()
    page.get_by_label("描述").fill(description)
    page.get_by_label("地址").fill("珞喻路129号门前")


def submit_report(page: Page) -> None:
    page.get_by_role("button", name="上报", exact=True).click()
