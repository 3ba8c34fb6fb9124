"""Content sniffing: which allowed format the bytes are, and what hides after the image.

Everything here runs before Pillow decodes a single pixel, and works on the raw bytes with
C-speed primitives (`bytes.find`, slicing), so a 20 MB upload costs microseconds of GIL
time and the event loop never notices it.
"""

from __future__ import annotations

import ctypes
import struct
from typing import Any, Final, Literal

from media.errors import MediaError

__all__ = ["Kind", "check_structure", "image_end", "sniff_kind"]

Kind = Literal["jpeg", "png", "webp", "heic"]

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
# HEIF brands that mean "HEVC-coded still image(s)". `mif1`/`msf1` are the generic HEIF
# brands also used by AVIF, so they only count when a HEVC brand is among the compatibles.
_HEVC_BRANDS: Final = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx"})
_GENERIC_HEIF_BRANDS: Final = frozenset({b"mif1", b"msf1"})

# Things that turn an image into a polyglot when appended to it: archives that unzip tools
# find from the end of the file, documents, and markup a browser might sniff.
_SUSPICIOUS_TRAILERS: Final = (
    b"PK\x03\x04",  # zip local file header
    b"PK\x05\x06",  # zip end of central directory (what unzip looks for)
    b"PK\x07\x08",
    b"Rar!\x1a\x07",
    b"7z\xbc\xaf\x27\x1c",
    b"\x1f\x8b\x08",  # gzip
    b"\xfd7zXZ\x00",
    b"1AY&SY",  # bzip2 block magic (after "BZh" and the level digit)
    b"ustar",
    b"%PDF",
    b"<html",
    b"<!doctype",
    b"<script",
    b"<svg",
    b"<?php",
    b"<?xml",
)


def sniff_kind(data: bytes) -> Kind:
    """Name the allowed format that `data` starts with, or raise `unsupported_media`.

    The decision is taken on magic bytes only: names and Content-Type headers are the
    client's opinion, the bytes are what a decoder (or a browser) will act on.
    """
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(_PNG_MAGIC):
        return "png"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if len(data) >= 16 and data[4:8] == b"ftyp":
        box_size = struct.unpack(">I", data[:4])[0]
        major = data[8:12]
        compatible = {data[i : i + 4] for i in range(16, min(box_size, len(data), 256) - 3, 4)}
        if major in _HEVC_BRANDS or (major in _GENERIC_HEIF_BRANDS and compatible & _HEVC_BRANDS):
            return "heic"
    raise MediaError("unsupported_media", "only JPEG, PNG, WebP and HEIC photos are accepted")


def image_end(data: bytes, kind: Kind) -> int:
    """Offset just past the image's own structure; bytes after it are trailing data.

    Raises `corrupt_image` where the container itself shows truncation and the decoder
    would not notice (HEIC); JPEG and PNG truncation is left to the full decode."""
    if kind == "jpeg":
        return _jpeg_end(data)
    if kind == "png":
        return _png_end(data)
    if kind == "webp":
        riff_size: int = struct.unpack("<I", data[4:8])[0]
        if 8 + riff_size > len(data):
            raise MediaError("corrupt_image", "the WebP file is truncated")
        return 8 + riff_size + (riff_size & 1)
    return _bmff_end(data)


def check_structure(data: bytes, kind: Kind, max_trailing_bytes: int) -> None:
    """Reject polyglots (an archive, document or markup riding with the image, or a lot of
    anything after its end) and truncated containers. Small trailers (camera maker data
    such as Samsung's) are tolerated."""
    if _ends_with_zip_directory(data):
        # Unzip tools find an archive from the end of the file, whatever box or segment
        # encloses it, so this holds even for zips hidden inside the image's structure.
        raise MediaError("unsupported_media", "the file is also a zip archive")
    end = image_end(data, kind)
    if end >= len(data):
        return
    if len(data) - end > max_trailing_bytes:
        raise MediaError(
            "unsupported_media",
            f"{len(data) - end} bytes of unexplained data follow the image",
        )
    lowered = data[end:].lower()
    for signature in _SUSPICIOUS_TRAILERS:
        if signature.lower() in lowered:
            raise MediaError(
                "unsupported_media", "the image carries an archive or document after its end"
            )


def _ends_with_zip_directory(data: bytes) -> bool:
    """True when `data` ends with a zip end-of-central-directory record, located exactly
    as zip readers do: signature, then a comment whose length reaches the end of file.
    Requiring both keeps the odds of a false hit in random pixel data negligible."""
    n = len(data)
    floor = max(0, n - 22 - 0xFFFF)
    pos = data.rfind(b"PK\x05\x06", floor)
    while pos >= 0:
        if pos + 22 <= n:
            comment_len = struct.unpack("<H", data[pos + 20 : pos + 22])[0]
            if pos + 22 + comment_len == n:
                return True
        pos = data.rfind(b"PK\x05\x06", floor, pos)
    return False


def _jpeg_end(data: bytes, start: int = 0, depth: int = 0) -> int:
    """End of the JPEG stream(s) starting at `start`, following MPO's secondary images."""
    pos = start + 2
    n = len(data)
    while pos + 4 <= n:
        if data[pos] != 0xFF:
            return n  # broken structure: let the decoder judge, nothing to call trailing
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte before a marker
            pos += 1
            continue
        if marker == 0xD9:
            return pos + 2
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        seg_len = struct.unpack(">H", data[pos + 2 : pos + 4])[0]
        pos += 2 + seg_len
        if marker == 0xDA:
            # Entropy-coded data never contains FF D9 (every data FF is stuffed with 00),
            # and the segments between progressive scans cannot plausibly hold it either,
            # so the first FF D9 after the first scan is the EOI. `find` runs at memchr
            # speed, unlike a Python loop over every stuffed byte.
            eoi = _find_from(data, b"\xff\xd9", pos)
            if eoi < 0:
                return n
            end = eoi + 2
            # MPO (multi-picture JPEG from phones) stores further JPEGs back to back.
            if depth < 8 and data.startswith(b"\xff\xd8\xff", end):
                return _jpeg_end(data, end, depth + 1)
            return end
    return n


def _load_memmem() -> Any:
    """libc's memmem, when the platform has one (glibc, musl, macOS, BSDs)."""
    try:
        fn = ctypes.CDLL(None).memmem  # the symbols already loaded into this process
    except (AttributeError, OSError, TypeError):  # e.g. Windows: no dlopen(NULL)
        return None
    fn.restype = ctypes.c_void_p
    fn.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p, ctypes.c_size_t)
    return fn


_MEMMEM: Final = _load_memmem()


def _find_from(data: bytes, needle: bytes, start: int) -> int:
    """`data.find(needle, start)` without holding the GIL.

    The EOI search walks the whole entropy-coded stream (megabytes). `bytes.find` holds
    the GIL throughout, so the event loop waits up to a switch interval (5 ms) for it on
    every upload; ctypes releases the GIL around foreign calls, and glibc's memmem is also
    ~3x faster. Elsewhere, `bytes.find` in 1 MiB steps still lets other threads in.
    """
    n = len(data)
    if start >= n:
        return -1
    if _MEMMEM is not None and type(data) is bytes:
        base = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value
        assert base is not None
        hit = _MEMMEM(base + start, n - start, needle, len(needle))
        return -1 if hit is None else hit - base
    step = 1 << 20
    while start < n:
        found = data.find(needle, start, min(n, start + step + len(needle) - 1))
        if found >= 0:
            return found
        start += step
    return -1


def _png_end(data: bytes) -> int:
    pos = len(_PNG_MAGIC)
    n = len(data)
    while pos + 12 <= n:
        length: int = struct.unpack(">I", data[pos : pos + 4])[0]
        chunk_type = data[pos + 4 : pos + 8]
        pos += 12 + length
        if chunk_type == b"IEND":
            return min(pos, n)
    return n


def _bmff_end(data: bytes) -> int:
    """Walk ISO-BMFF top-level boxes (HEIC); the first box that does not parse ends it."""
    pos = 0
    n = len(data)
    while pos + 8 <= n:
        size, box_type = struct.unpack(">I4s", data[pos : pos + 8])
        if size == 1:
            if pos + 16 > n:
                return pos
            size = struct.unpack(">Q", data[pos + 8 : pos + 16])[0]
        elif size == 0:
            return n  # box runs to the end of the file by definition
        if size < 8 or not _is_box_type(box_type):
            return pos
        if pos + size > n:
            # libheif decodes a cut-off HEIC without complaint (grey tiles), so a box
            # running past the end of the file is the truncation check for this format.
            raise MediaError("corrupt_image", "the HEIC file is truncated")
        pos += size
    return pos


def _is_box_type(box_type: bytes) -> bool:
    return all(0x20 <= b < 0x7F for b in box_type)
