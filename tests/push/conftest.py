"""Fixtures for the push library's tests: a running fake FCM and senders wired to it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from push.fake_fcm import FakeFcm
from push.fcm import FcmSender

# A fixed clock so APNs expiry headers (now + ttl) are exact in assertions.
FIXED_NOW = 1_750_000_000.0


@pytest.fixture
def fake_fcm() -> Iterator[FakeFcm]:
    with FakeFcm() as fake:
        yield fake


@pytest.fixture
async def fcm_sender(fake_fcm: FakeFcm) -> AsyncIterator[FcmSender]:
    sender = FcmSender(**fake_fcm.sender_options(), clock=lambda: FIXED_NOW)
    yield sender
    await sender.close()
