"""The channels plugin of the rooms: the hub starts after it and stops before it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from types import TracebackType

from litestar.channels import ChannelsPlugin
from litestar.channels.backends.base import ChannelsBackend

__all__ = ["RoomChannels"]

Hook = Callable[[], Awaitable[None]]


class RoomChannels(ChannelsPlugin):
    """The channels plugin, with the hub started after it and stopped before it."""

    def __init__(self, backend: ChannelsBackend) -> None:
        super().__init__(backend=backend, arbitrary_channels_allowed=True)
        self.after_start: list[Hook] = []
        self.before_stop: list[Hook] = []

    async def __aenter__(self) -> RoomChannels:
        await super().__aenter__()
        for hook in self.after_start:
            await hook()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc_val: BaseException | None,
        exc_tb: TracebackType | None,
    ) -> None:
        try:
            for hook in reversed(self.before_stop):
                await hook()
        finally:
            await super().__aexit__(exc_type, exc_val, exc_tb)
