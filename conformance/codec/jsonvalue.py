"""The project's JSON form of ASN.1 values — defined once, used by files, the CLI, vectors and reports.

Convention (documented in README.md, "JSON form of a message"):

=====================  ==========================================  =====================================
ASN.1                  JSON                                        Python (asn1tools) value
=====================  ==========================================  =====================================
INTEGER                number                                      int
BOOLEAN                true / false                                bool
NULL                   null                                        None
ENUMERATED             the item's name, e.g. ``"permissive-green"``  str
character strings      string                                      str
OCTET STRING           ``{"$hex": "0a1b"}`` (lower case)           bytes
BIT STRING             ``{"$bits": "0400", "$len": 16}``           (bytes, number of bits)
CHOICE                 ``{"$choice": "bsmFrame", "value": …}``     (alternative name, value)
SEQUENCE / SET         object; absent OPTIONAL members omitted     dict
SEQUENCE OF / SET OF   array                                       list
open type (decoded)    ``{"$open": "TestMsg", "value": …}``        :class:`OpenValue`
=====================  ==========================================  =====================================

``$bits`` holds the bits left-aligned in whole bytes, the unused low bits of the last byte zero, so that the
round trip UPER → value → JSON → value → UPER is lossless. :func:`from_json` checks the form strictly and raises
:class:`~conformance.errors.ValueFormatError` naming the JSON path; it never guesses.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ValueFormatError, format_path

HEX = "$hex"
BITS = "$bits"
BITS_LEN = "$len"
CHOICE = "$choice"
OPEN = "$open"
VALUE = "value"


@dataclass(frozen=True)
class OpenValue:
    """A decoded open type: the inner type's name, its decoded value, and the exact inner bytes."""

    type_name: str
    value: Any
    raw: bytes = b""


def to_json(value: Any) -> Any:
    """Convert an asn1tools Python value into the project's JSON form (see module docstring)."""
    if isinstance(value, OpenValue):
        return {OPEN: value.type_name, VALUE: to_json(value.value)}
    if isinstance(value, (bytes, bytearray)):
        return {HEX: bytes(value).hex()}
    if isinstance(value, tuple) and len(value) == 2:
        first, second = value
        if isinstance(first, (bytes, bytearray)) and isinstance(second, int):
            return {BITS: bytes(first).hex(), BITS_LEN: second}
        if isinstance(first, str):
            return {CHOICE: first, VALUE: to_json(second)}
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value
    raise ValueFormatError(
        f"Cannot express a value of Python type {type(value).__name__} in the JSON form.",
        operation="encode",
        hint="This is a bug in the caller: values come from the codec or from from_json().",
    )


def value_path(path: tuple[str | int, ...]) -> str:
    """The field path of a value as its errors name it (``format_path``), ``(top level)`` for the value itself."""
    return format_path(path) or "(top level)"


def _fail(path: tuple[str | int, ...], message: str, hint: str) -> ValueFormatError:
    return ValueFormatError(message, operation="encode", field_path=value_path(path), hint=hint)


def _hex_bytes(text: Any, path: tuple[str | int, ...], key: str) -> bytes:
    if not isinstance(text, str):
        raise _fail(path, f"'{key}' must be a string of hex digits, got {type(text).__name__}.", 'e.g. "0a1b".')
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise _fail(
            path, f"'{key}' is not valid hex: {text!r}.", 'Use an even number of hex digits, e.g. "0a1b".'
        ) from exc


def _from_special(obj: Mapping[str, Any], path: tuple[str | int, ...]) -> Any:
    """Convert one of the ``$``-keyed JSON objects; reject mixed or misspelt forms."""
    keys = set(obj)
    if HEX in keys:
        if keys != {HEX}:
            raise _fail(
                path, f"An OCTET STRING object takes only '{HEX}', got {sorted(keys)}.", 'e.g. {"$hex": "0a1b"}'
            )
        return _hex_bytes(obj[HEX], path, HEX)
    if BITS in keys:
        if keys != {BITS, BITS_LEN}:
            raise _fail(
                path,
                f"A BIT STRING object takes '{BITS}' and '{BITS_LEN}', got {sorted(keys)}.",
                'e.g. {"$bits": "0400", "$len": 16}',
            )
        data = _hex_bytes(obj[BITS], path, BITS)
        length = obj[BITS_LEN]
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise _fail(
                path, f"'{BITS_LEN}' must be a non-negative integer, got {length!r}.", "Give the number of bits."
            )
        if len(data) != (length + 7) // 8:
            raise _fail(
                path,
                f"'{BITS}' holds {len(data)} bytes but '{BITS_LEN}' {length} bits needs {(length + 7) // 8}.",
                "Write the bits left-aligned in whole bytes.",
            )
        unused = len(data) * 8 - length
        if unused and data[-1] & ((1 << unused) - 1):
            raise _fail(path, "The unused low bits of the last '$bits' byte are not zero.", "Set them to zero.")
        return (data, length)
    if CHOICE in keys:
        if keys != {CHOICE, VALUE}:
            raise _fail(
                path,
                f"A CHOICE object takes '{CHOICE}' and '{VALUE}', got {sorted(keys)}.",
                'e.g. {"$choice": "bsmFrame", "value": {...}}',
            )
        name = obj[CHOICE]
        if not isinstance(name, str):
            raise _fail(path, f"'{CHOICE}' must name an alternative, got {name!r}.", "Give the alternative's name.")
        return (name, from_json(obj[VALUE], (*path, name)))
    if OPEN in keys:
        if keys != {OPEN, VALUE}:
            raise _fail(
                path,
                f"An open-type object takes '{OPEN}' and '{VALUE}', got {sorted(keys)}.",
                'e.g. {"$open": "TestMsg", "value": {...}}',
            )
        name = obj[OPEN]
        if not isinstance(name, str):
            raise _fail(path, f"'{OPEN}' must name the inner type, got {name!r}.", "Give the type name.")
        return OpenValue(name, from_json(obj[VALUE], (*path, name)))
    unknown = sorted(key for key in keys if key.startswith("$"))
    raise _fail(
        path,
        f"Unknown special key(s) {unknown}.",
        f"Valid special keys: {HEX}, {BITS}+{BITS_LEN}, {CHOICE}+{VALUE}, {OPEN}+{VALUE}.",
    )


def from_json(obj: Any, path: tuple[str | int, ...] = ()) -> Any:
    """Convert the project's JSON form back into an asn1tools Python value (strictly; see module docstring)."""
    if isinstance(obj, dict):
        if any(isinstance(key, str) and key.startswith("$") for key in obj):
            return _from_special(obj, path)
        return {key: from_json(item, (*path, key)) for key, item in obj.items()}
    if isinstance(obj, list):
        return [from_json(item, (*path, index)) for index, item in enumerate(obj)]
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, float):
        raise _fail(path, f"ASN.1 values here are integers; got the number {obj}.", "Write a whole number.")
    raise _fail(path, f"Unsupported JSON value {obj!r}.", "Use the project's JSON form (README).")


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """Serialise an asn1tools Python value to JSON text in the project's form (UTF-8 kept readable)."""
    return json.dumps(to_json(value), indent=indent, ensure_ascii=False)
