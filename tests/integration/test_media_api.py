"""Media through HTTP: upload, deduplication per user, signed links, who gets the original,
and attaching only one's own photos to events."""

from __future__ import annotations

import hashlib
import io
import time
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from PIL import Image
from sqlalchemy import func, select

from backend.db.models import Media
from media.signing import sign_url_params
from tests.integration.demo import grid_point

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"
GPS_PHOTO = PHOTOS / "gps" / "DSCN0010.jpg"  # 640x480, GPS and DateTimeOriginal in EXIF
ROTATED_PHOTO = PHOTOS / "orientation" / "portrait_6.jpg"  # stored 600x450, orientation 6


@cache
def photo(path: Path) -> bytes:
    return path.read_bytes()


async def upload(api: Any, username: str, data: bytes, name: str = "photo.jpg") -> Any:
    return await api.client.post(
        "/api/v1/media",
        files={"file": (name, data, "image/jpeg")},
        headers=await api.headers(username),
    )


async def uploaded(api: Any, username: str, path: Path = GPS_PHOTO) -> dict[str, Any]:
    r = await upload(api, username, photo(path), path.name)
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def media_count(app: Any) -> int:
    async with app.state["ctx"].db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Media)) or 0)


def link_parts(url: str) -> tuple[str, str, str]:
    """(path, exp, sig) of a signed link."""
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    return parts.path, query["exp"][0], query["sig"][0]


# -- upload ------------------------------------------------------------------------------------


async def test_upload_returns_the_media_object(api: Any) -> None:
    data = photo(GPS_PHOTO)
    r = await upload(api, "grid001", data, GPS_PHOTO.name)
    assert r.status_code == 201
    media = r.json()
    assert set(media) == {
        "id",
        "sha256",
        "content_type",
        "width",
        "height",
        "taken_at",
        "gps",
        "urls",
        "created_at",
    }
    assert media["sha256"] == hashlib.sha256(data).hexdigest()
    assert media["content_type"] == "image/jpeg"
    assert (media["width"], media["height"]) == (640, 480)
    # DateTimeOriginal carries no offset: read as local (Asia/Shanghai) time.
    assert media["taken_at"] == "2008-10-22T16:28:39+08:00"
    # 43°28'2.814" N, 11°53'6.456" E
    assert media["gps"]["lat"] == pytest.approx(43 + 28 / 60 + 2.814 / 3600, abs=1e-6)
    assert media["gps"]["lng"] == pytest.approx(11 + 53 / 60 + 6.45599999 / 3600, abs=1e-6)
    assert set(media["urls"]) == {"thumb", "display", "original"}
    assert media["urls"]["original"] is None  # a grid worker is no dispatcher
    for variant in ("thumb", "display"):
        path, exp, _sig = link_parts(media["urls"][variant])
        assert path == f"/api/v1/media/{media['id']}/{variant}"
        assert 3590 <= int(exp) - time.time() <= 3600


async def test_width_and_height_are_after_exif_orientation(api: Any) -> None:
    with Image.open(ROTATED_PHOTO) as stored:
        assert stored.size == (600, 450)
    media = await uploaded(api, "grid001", ROTATED_PHOTO)
    assert (media["width"], media["height"]) == (450, 600)
    assert (media["taken_at"], media["gps"]) == (None, None)


async def test_same_bytes_same_user_is_200_with_the_same_media(app: Any, api: Any) -> None:
    first = await uploaded(api, "grid001")
    r = await upload(api, "grid001", photo(GPS_PHOTO), "again.jpg")
    assert r.status_code == 200
    assert r.json()["id"] == first["id"]
    assert r.json()["sha256"] == first["sha256"]
    # Another user uploading the same bytes gets media of their own.
    other = await upload(api, "grid002", photo(GPS_PHOTO))
    assert other.status_code == 201
    assert other.json()["id"] != first["id"]
    assert await media_count(app) == 2


async def test_dispatcher_gets_the_original(api: Any) -> None:
    media = await uploaded(api, "street01a")
    path, _exp, _sig = link_parts(media["urls"]["original"])
    assert path == f"/api/v1/media/{media['id']}/original"
    r = await api.client.get(media["urls"]["original"])
    assert r.status_code == 200
    assert r.headers["content-type"] == "image/jpeg"
    assert r.content == photo(GPS_PHOTO)


async def test_text_file_is_415_and_nothing_is_stored(app: Any, api: Any, settings: Any) -> None:
    r = await api.client.post(
        "/api/v1/media",
        files={"file": ("notes.txt", "路边垃圾 hello".encode(), "text/plain")},
        headers=await api.headers("grid001"),
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["code"] == "unsupported_media"
    assert await media_count(app) == 0
    media_dir = settings.resolved_media_dir
    assert not media_dir.exists() or [p for p in media_dir.rglob("*") if p.is_file()] == []


async def test_missing_file_part_is_400(app: Any, api: Any) -> None:
    requests: dict[str, dict[str, Any]] = {
        "no body": {},
        "wrong part name": {"files": {"photo": ("a.jpg", b"\xff\xd8\xff", "image/jpeg")}},
        "text field": {"data": {"file": "not a file part"}},
        "json": {"json": {"file": "x"}},
    }
    for what, kw in requests.items():
        r = await api.client.post("/api/v1/media", headers=await api.headers("grid001"), **kw)
        assert r.status_code == 400, what
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "validation_failed"
    assert await media_count(app) == 0


# -- signed links ------------------------------------------------------------------------------


async def test_signed_link_serves_without_a_token_with_cache_headers(api: Any) -> None:
    media = await uploaded(api, "grid001")
    for variant, longest in (("thumb", 320), ("display", 1600)):
        r = await api.client.get(media["urls"][variant])  # no Authorization header
        assert r.status_code == 200, variant
        assert r.headers["content-type"] == "image/jpeg"
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["cache-control"].split(",")[0] == "private"
        etag = r.headers["etag"]
        assert etag.startswith('"') and etag.endswith('"')
        with Image.open(io.BytesIO(r.content)) as image:
            assert image.format == "JPEG"
            assert max(image.size) <= longest
            assert image.size[0] > image.size[1]  # still landscape
            exif = image.getexif()
            assert 0x8825 not in exif  # no GPS
        again = await api.client.get(media["urls"][variant], headers={"If-None-Match": etag})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == etag
        other = await api.client.get(media["urls"][variant], headers={"If-None-Match": '"x"'})
        assert other.status_code == 200


async def test_tampered_links_are_403(api: Any) -> None:
    media = await uploaded(api, "street01a")
    other = await uploaded(api, "street01a", ROTATED_PHOTO)
    path, exp, sig = link_parts(media["urls"]["thumb"])
    flipped = ("A" if sig[0] != "A" else "B") + sig[1:]
    base = f"/api/v1/media/{media['id']}"
    tampered = {
        "signature": f"{path}?exp={exp}&sig={flipped}",
        "variant": f"{base}/original?exp={exp}&sig={sig}",
        "unknown variant": f"{base}/raw?exp={exp}&sig={sig}",
        "other media": f"/api/v1/media/{other['id']}/thumb?exp={exp}&sig={sig}",
        "extended": f"{path}?exp={int(exp) + 3600}&sig={sig}",
        "not a number": f"{path}?exp=soon&sig={sig}",
        "empty signature": f"{path}?exp={exp}&sig=",
    }
    for what, url in tampered.items():
        r = await api.client.get(url)
        assert r.status_code == 403, what
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["code"] == "forbidden"
    assert (await api.client.get(media["urls"]["thumb"])).status_code == 200


async def test_expired_link_is_403(app: Any, api: Any) -> None:
    media = await uploaded(api, "grid001")
    secret = app.state["ctx"].media_links.secret
    base = f"/api/v1/media/{media['id']}/thumb"
    past = int(time.time()) - 5
    expired = await api.client.get(
        base, params={"exp": past, "sig": sign_url_params(secret, media["id"], "thumb", past)}
    )
    assert expired.status_code == 403
    assert expired.json()["code"] == "forbidden"
    # The same construction with a future expiry is accepted: only the time differs.
    future = int(time.time()) + 60
    fresh = await api.client.get(
        base, params={"exp": future, "sig": sign_url_params(secret, media["id"], "thumb", future)}
    )
    assert fresh.status_code == 200


async def test_link_signed_with_another_secret_is_403(api: Any) -> None:
    media = await uploaded(api, "grid001")
    exp = int(time.time()) + 60
    sig = sign_url_params(b"not the app's link secret", media["id"], "thumb", exp)
    r = await api.client.get(f"/api/v1/media/{media['id']}/thumb", params={"exp": exp, "sig": sig})
    assert r.status_code == 403


# -- media on events ---------------------------------------------------------------------------


def new_event(media_ids: list[str]) -> dict[str, Any]:
    return {
        "category_code": "garbage_exposed",
        "description": "路边垃圾",
        "location": grid_point(1),
        "media_ids": media_ids,
    }


async def test_original_link_on_events_only_for_dispatchers(api: Any) -> None:
    media = await uploaded(api, "grid001")
    r = await api.post("grid001", "/events", new_event([media["id"]]))
    assert r.status_code == 201
    event = r.json()
    assert [m["id"] for m in event["media"]] == [media["id"]]
    assert event["media"][0]["urls"]["original"] is None
    for username in ("grid001", "leader01", "admin"):
        seen = (await api.get(username, f"/events/{event['id']}")).json()["media"][0]
        assert seen["urls"]["original"] is None, username
    for username in ("street01a", "district01"):
        seen = (await api.get(username, f"/events/{event['id']}")).json()["media"][0]
        assert seen["id"] == media["id"]
        r = await api.client.get(seen["urls"]["original"])
        assert r.status_code == 200, username
        assert r.content == photo(GPS_PHOTO)


async def test_events_attach_only_the_callers_own_media(api: Any) -> None:
    theirs = await uploaded(api, "grid002")
    mine = await uploaded(api, "grid001", ROTATED_PHOTO)
    for ids in ([theirs["id"]], [mine["id"], theirs["id"]], ["no-such-media"]):
        r = await api.post("grid001", "/events", new_event(ids))
        assert r.status_code == 422
        problem = r.json()
        assert problem["code"] == "media_not_found"
        assert [e["field"] for e in problem["errors"]] == ["media_ids"]
    assert (await api.get("grid001", "/events")).json()["items"] == []
    # Same rule on actions that carry photos.
    r = await api.post("grid001", "/events", new_event([mine["id"]]))
    assert r.status_code == 201
    event = r.json()
    r = await api.act("grid001", event["id"], "comment", note="补充照片", media_ids=[theirs["id"]])
    assert r.status_code == 422
    assert r.json()["code"] == "media_not_found"
    after = (await api.get("grid001", f"/events/{event['id']}")).json()
    assert (after["version"], len(after["timeline"])) == (1, 1)
