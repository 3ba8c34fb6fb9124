"""Every request body and client frame type bounds what it accepts: each string has a
maximum length, each number a range, each list a maximum length, and unknown fields are
refused. The bounds are on the msgspec types, so the OpenAPI and AsyncAPI documents carry
them, and out-of-range input is a 400 naming the field instead of a database error."""

from __future__ import annotations

import importlib
import pkgutil
import re
from typing import Any

import msgspec
import msgspec.inspect as mi

import backend
import schemas
from schemas.common import Strict
from schemas.rooms import ClientFrame


def _input_types() -> list[type]:
    # Every module that may define a body type, so the walk never depends on what other
    # tests imported first (migrations run when imported: they define none).
    for package in (schemas, backend):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if not module.name.startswith("backend.db.migrations"):
                importlib.import_module(module.name)
    found: list[type] = []
    todo = [Strict]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    found.extend(ClientFrame.__args__)  # type: ignore[attr-defined]
    return [t for t in found if t is not Strict and t.__name__ not in NOT_BODIES]


# Inputs that are not request bodies: the district file read by `chengyun import-district`
# from the operator's own disk (docs/operations.md).
NOT_BODIES = {"DistrictFileIn", "DistrictOrgIn", "DistrictCategoryIn", "GridPolygonIn"}
# Free-form on purpose, each checked another way after decoding.
FREE_FORM = {
    "FeatureIn.geometry",  # GeoJSON geometry: backend.common.geometry.parse_geometry
    "FeatureIn.properties{}",  # GeoJSON properties are whatever the source carries
}


# Credentials with a NUL are simply wrong credentials (401, the same answer as any other
# wrong one: tests/integration/test_auth.py), not a 400 that tells them apart.
NUL_IS_A_WRONG_CREDENTIAL = {"LoginIn.username", "LoginIn.password", "RefreshIn.refresh_token"}


def _refuses_nul(pattern: str | None) -> bool:
    return pattern is not None and re.search(pattern, "a\x00") is None


def _loose(t: mi.Type, where: str, seen: set[Any]) -> list[str]:
    if where in FREE_FORM:
        return []
    match t:
        case mi.StrType() if t.max_length is None:
            return [f"{where}: a string without max_length"]
        case mi.StrType() if not _refuses_nul(t.pattern) and where not in NUL_IS_A_WRONG_CREDENTIAL:
            return [f"{where}: a string that may carry NUL"]
        case mi.IntType() if (t.ge is None and t.gt is None) or (t.le is None and t.lt is None):  # type: ignore[union-attr]
            return [f"{where}: an int without a range"]
        case mi.FloatType() if (t.ge is None and t.gt is None) or (t.le is None and t.lt is None):  # type: ignore[union-attr]
            return [f"{where}: a float without a range"]
        case mi.ListType() | mi.SetType() | mi.FrozenSetType():
            own = [] if t.max_length is not None else [f"{where}: a list without max_length"]
            return own + _loose(t.item_type, f"{where}[]", seen)
        case mi.DictType():
            own = [] if t.max_length is not None else [f"{where}: a map without max_length"]
            return (
                own
                + _loose(t.key_type, f"{where}{{key}}", seen)
                + _loose(t.value_type, f"{where}{{}}", seen)
            )
        case mi.UnionType():
            return [p for u in t.types for p in _loose(u, where, seen)]
        case mi.StructType():
            if t.cls in seen or t.cls.__name__ in NOT_BODIES:
                return []
            seen.add(t.cls)
            own = [] if t.forbid_unknown_fields else [f"{where}: unknown fields allowed"]
            return own + [
                p for f in t.fields for p in _loose(f.type, f"{t.cls.__name__}.{f.name}", seen)
            ]
        case mi.AnyType():
            return [f"{where}: any value"]
    return []


def test_every_input_type_bounds_its_fields() -> None:
    problems: list[str] = []
    for cls in _input_types():
        problems += _loose(mi.type_info(cls), cls.__name__, set())
    assert not problems, "\n".join(sorted(set(problems)))


def test_the_walk_sees_the_main_bodies() -> None:
    names = {t.__name__ for t in _input_types()}
    assert {"EventCreateIn", "LoginIn", "SendFrame", "RoomCreateIn"} <= names, names
    assert msgspec.inspect.type_info(ClientFrame)
