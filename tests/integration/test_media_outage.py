"""The media store (S3, here moto's server on loopback) goes away (issue 12): uploads
answer 503 with Retry-After, nothing is half-written, and what was accepted before is
untouched once the store is back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from backend.settings import Settings
from tests.conftest import Api, running
from tests.integration.demo import grid_point
from tests.integration.test_evidence import media_count, scene, upload_bytes

moto_server = pytest.importorskip("moto.server")


class Moto:
    def __init__(self) -> None:
        self.server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        self.server.start()
        self.host, self.port = self.server.get_host_and_port()

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.stop()

    def restart(self) -> None:
        # moto keeps its buckets in this process: a new server on the same port sees them.
        self.server = moto_server.ThreadedMotoServer(
            ip_address="127.0.0.1", port=self.port, verbose=False
        )
        self.server.start()


@pytest.fixture
def moto() -> Iterator[Moto]:
    import boto3

    m = Moto()
    boto3.client(
        "s3",
        endpoint_url=m.endpoint,
        aws_access_key_id="k",
        aws_secret_access_key="s",
        region_name="us-east-1",
    ).create_bucket(Bucket="outage")
    yield m
    m.stop()


async def test_uploads_answer_503_while_the_store_is_gone_and_nothing_is_half_written(
    settings: Settings, moto: Moto
) -> None:
    from backend.app import create_app

    app = create_app(
        settings.with_overrides(
            s3_endpoint=moto.endpoint, s3_bucket="outage", s3_access_key="k", s3_secret_key="s"
        )
    )
    try:
        async with running(app):
            transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50003))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                api = Api(client=client, tokens={})
                photo = await upload_bytes(api, "grid001", scene(31))
                assert photo.status_code == 201, photo.text
                body: dict[str, Any] = {
                    "category_code": "garbage_exposed",
                    "description": "路面积水",
                    "location": {**grid_point(1), "address": "洪山区"},
                    "media_ids": [photo.json()["id"]],
                }
                report = await api.post("grid001", "/events", body)
                assert report.status_code == 201, report.text
                rows = await media_count(app)

                moto.stop()
                r = await upload_bytes(api, "grid001", scene(32))
                assert r.status_code == 503, r.text
                assert r.json()["code"] == "unavailable"
                assert int(r.headers["retry-after"]) >= 1
                assert await media_count(app) == rows  # no row without its files

                moto.restart()
                seen = await api.get("grid001", f"/events/{report.json()['id']}")
                assert seen.status_code == 200
                thumb = seen.json()["media"][0]["urls"]["thumb"]
                assert (await client.get(thumb)).status_code == 200
                again = await upload_bytes(api, "grid001", scene(32))
                assert again.status_code == 201, again.text
                assert (await client.get(again.json()["urls"]["thumb"])).status_code == 200
    finally:
        await app.state["ctx"].db.dispose()
