"""Duty rosters (值班值守): wire shapes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

from schemas.common import Strict

__all__ = [
    "DutyNowOut",
    "DutyUserOut",
    "RosterIn",
    "RosterOut",
    "RosterPage",
    "RosterPut",
    "RostersOut",
]

Id = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[^\x00]*$")]
Shift = Literal["day", "night"]


class RosterIn(Strict):
    org_id: Id
    date: date
    shift: Shift
    user_ids: Annotated[list[Id], msgspec.Meta(min_length=1, max_length=100)]
    # Must be a rostered user of the org's subtree; added to user_ids when missing.
    leader_id: Id | None = None


# The body of PUT /duty/rosters: 1 to 1,000 entries (the document says so too).
RosterPut = Annotated[list[RosterIn], msgspec.Meta(min_length=1, max_length=1000)]


class DutyUserOut(msgspec.Struct, kw_only=True):
    id: str
    username: str
    display_name: str
    role: str
    org_id: str


class RosterOut(msgspec.Struct, kw_only=True):
    id: str
    org_id: str
    org_name: str
    date: date
    shift: Shift
    starts_at: datetime
    ends_at: datetime
    user_ids: list[str]
    users: list[DutyUserOut]
    leader_id: str | None
    leader: DutyUserOut | None
    updated_at: datetime


class RostersOut(msgspec.Struct, kw_only=True):
    items: list[RosterOut]


class RosterPage(msgspec.Struct, kw_only=True):
    items: list[RosterOut]
    next_cursor: str | None


class DutyNowOut(msgspec.Struct, kw_only=True):
    org_id: str
    date: date
    shift: Shift
    starts_at: datetime
    ends_at: datetime
    # False: no roster covers this org now (users empty, leader null).
    rostered: bool
    users: list[DutyUserOut]
    leader: DutyUserOut | None
