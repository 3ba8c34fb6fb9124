"""Access tokens (short-lived JWT) and opaque refresh tokens."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

__all__ = ["AccessClaims", "TokenError", "TokenService", "hash_refresh_token"]

# Only this algorithm is ever accepted: "none" and key-confusion tricks fail at decode.
ALGORITHMS = ["HS256"]


class TokenError(Exception):
    pass


@dataclass(frozen=True, slots=True)
class AccessClaims:
    user_id: str
    session_id: str
    role: str
    expires_at: datetime


def hash_refresh_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class TokenService:
    def __init__(self, secret: str, *, audience: str, issuer: str, access_seconds: int) -> None:
        self._secret = secret
        self.audience = audience
        self.issuer = issuer
        self.access_seconds = access_seconds

    def issue_access(self, *, user_id: str, session_id: str, role: str, now: datetime) -> str:
        claims = {
            "sub": user_id,
            "sid": session_id,
            "role": role,
            "typ": "access",
            "aud": self.audience,
            "iss": self.issuer,
            "iat": int(now.timestamp()),
            "exp": int((now + timedelta(seconds=self.access_seconds)).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHMS[0])

    def decode_access(self, token: str) -> AccessClaims:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=ALGORITHMS,
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenError(str(exc)) from exc
        if claims.get("typ") != "access" or not isinstance(claims.get("sid"), str):
            raise TokenError("not an access token")
        return AccessClaims(
            user_id=str(claims["sub"]),
            session_id=claims["sid"],
            role=str(claims.get("role", "")),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        )

    @staticmethod
    def new_refresh_token() -> str:
        return secrets.token_urlsafe(32)
