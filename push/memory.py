"""An in-memory sender for tests: records what was sent and plays scripted outcomes.

The backend's tests use it to simulate a provider without a network: queue
`RetryLater` three times then let the fourth attempt deliver (503, 503, 503, 200), or a
`RetryLater(after_seconds=120, ...)` to stand for a 429 with Retry-After: 120.
"""

from __future__ import annotations

import itertools
from collections import defaultdict, deque
from collections.abc import Collection, Sequence

from push.base import FCM_PLATFORMS, PushSender, SenderClosed, unreachable
from push.message import Platform, PushMessage
from push.results import Delivered, PushResult

__all__ = ["MemorySender"]


class MemorySender(PushSender):
    """Delivers nothing, remembers everything.

    Outcome for a reachable message, first match wins: the token's queue (`queue(...,
    token=t)`), the shared queue (`queue(...)`), the token's standing outcome
    (`always(t, result)`), else `Delivered("memory-<n>")`.
    """

    name = "memory"

    def __init__(self, *, reachable: Collection[Platform] = FCM_PLATFORMS) -> None:
        # Defaults to FCM's reach so tests exercise the same in-app-only path for
        # HarmonyOS that production takes.
        self._reachable = frozenset(reachable)
        self._by_token: defaultdict[str, deque[PushResult]] = defaultdict(deque)
        self._shared: deque[PushResult] = deque()
        self._always: dict[str, PushResult] = {}
        self._ids = itertools.count(1)
        #: Every reachable message handed to the provider, in send order.
        self.sent: list[PushMessage] = []
        #: Every message passed to send (reachable or not) with the result returned.
        self.results: list[tuple[PushMessage, PushResult]] = []
        #: Number of send() calls, empty batches included.
        self.send_calls = 0
        self.closed = False

    def queue(self, *results: PushResult, token: str | None = None) -> None:
        """Queue outcomes, consumed one per message: for `token`, or for any token."""
        (self._by_token[token] if token is not None else self._shared).extend(results)

    def always(self, token: str, result: PushResult) -> None:
        """Answer `result` for every message to `token` once its queue is empty."""
        self._always[token] = result

    @property
    def delivered(self) -> list[PushMessage]:
        """Messages whose result was `Delivered`, in send order."""
        return [m for m, r in self.results if isinstance(r, Delivered)]

    def can_reach(self, platform: Platform) -> bool:
        return platform in self._reachable

    async def send(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        if self.closed:
            raise SenderClosed("MemorySender is closed")
        self.send_calls += 1
        out: list[PushResult] = []
        for message in messages:
            result = self._outcome(message)
            self.results.append((message, result))
            out.append(result)
        return out

    def _outcome(self, message: PushMessage) -> PushResult:
        if not self.can_reach(message.platform):
            return unreachable(self.name, message.platform)
        self.sent.append(message)
        per_token = self._by_token.get(message.token)
        if per_token:
            return per_token.popleft()
        if self._shared:
            return self._shared.popleft()
        if message.token in self._always:
            return self._always[message.token]
        return Delivered(f"memory-{next(self._ids)}")

    async def close(self) -> None:
        self.closed = True
