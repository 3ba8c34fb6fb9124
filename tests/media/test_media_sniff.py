"""The byte-level helpers behind content sniffing."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import media.sniff as sniff
from media import MediaError


@given(
    data=st.binary(max_size=3000),
    needle=st.sampled_from([b"\xff\xd9", b"\xff", b"PK\x05\x06"]),
    start=st.integers(min_value=0, max_value=3100),
)
def test_find_from_agrees_with_bytes_find(data: bytes, needle: bytes, start: int) -> None:
    assert sniff._find_from(data, needle, start) == data.find(needle, start)


def test_find_from_without_memmem_agrees_with_bytes_find(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sniff, "_MEMMEM", None)
    data = b"\x00" * (3 << 20) + b"\xff\xd9" + b"\x00" * 5
    for start in (0, 1 << 20, (1 << 20) - 1, len(data) - 7, len(data) - 1, len(data)):
        assert sniff._find_from(data, b"\xff\xd9", start) == data.find(b"\xff\xd9", start)
    # A needle straddling the 1 MiB step boundary is still found.
    edge = b"\x00" * ((1 << 20) - 1) + b"\xff\xd9"
    assert sniff._find_from(edge, b"\xff\xd9", 0) == (1 << 20) - 1


def test_memmem_is_used_on_this_platform() -> None:
    import sys

    if not sys.platform.startswith(("linux", "darwin")):
        pytest.skip("memmem via dlopen(NULL) is a POSIX nicety")
    assert sniff._MEMMEM is not None


@pytest.mark.parametrize(
    ("head", "kind"),
    [
        (b"\xff\xd8\xff\xe0", "jpeg"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", "png"),
        (b"RIFF\x10\x00\x00\x00WEBPVP8 ", "webp"),
        (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "heic"),
        (b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1heic", "heic"),
    ],
)
def test_sniff_kind(head: bytes, kind: str) -> None:
    assert sniff.sniff_kind(head + b"\x00" * 16) == kind


@pytest.mark.parametrize(
    "head",
    [
        b"\x00\x00\x00\x18ftypavif\x00\x00\x00\x00mif1avif",
        b"\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00mif1avif",
        b"\x00\x00\x00\x18ftypisom\x00\x00\x00\x00isomiso2",  # MP4 video
        b"GIF89a",
        b"II*\x00",
        b"BM",
    ],
)
def test_sniff_kind_refuses(head: bytes) -> None:
    with pytest.raises(MediaError) as info:
        sniff.sniff_kind(head + b"\x00" * 16)
    assert info.value.code == "unsupported_media"


def test_zip_directory_must_reach_the_end_of_the_file() -> None:
    eocd = b"PK\x05\x06" + b"\x00" * 16 + b"\x03\x00" + b"abc"
    assert sniff._ends_with_zip_directory(b"\x00" * 100 + eocd)
    assert not sniff._ends_with_zip_directory(b"\x00" * 100 + eocd + b"more")
    assert not sniff._ends_with_zip_directory(b"PK\x05\x06")
