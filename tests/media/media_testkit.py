"""Helpers for the media tests: where the real photo corpus is, small image factories."""

from __future__ import annotations

import io
import struct
from pathlib import Path

from PIL import Image

# The shared corpus lives beside the repository (…/shared/data/photos); tests that need it
# skip cleanly on a checkout without it.
PHOTOS = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "photos"


def jpeg_bytes(
    size: tuple[int, int] = (64, 48), color: tuple[int, int, int] = (200, 80, 40), **save: object
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG", **save)
    return out.getvalue()


def detailed_image(size: tuple[int, int], seed: int = 1) -> Image.Image:
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


def jpeg_markers(data: bytes) -> list[int]:
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
