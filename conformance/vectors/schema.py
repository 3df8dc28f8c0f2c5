"""The constraint tree of an edition: parsed ASN.1 (``Edition.parsed``) turned into typed nodes for generation.

Each node carries what a generator needs and nothing more: effective INTEGER range and SIZE (the outermost
constraint written along a reference chain wins, as in :mod:`conformance.codec.asn1schema`), extensibility, ENUMERATED
root and extension items, SEQUENCE members (OPTIONAL / DEFAULT / extension additions / addition groups) and CHOICE
alternatives. It also knows how many bits UPER spends on a constrained number or length (X.691 10.5, 11.9), which
decides whether a violation of that constraint is *representable* in the bytes at all (heading 30000 fits the 15
bits of 0..28800; speed 9000 does not fit the 13 bits of 0..8191 and would decode as another, valid number).

Nodes are built lazily and memoised per (edition, type reference), so recursive types terminate.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..codec.asn1schema import BUILTIN_TYPES, STRING_TYPES, TypeResolver
from ..standards.editions import Edition, OpenTypeBinding, load_edition

#: Largest length UPER encodes with a constrained length determinant (X.691 11.9.4.1: ub < 64K).
_CONSTRAINED_LENGTH_LIMIT = 65536
#: IA5String characters (X.680 41: ISO 646 / T.50, all 128 code points).
IA5_ALPHABET = "".join(chr(code) for code in range(128))
VISIBLE_ALPHABET = "".join(chr(code) for code in range(0x20, 0x7F))


@dataclass(frozen=True, slots=True)
class Size:
    """A SIZE constraint: root ranges and whether it is extensible (``SIZE(1..8, ...)``)."""

    roots: tuple[tuple[int, int], ...]
    extensible: bool

    @property
    def lower(self) -> int:
        """Smallest root size."""
        return min(low for low, _ in self.roots)

    @property
    def upper(self) -> int:
        """Largest root size."""
        return max(high for _, high in self.roots)

    def text(self) -> str:
        """The constraint as ASN.1 text, e.g. ``SIZE(1..63)`` or ``SIZE(13, ...)``."""
        parts = [str(low) if low == high else f"{low}..{high}" for low, high in self.roots]
        if self.extensible:
            parts.append("...")
        return f"SIZE({', '.join(parts)})"

    def invalid_lengths(self) -> tuple[int, ...]:
        """Lengths outside the root that the UPER length determinant can still carry (empty if none).

        Only a single, non-extensible root range with a length field (lower < upper < 64K) has such lengths:
        upper+1 .. lower + 2**bits - 1. Below the lower bound the offset would be negative: never representable.
        """
        if self.extensible or len(self.roots) != 1:
            return ()
        low, high = self.roots[0]
        if low == high or high >= _CONSTRAINED_LENGTH_LIMIT:
            return ()
        bits = (high - low).bit_length()
        top = low + (1 << bits) - 1
        return tuple(range(high + 1, top + 1)) if top > high else ()


@dataclass(eq=False)
class Node:
    """One type in the constraint tree. ``kind`` is the built-in ASN.1 type; other fields depend on it."""

    kind: str
    label: str  # the type reference (e.g. "Speed") or the built-in name
    low: int | None = None  # INTEGER
    high: int | None = None
    extensible: bool = False  # INTEGER / ENUMERATED / SEQUENCE / CHOICE
    size: Size | None = None  # strings, SEQUENCE OF
    items: tuple[str, ...] = ()  # ENUMERATED root items
    extension_items: tuple[str, ...] = ()
    named_bits: tuple[str, ...] = ()
    alphabet: str = ""
    members: list[MemberNode] = field(default_factory=list)  # SEQUENCE / CHOICE (alternatives)
    element: Node | None = None  # SEQUENCE OF
    open_binding: OpenTypeBinding | None = None  # a SEQUENCE holding an open type (Day-2 MessageFrameExt)

    def range_text(self) -> str:
        """The INTEGER constraint as ASN.1 text, e.g. ``INTEGER (0..28800)``."""
        if self.low is None and self.high is None:
            return "INTEGER"
        low = "MIN" if self.low is None else str(self.low)
        high = "MAX" if self.high is None else str(self.high)
        return f"INTEGER ({low}..{high}{', ...' if self.extensible else ''})"

    def invalid_integers(self) -> tuple[int, int] | None:
        """(first, last) out-of-range values the constrained whole number can carry, or None when there are none."""
        if self.extensible or self.low is None or self.high is None or self.low == self.high:
            return None
        bits = (self.high - self.low).bit_length()
        top = self.low + (1 << bits) - 1
        return (self.high + 1, top) if top > self.high else None

    def enum_bits(self) -> int:
        """Bits of a non-extensible ENUMERATED index (X.691 14.2)."""
        return (len(self.items) - 1).bit_length() if len(self.items) > 1 else 0

    def invalid_enum_indices(self) -> tuple[int, ...]:
        """Indices beyond the root items that fit the index field of a non-extensible ENUMERATED."""
        if self.extensible or len(self.items) < 2:
            return ()
        return tuple(range(len(self.items), 1 << self.enum_bits()))


@dataclass(eq=False)
class MemberNode:
    """A SEQUENCE member or CHOICE alternative."""

    name: str
    node: Node
    optional: bool
    default: Any
    has_default: bool
    extension: bool
    group: int | None  # index of the extension addition group ([[ ]]) it belongs to


def _size(chain: list[Mapping[str, Any]]) -> Size | None:
    for definition in chain:
        if "size" in definition:
            raw = list(definition["size"])
            extensible = None in raw
            roots = tuple(
                (int(item[0]), int(item[1])) if isinstance(item, tuple) else (int(item), int(item))
                for item in raw
                if item is not None and not (isinstance(item, tuple) and None in item)
            )
            if not roots:
                return None
            return Size(roots, extensible)
    return None


def _range(chain: list[Mapping[str, Any]]) -> tuple[int | None, int | None, bool]:
    for definition in chain:
        if "restricted-to" in definition:
            raw = list(definition["restricted-to"])
            extensible = None in raw
            lows: list[int] = []
            highs: list[int] = []
            for item in raw:
                if item is None:
                    continue
                low, high = item if isinstance(item, tuple) else (item, item)
                if isinstance(low, int) and isinstance(high, int):
                    lows.append(low)
                    highs.append(high)
                else:  # MIN / MAX
                    return (low if isinstance(low, int) else None, high if isinstance(high, int) else None, extensible)
            if lows:
                return min(lows), max(highs), extensible
    return None, None, False


def _alphabet(kind: str, chain: list[Mapping[str, Any]]) -> str:
    for definition in chain:
        if "from" in definition:
            chars: list[str] = []
            for item in definition["from"]:
                if isinstance(item, tuple):
                    chars.extend(chr(code) for code in range(ord(item[0]), ord(item[1]) + 1))
                else:
                    chars.extend(str(item))
            return "".join(dict.fromkeys(chars))
    if kind == "IA5String":
        return IA5_ALPHABET
    if kind == "NumericString":
        return "0123456789 "
    return VISIBLE_ALPHABET


class Schema:
    """The constraint tree of one edition (built lazily, memoised by type reference)."""

    def __init__(self, edition: Edition) -> None:
        self.edition = edition
        self.resolver = TypeResolver(edition.parsed)
        self._by_name: dict[str, Node] = {}
        self._bindings = {binding.container_type: binding for binding in edition.info.open_types}

    def node_for(self, type_name: str) -> Node:
        """Return the node of a named type of the edition."""
        return self._build({"type": type_name})

    def _build(self, definition: Mapping[str, Any]) -> Node:
        reference = definition["type"]
        plain = reference not in BUILTIN_TYPES and set(definition) <= {"type", "name", "optional", "default"}
        if plain and reference in self._by_name:
            return self._by_name[reference]
        builtin, chain = self.resolver.resolve(definition)
        kind = builtin["type"]
        if kind not in BUILTIN_TYPES:
            raise KeyError(f"type {kind} is not defined in edition {self.edition.id}")
        node = Node(kind=kind, label=reference)
        if plain:
            self._by_name[reference] = node  # registered before children: recursion terminates
        if kind == "INTEGER":
            node.low, node.high, node.extensible = _range(chain)
        elif kind == "ENUMERATED":
            values = list(builtin.get("values", []))
            node.extensible = None in values
            cut = values.index(None) if None in values else len(values)
            node.items = tuple(item[0] for item in values[:cut] if item is not None)
            node.extension_items = tuple(item[0] for item in values[cut:] if item is not None)
        elif kind in ("OCTET STRING", "BIT STRING") or kind in STRING_TYPES:
            node.size = _size(chain)
            node.alphabet = _alphabet(kind, chain) if kind in STRING_TYPES else ""
            node.named_bits = tuple(name for name, _bit in builtin.get("named-bits", []))
        elif kind in ("SEQUENCE OF", "SET OF"):
            node.size = _size(chain)
            node.element = self._build(builtin["element"])
        elif kind in ("SEQUENCE", "SET", "CHOICE"):
            node.members = list(self._members(builtin))
            node.extensible = None in builtin.get("members", [])
            node.open_binding = self._bindings.get(reference)
        return node

    def _members(self, builtin: Mapping[str, Any]) -> list[MemberNode]:
        result: list[MemberNode] = []
        in_extension = False
        group_index = 0
        for entry in builtin.get("members", []):
            if entry is None:
                in_extension = not in_extension
                continue
            group = None
            if isinstance(entry, list):
                group = group_index
                group_index += 1
            for member in entry if isinstance(entry, list) else [entry]:
                if member is None:
                    continue
                result.append(
                    MemberNode(
                        name=member["name"],
                        node=self._build(member),
                        optional=bool(member.get("optional")),
                        default=member.get("default"),
                        has_default="default" in member,
                        extension=in_extension,
                        group=group,
                    )
                )
        return result


@functools.cache
def schema_for(edition_id: str) -> Schema:
    """Return the cached constraint tree of a registered edition."""
    return Schema(load_edition(edition_id))


def node_at(schema: Schema, type_name: str, path: tuple[str | int, ...]) -> Node | None:
    """Return the node reached from ``type_name`` along a value path (member names, alternatives, list indices)."""
    node: Node | None = schema.node_for(type_name)
    for step in path:
        if node is None:
            return None
        if isinstance(step, int):
            node = node.element
        else:
            node = next((member.node for member in node.members if member.name == step), None)
    return node
