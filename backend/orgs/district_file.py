"""Reading a district file: decoding every entry and checking what needs no database.

The file (format in docs/operations.md, "Loading your district") is decoded entry by entry
so that one malformed entry does not hide the problems of the others: the importer
reports everything wrong with a file at once. Checks that need the database (parents
that exist only there, type or parent changes, overlaps with stored grids) are the
importer's (``backend.orgs.district_import``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import msgspec
from shapely.geometry.base import BaseGeometry

from backend.common.geometry import GeometryError, parse_geometry
from schemas.orgs import DistrictCategoryIn, DistrictFileIn, DistrictOrgIn

__all__ = [
    "PARENT_TYPE",
    "DecodedDistrict",
    "Entry",
    "Problems",
    "decode_district",
    "where",
]

# The one type an org of each type hangs under (a district hangs under nothing).
PARENT_TYPE: dict[str, str | None] = {
    "district": None,
    "street": "district",
    "department": "district",
    "community": "street",
    "grid": "community",
}

T = TypeVar("T", DistrictOrgIn, DistrictCategoryIn)


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    """One decoded entry and its position in the file."""

    index: int
    item: T


_SECTIONS = ("file", "orgs", "categories")


def where(kind: str, index: int, code: str | None) -> str:
    """``orgs[12] (G-0102)``: the entry's position, and its code when it has one."""
    return f"{kind}[{index}]" + (f" ({code})" if code else "")


@dataclass(slots=True)
class Problems:
    """Every problem with a file, each as ``where: what``, listed in file order."""

    _found: list[tuple[int, int, int, str]] = field(default_factory=list)

    def add(self, kind: str, index: int | None, code: str | None, message: str) -> None:
        at = kind if index is None else where(kind, index, code)
        key = (_SECTIONS.index(kind), -1 if index is None else index, len(self._found))
        self._found.append((*key, f"{at}: {message}"))

    def __bool__(self) -> bool:
        return bool(self._found)

    def lines(self) -> list[str]:
        return [text for *_, text in sorted(self._found)]


@dataclass(slots=True)
class DecodedDistrict:
    """What decoded, and every problem found so far."""

    orgs: list[Entry[DistrictOrgIn]] = field(default_factory=list)
    categories: list[Entry[DistrictCategoryIn]] = field(default_factory=list)
    # Grid code → (shapely polygon, normalised GeoJSON), for the grids whose boundary passed.
    polygons: dict[str, tuple[BaseGeometry, dict[str, Any]]] = field(default_factory=dict)
    # Codes of entries that failed to decode: references to them are not reported again.
    broken_codes: set[str] = field(default_factory=set)
    problems: Problems = field(default_factory=Problems)


def _loose_code(raw: msgspec.Raw) -> str | None:
    """The ``code`` of an entry that failed to decode, if it has a readable one."""
    try:
        loose = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    code = loose.get("code") if isinstance(loose, dict) else None
    return code if isinstance(code, str) else None


def _decode_entries(
    kind: str, raws: Sequence[msgspec.Raw], type_: type[T], out: DecodedDistrict
) -> list[Entry[T]]:
    entries: list[Entry[T]] = []
    first_at: dict[str, int] = {}
    for i, raw in enumerate(raws):
        try:
            item = msgspec.json.decode(raw, type=type_, strict=True)
        except msgspec.ValidationError as exc:
            code = _loose_code(raw)
            if code is not None:
                out.broken_codes.add(code)
            # Paths are relative to the entry: `$.boundary` reads better as `boundary`.
            out.problems.add(kind, i, code, str(exc).replace("`$.", "`"))
            continue
        if item.code in first_at:
            out.problems.add(
                kind, i, item.code, f"code appears again (first at {kind}[{first_at[item.code]}])"
            )
            continue
        first_at[item.code] = i
        entries.append(Entry(i, item))
    return entries


def _check_org_shape(entry: Entry[DistrictOrgIn], out: DecodedDistrict) -> None:
    """Rules about one org alone: parent presence and boundary by type, polygon validity."""
    org = entry.item

    def problem(message: str) -> None:
        out.problems.add("orgs", entry.index, org.code, message)

    if org.type == "district" and org.parent_code is not None:
        problem("a district has no parent_code")
    elif org.type != "district" and org.parent_code is None:
        problem(f"a {org.type} needs a parent_code (its {PARENT_TYPE[org.type]})")
    if org.type != "grid":
        if org.boundary is not None:
            problem("only grids carry a boundary")
        return
    if org.boundary is None:
        problem("a grid needs a boundary (a GeoJSON Polygon)")
        return
    try:
        polygon, normal = parse_geometry(msgspec.to_builtins(org.boundary))
    except GeometryError as exc:
        problem(f"boundary: {exc}")
        return
    out.polygons[org.code] = (polygon, normal)


def decode_district(data: bytes) -> DecodedDistrict:
    """Decode a district file; problems are collected in the result, never raised."""
    out = DecodedDistrict()
    try:
        doc = msgspec.json.decode(data, type=DistrictFileIn, strict=True)
    except msgspec.ValidationError as exc:
        out.problems.add("file", None, None, str(exc))
        return out
    except msgspec.DecodeError as exc:
        out.problems.add("file", None, None, f"not a JSON document ({exc})")
        return out
    if not doc.orgs and not doc.categories:
        out.problems.add("file", None, None, "it holds no orgs and no categories")
    out.orgs = _decode_entries("orgs", doc.orgs, DistrictOrgIn, out)
    out.categories = _decode_entries("categories", doc.categories, DistrictCategoryIn, out)
    for entry in out.orgs:
        _check_org_shape(entry, out)
    for c in out.categories:
        h = c.item.sla_hours
        hours = (h.grade1, h.grade2, h.grade3, h.grade4)
        for grade in range(1, 4):
            if hours[grade - 1] > hours[grade]:
                out.problems.add(
                    "categories",
                    c.index,
                    c.item.code,
                    f"sla_hours: grade {grade} (more urgent) allows {hours[grade - 1]:g} h, "
                    f"more than grade {grade + 1}'s {hours[grade]:g} h",
                )
                break
    return out
