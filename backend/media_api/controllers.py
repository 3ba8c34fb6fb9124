"""HTTP: upload a photo; fetch a variant through a signed link."""

from __future__ import annotations

import hashlib
import time
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, HeaderParameter, MultipartBody, QueryParameter

from backend.db.models import Media
from backend.deps import DB, PUBLIC, Caller
from backend.errors import ProblemError
from backend.media_api.service import VARIANTS, media_out
from backend.media_api.uploads import original_key, variant_key
from backend.parts import ContextDep
from media import MediaNotFound, verify_signature
from schemas.media import MediaOut

__all__ = ["MediaController", "MediaFilesController"]

# Multipart framing around a 20 MB photo; the pipeline checks the file's own size.
UPLOAD_BODY_LIMIT = 20 * 1024 * 1024 + 256 * 1024


class MediaController(Controller):
    path = "/media"
    tags = ["media"]

    @post("", request_max_body_size=UPLOAD_BODY_LIMIT)
    async def upload(
        self,
        ctx: ContextDep,
        db: DB,
        principal: Caller,
        data: MultipartBody[dict[str, Any]],
    ) -> Response[MediaOut]:
        file = data.get("file")
        if not isinstance(file, UploadFile):
            raise ProblemError(
                400,
                "validation_failed",
                "send one multipart part named 'file'",
                errors=[{"field": "file", "message": "missing", "source": "body"}],
            )
        content = await file.read()
        await file.close()
        media, created = await ctx.uploads.upload(db, principal, content, ctx.now())
        return Response(
            media_out(media, principal, ctx.media_links),
            status_code=201 if created else 200,
        )


class MediaFilesController(Controller):
    """Served without a bearer token: the signature in the link is the permission."""

    path = "/media"
    tags = ["media"]
    opt = PUBLIC  # the signature in the link is the permission

    @get("/{media_id:str}/{variant:str}")
    async def variant(
        self,
        ctx: ContextDep,
        db: DB,
        media_id: FromPath[str],
        variant: FromPath[str],
        exp: Annotated[str, QueryParameter(max_length=20)],
        sig: Annotated[str, QueryParameter(max_length=200)],
        if_none_match: Annotated[str | None, HeaderParameter(name="If-None-Match")] = None,
    ) -> Response[bytes]:
        links = ctx.media_links
        if variant not in VARIANTS or not verify_signature(
            links.secret, media_id, variant, exp, sig, time.time()
        ):
            raise ProblemError(403, "forbidden", "the link is invalid or has expired")
        media = await db.get(Media, media_id)
        if media is None:
            raise ProblemError(404, "not_found", "media not found")
        key = (
            original_key(media.sha256) if variant == "original" else variant_key(media.id, variant)
        )
        try:
            body = await ctx.media_store.get(key)
        except MediaNotFound as exc:
            raise ProblemError(404, "not_found", "media file not found") from exc
        etag = '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'
        max_age = max(0, int(exp) - int(time.time()))
        headers = {
            "ETag": etag,
            "Cache-Control": f"private, max-age={max_age}",
            "X-Content-Type-Options": "nosniff",
        }
        if if_none_match and etag in {t.strip() for t in if_none_match.split(",")}:
            return Response(b"", status_code=304, headers=headers)
        media_type = media.content_type if variant == "original" else "image/jpeg"
        return Response(body, media_type=media_type, headers=headers)
