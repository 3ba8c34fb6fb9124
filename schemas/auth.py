"""Login, refresh, the current user and their preferences."""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

import msgspec

from schemas.common import Strict
from schemas.orgs import OrgOut

__all__ = [
    "LoginIn",
    "MeOut",
    "QuietHours",
    "RefreshIn",
    "TokenPairOut",
    "UserBrief",
]

Username = Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
Password = Annotated[str, msgspec.Meta(min_length=1, max_length=1024)]


class LoginIn(Strict):
    # Credentials are opaque: a NUL in them is a wrong credential (401), not bad JSON.
    nul_is_a_wrong_credential: ClassVar[bool] = True
    username: Username
    password: Password


class RefreshIn(Strict):
    nul_is_a_wrong_credential: ClassVar[bool] = True
    refresh_token: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]


class MeOut(msgspec.Struct, kw_only=True):
    id: str
    username: str
    display_name: str
    role: str
    org: OrgOut
    phone_masked: str | None


class TokenPairOut(msgspec.Struct, kw_only=True):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"]
    expires_in: int
    user: MeOut


class QuietHours(Strict):
    start: Annotated[str, msgspec.Meta(max_length=5, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]
    end: Annotated[str, msgspec.Meta(max_length=5, pattern=r"^([01]\d|2[0-3]):[0-5]\d$")]


class UserBrief(msgspec.Struct, kw_only=True):
    id: str
    display_name: str
    phone_masked: str | None
