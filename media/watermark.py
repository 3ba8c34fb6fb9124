"""The evidence line burned into the display variant, and the CJK font it needs."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Final
from zoneinfo import ZoneInfo

from PIL import Image, ImageDraw, ImageFont

__all__ = ["CJK_FONT_CANDIDATES", "Watermark", "draw_watermark", "find_cjk_font"]

log = logging.getLogger(__name__)

# Debian/Ubuntu package paths first (fonts-noto-cjk, fonts-wqy-zenhei, fonts-wqy-microhei,
# fonts-arphic-*, fonts-droid-fallback), then Alpine, Fedora and macOS locations.
CJK_FONT_CANDIDATES: Final[tuple[str, ...]] = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
    "/usr/share/fonts/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "/System/Library/Fonts/STHeiti Medium.ttc",
)

_SEPARATOR: Final = " · "
_ELLIPSIS: Final = "…"


@dataclass(frozen=True, slots=True)
class Watermark:
    """One evidence line: `2026-11-24 09:30 · 武汉市洪山区珞喻路 · HS20261124000042`.

    The fields are already-formatted text so the caller owns wording and time zone;
    `Watermark.build` does the usual formatting. `case_no` is None until the event exists,
    which is why the backend re-renders the display variant once it is known.
    """

    time_text: str
    place_text: str = ""
    case_no: str | None = None

    def line(self) -> str:
        parts = (self.time_text, self.place_text, self.case_no or "")
        return _SEPARATOR.join(p.strip() for p in parts if p and p.strip())

    @classmethod
    def build(
        cls,
        when: datetime,
        *,
        address: str | None = None,
        gps: tuple[float, float] | None = None,
        case_no: str | None = None,
        tz: tzinfo = ZoneInfo("Asia/Shanghai"),
    ) -> Watermark:
        """Local time in `tz` (minute precision), the address or else the coordinates."""
        if when.tzinfo is None:
            raise ValueError("watermark time must be timezone-aware")
        place = address or (f"{gps[0]:.5f}, {gps[1]:.5f}" if gps else "")
        return cls(when.astimezone(tz).strftime("%Y-%m-%d %H:%M"), place, case_no)


def find_cjk_font(candidates: Iterable[str] = CJK_FONT_CANDIDATES) -> str | None:
    """First existing font file among `candidates` (a few stat calls, so not cached)."""
    for path in candidates:
        if os.path.isfile(path):
            return path
    return None


# FreeType faces are not safe to share between threads, and ImagePool renders on several,
# so each worker thread keeps its own small cache of loaded fonts.
_fonts = threading.local()


def _load_font(font_path: str | None, size: int) -> ImageFont.FreeTypeFont:
    """The caller's font, else the system CJK font, else Pillow's scalable default."""
    cache: dict[tuple[str, int], ImageFont.FreeTypeFont]
    cache = _fonts.__dict__.setdefault("cache", {})
    if len(cache) > 64:  # sizes vary with image width; keep the cache small
        cache.clear()
    for path in (font_path, find_cjk_font()):
        if path is None:
            continue
        if (path, size) in cache:
            return cache[(path, size)]
        try:
            font = cache[(path, size)] = ImageFont.truetype(path, size)
            return font
        except OSError:
            log.warning("cannot load watermark font %s, trying the next one", path)
    if ("", size) not in cache:
        # Scalable since Pillow 10.1 but without CJK glyphs: Chinese shows as boxes, the
        # time and case number stay readable. Better a partial line than a failed upload.
        log.warning("no CJK font found; the watermark falls back to Pillow's default font")
        default = ImageFont.load_default(size=size)
        if not isinstance(default, ImageFont.FreeTypeFont):  # Pillow built without FreeType
            raise RuntimeError("Pillow lacks FreeType support, needed for the watermark")
        cache[("", size)] = default
    return cache[("", size)]


def draw_watermark(im: Image.Image, watermark: Watermark, *, font_path: str | None) -> None:
    """Burn the line into the bottom band of an RGB image, in place.

    The band darkens rather than covers the pixels under it, so the evidence stays visible.
    """
    if not watermark.line():
        return
    width, height = im.size
    size = max(12, min(width, height * 2) // 40)
    margin = max(4, size // 2)
    font, text = _fit(watermark, font_path, size, width - 2 * margin)
    band_height = min(height, int(font.size) + 2 * margin)
    box = (0, height - band_height, width, height)
    im.paste(im.crop(box).point(lambda v: v * 45 // 100), box)
    ImageDraw.Draw(im).text(
        (margin, height - band_height // 2),
        text,
        font=font,
        fill=(255, 255, 255),
        anchor="lm",
    )


def _fit(
    watermark: Watermark, font_path: str | None, size: int, max_width: int
) -> tuple[ImageFont.FreeTypeFont, str]:
    """Shrink the font a little, then shorten the address, never the time or case number."""
    text = watermark.line()
    min_size = max(10, size * 2 // 3)
    font = _load_font(font_path, size)
    while font.getlength(text) > max_width and size > min_size:
        size = max(min_size, size * 9 // 10)
        font = _load_font(font_path, size)
    if font.getlength(text) <= max_width:
        return font, text
    place = watermark.place_text.strip()

    def with_place(n: int) -> str:
        short = place[:n].rstrip() + _ELLIPSIS if n < len(place) else place
        return Watermark(watermark.time_text, short, watermark.case_no).line()

    lo, hi = 0, len(place)
    while lo < hi:  # longest address prefix (cut at a character, never a byte) that fits
        mid = (lo + hi + 1) // 2
        if font.getlength(with_place(mid)) <= max_width:
            lo = mid
        else:
            hi = mid - 1
    return font, with_place(lo)
