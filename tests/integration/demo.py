"""Facts about the demo district that tests lean on (computed, never hard-coded ids)."""

from __future__ import annotations

from functools import cache

from backend.orgs.demo_data import DemoDistrict, build_demo_district

__all__ = ["demo", "first_grid_of_street", "grid_point", "other_street_point", "street_of_grid"]


@cache
def demo() -> DemoDistrict:
    return build_demo_district()


def grid_point(seq: int = 1) -> dict[str, float]:
    """A point well inside the seq-th grid (grid001 is in the first street)."""
    grid = demo().grids[seq - 1]
    c = grid.polygon().representative_point()
    return {"lat": round(c.y, 6), "lng": round(c.x, 6)}


def street_of_grid(seq: int) -> str:
    d = demo()
    grid = d.grids[seq - 1]
    community = d.org(grid.parent_code)
    return community.parent_code  # type: ignore[return-value]


def first_grid_of_street(street_seq: int) -> int:
    """The 1-based grid number of the first grid in the street numbered street_seq."""
    d = demo()
    street_code = d.streets[street_seq - 1].code
    for i, _g in enumerate(d.grids, start=1):
        if street_of_grid(i) == street_code:
            return i
    raise LookupError(street_seq)


def other_street_point() -> dict[str, float]:
    return grid_point(first_grid_of_street(2))
