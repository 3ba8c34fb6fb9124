"""Fixtures for the push library's tests: a running fake FCM and senders wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from push.fake_fcm import FakeFcm
from push.fcm import FcmSender


@pytest.fixture
def fixed_now() -> float:
    """The sender's clock in these tests, so APNs expiry (now + ttl) is exact."""
    return 1_750_000_000.0


@pytest.fixture
def fake_fcm() -> Iterator[FakeFcm]:
    with FakeFcm() as fake:
        yield fake


@pytest.fixture
async def fcm_sender(fake_fcm: FakeFcm, fixed_now: float) -> AsyncIterator[FcmSender]:
    sender = FcmSender(**fake_fcm.sender_options(), clock=lambda: fixed_now)
    yield sender
    await sender.close()
