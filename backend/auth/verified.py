"""Access tokens whose login was checked in the database a moment ago.

Checking the login (not revoked, user active, the user's org) is one query on every
authenticated request; on a small call it is most of the server's work. A token checked in
the last ``seconds`` is answered from here instead. What keeps that exact:

- the entry lives at most ``seconds`` (and never past the token's own expiry);
- a logout or a reused refresh token drops every entry of that login in this process as
  soon as the revocation commits, before its answer is sent, and in every other process when
  the session-ended broadcast arrives (``forget_session``);
- the key is the token string itself, so a different token is never taken for a checked one.

A change made outside the app's own requests (a user deactivated or moved with ``chengyun
create-user --reset`` from another process) reaches a running server within ``seconds``.
``seconds = 0`` turns the cache off.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from backend.auth.principal import Principal
from schemas.auth import MeOut

__all__ = ["Verified", "VerifiedSessions"]


@dataclass(frozen=True, slots=True)
class Verified:
    principal: Principal
    me: MeOut  # GET /me's answer, read by the same query
    until: float  # VerifiedSessions.clock()


class VerifiedSessions:
    def __init__(
        self,
        seconds: float,
        *,
        max_entries: int = 20_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds = seconds
        self.clock = clock
        self.max_entries = max_entries
        self._by_token: dict[str, Verified] = {}
        self._by_user: dict[str, Verified] = {}

    def get(self, token: str) -> Verified | None:
        hit = self._by_token.get(token)
        if hit is None:
            return None
        if hit.until <= self.clock():
            del self._by_token[token]
            return None
        return hit

    def profile(self, user_id: str) -> MeOut | None:
        """The user's ``GET /me`` answer, if one of their tokens was checked just now."""
        hit = self._by_user.get(user_id)
        if hit is None or hit.until <= self.clock():
            return None
        return hit.me

    def put(self, token: str, principal: Principal, me: MeOut, token_expires: float) -> None:
        """``token_expires``: the token's ``exp`` (seconds since the epoch)."""
        if self.seconds <= 0:
            return
        left = min(self.seconds, token_expires - time.time())
        if left <= 0:
            return
        if len(self._by_token) >= self.max_entries:
            self._evict()
        entry = Verified(principal, me, self.clock() + left)
        self._by_token[token] = entry
        self._by_user[principal.id] = entry

    def forget_session(self, session_id: str) -> None:
        """The login ended: none of its tokens is answered from here any more."""
        for token in [t for t, v in self._by_token.items() if v.principal.session_id == session_id]:
            del self._by_token[token]
        for user in [u for u, v in self._by_user.items() if v.principal.session_id == session_id]:
            del self._by_user[user]

    def clear(self) -> None:
        """Forget every checked login: the next request of each reads it again."""
        self._by_token.clear()
        self._by_user.clear()

    def _evict(self) -> None:
        now = self.clock()
        for store in (self._by_token, self._by_user):
            for key in [k for k, v in store.items() if v.until <= now]:
                del store[key]
        while len(self._by_token) >= self.max_entries:  # oldest first (insertion order)
            del self._by_token[next(iter(self._by_token))]
        while len(self._by_user) >= self.max_entries:
            del self._by_user[next(iter(self._by_user))]
