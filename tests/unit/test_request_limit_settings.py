"""The hostile-request limits (header size, body speed) are settings an operator can set."""

from __future__ import annotations

import pytest

from backend.settings import Settings, SettingsError


def test_the_request_limits_come_from_the_environment() -> None:
    env = {
        "CHENGYUN_ENV": "test",
        "CHENGYUN_MAX_HEADER_BYTES": "32768",
        "CHENGYUN_BODY_IDLE_SECONDS": "30",
        "CHENGYUN_BODY_MIN_RATE": "512",
        "CHENGYUN_BODY_GRACE_SECONDS": "20.5",
    }
    s = Settings.from_env(env)
    assert (s.max_header_bytes, s.body_idle_seconds, s.body_min_rate, s.body_grace_seconds) == (
        32768,
        30.0,
        512.0,
        20.5,
    )
    d = Settings.from_env({"CHENGYUN_ENV": "test"})
    assert (d.max_header_bytes, d.body_idle_seconds, d.body_min_rate) == (16 * 1024, 15.0, 1024.0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("CHENGYUN_MAX_HEADER_BYTES", "100"),
        ("CHENGYUN_BODY_IDLE_SECONDS", "0"),
        ("CHENGYUN_BODY_MIN_RATE", "-1"),
        ("CHENGYUN_BODY_MIN_RATE", "nan"),
        ("CHENGYUN_BODY_GRACE_SECONDS", "inf"),
    ],
)
def test_a_limit_that_would_break_the_server_is_refused(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({"CHENGYUN_ENV": "test", name: value})
