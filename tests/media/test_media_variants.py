"""Variants: sizes, colour, pixel modes, no metadata, the watermark, the perceptual hash."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from PIL import Image, ImageChops, ImageCms, ImageStat

import media.watermark as watermark_module
from media import (
    Watermark,
    dhash,
    find_cjk_font,
    hamming,
    process_upload,
    render_display,
)
from media.watermark import _fit, _load_font

WATERMARK = Watermark("2026-11-24 09:30", "武汉市洪山区珞喻路", "HS20261124000042")


def saved(im: Image.Image, fmt: str, **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def opened(data: bytes) -> Image.Image:
    im = Image.open(io.BytesIO(data))
    im.load()
    return im


def mean_abs_diff(a: Image.Image, b: Image.Image) -> float:
    return ImageStat.Stat(ImageChops.difference(a.convert("L"), b.convert("L"))).mean[0]


@pytest.mark.parametrize(
    ("size", "display", "thumb"),
    [
        ((4000, 3000), (1600, 1200), (320, 240)),
        ((1000, 3000), (533, 1600), (107, 320)),
        ((800, 600), (800, 600), (320, 240)),  # never enlarged
        ((200, 100), (200, 100), (200, 100)),
    ],
)
def test_variant_sizes(
    detailed_image: Callable[..., Any],
    size: tuple[int, int],
    display: tuple[int, int],
    thumb: tuple[int, int],
):
    result = process_upload(saved(detailed_image(size), "JPEG", quality=90))
    assert (result.width, result.height) == size
    assert opened(result.display).size == display
    assert opened(result.thumb).size == thumb


def test_metadata_of_the_original_never_reaches_the_variants(
    detailed_image: Callable[..., Any], jpeg_markers: Callable[..., Any]
) -> None:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (30.0, 30.0, 18.72), 3: "E", 4: (114.0, 20.0, 13.92)})
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = saved(
        detailed_image((900, 600)),
        "JPEG",
        exif=exif,
        icc_profile=icc,
        comment=b"secret comment",
        xmp=b"<x:xmpmeta>secret xmp</x:xmpmeta>",
    )
    original = opened(data)
    assert {"exif", "icc_profile", "comment", "xmp"} <= set(original.info)

    result = process_upload(data, watermark=WATERMARK)
    assert result.gps == pytest.approx((30.5052, 114.3372), abs=1e-6)
    for variant in (result.thumb, result.display, render_display(data, WATERMARK)):
        assert b"secret" not in variant and b"SecretCam" not in variant
        assert set(jpeg_markers(variant)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(opened(variant).info)


def test_icc_profile_is_converted_to_srgb(photos: Path) -> None:
    # The iPhone's Display P3 profile: the same numbers mean more saturated colours than
    # in sRGB, so converted pixels must move, and match LittleCMS's own answer.
    with Image.open(photos / "phones" / "iphone_13_pro_max.HEIC") as heic:
        p3 = heic.info["icc_profile"]
    colour = (200, 90, 40)
    data = saved(Image.new("RGB", (64, 64), colour), "PNG", icc_profile=p3)
    expected = ImageCms.profileToProfile(
        Image.new("RGB", (1, 1), colour),
        ImageCms.ImageCmsProfile(io.BytesIO(p3)),
        ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")),
    )
    assert expected is not None
    want = expected.getpixel((0, 0))
    assert isinstance(want, tuple) and want != colour
    got = opened(process_upload(data).display).getpixel((32, 32))
    assert isinstance(got, tuple)
    assert all(abs(g - w) <= 3 for g, w in zip(got, want, strict=True))


def test_broken_icc_profile_keeps_the_pixels() -> None:
    data = saved(Image.new("RGB", (32, 32), (10, 200, 30)), "PNG", icc_profile=b"not a profile")
    pixel = opened(process_upload(data).display).getpixel((16, 16))
    assert isinstance(pixel, tuple)
    assert all(abs(a - b) <= 3 for a, b in zip(pixel, (10, 200, 30), strict=True))


def _grey16() -> Image.Image:
    im = Image.linear_gradient("L").resize((64, 64)).convert("I")
    return im.point(lambda v: v * 257).convert("I;16")


@pytest.mark.parametrize(
    ("make", "fmt", "expected"),
    [
        pytest.param(
            lambda: Image.new("CMYK", (64, 64), (0, 255, 255, 0)), "JPEG", (255, 0, 0), id="cmyk"
        ),
        pytest.param(
            lambda: Image.new("RGBA", (64, 64), (0, 0, 255, 0)),
            "PNG",
            (255, 255, 255),
            id="rgba-transparent-on-white",
        ),
        pytest.param(lambda: Image.new("LA", (64, 64), (0, 255)), "PNG", (0, 0, 0), id="la"),
        pytest.param(lambda: Image.new("P", (64, 64), 7), "PNG", (7, 7, 7), id="palette"),
        pytest.param(lambda: Image.new("1", (64, 64), 1), "PNG", (255, 255, 255), id="bilevel"),
        pytest.param(lambda: Image.new("L", (64, 64), 128), "WEBP", (128, 128, 128), id="grey"),
    ],
)
def test_pixel_modes_become_rgb(make, fmt: str, expected: tuple[int, int, int]) -> None:
    src = make()
    if src.mode == "P":
        src.putpalette([v for i in range(256) for v in (i, i, i)])
    result = process_upload(saved(src, fmt))
    for variant in (result.display, result.thumb):
        im = opened(variant)
        assert im.mode == "RGB"
        pixel = im.getpixel((im.width // 2, im.height // 2))
        assert isinstance(pixel, tuple)
        assert all(abs(a - b) <= 8 for a, b in zip(pixel, expected, strict=True)), pixel


def test_sixteen_bit_grey_is_scaled_not_clipped() -> None:
    result = process_upload(saved(_grey16(), "PNG"))
    grey = opened(result.display).convert("L")
    # A gradient from black to white: a clipping convert would make it almost all white.
    assert 100 < ImageStat.Stat(grey).mean[0] < 155
    assert grey.getpixel((32, 2)) < 20 and grey.getpixel((32, 61)) > 235


def test_watermark_is_burned_into_the_bottom_band_only(detailed_image: Callable[..., Any]) -> None:
    data = saved(detailed_image((2400, 1800)), "JPEG", quality=92)
    plain = opened(process_upload(data).display)
    marked = opened(process_upload(data, watermark=WATERMARK).display)
    assert plain.size == marked.size == (1600, 1200)
    band = (0, 1200 - 60, 1600, 1200)
    top = (0, 0, 1600, 1000)
    assert mean_abs_diff(plain.crop(band), marked.crop(band)) > 15
    assert mean_abs_diff(plain.crop(top), marked.crop(top)) < 0.5


def test_render_display_matches_the_upload_and_adds_the_case_number(
    detailed_image: Callable[..., Any],
) -> None:
    data = saved(detailed_image((1200, 900)), "JPEG")
    at_upload = Watermark("2026-11-24 09:30", "武汉市洪山区珞喻路", None)
    first = process_upload(data, watermark=at_upload)
    assert render_display(data, at_upload) == first.display
    with_case = opened(render_display(data, WATERMARK))
    band = (0, 900 - 40, 1200, 900)
    assert mean_abs_diff(opened(first.display).crop(band), with_case.crop(band)) > 1


def test_the_installed_cjk_font_is_used_by_default(
    detailed_image: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    font = find_cjk_font()
    if font is None:
        # .ci/run installs the font, so in CI its absence is a broken set-up, not a skip.
        if os.environ.get("CI"):
            pytest.fail("no CJK font installed (.ci/run installs fonts-wqy-zenhei)")
        pytest.skip("no CJK font installed (apt-get install fonts-wqy-zenhei)")
    data = saved(detailed_image((1600, 1200)), "JPEG")
    default = process_upload(data, watermark=WATERMARK).display
    assert process_upload(data, watermark=WATERMARK, font_path=font).display == default
    assert _load_font(None, 40).path == font

    monkeypatch.setattr(watermark_module, "find_cjk_font", lambda *a, **k: None)
    fallback = process_upload(data, watermark=WATERMARK).display
    assert fallback != default  # Pillow's built-in font draws different (boxed) glyphs
    assert _load_font(None, 40).path != font


def test_find_cjk_font_takes_the_first_existing_candidate(tmp_path: Path) -> None:
    real = tmp_path / "font.ttc"
    real.write_bytes(b"x")
    assert find_cjk_font([str(tmp_path / "missing.ttc"), str(real)]) == str(real)
    assert find_cjk_font([str(tmp_path / "missing.ttc")]) is None


def test_a_broken_font_path_falls_back_without_failing_the_upload(
    detailed_image: Callable[..., Any], tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.ttf"
    bogus.write_bytes(b"not a font")
    data = saved(detailed_image((800, 600)), "JPEG")
    assert process_upload(data, watermark=WATERMARK, font_path=str(bogus)).display


def test_long_address_is_shortened_keeping_time_and_case_number() -> None:
    long_place = "武汉市洪山区" + "珞喻路东湖新技术开发区关山大道" * 10
    mark = Watermark("2026-11-24 09:30", long_place, "HS20261124000042")
    font, text = _fit(mark, None, 24, 600)
    assert font.getlength(text) <= 600
    assert text.startswith("2026-11-24 09:30 · 武汉市洪山区")
    assert text.endswith("… · HS20261124000042")


def test_watermark_build_formats_local_time_and_place() -> None:
    when = datetime(2026, 11, 24, 1, 30, 59, tzinfo=UTC)
    assert Watermark.build(when, address="珞喻路", case_no="HS1").line() == (
        "2026-11-24 09:30 · 珞喻路 · HS1"
    )
    assert Watermark.build(when, gps=(30.50521, 114.33719)).line() == (
        "2026-11-24 09:30 · 30.50521, 114.33719"
    )
    with pytest.raises(ValueError):
        Watermark.build(datetime(2026, 11, 24, 9, 30))


def test_phash_survives_reencoding_and_resizing(photos: Path) -> None:
    for name in ("phones/jolla.jpg", "gps/DSCN0010.jpg", "phones/HMD_Nokia_8.3_5G.jpg"):
        data = (photos / name).read_bytes()
        im = Image.open(io.BytesIO(data)).convert("RGB")
        smaller = saved(im.resize((im.width // 2, im.height // 2)), "JPEG", quality=35)
        as_png = saved(im.resize((im.width // 3, im.height // 3)), "PNG")
        original = process_upload(data).phash
        assert hamming(original, process_upload(smaller).phash) <= 6, name
        assert hamming(original, process_upload(as_png).phash) <= 6, name


def test_phash_separates_different_photos(photos: Path) -> None:
    names = [
        "phones/jolla.jpg",
        "gps/DSCN0010.jpg",
        "gps/DSCN0042.jpg",
        "phones/HMD_Nokia_8.3_5G.jpg",
        "orientation/landscape_1.jpg",
        "phones/IMG_5195.HEIC",
    ]
    hashes = [process_upload((photos / n).read_bytes()).phash for n in names]
    for i in range(len(hashes)):
        for j in range(i + 1, len(hashes)):
            assert hamming(hashes[i], hashes[j]) >= 16, (names[i], names[j])


def test_phash_fits_a_signed_bigint_and_hamming_handles_signs() -> None:
    bright_left = Image.linear_gradient("L").rotate(-90).resize((90, 80))  # every bit set
    value = dhash(bright_left)
    assert value == -1  # 0xFFFF_FFFF_FFFF_FFFF folded into int64
    assert dhash(bright_left.transpose(Image.Transpose.FLIP_LEFT_RIGHT)) == 0
    assert hamming(value, 0) == 64
    assert hamming(value, value) == 0
    assert hamming(-(2**63), 2**63 - 1) == 64


@pytest.mark.parametrize(
    "params",
    [
        pytest.param({"format": "JPEG", "progressive": True}, id="progressive"),
        pytest.param({"format": "MPO", "save_all": True}, id="mpo"),
        pytest.param({"format": "JPEG", "cmyk": True}, id="cmyk"),
    ],
)
def test_big_jpeg_variants_decode_at_reduced_scale(
    detailed_image: Callable[..., Any], params: dict[str, Any]
) -> None:
    params = dict(params)  # the parametrize dict is shared: never mutate it
    im = detailed_image((3000, 2000))
    if params.pop("cmyk", False):
        im = im.convert("CMYK")
    if params.get("save_all"):
        params["append_images"] = [im]
    fmt = params.pop("format")
    result = process_upload(saved(im, fmt, **params))
    assert (result.width, result.height) == (3000, 2000)
    assert opened(result.display).size == (1600, 1067)
    assert opened(result.thumb).size == (320, 213)


def test_big_rotated_jpeg_is_upright_after_the_reduced_decode(
    detailed_image: Callable[..., Any],
) -> None:
    upright = detailed_image((2000, 3000))
    # Stored sideways with orientation 6 ("rotate 90 clockwise to view"), as phones do.
    exif = Image.Exif()
    exif[0x0112] = 6
    stored = upright.transpose(Image.Transpose.ROTATE_90)
    result = process_upload(saved(stored, "JPEG", quality=90, exif=exif))
    assert (result.width, result.height) == (2000, 3000)
    display = opened(result.display)
    assert display.size == (1067, 1600)
    expected = upright.resize(display.size)
    assert mean_abs_diff(display, expected) < 6
