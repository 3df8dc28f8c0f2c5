"""Regression vectors of the native engine's fuzzing (benchmarks/fuzz/fuzz_native.py): every file in
tests/data/native_fuzz/ goes through the PDU of every edition without crashing, and every call keeps its contract
(a verdict tuple of the documented shape; nothing raised; validate, validate_many, count_valid and decode agree;
a decoded value encodes to bytes that decode to the same value, or is an ENUMERATED addition the edition lacks).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from conformance.codec import native
from conformance.codec.native import E_OK
from conformance.standards.editions import edition_ids

VECTORS = sorted(p for p in (Path(__file__).parent / "data" / "native_fuzz").iterdir() if p.suffix != ".md")
E_TYPE = 50  # encode: the value does not have the shape of the type (_uper.c)

pytestmark = pytest.mark.skipif(not native.available(), reason=native.status())


def check_verdict(raw: Any, *, with_value: bool) -> None:
    """A validate/decode result as the wrapper reads it (``native._verdict``, the value last)."""
    assert type(raw) is tuple
    verdict = native._verdict(raw)
    value = raw[-1]
    assert type(verdict.code) is int and type(verdict.bits) is int and verdict.bits >= 0
    assert type(verdict.detail) is tuple and all(type(x) is int for x in verdict.detail)
    assert type(verdict.path) is tuple and all(type(p) in (str, int) for p in verdict.path)
    inner = getattr(verdict, "inner", getattr(verdict, "inner_type", None))
    assert inner is None or type(inner) is str or (type(inner) is tuple and type(inner[0]) is str)
    if verdict.code == E_OK:
        assert verdict.path == () and inner is None
    else:
        assert value is None and type(verdict.bit_offset) is int and verdict.bit_offset >= 0
    if not with_value:
        assert value is None


def value_at(value: Any, path: tuple[str | int, ...]) -> Any:
    for key in path:
        if hasattr(value, "type_name") and hasattr(value, "value"):  # an OpenValue: its decoded value
            value = value.value
        value = value[1] if isinstance(value, tuple) and len(value) == 2 and value[0] == key else value[key]
    return value


def bits_normalised(value: Any) -> Any:
    """BIT STRING values (bytes, bit count) cut after their last 1 bit: equal under X.680 22.7 (named bits)."""
    if isinstance(value, tuple) and len(value) == 2 and type(value[0]) is bytes and type(value[1]) is int:
        return "".join(f"{b:08b}" for b in value[0]).ljust(value[1], "0")[: value[1]].rstrip("0")
    if hasattr(value, "type_name") and hasattr(value, "value"):  # an OpenValue: its raw octets follow the value
        return ["open", value.type_name, bits_normalised(value.value)]
    if isinstance(value, (tuple, list)):
        return [bits_normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: bits_normalised(v) for k, v in value.items()}
    return value


def test_there_are_vectors() -> None:
    assert VECTORS


@pytest.mark.parametrize("edition", edition_ids())
@pytest.mark.parametrize("vector", VECTORS, ids=lambda p: p.name)
def test_vector_keeps_the_contract(vector: Path, edition: str) -> None:
    data = vector.read_bytes()
    found = native.codec_for(edition).program()
    assert found is not None
    program, root = found
    verdict = program.validate(root, data)
    check_verdict(verdict, with_value=False)
    assert program.validate_many(root, [data]) == [verdict]
    assert program.count_valid(root, [data]) == (1 if verdict[0] == E_OK else 0)
    decoded = program.decode(root, data)
    check_verdict(decoded, with_value=True)
    assert decoded[:-1] == verdict[:-1]
    lenient = program.decode(root, data, True, True)
    check_verdict(lenient, with_value=True)
    for result in (decoded, lenient):
        if result[0] != E_OK:
            continue
        encoded = program.encode(root, result[-1])
        if type(encoded) is not bytes:
            code, path, _detail = encoded
            assert code == E_TYPE and value_at(result[-1], path) is None  # an ENUMERATED addition unknown here
            continue
        again = program.decode(root, encoded)
        check_verdict(again, with_value=True)
        assert again[0] == E_OK
        assert bits_normalised(again[-1]) == bits_normalised(result[-1])
