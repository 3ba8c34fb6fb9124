"""The per-address login limit is a setting like the per-user one, not a constant."""

from __future__ import annotations

from backend.settings import Settings


def test_the_address_limit_comes_from_the_environment() -> None:
    env = {"CHENGYUN_ENV": "test", "CHENGYUN_LOGIN_IP_MAX_FAILURES": "7"}
    assert Settings.from_env(env).login_ip_max_failures == 7
    assert Settings.from_env({"CHENGYUN_ENV": "test"}).login_ip_max_failures == 50
