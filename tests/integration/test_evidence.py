"""Photos as evidence through the API: the case number is burned in after commit, near-
identical photos flag duplicates, GPS far from the spot is flagged, orphans are swept,
and a refused upload leaves no file and no row."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from PIL import Image
from sqlalchemy import func, select

from backend.db.models import Media
from backend.media_api.jobs import orphan_sweep
from backend.media_api.uploads import original_key, variant_key
from tests.integration.demo import grid_point
from tests.integration.flows import report

PHOTOS = Path(__file__).resolve().parents[1] / "data" / "photos"


def scene(seed: int, size: tuple[int, int] = (640, 480)) -> bytes:
    """A photo-like picture: shapes on a gradient; same seed, same scene."""
    im = Image.new("RGB", size)
    px = im.load()
    assert px is not None
    for y in range(size[1]):
        for x in range(0, size[0], 2):
            v = (x * (seed + 1) // 3 + y * (seed + 2) // 2) % 256
            px[x, y] = (v, (v * 3 + seed * 40) % 256, (255 - v))
            px[x + 1, y] = px[x, y]
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


async def upload_bytes(api: Any, user: str, data: bytes, name: str = "p.jpg") -> Any:
    return await api.client.post(
        "/api/v1/media",
        files={"file": (name, data, "image/jpeg")},
        headers=await api.headers(user),
    )


async def media_count(app: Any) -> int:
    async with app.state["ctx"].db.sessions() as s:
        return int(await s.scalar(select(func.count()).select_from(Media)) or 0)


async def test_the_display_variant_gets_the_case_number_after_commit(api, app) -> None:
    ctx = app.state["ctx"]
    media = (await upload_bytes(api, "grid001", scene(1))).json()
    store = ctx.media_store
    before = await store.get(variant_key(media["id"], "display"))
    event = await report(api, media_ids=[media["id"]])
    await ctx.background.drain()
    after = await store.get(variant_key(media["id"], "display"))
    assert after != before, "re-rendered with the case number"
    assert event["case_no"].startswith("HS")
    # The original is untouched, byte for byte.
    assert await store.get(original_key(media["sha256"])) == scene(1)


async def test_near_identical_photos_flag_a_possible_duplicate(api) -> None:
    first_photo = (await upload_bytes(api, "grid001", scene(3))).json()["id"]
    first = await report(api, media_ids=[first_photo])
    # The same scene, re-encoded smaller, reported far away (another corner of the grid).
    smaller = Image.open(io.BytesIO(scene(3))).resize((480, 360))
    buf = io.BytesIO()
    smaller.save(buf, "JPEG", quality=70)
    again = (await upload_bytes(api, "grid001", buf.getvalue())).json()["id"]
    p = grid_point(1)
    far = {"lat": p["lat"] + 0.0015, "lng": p["lng"]}
    second = await report(api, media_ids=[again], location=far)
    dup = [d for d in second["possible_duplicates"] if d["id"] == first["id"]]
    assert dup and dup[0]["reason"] == "similar_photo"
    other = (await upload_bytes(api, "grid001", scene(9))).json()["id"]
    third = await report(api, media_ids=[other], location=far)
    assert all(d["reason"] != "similar_photo" for d in third["possible_duplicates"])


async def test_photo_gps_far_from_the_event_is_flagged(api) -> None:
    path = PHOTOS / "gps" / "DSCN0010.jpg"  # taken in Italy
    media = (await upload_bytes(api, "grid001", path.read_bytes())).json()
    near = (await upload_bytes(api, "grid001", scene(5))).json()  # no GPS at all
    event = await report(api, media_ids=[media["id"], near["id"]])
    flags = {m["id"]: m["location_mismatch"] for m in event["media"]}
    assert flags == {media["id"]: True, near["id"]: False}


async def test_orphans_are_swept_after_a_day_and_attached_media_stay(api, app, clock) -> None:
    ctx = app.state["ctx"]
    store = ctx.media_store
    kept = (await upload_bytes(api, "grid001", scene(11))).json()
    lost = (await upload_bytes(api, "grid001", scene(12))).json()
    await report(api, media_ids=[kept["id"]])
    await ctx.background.drain()
    # A file whose row never committed.
    await store.put(original_key("f" * 64), b"stray", "image/jpeg")
    clock.advance(hours=23)
    assert await orphan_sweep(ctx) == 0
    clock.advance(hours=2)
    assert await orphan_sweep(ctx) == 1
    assert await media_count(app) == 1
    assert not await store.exists(variant_key(lost["id"], "thumb"))
    assert await store.exists(variant_key(kept["id"], "thumb"))
    assert await store.exists(original_key(kept["sha256"]))
    assert not await store.exists(original_key("f" * 64))
    assert not await store.exists(original_key(lost["sha256"]))


async def test_refused_uploads_leave_nothing_behind(api, app) -> None:
    ctx = app.state["ctx"]
    media_dir = Path(ctx.settings.resolved_media_dir)
    before = files_under(media_dir)
    hostile = {
        "svg.jpg": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "page.jpg": b"<html><body>hi</body></html>",
        "cut.jpg": scene(2)[:2000],
        "zip.jpg": scene(2) + b"PK\x03\x04" + b"\x00" * 100 + b"PK\x05\x06" + b"\x00" * 18,
    }
    codes = {}
    for name, data in hostile.items():
        r = await upload_bytes(api, "grid001", data, name)
        codes[name] = (r.status_code, r.json()["code"])
    assert codes == {
        "svg.jpg": (415, "unsupported_media"),
        "page.jpg": (415, "unsupported_media"),
        "cut.jpg": (422, "corrupt_image"),
        "zip.jpg": (415, "unsupported_media"),
    }
    after = files_under(media_dir)
    assert after == before
    assert await media_count(app) == 0


async def test_an_oversized_body_is_refused_while_streaming(api) -> None:
    async def chunks() -> Any:
        block = b"\xff" * (1024 * 1024)
        for _ in range(22):
            yield block

    headers = await api.headers("grid001", **{"Content-Type": "multipart/form-data; boundary=x"})
    r = await api.client.post("/api/v1/media", content=chunks(), headers=headers)
    assert r.status_code == 413
    assert r.json()["code"] == "payload_too_large"


async def test_media_can_live_in_an_s3_compatible_store(settings, tmp_path) -> None:
    """The same upload path against a real S3 server (moto's, on loopback)."""
    import pytest

    moto_server = pytest.importorskip("moto.server")
    import boto3
    import httpx

    from backend.app import create_app
    from tests.conftest import Api, running

    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            aws_access_key_id="k",
            aws_secret_access_key="s",
            region_name="us-east-1",
        ).create_bucket(Bucket="evidence")
        app = create_app(
            settings.with_overrides(
                s3_endpoint=endpoint, s3_bucket="evidence", s3_access_key="k", s3_secret_key="s"
            )
        )
        async with running(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50002))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                api = Api(client=client, tokens={})
                r = await upload_bytes(api, "grid001", scene(21))
                assert r.status_code == 201
                thumb = await client.get(r.json()["urls"]["thumb"])
                assert thumb.status_code == 200 and thumb.content[:2] == b"\xff\xd8"
                ready = await client.get("/api/v1/health/ready")
                assert ready.json()["checks"]["media_store"] == "ok"
        await app.state["ctx"].db.dispose()
    finally:
        server.stop()
