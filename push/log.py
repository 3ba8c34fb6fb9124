"""The embedded default sender: writes what it would push to the log.

`chengyun serve --demo` runs without Firebase credentials; this keeps the whole
notification path (store, push, mark delivered) working and visible on one laptop.
"""

from __future__ import annotations

import itertools
import logging
import uuid
from collections.abc import Collection, Sequence

from push.base import FCM_PLATFORMS, PushSender, SenderClosed, unreachable
from push.message import Platform, PushMessage, token_fingerprint
from push.results import Delivered, PushResult

__all__ = ["LogSender"]

_logger = logging.getLogger(__name__)


class LogSender(PushSender):
    """Logs each reachable message at `level` and reports it delivered.

    Never logs the token itself, only `token_fingerprint(token)`: log files travel
    further than the database does. Each record also carries the fingerprint and the
    wire data as `record.push_fingerprint` / `record.push_data` for structured handlers.
    """

    name = "log"

    def __init__(
        self,
        *,
        logger: logging.Logger | None = None,
        level: int = logging.INFO,
        reachable: Collection[Platform] = FCM_PLATFORMS,
    ) -> None:
        self._logger = logger or _logger
        self._level = level
        self._reachable = frozenset(reachable)
        # A per-instance prefix keeps ids unique across restarts and workers.
        self._prefix = f"log-{uuid.uuid4().hex[:8]}"
        self._ids = itertools.count(1)
        self._closed = False

    def can_reach(self, platform: Platform) -> bool:
        return platform in self._reachable

    async def send(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        if self._closed:
            raise SenderClosed("LogSender is closed")
        out: list[PushResult] = []
        for message in messages:
            if not self.can_reach(message.platform):
                out.append(unreachable(self.name, message.platform))
                continue
            fingerprint = token_fingerprint(message.token)
            data = message.wire_data
            self._logger.log(
                self._level,
                "push %s to %s device %s priority=%s collapse=%s ttl=%s title=%r body=%r data=%s",
                message.kind,
                message.platform,
                fingerprint,
                message.priority,
                message.collapse_key,
                message.ttl_seconds,
                message.title,
                message.body,
                data,
                extra={"push_fingerprint": fingerprint, "push_data": data},
            )
            out.append(Delivered(f"{self._prefix}-{next(self._ids)}"))
        return out

    async def close(self) -> None:
        self._closed = True
