"""Fixtures for the media tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from media_testkit import PHOTOS


@pytest.fixture
def photos() -> Path:
    if not PHOTOS.is_dir():
        pytest.skip(f"photo corpus not found at {PHOTOS}")
    return PHOTOS
