"""A typed view of a parsed ASN.1 module set: resolve type references and walk values against their types.

asn1tools compiles the modules for encoding, but its compiled objects are internal. The parsed dictionary form
(``asn1tools.parse_files``) is stable and plain data, so this module reads that instead. It serves:

* the strict codec, to reject values whose *shape* is wrong (unknown SEQUENCE members, a string where an
  INTEGER belongs, an unknown CHOICE alternative) with an exact JSON path, before asn1tools sees them
  (asn1tools silently drops unknown members and raises bare ``TypeError`` on some wrong types);
* the vector generators (constraint tree) and the edition differ.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import ValueFormatError
from ..standards.editions import all_type_definitions
from .jsonvalue import OpenValue, value_path

STRING_TYPES = frozenset(
    {
        "IA5String",
        "UTF8String",
        "VisibleString",
        "PrintableString",
        "NumericString",
        "BMPString",
        "GeneralString",
        "GraphicString",
        "TeletexString",
        "UniversalString",
        "ObjectDescriptor",
    }
)
BUILTIN_TYPES = (
    frozenset(
        {
            "INTEGER",
            "BOOLEAN",
            "NULL",
            "ENUMERATED",
            "OCTET STRING",
            "BIT STRING",
            "SEQUENCE",
            "SET",
            "CHOICE",
            "SEQUENCE OF",
            "SET OF",
            "REAL",
            "OBJECT IDENTIFIER",
        }
    )
    | STRING_TYPES
)


@dataclass(frozen=True)
class Member:
    """A SEQUENCE member or CHOICE alternative."""

    name: str
    definition: Mapping[str, Any]
    optional: bool
    has_default: bool
    is_extension: bool


class TypeResolver:
    """Resolves type references of one parsed module set (all modules merged by type name)."""

    def __init__(self, parsed: Mapping[str, Mapping[str, Any]]) -> None:
        self._types: dict[str, Mapping[str, Any]] = {
            name: definition for name, (_module, definition) in all_type_definitions(parsed).items()
        }

    def __contains__(self, name: object) -> bool:
        return name in self._types

    def definition(self, name: str) -> Mapping[str, Any]:
        """Return the parsed definition of the named type."""
        return self._types[name]

    def names(self) -> list[str]:
        """Return every type name, sorted."""
        return sorted(self._types)

    def resolve(self, definition: Mapping[str, Any]) -> tuple[Mapping[str, Any], list[Mapping[str, Any]]]:
        """Follow references until a built-in type; return it and the chain of definitions on the way.

        Constraints written at a reference (``speed Speed (0..100)``) stay in the chain so callers can apply the
        innermost-first set (the outermost, i.e. first in the chain, is the most specific).
        """
        chain: list[Mapping[str, Any]] = [definition]
        seen: set[str] = set()
        current = definition
        while current["type"] not in BUILTIN_TYPES:
            name = current["type"]
            if name in seen or name not in self._types:
                break
            seen.add(name)
            current = self._types[name]
            chain.append(current)
        return current, chain

    def members(self, builtin: Mapping[str, Any]) -> Iterator[Member]:
        """Yield the members of a SEQUENCE/SET/CHOICE, flattening extension addition groups."""
        in_extension = False
        for entry in builtin.get("members", []):
            if entry is None:
                # X.680: the first '...' opens the extension additions, a second one closes them
                in_extension = not in_extension
                continue
            group = entry if isinstance(entry, list) else [entry]
            for member in group:
                if member is None:
                    continue
                yield Member(
                    name=member["name"],
                    definition=member,
                    optional=bool(member.get("optional")) or in_extension,
                    has_default="default" in member,
                    is_extension=in_extension,
                )


def _shape_error(path: tuple[str | int, ...], message: str, hint: str, type_name: str) -> ValueFormatError:
    return ValueFormatError(message, operation="encode", type_name=type_name, field_path=value_path(path), hint=hint)


def check_shape(
    resolver: TypeResolver,
    type_name: str,
    value: Any,
) -> None:
    """Check that an asn1tools Python value has the shape of ``type_name``; raise ValueFormatError naming the path.

    Only the *shape* is checked (member names, Python types, CHOICE alternative names, ENUMERATED item names,
    presence of mandatory members); value constraints (ranges, sizes) are left to the codec's constraint check.
    """
    _check(resolver, {"type": type_name}, value, (), type_name)


def _type_label(definition: Mapping[str, Any]) -> str:
    return str(definition.get("type", "?"))


def _check(
    resolver: TypeResolver,
    definition: Mapping[str, Any],
    value: Any,
    path: tuple[str | int, ...],
    top: str,
) -> None:
    builtin, _chain = resolver.resolve(definition)
    kind = builtin["type"]
    label = definition["type"] if definition["type"] not in BUILTIN_TYPES else kind
    if kind not in BUILTIN_TYPES:
        raise _shape_error(path, f"Type {kind} is not defined in this edition.", "Check the ASN.1 modules.", top)

    def expect(condition: bool, what: str, example: str) -> None:
        if not condition:
            got = type(value).__name__ if not isinstance(value, (dict, list, tuple)) else _json_kind(value)
            raise _shape_error(path, f"{label} expects {what}, got {got} {_short(value)}.", f"e.g. {example}", top)

    if kind == "INTEGER":
        expect(isinstance(value, int) and not isinstance(value, bool), "an integer", "42")
    elif kind == "BOOLEAN":
        expect(isinstance(value, bool), "true or false", "true")
    elif kind == "NULL":
        expect(value is None, "null", "null")
    elif kind == "REAL":
        expect(isinstance(value, (int, float)) and not isinstance(value, bool), "a number", "1.5")
    elif kind == "ENUMERATED":
        names = [item[0] for item in builtin.get("values", []) if item is not None]
        expect(isinstance(value, str), "an item name", f'"{names[0]}"' if names else '"name"')
        if value not in names:
            raise _shape_error(path, f"{label} has no item {value!r}.", f"Valid items: {', '.join(names)}.", top)
    elif kind == "OCTET STRING":
        if isinstance(value, OpenValue):
            return  # a decoded open type carried in an OCTET STRING field; the codec encodes it first
        expect(isinstance(value, (bytes, bytearray)), 'an OCTET STRING {"$hex": ...}', '{"$hex": "0a1b"}')
    elif kind == "BIT STRING":
        expect(
            isinstance(value, tuple)
            and len(value) == 2
            and isinstance(value[0], (bytes, bytearray))
            and isinstance(value[1], int),
            'a BIT STRING {"$bits": ..., "$len": N}',
            '{"$bits": "0400", "$len": 16}',
        )
        _check_extensible_bit_string_root(_chain, value[1], path, label, top)
    elif kind in STRING_TYPES or kind == "OBJECT IDENTIFIER":
        expect(isinstance(value, str), "a string", '"text"')
    elif kind in ("SEQUENCE OF", "SET OF"):
        expect(isinstance(value, list), "an array", "[...]")
        for index, item in enumerate(value):
            _check(resolver, builtin["element"], item, (*path, index), top)
    elif kind in ("SEQUENCE", "SET"):
        expect(isinstance(value, dict), "an object of members", "{...}")
        members = {member.name: member for member in resolver.members(builtin)}
        unknown = [key for key in value if key not in members]
        if unknown:
            raise _shape_error(
                (*path, unknown[0]),
                f"{label} has no member {unknown[0]!r}.",
                f"Valid members: {', '.join(members)}.",
                top,
            )
        mandatory = [m.name for m in members.values() if not (m.optional or m.has_default)]
        missing = [name for name in mandatory if name not in value]
        if missing:
            raise _shape_error(
                (*path, missing[0]),
                f"{label} lacks its mandatory member {missing[0]!r}.",
                f"Mandatory members: {', '.join(mandatory)}.",
                top,
            )
        for key, item in value.items():
            _check(resolver, members[key].definition, item, (*path, key), top)
    elif kind == "CHOICE":
        alternatives = {member.name: member for member in resolver.members(builtin)}
        expect(
            isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str),
            'a CHOICE {"$choice": name, "value": ...}',
            '{"$choice": "bsmFrame", "value": {...}}',
        )
        name, inner = value
        if name not in alternatives:
            raise _shape_error(
                path, f"{label} has no alternative {name!r}.", f"Valid alternatives: {', '.join(alternatives)}.", top
            )
        _check(resolver, alternatives[name].definition, inner, (*path, name), top)


def _size_constraint(chain: list[Mapping[str, Any]]) -> list[Any] | None:
    """Return the innermost-applicable SIZE constraint along a reference chain (the outermost one written)."""
    for definition in chain:
        if "size" in definition:
            return list(definition["size"])
    return None


def _in_size_root(length: int, item: Any) -> bool:
    """True when ``length`` satisfies one root element of a SIZE constraint (a number or a (low, high) range)."""
    if isinstance(item, tuple):
        return bool(item[0] <= length <= item[1])
    return bool(length == item)


def _check_extensible_bit_string_root(
    chain: list[Mapping[str, Any]], length: int, path: tuple[str | int, ...], label: str, top: str
) -> None:
    """Reject a BIT STRING outside the root of an extensible SIZE: asn1tools cannot encode that (X.691 16.6)."""
    size = _size_constraint(chain)
    if not size or None not in size:
        return
    roots = [item for item in size if item is not None]
    if not any(_in_size_root(length, item) for item in roots):
        root_text = ", ".join(f"{item[0]}..{item[1]}" if isinstance(item, tuple) else str(item) for item in roots)
        raise _shape_error(
            path,
            f"{label} has {length} bits, outside the root size ({root_text}) of its extensible SIZE constraint; "
            "such values are legal ASN.1 but this codec cannot encode them (asn1tools lacks BIT STRING extensions).",
            f"Use exactly the root size ({root_text}) bits.",
            top,
        )


def _json_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "object"
    if isinstance(value, list):
        return "array"
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return "CHOICE"
    if isinstance(value, tuple):
        return "BIT STRING"
    return type(value).__name__


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
