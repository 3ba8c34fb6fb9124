"""Who is calling: the authenticated user as the services see them."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DISPATCHER_ROLES", "ROLES", "SEES_ALL_ROLES", "Principal"]

ROLES = (
    "grid_worker",
    "street_dispatcher",
    "dept_handler",
    "district_dispatcher",
    "official",
    "admin",
)
DISPATCHER_ROLES = frozenset({"street_dispatcher", "district_dispatcher"})
# Roles that see every event of the district.
SEES_ALL_ROLES = frozenset({"district_dispatcher", "official", "admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    id: str
    username: str
    display_name: str
    role: str
    org_id: str
    org_type: str
    street_id: str | None
    session_id: str
    # The caller's phone as the login check read it (a report's answer shows it masked);
    # None when unknown or absent.
    phone: str | None = None

    @property
    def sees_all(self) -> bool:
        return self.role in SEES_ALL_ROLES
