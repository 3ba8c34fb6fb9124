"""CHENGYUN_FCM_ENDPOINT: the server's FCM sender goes where the setting says (a gateway, or
the fake FCM of a drill), through the production path: a service-account file, its OAuth
grant at the file's token_uri, then HTTP/2 to the endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backend.notify.wiring import _sender_options
from backend.settings import Settings, SettingsError
from push import Delivered, PushMessage, build_sender
from push.fake_fcm import FakeFcm


async def test_the_fcm_sender_honours_the_endpoint_setting(tmp_path: Path) -> None:
    with FakeFcm(project_id="drill") as fake:
        creds = tmp_path / "fcm.json"
        creds.write_text(json.dumps(fake.service_account()))
        settings = Settings.from_env(
            {
                "CHENGYUN_PUSH_SENDER": "fcm",
                "CHENGYUN_FCM_CREDENTIALS": str(creds),
                "CHENGYUN_FCM_ENDPOINT": fake.base_url,
            }
        )
        sender = build_sender(settings.push_sender, **_sender_options(settings))
        try:
            message = PushMessage(
                token="tok-1", platform="android", title="t", body="b", kind="instruction"
            )
            (result,) = await sender.send([message])
        finally:
            await sender.close()
        assert isinstance(result, Delivered), result
        (got,) = fake.requests_for("tok-1")
        assert got.http_version == "HTTP/2"
        assert fake.token_grants == 1


@pytest.mark.parametrize(
    "value", ["fcm.example", "ftp://fcm.example", "https://fcm.example/v1/x", "http://a b"]
)
def test_an_endpoint_that_is_not_an_http_origin_is_refused(value: str) -> None:
    with pytest.raises(SettingsError, match="CHENGYUN_FCM_ENDPOINT"):
        Settings.from_env({"CHENGYUN_FCM_ENDPOINT": value})


def test_unset_endpoint_leaves_fcm_itself() -> None:
    settings = Settings.from_env(
        {"CHENGYUN_PUSH_SENDER": "fcm", "CHENGYUN_FCM_CREDENTIALS": "/etc/fcm.json"}
    )
    assert "base_url" not in _sender_options(settings)
