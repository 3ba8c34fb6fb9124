"""EXIF edge cases on crafted files: references, offsets, broken values, broken blocks."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from PIL import Image, TiffImagePlugin

from media import process_upload

SHANGHAI = ZoneInfo("Asia/Shanghai")
EXIF_IFD, GPS_IFD = 0x8769, 0x8825
R = TiffImagePlugin.IFDRational


def photo(
    *,
    ifd0: dict[int, Any] | None = None,
    exif: dict[int, Any] | None = None,
    gps: dict[int, Any] | None = None,
    size: tuple[int, int] = (60, 40),
) -> bytes:
    tags = Image.Exif()
    tags.update(ifd0 or {})
    if exif:
        tags.get_ifd(EXIF_IFD).update(exif)
    if gps:
        tags.get_ifd(GPS_IFD).update(gps)
    out = io.BytesIO()
    Image.new("RGB", size, (90, 120, 150)).save(out, "JPEG", exif=tags)
    return out.getvalue()


WUHAN = {1: "N", 2: (R(30), R(30), R(1872, 100)), 3: "E", 4: (R(114), R(20), R(1392, 100))}


@pytest.mark.parametrize(
    ("gps", "expected"),
    [
        (WUHAN, (30.5052, 114.3372)),
        ({**WUHAN, 1: "S", 3: "W"}, (-30.5052, -114.3372)),
        ({**WUHAN, 1: "s"}, (-30.5052, 114.3372)),
        ({2: WUHAN[2], 4: WUHAN[4]}, (30.5052, 114.3372)),  # refs missing: N/E assumed
        ({**WUHAN, 2: (R(30.5052),)}, (30.5052, 114.3372)),  # decimal degrees only
        ({**WUHAN, 2: (R(30), R(30), R(1, 0))}, None),  # zero denominator
        ({**WUHAN, 2: (R(95), R(0), R(0))}, None),  # out of range
        ({**WUHAN, 4: (R(114), R(75), R(0))}, None),  # 75 minutes
        ({**WUHAN, 1: "X"}, None),  # unknown reference
        ({**WUHAN, 2: (R(30), R(30), R(61))}, None),  # 61 seconds
        ({1: "N", 2: (R(0), R(0), R(0)), 3: "E", 4: (R(0), R(0), R(0))}, None),  # no fix
        ({1: "N", 2: WUHAN[2]}, None),  # no longitude
    ],
)
def test_gps(gps: dict[int, Any], expected: tuple[float, float] | None) -> None:
    result = process_upload(photo(gps=gps))
    if expected is None:
        assert result.gps is None
    else:
        assert result.gps == pytest.approx(expected, abs=1e-6)


@pytest.mark.parametrize(
    ("exif", "expected", "assumed"),
    [
        (
            {0x9003: "2026:11:24 09:30:15", 0x9011: "+08:00"},
            datetime(2026, 11, 24, 9, 30, 15, tzinfo=timezone(timedelta(hours=8))),
            False,
        ),
        (
            {0x9003: "2026:11:24 09:30:15", 0x9011: "+05:30", 0x9291: "25"},
            datetime(2026, 11, 24, 9, 30, 15, 250000, tzinfo=timezone(timedelta(hours=5.5))),
            False,
        ),
        (
            {0x9003: "2026:11:24 09:30:15"},
            datetime(2026, 11, 24, 9, 30, 15, tzinfo=SHANGHAI),
            True,
        ),
        (  # an impossible offset is ignored, the time is kept
            {0x9003: "2026:11:24 09:30:15", 0x9011: "+25:00"},
            datetime(2026, 11, 24, 9, 30, 15, tzinfo=SHANGHAI),
            True,
        ),
        (  # blank original: fall back to the digitized time
            {0x9003: "    :  :     :  :  ", 0x9004: "2026:11:24 08:00:00", 0x9012: "Z"},
            datetime(2026, 11, 24, 8, 0, tzinfo=UTC),
            False,
        ),
        ({0x9003: "0000:00:00 00:00:00"}, None, False),
        ({0x9003: "2026:13:45 25:61:00"}, None, False),
        ({0x9003: ""}, None, False),
    ],
)
def test_taken_at(exif: dict[int, Any], expected: datetime | None, assumed: bool) -> None:
    result = process_upload(photo(exif=exif))
    assert result.taken_at == expected
    if expected is not None:
        assert result.taken_at is not None
        assert result.taken_at.utcoffset() == expected.utcoffset()
    assert result.taken_at_tz_assumed is assumed


def test_ifd0_modification_time_is_not_taken_for_the_capture_time() -> None:
    result = process_upload(photo(ifd0={0x0132: "2026:11:24 09:30:15"}))
    assert result.taken_at is None


@pytest.mark.parametrize("orientation", [0, 9, 255])
def test_invalid_orientation_is_ignored(orientation: Any) -> None:
    result = process_upload(photo(ifd0={0x0112: orientation}, size=(60, 40)))
    assert (result.width, result.height) == (60, 40)


def test_orientation_six_swaps_the_reported_size() -> None:
    result = process_upload(photo(ifd0={0x0112: 6}, size=(60, 40)))
    assert (result.width, result.height) == (40, 60)
    display = Image.open(io.BytesIO(result.display))
    assert display.size == (40, 60)


def _with_app1(payload: bytes) -> bytes:
    plain = io.BytesIO()
    Image.new("RGB", (60, 40), (90, 120, 150)).save(plain, "JPEG")
    data = plain.getvalue()
    return data[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + data[2:]


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param(b"Exif\x00\x00" + b"\xde\xad\xbe\xef" * 8, id="garbage"),
        pytest.param(b"Exif\x00\x00MM\x00*\x00\x00\x00\x08\x00\x05\x01\x12", id="truncated"),
        pytest.param(
            b"Exif\x00\x00II*\x00\x08\x00\x00\x00\x01\x00\x69\x87\x04\x00\x01\x00\x00\x00"
            b"\xff\xff\xff\x7f\x00\x00\x00\x00",
            id="exif-ifd-pointer-out-of-bounds",
        ),
        pytest.param(b"Exif\x00\x00", id="empty"),
    ],
)
# Pillow reports a short EXIF block with a UserWarning while opening the JPEG (reading
# its DPI); the suite turns warnings into errors, production does not, so the test runs
# with production's setting for that one message.
@pytest.mark.filterwarnings("ignore:Corrupt EXIF data:UserWarning")
def test_broken_exif_block_never_fails_the_upload(payload: bytes) -> None:
    result = process_upload(_with_app1(payload))
    assert (result.width, result.height, result.taken_at, result.gps) == (60, 40, None, None)
