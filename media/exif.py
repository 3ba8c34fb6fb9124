"""Evidence metadata from EXIF: orientation, capture time, GPS position.

EXIF is written by thousands of firmwares and rewritten by apps, and a good share of it is
malformed (wrong types, zero denominators, empty strings, truncated IFDs). Each reader here
returns None for what it cannot make sense of and never raises: a bad tag costs that tag,
never the upload.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from typing import Any, Final

from PIL import ExifTags, Image

__all__ = ["PhotoMeta", "read_meta"]

_ORIENTATION: Final = 0x0112
_DATETIME_ORIGINAL: Final = 0x9003
_DATETIME_DIGITIZED: Final = 0x9004
_OFFSET_TIME_ORIGINAL: Final = 0x9011
_OFFSET_TIME_DIGITIZED: Final = 0x9012
_SUBSEC_ORIGINAL: Final = 0x9291
_SUBSEC_DIGITIZED: Final = 0x9292
_GPS_LAT_REF, _GPS_LAT, _GPS_LNG_REF, _GPS_LNG = 1, 2, 3, 4

_DATETIME_RE: Final = re.compile(
    r"^\s*(\d{4})[:\-/](\d{1,2})[:\-/](\d{1,2})[ T]+(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?"
)
_OFFSET_RE: Final = re.compile(r"^\s*([+-])(\d{2}):?(\d{2})\s*$")


@dataclass(slots=True)
class PhotoMeta:
    """What the pipeline keeps from EXIF. `taken_at_tz_assumed` is True when the camera
    wrote a local time without an offset and `default_tz` was assumed."""

    orientation: int = 1
    taken_at: datetime | None = None
    taken_at_tz_assumed: bool = False
    gps: tuple[float, float] | None = None


def read_meta(im: Image.Image, default_tz: tzinfo) -> PhotoMeta:
    """Read orientation, capture time and position from an opened (not yet loaded) image."""
    try:
        exif = im.getexif()
    except Exception:  # noqa: BLE001 - any parser failure in untrusted metadata: no EXIF
        return PhotoMeta()
    meta = PhotoMeta(orientation=_orientation(exif))
    sub = _safe_ifd(exif, ExifTags.IFD.Exif)
    meta.taken_at, meta.taken_at_tz_assumed = _taken_at(sub, default_tz)
    meta.gps = _gps(_safe_ifd(exif, ExifTags.IFD.GPSInfo))
    return meta


def _safe_ifd(exif: Image.Exif, tag: int) -> dict[int, Any]:
    try:
        return dict(exif.get_ifd(tag))
    except Exception:  # noqa: BLE001 - truncated or looping IFD pointers: no IFD
        return {}


def _orientation(exif: Image.Exif) -> int:
    try:
        value = int(exif.get(_ORIENTATION, 1))
    except (TypeError, ValueError, ZeroDivisionError):
        return 1
    return value if 1 <= value <= 8 else 1


def _text(value: Any) -> str | None:
    if isinstance(value, bytes):
        value = value.decode("ascii", "ignore")
    if not isinstance(value, str):
        return None
    value = value.replace("\x00", "").strip()
    return value or None


def _taken_at(sub: dict[int, Any], default_tz: tzinfo) -> tuple[datetime | None, bool]:
    # DateTimeOriginal is the shutter time; DateTime in IFD0 is the last edit, so it is
    # deliberately not used as a fallback: a wrong evidence time is worse than none.
    for when_tag, offset_tag, subsec_tag in (
        (_DATETIME_ORIGINAL, _OFFSET_TIME_ORIGINAL, _SUBSEC_ORIGINAL),
        (_DATETIME_DIGITIZED, _OFFSET_TIME_DIGITIZED, _SUBSEC_DIGITIZED),
    ):
        naive = _parse_datetime(_text(sub.get(when_tag)), _text(sub.get(subsec_tag)))
        if naive is None:
            continue
        offset = _parse_offset(_text(sub.get(offset_tag)))
        if offset is not None:
            return naive.replace(tzinfo=offset), False
        return naive.replace(tzinfo=default_tz), True
    return None, False


def _parse_datetime(text: str | None, subsec: str | None) -> datetime | None:
    if text is None:
        return None
    match = _DATETIME_RE.match(text)
    if match is None:
        return None
    year, month, day, hour, minute, second = (int(g or 0) for g in match.groups())
    micro = 0
    if subsec is not None and subsec.isdigit():
        micro = int((subsec + "000000")[:6])
    try:
        return datetime(year, month, day, hour, minute, second, micro)
    except ValueError:  # 0000:00:00 00:00:00 and friends
        return None


def _parse_offset(text: str | None) -> timezone | None:
    if text is None:
        return None
    if text.upper() == "Z":
        return UTC
    match = _OFFSET_RE.match(text)
    if match is None:
        return None
    sign, hours, minutes = match.groups()
    delta = timedelta(hours=int(hours), minutes=int(minutes))
    if delta > timedelta(hours=14) or int(minutes) >= 60:
        return None
    return timezone(-delta if sign == "-" else delta)


def _number(value: Any) -> float | None:
    try:
        if isinstance(value, tuple) and len(value) == 2:  # (numerator, denominator)
            result = value[0] / value[1]
        else:
            result = float(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return None
    return result if math.isfinite(result) else None


def _degrees(value: Any, ref: Any) -> float | None:
    if isinstance(value, tuple | list):
        parts = [_number(v) for v in value[:3]]
    else:
        parts = [_number(value)]
    if not parts or any(p is None for p in parts):
        return None
    deg, minutes, seconds = ([*parts, 0.0, 0.0])[:3]
    assert deg is not None and minutes is not None and seconds is not None
    if minutes < 0 or minutes >= 60 or seconds < 0 or seconds > 60:
        return None
    result = abs(deg) + minutes / 60 + seconds / 3600
    ref_text = (_text(ref) or "").upper()[:1]
    if ref_text in ("S", "W") or (ref_text == "" and deg < 0):
        return -result
    if ref_text in ("N", "E", ""):
        return result
    return None


def _gps(gps: dict[int, Any]) -> tuple[float, float] | None:
    if _GPS_LAT not in gps or _GPS_LNG not in gps:
        return None
    lat = _degrees(gps[_GPS_LAT], gps.get(_GPS_LAT_REF))
    lng = _degrees(gps[_GPS_LNG], gps.get(_GPS_LNG_REF))
    if lat is None or lng is None or abs(lat) > 90 or abs(lng) > 180:
        return None
    # (0, 0) is what phones write when they had no fix; it is never a Wuhan street.
    if lat == 0 and lng == 0:
        return None
    return round(lat, 7), round(lng, 7)
