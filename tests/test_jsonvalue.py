"""The JSON form: lossless round trip and strict rejection of malformed special objects."""

from __future__ import annotations

import pytest

from conformance.codec.jsonvalue import OpenValue, from_json, to_json
from conformance.errors import ValueFormatError


def test_round_trip_of_every_kind() -> None:
    value = {
        "i": -5,
        "b": True,
        "n": None,
        "e": "red",
        "s": "text",
        "o": b"\x00\xff",
        "bits": (b"\x80", 3),
        "c": ("alt", [1, 2]),
        "open": OpenValue("TestMsg", {"x": 1}),
    }
    obj = to_json(value)
    assert obj["o"] == {"$hex": "00ff"}
    assert obj["bits"] == {"$bits": "80", "$len": 3}
    assert obj["c"] == {"$choice": "alt", "value": [1, 2]}
    assert obj["open"] == {"$open": "TestMsg", "value": {"x": 1}}
    back = from_json(obj)
    assert back["open"] == OpenValue("TestMsg", {"x": 1})
    assert {k: v for k, v in back.items() if k != "open"} == {k: v for k, v in value.items() if k != "open"}


@pytest.mark.parametrize(
    ("obj", "fragment"),
    [
        ({"a": {"$hex": "0g"}}, "not valid hex"),
        ({"a": {"$hex": "abc"}}, "not valid hex"),
        ({"a": {"$hex": "00", "x": 1}}, "takes only"),
        ({"a": {"$bits": "80"}}, "takes '$bits' and '$len'"),
        ({"a": {"$bits": "8000", "$len": 3}}, "needs 1"),
        ({"a": {"$bits": "ff", "$len": 3}}, "unused low bits"),
        ({"a": {"$bits": "80", "$len": -1}}, "non-negative"),
        ({"a": {"$choice": "x"}}, "takes '$choice' and 'value'"),
        ({"a": {"$choice": 3, "value": 1}}, "must name"),
        ({"a": {"$weird": 1}}, "Unknown special key"),
        ({"a": 1.5}, "integers"),
    ],
)
def test_malformed_forms_name_the_path(obj: object, fragment: str) -> None:
    with pytest.raises(ValueFormatError) as caught:
        from_json(obj)
    assert fragment in caught.value.message
    assert caught.value.field_path == "a"
