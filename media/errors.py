"""The one error type the photo pipeline raises, and its HTTP mapping."""

from __future__ import annotations

from typing import Final, Literal

__all__ = ["STATUS_BY_CODE", "MediaCode", "MediaError"]

MediaCode = Literal["unsupported_media", "payload_too_large", "image_too_large", "corrupt_image"]

# The wire contract (API.md, "Media") fixes these statuses; the backend maps MediaError to a
# response with exactly this status and `code`, so they live next to the codes.
STATUS_BY_CODE: Final[dict[str, int]] = {
    "unsupported_media": 415,
    "payload_too_large": 413,
    "image_too_large": 413,
    "corrupt_image": 422,
}


class MediaError(Exception):
    """An upload that the pipeline refuses. `code` is stable, `detail` is for humans."""

    code: MediaCode
    status: int
    detail: str

    def __init__(self, code: MediaCode, detail: str) -> None:
        if code not in STATUS_BY_CODE:
            raise ValueError(f"unknown media error code {code!r}")
        super().__init__(f"{code}: {detail}")
        self.code = code
        self.status = STATUS_BY_CODE[code]
        self.detail = detail

    def __reduce__(self) -> tuple[type[MediaError], tuple[MediaCode, str]]:
        # Keeps the error intact if the backend ever runs the pipeline in a process pool.
        return (type(self), (self.code, self.detail))
