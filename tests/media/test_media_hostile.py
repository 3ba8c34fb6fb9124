"""Hostile and malformed uploads: each is refused with the right MediaError code."""

from __future__ import annotations

import io
import os
import struct
import zipfile
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pillow_heif
import pytest
from PIL import Image

from media import MediaError, MediaLimits, process_upload


def _png_chunk(kind: bytes, payload: bytes) -> bytes:
    return (
        struct.pack(">I", len(payload))
        + kind
        + payload
        + struct.pack(">I", zlib.crc32(kind + payload))
    )


def bomb_png(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (1-bit grey, all zero)."""
    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = b"\x00" * (1 + (width + 7) // 8)
    idat = zlib.compress(row * 16, 9)  # the first rows only: never decoded anyway
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def saved(im: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def zip_bytes() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as zf:
        zf.writestr("payload.html", "<script>alert(1)</script>")
    return out.getvalue()


def assert_refused(data: bytes, code: str, status: int, limits: MediaLimits | None = None) -> None:
    with pytest.raises(MediaError) as info:
        process_upload(data, limits=limits or MediaLimits())
    assert info.value.code == code
    assert info.value.status == status
    assert info.value.detail


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (8000, 8000),  # 64 MP: over our 50 MP limit, under Pillow's warning
        (10000, 10000),  # 100 MP: Pillow's DecompressionBombWarning
        (20000, 20000),  # 400 MP: Pillow's DecompressionBombError
    ],
)
def test_decompression_bomb_png_is_image_too_large(width: int, height: int) -> None:
    data = bomb_png(width, height)
    assert len(data) < 20_000
    assert_refused(data, "image_too_large", 413)


def test_pixel_limit_is_configurable(jpeg_bytes: Callable[..., Any]) -> None:
    data = jpeg_bytes((200, 100))
    assert_refused(data, "image_too_large", 413, MediaLimits(max_pixels=19_999))
    assert process_upload(data, limits=MediaLimits(max_pixels=20_000)).width == 200


def test_byte_limit_is_payload_too_large(jpeg_bytes: Callable[..., Any]) -> None:
    over = b"\xff\xd8\xff\xe0" + b"\x00" * (20 * 1024 * 1024)
    assert_refused(over, "payload_too_large", 413)
    data = jpeg_bytes()
    assert_refused(data, "payload_too_large", 413, MediaLimits(max_bytes=len(data) - 1))
    assert process_upload(data, limits=MediaLimits(max_bytes=len(data))).sha256


@pytest.mark.parametrize(
    "trailer",
    [
        pytest.param(zip_bytes(), id="zip"),
        pytest.param(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\n", id="pdf"),
        pytest.param(b"<html><script>alert(1)</script></html>", id="html"),
        pytest.param(os.urandom(70 * 1024), id="large"),
    ],
)
def test_jpeg_polyglot_is_refused(jpeg_bytes: Callable[..., Any], trailer: bytes) -> None:
    assert_refused(jpeg_bytes() + trailer, "unsupported_media", 415)


def test_png_and_webp_polyglots_are_refused(detailed_image: Callable[..., Any]) -> None:
    im = detailed_image((64, 48))
    assert_refused(saved(im, "PNG") + zip_bytes(), "unsupported_media", 415)
    assert_refused(saved(im, "WEBP") + zip_bytes(), "unsupported_media", 415)


def test_heic_polyglot_is_refused(photos: Path) -> None:
    data = (photos / "phones" / "IMG_5195.HEIC").read_bytes()
    assert_refused(data + zip_bytes(), "unsupported_media", 415)


def test_small_maker_trailer_and_multi_picture_jpeg_are_accepted(
    detailed_image: Callable[..., Any], jpeg_bytes: Callable[..., Any]
) -> None:
    # Samsung writes a small "SEFH/SEFT" trailer after EOI; MPO (phones' multi-picture
    # JPEG) stores a second JPEG after the first. Both are legitimate photos.
    assert process_upload(jpeg_bytes() + b"\x00" * 100 + b"SEFHSEFT").width == 64
    first = detailed_image((80, 60), seed=1)
    second = detailed_image((80, 60), seed=2)
    mpo = saved(first, "MPO", save_all=True, append_images=[second])
    assert Image.open(io.BytesIO(mpo)).format == "MPO"
    assert process_upload(mpo).content_type == "image/jpeg"
    assert_refused(mpo + zip_bytes(), "unsupported_media", 415)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_truncated_image_is_corrupt(detailed_image: Callable[..., Any], fmt: str) -> None:
    data = saved(detailed_image((400, 300)), fmt)
    assert process_upload(data).width == 400
    assert_refused(data[: len(data) * 2 // 3], "corrupt_image", 422)


def test_truncated_heic_is_corrupt(photos: Path) -> None:
    data = (photos / "phones" / "IMG_5195.HEIC").read_bytes()
    assert_refused(data[: len(data) // 2], "corrupt_image", 422)


def test_right_magic_with_garbage_is_corrupt(detailed_image: Callable[..., Any]) -> None:
    assert_refused(b"\xff\xd8\xff\xe0" + os.urandom(2000), "corrupt_image", 422)
    assert_refused(b"\x89PNG\r\n\x1a\n" + os.urandom(2000), "corrupt_image", 422)
    # Valid headers, then the entropy-coded data scrambled.
    data = bytearray(saved(detailed_image((200, 200)), "PNG"))
    data[200:400] = os.urandom(200)
    assert_refused(bytes(data), "corrupt_image", 422)


SVG = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'
HTML = b"<!DOCTYPE html><html><body><img src=x onerror=alert(1)></body></html>"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(SVG, id="svg"),
        pytest.param(HTML, id="html-named-jpg"),
        pytest.param(b"8BPS\x00\x01" + b"\x00" * 6 + b"\x00\x03" + b"\x00" * 64, id="psd"),
        pytest.param(b"", id="empty"),
        pytest.param(b"\xff\xd8", id="two-bytes"),
    ],
)
def test_non_images_are_unsupported(data: bytes) -> None:
    assert_refused(data, "unsupported_media", 415)


@pytest.mark.parametrize("fmt", ["GIF", "TIFF", "BMP", "PDF", "ICO", "PPM"])
def test_other_image_formats_are_unsupported(detailed_image: Callable[..., Any], fmt: str) -> None:
    data = saved(detailed_image((64, 48)), fmt)
    assert_refused(data, "unsupported_media", 415)


def test_avif_is_not_taken_for_heic() -> None:
    # AVIF shares HEIF's container; the ftyp brands must say HEVC for us to accept it.
    ftyp = struct.pack(">I", 28) + b"ftypavif" + b"\x00\x00\x00\x00" + b"avifmif1miaf"
    assert_refused(ftyp + b"\x00" * 64, "unsupported_media", 415)


def test_accepted_formats_report_their_content_type(detailed_image: Callable[..., Any]) -> None:
    im = detailed_image((120, 90))
    heif = pillow_heif.from_pillow(im)
    heic_out = io.BytesIO()
    heif.save(heic_out, quality=80)
    for data, content_type in (
        (saved(im, "JPEG"), "image/jpeg"),
        (saved(im, "PNG"), "image/png"),
        (saved(im, "WEBP"), "image/webp"),
        (heic_out.getvalue(), "image/heic"),
    ):
        result = process_upload(data)
        assert (result.content_type, result.width, result.height) == (content_type, 120, 90)


def test_media_error_rejects_unknown_codes_and_survives_pickling() -> None:
    import pickle

    with pytest.raises(ValueError):
        MediaError("teapot", "no")  # type: ignore[arg-type]
    err = pickle.loads(pickle.dumps(MediaError("corrupt_image", "bad")))  # noqa: S301 - our own bytes
    assert (err.code, err.status, err.detail) == ("corrupt_image", 422, "bad")
