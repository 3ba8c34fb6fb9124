"""Conditional reads: an ``ETag`` on the answer, ``304 Not Modified`` for ``If-None-Match``.

The tag is a hash of the very bytes the caller would get, so it changes whenever anything
they would see changes: an event or task new, changed, gained or lost from their view, an
``sla_state`` that moved with the clock, an unread count. The one part of an answer that
changes without the data changing is a signed photo link: its ``exp`` (and so its ``sig``)
moves every second. Those two parameters are left out of the hash and replaced by the
number of the ``LINK_EPOCH_SECONDS`` period the answer was made in, so the tag changes
when that period ends: a client answered ``304`` still holds links with at least
``ttl - LINK_EPOCH_SECONDS`` to live (55 minutes with the default hour).

The answer is built to be hashed; what saves the server's work is the answer kept with
the generation it was read at (``backend.common.views``): while nothing it shows can have
changed, a poll with its tag is answered ``304`` before any statement runs.
"""

from __future__ import annotations

import hashlib
import re
import time
from datetime import datetime
from typing import Any

from litestar import Request, Response
from litestar.enums import MediaType
from litestar.serialization import encode_json

from backend.common.views import LINK_EPOCH_SECONDS, ViewSlot, link_epoch, matches

__all__ = ["LINK_EPOCH_SECONDS", "conditional_json", "etag_of", "link_epoch", "matches"]

# The query of a signed media link (media/signing.py), ?exp=<seconds>&sig=<urlsafe base64>,
# only as the value of a MediaUrls member: an object key can only be the encoder's own (a
# quote in any text the caller wrote is escaped), so no text of theirs is ever left out.
_LINK_QUERY = re.compile(rb'("(?:thumb|display|original)":"[^"\\]*)\?exp=\d+&sig=[A-Za-z0-9_\-=]+"')


def etag_of(body: bytes, epoch: int) -> str:
    return _tag(body, epoch)[0]


def _tag(body: bytes, epoch: int) -> tuple[str, bool]:
    """The tag, and whether the answer has photo links (so the tag moves with ``epoch``)."""
    stable, links = _LINK_QUERY.subn(rb'\1"', body)
    digest = hashlib.blake2b(stable, digest_size=16)
    if links:
        digest.update(b"links@%d" % epoch)
    return f'"{digest.hexdigest()}"', bool(links)


def conditional_json(
    request: Request[Any, Any, Any],
    value: Any,
    *,
    now: float | None = None,
    view: ViewSlot | None = None,
    sla_until: datetime | None = None,
    replay: bool = True,
) -> Response[Any]:
    """``value`` as JSON with its ``ETag``, or an empty 304 when the caller has it already.

    ``now``: the time the answer's photo links were signed at (seconds since the epoch;
    ``MediaLinks.clock()``), for an answer that has any. ``view``: where to keep the answer
    for the next poll, until ``sla_until`` (the first ``sla_state`` in it to move); with
    ``replay=False`` only for a 304 (an audited read is not sent again unaudited).
    """
    body = encode_json(value)
    epoch = link_epoch(time.time() if now is None else now)
    etag, links = _tag(body, epoch)
    if view is not None:
        view.cache.keep(
            view,
            etag,
            body,
            sla_until=sla_until,
            link_epoch=epoch if links else None,
            replay=replay,
        )
    headers = {"ETag": etag}
    if matches(request.headers.get("if-none-match"), etag):
        return Response(content=b"", status_code=304, headers=headers)
    return Response(content=body, media_type=MediaType.JSON, headers=headers)
