"""Object storage for originals and variants: the interface, memory and local-disk stores.

Keys are relative, slash-separated names chosen by the backend (`orig/ab/abcdef...`).
Every method is async; the local store does its blocking IO in `asyncio.to_thread`.
"""

from __future__ import annotations

import asyncio
import os
import re
import tempfile
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

__all__ = [
    "LocalMediaStore",
    "MediaNotFound",
    "MediaStore",
    "MemoryMediaStore",
    "StoreUnavailable",
    "validate_key",
]

_KEY_RE: Final = re.compile(r"^[A-Za-z0-9_\-][A-Za-z0-9_.\-]*(/[A-Za-z0-9_\-][A-Za-z0-9_.\-]*)*$")
_TMP_PREFIX: Final = ".tmp-"


class MediaNotFound(KeyError):
    """No object under this key."""


class StoreUnavailable(Exception):
    """The store did not answer (unreachable, timed out, 5xx, throttling): retry later.
    Nothing it was asked to write in that call may be relied on."""


def validate_key(key: str) -> str:
    """Accept only plain relative keys: no `..`, no absolute paths, no hidden segments
    (the local store uses dot-names for its temporary files), at most 512 characters."""
    if len(key) > 512 or not _KEY_RE.match(key):
        raise ValueError(f"invalid media key {key!r}")
    return key


def _require_aware(cutoff: datetime) -> None:
    if cutoff.tzinfo is None:
        raise ValueError("cutoff must be timezone-aware")


class MediaStore(ABC):
    """Where media bytes live. Writes are atomic: a reader sees the old object, the whole
    new one, or nothing, never a partial file."""

    @abstractmethod
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    @abstractmethod
    async def get(self, key: str) -> bytes:
        """The stored bytes; raises `MediaNotFound`."""

    @abstractmethod
    async def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error (retries are safe)."""

    @abstractmethod
    async def exists(self, key: str) -> bool: ...

    @abstractmethod
    def list_older_than(self, prefix: str, cutoff: datetime) -> AsyncIterator[str]:
        """Keys starting with `prefix` last written before `cutoff` (for orphan cleanup)."""

    @abstractmethod
    async def ping(self) -> bool:
        """True when the store can serve requests (readiness probe); never raises."""

    async def close(self) -> None:  # noqa: B027 - optional hook, most stores hold nothing
        """Release connections; the store is not used afterwards."""


class MemoryMediaStore(MediaStore):
    """For tests and the demo: a dict. `clock` lets tests age objects without sleeping."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self._clock = clock
        self._objects: dict[str, tuple[bytes, str, datetime]] = {}

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        self._objects[validate_key(key)] = (bytes(data), content_type, self._clock())

    async def get(self, key: str) -> bytes:
        try:
            return self._objects[validate_key(key)][0]
        except KeyError:
            raise MediaNotFound(key) from None

    def content_type(self, key: str) -> str:
        """Test helper: the content type given to `put`."""
        return self._objects[key][1]

    async def delete(self, key: str) -> None:
        self._objects.pop(validate_key(key), None)

    async def exists(self, key: str) -> bool:
        return validate_key(key) in self._objects

    async def list_older_than(self, prefix: str, cutoff: datetime) -> AsyncIterator[str]:
        _require_aware(cutoff)
        # Snapshot first: the cleanup job deletes while it iterates.
        for key, (_, _, written) in sorted(self._objects.items()):
            if key.startswith(prefix) and written < cutoff:
                yield key

    async def ping(self) -> bool:
        return True


class LocalMediaStore(MediaStore):
    """Files under `root`, one per key. Writes go to a temporary file in the target
    directory, are fsynced, then renamed over the target, so a crash never leaves a torn
    object and concurrent writers of the same key (same bytes, by content addressing)
    simply race to an identical result."""

    def __init__(self, root: Path | str) -> None:
        self._root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        return self._root.joinpath(*validate_key(key).split("/"))

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(self._put_sync, self._path(key), data)

    @staticmethod
    def _put_sync(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
        # The rename itself must survive a power cut too: fsync the directory entry.
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    async def get(self, key: str) -> bytes:
        path = self._path(key)
        try:
            return await asyncio.to_thread(path.read_bytes)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise MediaNotFound(key) from None

    async def delete(self, key: str) -> None:
        path = self._path(key)
        await asyncio.to_thread(path.unlink, missing_ok=True)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self._path(key).is_file)

    async def list_older_than(self, prefix: str, cutoff: datetime) -> AsyncIterator[str]:
        _require_aware(cutoff)
        keys = await asyncio.to_thread(self._scan, prefix, cutoff.timestamp())
        for key in keys:
            yield key

    def _scan(self, prefix: str, cutoff_ts: float) -> list[str]:
        # Only walk the deepest directory the prefix names, not the whole store.
        base_dir = prefix.rpartition("/")[0]
        start = self._root.joinpath(*base_dir.split("/")) if base_dir else self._root
        found: list[str] = []
        for dirpath, dirnames, filenames in os.walk(start):
            dirnames.sort()
            for name in sorted(filenames):
                if name.startswith(_TMP_PREFIX):
                    continue  # a write in flight (or a crashed one): not a key
                full = Path(dirpath, name)
                key = full.relative_to(self._root).as_posix()
                if not key.startswith(prefix):
                    continue
                try:
                    if full.stat().st_mtime < cutoff_ts:
                        found.append(key)
                except FileNotFoundError:
                    continue  # deleted while we walked
        return found

    async def ping(self) -> bool:
        return await asyncio.to_thread(self._writable)

    def _writable(self) -> bool:
        return self._root.is_dir() and os.access(self._root, os.W_OK | os.X_OK)
