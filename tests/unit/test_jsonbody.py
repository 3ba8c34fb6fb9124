"""The decoding layer every JSON input goes through (backend.common.jsonbody)."""

from __future__ import annotations

import json
from typing import Annotated

import msgspec
import pytest

from backend.common.jsonbody import MAX_DEPTH, BodyError, decode_json, nesting_too_deep


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


@pytest.mark.parametrize("depth", [1, MAX_DEPTH - 1, MAX_DEPTH])
def test_nesting_up_to_the_limit_is_fine(depth: int) -> None:
    assert not nesting_too_deep(nested(depth))
    assert not nesting_too_deep('{"a":' * depth + "1" + "}" * depth)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 3000, 100_000])
def test_nesting_past_the_limit_is_refused(depth: int) -> None:
    assert nesting_too_deep(nested(depth))
    with pytest.raises(BodyError, match="nested deeper"):
        decode_json(nested(depth).encode())


def test_brackets_inside_strings_do_not_count() -> None:
    doc = json.dumps({"text": "[" * 10_000 + '\\"' + "{" * 10_000})
    assert not nesting_too_deep(doc)
    assert decode_json(doc)["text"].startswith("[[[")


def test_many_shallow_brackets_are_not_deep() -> None:
    # A GeoJSON ring: thousands of brackets, five levels.
    ring = [[[[114.3 + i / 1e4, 30.5] for i in range(5000)]]]
    assert not nesting_too_deep(json.dumps({"type": "MultiPolygon", "coordinates": ring}))


def test_unbalanced_brackets_are_left_to_the_decoder() -> None:
    raw = b"[{]}" * 100
    assert not nesting_too_deep(raw)
    with pytest.raises(BodyError, match="malformed"):
        decode_json(raw)


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": -Infinity}',
        b"\xef\xbb\xbf{}",  # a UTF-8 byte-order mark
        b'{"a": "\xff"}',  # invalid UTF-8
        b'{"a": "\\ud800"}',  # a lone surrogate
        b'{"a": "x\x00"}',  # a raw NUL inside a string
        b"",
    ],
)
def test_malformed_documents_are_body_errors(raw: bytes) -> None:
    with pytest.raises(BodyError):
        decode_json(raw)


@pytest.mark.parametrize("text", ['"\\u0000"', '{"a": "x\\u0000y"}', '"\\\\\\u0000"'])
def test_escaped_nul_is_refused(text: str) -> None:
    with pytest.raises(BodyError, match="NUL"):
        decode_json(text)


def test_an_escaped_backslash_before_u0000_is_just_text() -> None:
    assert decode_json('"\\\\u0000"') == "\\u0000"


def test_numbers_out_of_a_fields_range_name_the_field() -> None:
    class Body(msgspec.Struct, forbid_unknown_fields=True):
        grade: Annotated[int, msgspec.Meta(ge=1, le=4)] = 4

    for raw in (b'{"grade": 1e400}', b'{"grade": 100000000000000000000000000000}'):
        with pytest.raises(BodyError) as info:
            decode_json(raw, Body)
        assert info.value.extra["errors"][0]["field"] == "grade"
    with pytest.raises(BodyError):
        decode_json(b"1e400", float)


def test_duplicate_keys_the_last_one_wins() -> None:
    class Body(msgspec.Struct):
        a: int

    assert decode_json(b'{"a": 1, "a": 2}', Body).a == 2
    assert decode_json(b'{"a": 1, "a": 2}') == {"a": 2}
