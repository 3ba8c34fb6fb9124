"""The pipeline against real camera and phone files (tests/data/photos).

Expected values were read with ExifTool 12.57 (`exiftool -n -DateTimeOriginal
-OffsetTimeOriginal -SubSecTimeOriginal -GPSLatitude -GPSLongitude ...`), not with the
code under test.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image

from media import Watermark, process_upload

SHANGHAI = ZoneInfo("Asia/Shanghai")
# Same location as the `photos` fixture; needed here at collection time to list the files.
PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
WATERMARK = Watermark("2026-11-24 09:30", "武汉市洪山区珞喻路", "HS20261124000042")


def _corpus(folder: str) -> list[str]:
    # An empty or missing folder would quietly parametrize nothing: refuse at collection.
    names = sorted(p.name for p in (PHOTOS / folder).glob("*") if p.is_file())
    if not names:
        raise FileNotFoundError(f"no photos in {PHOTOS / folder}: the checkout is incomplete")
    return names


ALL_FILES = [
    f"{d}/{n}" for d in ("orientation", "gps", "phones", "broken-exif") for n in _corpus(d)
]


@pytest.mark.parametrize("name", ALL_FILES)
def test_every_real_photo_is_accepted_with_clean_variants(
    jpeg_markers: Callable[..., Any], photos: Path, name: str
) -> None:
    data = (photos / name).read_bytes()
    result = process_upload(data, watermark=WATERMARK)

    assert result.content_type == ("image/heic" if name.lower().endswith(".heic") else "image/jpeg")
    longest = max(result.width, result.height)
    for variant, box in ((result.thumb, 320), (result.display, 1600)):
        im = Image.open(io.BytesIO(variant))
        assert im.format == "JPEG"
        assert max(im.size) == min(box, longest)
        # Same shape as the upright original, to within rounding.
        assert abs(im.width / im.height - result.width / result.height) < 0.05 * (
            result.width / result.height
        ) + 2 / min(im.size)
        # Only APP0 (JFIF), quantisation/Huffman tables and the frame header: no APP1
        # (EXIF/XMP), APP2 (ICC), APP13 (IPTC) or COM segments.
        assert set(jpeg_markers(variant)) <= {0xE0, 0xDB, 0xC4, 0xC0, 0xDA}
        assert not {"exif", "icc_profile", "comment", "xmp"} & set(im.info)
        assert len(im.getexif()) == 0
    assert -(2**63) <= result.phash < 2**63
    assert len(result.sha256) == 64


@pytest.mark.parametrize("shape", ["landscape", "portrait"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_orientation_is_applied(photos: Path, shape: str, orientation: int) -> None:
    data = (photos / "orientation" / f"{shape}_{orientation}.jpg").read_bytes()
    result = process_upload(data)

    display = Image.open(io.BytesIO(result.display))
    if shape == "landscape":
        assert (result.width, result.height) == (600, 450)
        assert display.width > display.height
    else:
        assert (result.width, result.height) == (450, 600)
        assert display.height > display.width


@pytest.mark.parametrize("shape", ["landscape", "portrait"])
def test_all_orientations_show_the_same_upright_picture(photos: Path, shape: str) -> None:
    upright = Image.open(
        io.BytesIO(process_upload((photos / "orientation" / f"{shape}_1.jpg").read_bytes()).display)
    ).convert("L")
    for orientation in range(2, 9):
        other = Image.open(
            io.BytesIO(
                process_upload(
                    (photos / "orientation" / f"{shape}_{orientation}.jpg").read_bytes()
                ).display
            )
        ).convert("L")
        assert other.size == upright.size
        # Mean absolute difference on a coarse grid: a flipped or rotated picture of a
        # waterfall differs by tens of grey levels, a re-encode by about one.
        a = upright.resize((24, 32)).tobytes()
        b = other.resize((24, 32)).tobytes()
        assert sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a) < 6, orientation


def _tz(hours: int) -> timezone:
    return timezone(timedelta(hours=hours))


# name -> (taken_at, tz assumed?, (lat, lng) or None, upright (width, height))
EXPECTED = {
    "gps/DSCN0010.jpg": (
        datetime(2008, 10, 22, 16, 28, 39, tzinfo=SHANGHAI),
        True,
        (43.4674483333333, 11.8851266666639),
        (640, 480),
    ),
    "gps/DSCN0021.jpg": (
        datetime(2008, 10, 22, 16, 38, 20, tzinfo=SHANGHAI),
        True,
        (43.4670816666639, 11.8845383333306),
        (640, 480),
    ),
    "gps/DSCN0042.jpg": (
        datetime(2008, 10, 22, 17, 0, 7, tzinfo=SHANGHAI),
        True,
        (43.464455, 11.8814783333333),
        (640, 480),
    ),
    "phones/HMD_Nokia_8.3_5G.jpg": (
        datetime(2022, 8, 14, 14, 12, 31, tzinfo=_tz(3)),
        False,
        (60.1467055555556, 24.9067722222222),
        (4608, 1976),
    ),
    "phones/iphone_hdr_YES.jpg": (
        datetime(2015, 4, 10, 20, 12, 23, 550000, tzinfo=SHANGHAI),
        True,
        (40.4469722222222, -3.72475277777778),
        (3264, 2448),
    ),
    "phones/jolla.jpg": (
        datetime(2014, 9, 21, 16, 0, 56, tzinfo=SHANGHAI),
        True,
        None,
        (3264, 2448),
    ),
    "phones/IMG_5195.HEIC": (
        datetime(2021, 4, 11, 15, 47, 53, 54000, tzinfo=_tz(-5)),
        False,
        (39.0513444444444, -94.2887722222222),
        (2566, 3313),
    ),
    # Stored 4032x3024 with a rotation: upright it is a 12 MP portrait.
    "phones/iphone_13_pro_max.HEIC": (
        datetime(2022, 2, 16, 12, 55, 41, 762000, tzinfo=_tz(1)),
        False,
        None,
        (3024, 4032),
    ),
    "broken-exif/87_OSError.jpg": (
        datetime(2005, 12, 14, 14, 39, 47, tzinfo=SHANGHAI),
        True,
        (43.7855944333333, 11.2346194333333),
        (1488, 2240),
    ),
    "broken-exif/67-0_length_string.jpg": (None, False, (51.025, 7.59194444444444), (4032, 2012)),
    "broken-exif/42_IndexError.jpg": (
        datetime(2014, 8, 23, 13, 5, 43, tzinfo=SHANGHAI),
        True,
        None,
        (4032, 3024),
    ),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_time_position_and_size_match_exiftool(photos: Path, name: str) -> None:
    taken_at, assumed, gps, size = EXPECTED[name]
    result = process_upload((photos / name).read_bytes())

    assert result.taken_at == taken_at
    if taken_at is not None:
        assert result.taken_at is not None
        assert result.taken_at.utcoffset() == taken_at.utcoffset()
    assert result.taken_at_tz_assumed is assumed
    if gps is None:
        assert result.gps is None
    else:
        assert result.gps == pytest.approx(gps, abs=1e-6)
    assert (result.width, result.height) == size


def test_offsetless_time_uses_the_callers_zone(photos: Path) -> None:
    madrid = ZoneInfo("Europe/Madrid")
    result = process_upload(
        (photos / "phones" / "iphone_hdr_YES.jpg").read_bytes(), default_tz=madrid
    )
    assert result.taken_at == datetime(2015, 4, 10, 20, 12, 23, 550000, tzinfo=madrid)
    assert result.taken_at is not None and result.taken_at.utcoffset() == timedelta(hours=2)


def test_original_identity_is_sha256_of_the_exact_bytes(photos: Path) -> None:
    import hashlib

    data = (photos / "phones" / "jolla.jpg").read_bytes()
    assert process_upload(data).sha256 == hashlib.sha256(data).hexdigest()
