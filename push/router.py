"""Combine senders by platform: FCM for Android/iOS, later a domestic gateway for the rest.

The backend holds one `PushSender`; when a HarmonyOS/mainland gateway sender exists, it
becomes `RoutingSender([fcm, gateway])` and no caller changes.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from push.base import PushSender, SenderClosed, unreachable
from push.message import Platform, PushMessage
from push.results import PushResult

__all__ = ["RoutingSender"]


class RoutingSender(PushSender):
    """Sends each message through the first sender (in the given order) that reaches its
    platform; the per-sender batches go out concurrently. Closing closes every sender."""

    name = "router"

    def __init__(self, senders: Sequence[PushSender]) -> None:
        if not senders:
            raise ValueError("RoutingSender needs at least one sender")
        self._senders = list(senders)
        self._closed = False

    def _route(self, platform: Platform) -> int | None:
        for position, sender in enumerate(self._senders):
            if sender.can_reach(platform):
                return position
        return None

    def can_reach(self, platform: Platform) -> bool:
        return self._route(platform) is not None

    async def send(self, messages: Sequence[PushMessage]) -> list[PushResult]:
        if self._closed:
            raise SenderClosed("RoutingSender is closed")
        results: list[PushResult | None] = [None] * len(messages)
        groups: dict[int, list[int]] = {}
        for index, message in enumerate(messages):
            route = self._route(message.platform)
            if route is None:
                results[index] = unreachable(self.name, message.platform)
            else:
                groups.setdefault(route, []).append(index)
        answers = await asyncio.gather(
            *(
                self._senders[route].send([messages[i] for i in idx])
                for route, idx in groups.items()
            )
        )
        for indices, answer in zip(groups.values(), answers, strict=True):
            if len(answer) != len(indices):
                raise RuntimeError("a routed sender broke the one-result-per-message contract")
            for index, result in zip(indices, answer, strict=True):
                results[index] = result
        return [result for result in results if result is not None]

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        # Close every sender even if one fails; report the first failure afterwards.
        outcomes = await asyncio.gather(
            *(sender.close() for sender in self._senders), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
