"""chengyun's photo pipeline and object storage: bytes in, bytes out.

A standalone library: it never imports `backend`. The backend runs `process_upload` in an
`ImagePool`, keeps the original under its sha256, stores the variants in a `MediaStore`
and hands out links made with `sign_url_params`.
"""

from media.errors import STATUS_BY_CODE, MediaCode, MediaError
from media.phash import dhash, hamming
from media.pipeline import (
    CONTENT_TYPES,
    DISPLAY_SIZE,
    THUMB_SIZE,
    MediaLimits,
    ProcessedImage,
    process_upload,
    render_display,
)
from media.pool import ImagePool, read_limited
from media.signing import sign_url_params, signed_query, verify_signature
from media.store import LocalMediaStore, MediaNotFound, MediaStore, MemoryMediaStore
from media.watermark import CJK_FONT_CANDIDATES, Watermark, find_cjk_font

TYPE_CHECKING = False
if TYPE_CHECKING:
    from media.s3 import S3MediaStore


def __getattr__(name: str) -> object:
    # boto3 takes ~120 ms to import; only processes that configure S3 should pay for it.
    if name == "S3MediaStore":
        from media.s3 import S3MediaStore

        return S3MediaStore
    raise AttributeError(f"module 'media' has no attribute {name!r}")


__all__ = [
    "CJK_FONT_CANDIDATES",
    "CONTENT_TYPES",
    "DISPLAY_SIZE",
    "STATUS_BY_CODE",
    "THUMB_SIZE",
    "ImagePool",
    "LocalMediaStore",
    "MediaCode",
    "MediaError",
    "MediaLimits",
    "MediaNotFound",
    "MediaStore",
    "MemoryMediaStore",
    "ProcessedImage",
    "S3MediaStore",
    "Watermark",
    "dhash",
    "find_cjk_font",
    "hamming",
    "process_upload",
    "read_limited",
    "render_display",
    "sign_url_params",
    "signed_query",
    "verify_signature",
]
