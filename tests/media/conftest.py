"""Fixtures for the media tests: the real photo corpus and small image factories.

Helpers are handed out as fixtures, not imported, so the tests work under any pytest
import mode (the suite runs with --import-mode=importlib).
"""

from __future__ import annotations

import io
import struct
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image

# The corpus is part of the repository (tests/data/photos, with its licence); a checkout
# without it is broken, so the tests that need it fail rather than skip.
PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"


@pytest.fixture
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.fail(f"photo corpus missing at {PHOTOS}: the checkout is incomplete")
    return PHOTOS


@pytest.fixture
def jpeg_bytes() -> Callable[..., bytes]:
    return _jpeg_bytes


@pytest.fixture
def detailed_image() -> Callable[..., Image.Image]:
    return _detailed_image


@pytest.fixture
def jpeg_markers() -> Callable[[bytes], list[int]]:
    return _jpeg_markers


def _jpeg_bytes(
    size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 80, 40), **save: object
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", **save)
    return out.getvalue()


def _detailed_image(size: tuple[int, int], seed: int = 1) -> Image.Image:
    """A picture with structure (gradients, shapes, noise), so resizes and hashes have
    something to work on; a flat colour would make every hash equal."""
    from PIL import ImageDraw

    w, h = size
    im = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(im)
    state = seed
    for _ in range(40):
        state = (state * 1103515245 + 12345) % 2**31
        x, y = state % w, (state // w) % h
        r = 5 + state % max(6, w // 6)
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(state % 256, (state >> 8) % 256, 90))
    noise = Image.effect_noise(size, 24).convert("RGB")
    return Image.blend(im, noise, 0.15)


def _jpeg_markers(data: bytes) -> list[int]:
    """Marker codes of a JPEG's header segments, up to the first scan."""
    markers = []
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        markers.append(marker)
        if marker == 0xDA:
            break
        pos += 2 + struct.unpack(">H", data[pos + 2 : pos + 4])[0]
    return markers
