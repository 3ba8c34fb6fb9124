"""argon2id password hashing (argon2-cffi's defaults are the RFC 9106 profile)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

__all__ = ["PasswordService", "password_service"]


# argon2id at RFC 9106's low-memory profile: for the test suite and benchmarks only, where
# hundreds of logins would otherwise spend minutes hashing. Production refuses it.
def _fast_hasher() -> PasswordHasher:
    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class PasswordService:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # Verified when the username is unknown, so both failures cost the same time.
        self._dummy = self._hasher.hash("not-a-real-password-timing-equaliser")

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, stored_hash: str | None, password: str) -> bool:
        try:
            return self._hasher.verify(stored_hash or self._dummy, password) and bool(stored_hash)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored_hash: str) -> bool:
        return self._hasher.check_needs_rehash(stored_hash)


def password_service(profile: str = "standard") -> PasswordService:
    if profile == "fast":
        return PasswordService(_fast_hasher())
    return PasswordService()
