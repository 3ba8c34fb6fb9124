"""JSON does not tell 1.0 from 1: an integral float is an integer (backend.common.jsonbody)."""

from __future__ import annotations

import msgspec
import pytest

from backend.common.jsonbody import BodyError, decode_json


class Level(msgspec.Struct, forbid_unknown_fields=True):
    level: int
    ratio: float = 0.0


def test_an_integral_float_is_an_integer() -> None:
    assert decode_json(b'{"level": 2.0, "ratio": 3.0}', Level) == Level(level=2, ratio=3.0)


@pytest.mark.parametrize("body", [b'{"level": 2.5}', b'{"level": "2"}', b'{"level": 1e400}'])
def test_a_fraction_a_string_or_a_huge_number_still_fails_the_field(body: bytes) -> None:
    with pytest.raises(BodyError) as caught:
        decode_json(body, Level)
    assert caught.value.extra["errors"][0]["field"] == "level"
