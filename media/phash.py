"""64-bit perceptual hash (dHash) for spotting the same scene uploaded twice."""

from __future__ import annotations

from typing import Final

from PIL import Image

__all__ = ["dhash", "hamming"]

_MASK: Final = (1 << 64) - 1


def dhash(im: Image.Image) -> int:
    """Difference hash: one bit per horizontally adjacent pair of a 9x8 greyscale thumbnail.

    Hash the upright image without the watermark, so a re-upload of the same scene matches
    whatever its orientation tag, size or quality. The result is folded into the signed
    64-bit range so it fits a BIGINT column as is.
    """
    # BOX averages every source pixel, which is what makes the hash ignore JPEG noise.
    small = im.convert("L").resize((9, 8), Image.Resampling.BOX)
    pixels = small.tobytes()
    value = 0
    for row in range(8):
        for col in range(8):
            left = pixels[row * 9 + col]
            right = pixels[row * 9 + col + 1]
            value = (value << 1) | (left > right)
    return value - (1 << 64) if value >= 1 << 63 else value


def hamming(a: int, b: int) -> int:
    """Number of differing bits between two hashes (signed or unsigned 64-bit ints)."""
    return ((a ^ b) & _MASK).bit_count()
