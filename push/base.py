"""The sender interface every push provider implements.

Callers hand a batch of messages to one `PushSender` and get back exactly one result per
message, in the same order, whatever happened; they never see provider exceptions for
per-token problems. A provider that cannot reach a platform (FCM cannot reach HarmonyOS
or web clients inside mainland China) says so in `can_reach`, and answers `Failed` for
such messages, so a domestic gateway can be added later as just another sender, combined
with `push.router.RoutingSender`.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from types import TracebackType
from typing import Final, Self

from push.message import Platform, PushMessage
from push.results import Failed, PushResult

__all__ = ["FCM_PLATFORMS", "PushSender", "SenderClosed", "unreachable"]

# What FCM actually delivers to here: Android phones with Google services and iPhones
# (through APNs). HarmonyOS and web get the in-app notification centre only.
FCM_PLATFORMS: Final[frozenset[Platform]] = frozenset({"android", "ios"})


class SenderClosed(RuntimeError):
    """`send` was called after `close`."""


def unreachable(sender: str, platform: Platform) -> Failed:
    """The result for a message whose platform this sender cannot deliver to."""
    return Failed(f"{sender} cannot reach platform {platform!r}")


class PushSender(abc.ABC):
    """Delivers push messages through one provider.

    Implementations chunk internally (callers may pass any number of messages), never
    raise for per-message problems, and are usable as async context managers.
    """

    #: Short provider name used in reasons and logs ("fcm", "log", "memory").
    name: str = "push"

    @abc.abstractmethod
    async def send(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        """Send every message; return one result per message, in input order.

        Raises `SenderClosed` after `close()`.
        """

    @abc.abstractmethod
    def can_reach(self, platform: Platform) -> bool:
        """Whether this provider can deliver to devices of `platform` at all."""

    @abc.abstractmethod
    async def close(self) -> None:
        """Release connections and provider state. Idempotent."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
