"""Hypothesis strategies for any type of any edition, derived from the ASN.1 constraint tree.

``for_type(edition, type_name, mode=...)`` returns a ``SearchStrategy[Vector]``:

* ``mode="valid"`` — anything the standard allows: every INTEGER range, SIZE, ENUMERATED item (root and extension),
  CHOICE alternative, OPTIONAL / DEFAULT member, extension addition (and addition group), IA5String alphabet.
  Bytes come from the strict codec, so a valid vector is canonical UPER by construction.
* ``mode="boundary"`` — range ends and their neighbours (the CSAE 'unavailable' values are range ends: speed 8191,
  lat 900000001, elevation -4096, accel 2001, ...), ENUMERATED first/last/'unavailable'/'unknown' items, minimum and
  maximum sizes, and per vector one presence policy for every OPTIONAL member and extension addition: all present,
  all absent, or drawn one by one.
* ``mode="invalid"`` — a valid value in which exactly one constraint is violated, labelled with the field path the
  strict codec must name and the constraint. Only violations UPER can *represent* are produced: an INTEGER beyond
  its upper bound that still fits the bits of the range (heading 30000 in the 15 bits of 0..28800; a 0..8191 field
  has no such value), a length beyond SIZE that fits the length determinant, an ENUMERATED index beyond the root
  items that fits the index bits. Integers and sizes are encoded by asn1tools with constraint checks off; an
  ENUMERATED index is written into the bits of a valid encoding (its position comes from :mod:`conformance.bittrace`).
  Extensible constraints are never violated: values outside their root are legal.

Generation limits (to keep examples fast; say so in reports): in valid and invalid mode a SEQUENCE OF has at most 4
elements at the top nesting level, 2 one level down and its minimum size below that; strings and OCTET STRINGs at
most 32 characters/bytes beyond their minimum. In boundary mode sizes are the minimum or the maximum, but only one
SEQUENCE OF per vector (and only one whose maximum is at most 64) takes its full maximum — its elements then have
minimum-size lists — other lists use the valid-mode caps. Nesting deeper than 20 levels keeps OPTIONAL members
absent (bounds recursive types).

Shrinking keeps the class: the violation is injected by the same draws on every replay, so a shrunk invalid vector
is still invalid and labelled; :mod:`conformance.vectors.oracle` re-checks every vector regardless.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from hypothesis import strategies as st

from ..codec.asn1schema import STRING_TYPES
from ..codec.jsonvalue import OpenValue
from ..codec.strict import StrictCodec, codec_for
from ..errors import ConformanceError, VectorArgumentError
from ..standards.editions import Edition, edition_ids, load_edition
from .model import MODES, Vector, VectorClass, Violation, path_text
from .schema import VISIBLE_ALPHABET, Node, Schema, schema_for

__all__ = ["MAX_DEPTH", "for_type", "representable_violations", "values"]

MAX_DEPTH = 20
LIST_CAPS = (4, 2)  # elements per SEQUENCE OF by list nesting level; deeper lists take their minimum size
STRING_EXTRA = 32  # characters/bytes beyond the minimum in valid mode
BOUNDARY_FULL_LIST_MAX = 64  # a SEQUENCE OF takes its full maximum size only if that is at most this
_UNAVAILABLE_NAMES = ("unavailable", "unknown", "unknownFuel", "notEquipped", "notInUseOrNotEquipped")

Draw = Callable[[st.SearchStrategy[Any]], Any]


@dataclass
class _Site:
    """A place where a constraint can be violated representably."""

    path: tuple[str | int, ...]
    node: Node
    kind: str  # range | size | enumerated


@dataclass
class _Context:
    draw: Draw
    mode: str
    presence: str  # random | all | none
    edition: Edition
    schema: Schema
    alternative: str | None
    sites: list[_Site] = field(default_factory=list)
    collect: bool = False
    full_list_used: bool = False
    in_open: int = 0  # > 0 inside an open type: no ENUMERATED sites (their bits are not traced there)


# --------------------------------------------------------------------------------------------- argument checks
def _edition_id(function: str, edition: str | Edition) -> str:
    if isinstance(edition, Edition):
        return edition.id
    if not isinstance(edition, str):
        raise VectorArgumentError(
            f"{function}(edition=...) must be an edition id or Edition, not {type(edition).__name__}.",
            hint=f"Valid editions: {', '.join(edition_ids())}.",
        )
    try:
        load_edition(edition)
    except ConformanceError as exc:
        raise VectorArgumentError(f"{function}(edition={edition!r}): {exc.message}", hint=exc.hint) from None
    return edition


def _check_args(
    function: str, edition: str | Edition, type_name: str, mode: str, alternative: str | None, modes: tuple[str, ...]
) -> tuple[str, Node]:
    edition_id = _edition_id(function, edition)
    if not isinstance(mode, str) or mode not in modes:
        raise VectorArgumentError(
            f"{function}(mode={mode!r}): mode must be one of {', '.join(map(repr, modes))}.",
            hint="valid: anything allowed; boundary: range ends and sizes; invalid: one violated constraint.",
        )
    schema = schema_for(edition_id)
    if not isinstance(type_name, str) or not schema.edition.has_type(type_name):
        close = [
            t for t in schema.edition.type_names() if isinstance(type_name, str) and type_name.lower() in t.lower()
        ]
        raise VectorArgumentError(
            f"{function}(type_name={type_name!r}): edition {edition_id} has no such type.",
            hint=f"Similar types: {', '.join(close[:8])}." if close else "See `v2xc editions --types`.",
        )
    node = schema.node_for(type_name)
    if alternative is not None:
        names = [member.name for member in node.members] if node.kind == "CHOICE" else []
        if alternative not in names:
            raise VectorArgumentError(
                f"{function}(alternative={alternative!r}): {type_name} "
                + (f"has no alternative {alternative!r}." if names else "is not a CHOICE."),
                hint=f"Alternatives: {', '.join(names)}." if names else "Leave alternative unset for this type.",
            )
    if mode == "invalid" and not representable_violations(edition_id, type_name, alternative=alternative):
        raise VectorArgumentError(
            f"{function}(mode='invalid'): {type_name} of {edition_id} has no constraint whose violation UPER can "
            "represent (every range fills its bits and no size or ENUMERATED has spare codes).",
            hint="Use the byte mutations (conformance.vectors.mutations) for malformed frames of this type.",
        )
    return edition_id, node


@functools.cache
def representable_violations(edition: str, type_name: str, *, alternative: str | None = None) -> tuple[str, ...]:
    """Return the constraints (as ``path: constraint`` text, indices omitted) that invalid mode can violate."""
    schema = schema_for(edition)
    found: list[str] = []
    seen: set[int] = set()

    def walk(node: Node, path: tuple[str, ...], depth: int) -> None:
        if depth > MAX_DEPTH or (id(node) in seen and node.kind in ("SEQUENCE", "CHOICE", "SEQUENCE OF")):
            return
        seen.add(id(node))
        site = _site_kind(node)
        if site:
            found.append(f"{'.'.join(path) or '(top level)'}: {_constraint_text(node, site)}")
        if node.open_binding is not None:
            for inner in sorted(set(node.open_binding.types.values())):
                if schema.edition.has_type(inner):
                    walk(schema.node_for(inner), (*path, node.open_binding.value_field), depth + 1)
        for member in node.members:
            if depth == 0 and alternative is not None and member.name != alternative:
                continue
            walk(member.node, (*path, member.name), depth + 1)
        if node.element is not None:
            walk(node.element, path, depth + 1)

    walk(schema.node_for(type_name), (), 0)
    return tuple(found)


# --------------------------------------------------------------------------------------------- public strategies
def for_type(
    edition: str | Edition,
    type_name: str,
    *,
    mode: str = "valid",
    alternative: str | None = None,
) -> st.SearchStrategy[Vector]:
    """Return a strategy of :class:`Vector` of ``type_name`` under ``edition`` (see the module docstring).

    ``alternative`` restricts a top-level CHOICE (e.g. ``MessageFrame``) to one alternative (``"spatFrame"``).
    Arguments are checked before any generation; a bad one raises :class:`VectorArgumentError` naming it.
    """
    edition_id, node = _check_args("for_type", edition, type_name, mode, alternative, MODES)
    codec = codec_for(edition_id)

    @st.composite
    def vectors(draw: Draw) -> Vector:
        if mode == "invalid":
            return _invalid(draw, codec, node, type_name, alternative)
        value = _draw_value(draw, codec, node, mode, alternative)
        data = codec.encode(value, type_name)
        vclass = VectorClass.VALID if mode == "valid" else VectorClass.BOUNDARY
        return Vector(edition_id, type_name, vclass, data, value, None, f"strategies.for_type:{mode}")

    return vectors()


def values(
    edition: str | Edition,
    type_name: str,
    *,
    mode: str = "valid",
    alternative: str | None = None,
) -> st.SearchStrategy[Any]:
    """Return a strategy of asn1tools values (no encoding) of ``type_name``; ``mode`` is ``valid`` or ``boundary``."""
    edition_id, node = _check_args("values", edition, type_name, mode, alternative, ("valid", "boundary"))
    codec = codec_for(edition_id)

    @st.composite
    def generated(draw: Draw) -> Any:
        return _draw_value(draw, codec, node, mode, alternative)

    return generated()


# --------------------------------------------------------------------------------------------- generation
def _draw_value(draw: Draw, codec: StrictCodec, node: Node, mode: str, alternative: str | None) -> Any:
    presence = draw(_PRESENCE) if mode == "boundary" else "random"
    ctx = _Context(draw, mode, presence, codec.edition, schema_for_codec(codec), alternative)
    return _gen(ctx, node, (), 0, 0, False)


def schema_for_codec(codec: StrictCodec) -> Schema:
    """The constraint tree of a codec's edition (cached for registered editions)."""
    edition_id = codec.edition.id
    return schema_for(edition_id) if edition_id in edition_ids() else Schema(codec.edition)


_PRESENCE = st.sampled_from(("all", "none", "random"))


def _cached(node: Node, key: str, make: Callable[[], st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    strategies: dict[str, st.SearchStrategy[Any]] = node.__dict__.setdefault("_strategies", {})
    if key not in strategies:
        strategies[key] = make()
    return strategies[key]


def _integer_strategy(node: Node, mode: str) -> st.SearchStrategy[int]:
    low, high = node.low, node.high
    if mode == "boundary" and low is not None and high is not None:
        points = {low, min(low + 1, high), max(high - 1, low), high}
        if low <= 0 <= high:
            points.add(0)
        return st.sampled_from(sorted(points))
    if low is None and high is None:
        return st.integers(-(2**31), 2**31 - 1)
    if high is None:
        assert low is not None
        return st.integers(low, low + 2**32)
    if low is None:
        return st.integers(high - 2**32, high)
    return st.integers(low, high)


def _size_bounds(ctx: _Context, node: Node, extra: int) -> tuple[int, int]:
    size = node.size
    if size is None:
        return 0, extra
    low, high = size.lower, size.upper
    if ctx.mode == "boundary":
        length = high if ctx.draw(st.booleans()) else low
        return length, length
    return low, min(high, low + extra)


def _gen(ctx: _Context, node: Node, path: tuple[str | int, ...], depth: int, list_depth: int, minimal: bool) -> Any:
    draw, kind = ctx.draw, node.kind
    if ctx.collect:
        site = _site_kind(node)
        if site and not (ctx.in_open and site == "enumerated"):
            ctx.sites.append(_Site(path, node, site))
    if kind == "INTEGER":
        return draw(_cached(node, ctx.mode, lambda: _integer_strategy(node, ctx.mode)))
    if kind == "BOOLEAN":
        return draw(st.booleans())
    if kind == "NULL":
        return None
    if kind == "ENUMERATED":
        return draw(_cached(node, ctx.mode, lambda: _enum_strategy(node, ctx.mode)))
    if kind == "OCTET STRING":
        low, high = _size_bounds(ctx, node, STRING_EXTRA)
        return (
            draw(st.binary(min_size=low, max_size=high)) if low != high else draw(st.binary(min_size=low, max_size=low))
        )
    if kind == "BIT STRING":
        low, high = _size_bounds(ctx, node, STRING_EXTRA)
        length = draw(st.integers(low, high)) if low != high else low
        return _bits(draw, length, ctx.mode)
    if kind in STRING_TYPES:
        low, high = _size_bounds(ctx, node, STRING_EXTRA)
        return draw(st.text(alphabet=node.alphabet or VISIBLE_ALPHABET, min_size=low, max_size=high))
    if kind in ("SEQUENCE OF", "SET OF"):
        return _gen_list(ctx, node, path, depth, list_depth, minimal)
    if kind in ("SEQUENCE", "SET"):
        return _gen_sequence(ctx, node, path, depth, list_depth, minimal)
    if kind == "CHOICE":
        members = node.members
        if depth == 0 and ctx.alternative is not None:
            members = [member for member in members if member.name == ctx.alternative]
        elif depth > MAX_DEPTH:
            members = members[:1]
        member = members[0] if len(members) == 1 else draw(st.sampled_from(members))
        return (member.name, _gen(ctx, member.node, (*path, member.name), depth + 1, list_depth, minimal))
    raise VectorArgumentError(
        f"for_type: {node.label} ({kind}) cannot be generated yet.",
        hint="Only the ASN.1 types used by the C-V2X message sets are supported (no REAL, OBJECT IDENTIFIER).",
    )


def _enum_strategy(node: Node, mode: str) -> st.SearchStrategy[str]:
    items = list(node.items) + list(node.extension_items)
    if mode == "boundary":
        chosen = {items[0], node.items[-1], *node.extension_items}
        chosen.update(name for name in items if name in _UNAVAILABLE_NAMES)
        return st.sampled_from([name for name in items if name in chosen])
    return st.sampled_from(items)


def _bits(draw: Draw, length: int, mode: str) -> tuple[bytes, int]:
    if length == 0:
        return (b"", 0)
    if mode == "boundary":
        number = (1 << length) - 1 if draw(st.booleans()) else 0
    else:
        number = draw(st.integers(0, (1 << length) - 1))
    width = (length + 7) // 8
    return ((number << (width * 8 - length)).to_bytes(width, "big"), length)


def _gen_list(
    ctx: _Context, node: Node, path: tuple[str | int, ...], depth: int, list_depth: int, minimal: bool
) -> list[Any]:
    assert node.element is not None
    size = node.size
    low = size.lower if size else 0
    high = size.upper if size else low + LIST_CAPS[0]
    cap = LIST_CAPS[list_depth] if list_depth < len(LIST_CAPS) else 0
    capped = min(high, max(low, cap))
    element_minimal = minimal
    if minimal or depth > MAX_DEPTH:
        count = low
    elif ctx.mode == "boundary":
        full = ctx.draw(st.booleans())
        if full and not ctx.full_list_used and high <= BOUNDARY_FULL_LIST_MAX:
            ctx.full_list_used = True
            count, element_minimal = high, True
        else:
            count = capped if full else low
    else:
        count = ctx.draw(st.integers(low, capped)) if capped > low else low
    return [
        _gen(ctx, node.element, (*path, index), depth + 1, list_depth + 1, element_minimal) for index in range(count)
    ]


def _gen_sequence(
    ctx: _Context, node: Node, path: tuple[str | int, ...], depth: int, list_depth: int, minimal: bool
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    groups: dict[int, bool] = {}
    binding = node.open_binding
    for member in node.members:
        if binding is not None and member.name in (binding.key_field, binding.value_field):
            continue
        if member.group is not None:
            if member.group not in groups:
                groups[member.group] = _present(ctx, depth)
            if not groups[member.group] or (member.optional and not _present(ctx, depth)):
                continue
        elif (member.optional or member.has_default or member.extension) and not _present(ctx, depth):
            continue
        result[member.name] = _gen(ctx, member.node, (*path, member.name), depth + 1, list_depth, minimal)
    if binding is not None:
        known = [key for key, name in sorted(binding.types.items()) if ctx.edition.has_type(name)]
        key = ctx.draw(st.sampled_from(known))
        inner_name = binding.types[key]
        ctx.in_open += 1  # the codec names a failure inside as <path>.value.<inner path>, as does this path
        inner_path = (*path, binding.value_field)
        inner = _gen(ctx, ctx.schema.node_for(inner_name), inner_path, depth + 1, list_depth, minimal)
        ctx.in_open -= 1
        result[binding.key_field] = key
        result[binding.value_field] = OpenValue(inner_name, inner)
    return result


def _present(ctx: _Context, depth: int) -> bool:
    if depth > MAX_DEPTH or ctx.presence == "none":
        return False
    if ctx.presence == "all":
        return True
    return bool(ctx.draw(st.booleans()))


# --------------------------------------------------------------------------------------------- invalid mode
def _site_kind(node: Node) -> str:
    if node.kind == "INTEGER" and node.invalid_integers() is not None:
        return "range"
    if node.kind == "ENUMERATED" and node.invalid_enum_indices():
        return "enumerated"
    if (
        node.kind in ("SEQUENCE OF", "SET OF", "OCTET STRING", "BIT STRING", *STRING_TYPES)
        and node.size is not None
        and node.size.invalid_lengths()
    ):
        return "size"
    return ""


def _constraint_text(node: Node, kind: str) -> str:
    label = "" if node.label == node.kind else f"{node.label} "
    if kind == "range":
        return f"{label}{node.range_text()}"
    if kind == "size":
        assert node.size is not None
        return f"{label}{node.kind} {node.size.text()}"
    return f"{label}ENUMERATED root items 0..{len(node.items) - 1} ({node.enum_bits()}-bit index)"


def _invalid(draw: Draw, codec: StrictCodec, node: Node, type_name: str, alternative: str | None) -> Vector:
    ctx = _Context(draw, "valid", "random", codec.edition, schema_for_codec(codec), alternative, collect=True)
    value = _gen(ctx, node, (), 0, 0, False)
    if not ctx.sites:
        # every violable field happened to be absent: add nothing, draw again (rare: optional-only sites)
        from hypothesis import reject

        reject()
    site = ctx.sites[draw(st.integers(0, len(ctx.sites) - 1))]
    ctx.collect = False
    constraint = _constraint_text(site.node, site.kind)
    enum_index: int | None = None
    if site.kind == "range":
        bounds = site.node.invalid_integers()
        assert bounds is not None
        offending: Any = draw(st.sampled_from(sorted(set(bounds))) | st.integers(*bounds))
        value = _replace(value, site.path, offending)
    elif site.kind == "size":
        assert site.node.size is not None
        lengths = site.node.size.invalid_lengths()
        length = draw(st.sampled_from(lengths[:1] + lengths[-1:]) | st.sampled_from(lengths))
        current = _get(value, site.path)
        new = _resize(ctx, site.node, site.path, current, length)
        value = _replace(value, site.path, new)
        offending = length
    else:
        indices = site.node.invalid_enum_indices()
        enum_index = draw(st.sampled_from(indices))
        offending = enum_index
    data = _encode_unchecked(codec, type_name, value)
    if enum_index is not None:
        data = _patch_enum(codec.edition, type_name, data, site.path, site.node, enum_index)
    violation = Violation(site.kind, path_text(site.path), constraint, offending)
    return Vector(
        codec.edition.id, type_name, VectorClass.INVALID, data, value, violation, "strategies.for_type:invalid"
    )


def _resize(ctx: _Context, node: Node, path: tuple[str | int, ...], current: Any, length: int) -> Any:
    draw = ctx.draw
    if node.kind in ("SEQUENCE OF", "SET OF"):
        assert node.element is not None
        items = list(current)
        while len(items) < length:
            items.append(_gen(ctx, node.element, (*path, len(items)), MAX_DEPTH, 9, True))
        return items
    if node.kind == "OCTET STRING":
        return draw(st.binary(min_size=length, max_size=length))
    if node.kind == "BIT STRING":
        return _bits(draw, length, "valid")
    return draw(st.text(alphabet=node.alphabet or VISIBLE_ALPHABET, min_size=length, max_size=length))


def _get(value: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if isinstance(value, OpenValue):
            value = value.value
        value = value[1] if isinstance(value, tuple) else value[step]
    return value


def _replace(value: Any, path: tuple[str | int, ...], new: Any) -> Any:
    if not path:
        return new
    if isinstance(value, OpenValue):
        return OpenValue(value.type_name, _replace(value.value, path, new))
    step, rest = path[0], path[1:]
    if isinstance(value, tuple):  # CHOICE (alternative, value)
        return (value[0], _replace(value[1], rest, new))
    if isinstance(value, list):
        assert isinstance(step, int)
        copied = list(value)
        copied[step] = _replace(value[step], rest, new)
        return copied
    copied_dict = dict(value)
    copied_dict[step] = _replace(value[step], rest, new)
    return copied_dict


def encode_open_values(codec: StrictCodec, value: Any) -> Any:
    """Replace every :class:`OpenValue` in ``value`` by its bytes, encoded with constraint checks off."""
    if isinstance(value, OpenValue):
        inner = encode_open_values(codec, value.value)
        return bytes(codec.edition.spec.encode(value.type_name, inner, check_constraints=False))
    if isinstance(value, dict):
        return {key: encode_open_values(codec, item) for key, item in value.items()}
    if isinstance(value, list):
        return [encode_open_values(codec, item) for item in value]
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return (value[0], encode_open_values(codec, value[1]))
    return value


def _encode_unchecked(codec: StrictCodec, type_name: str, value: Any) -> bytes:
    """Encode with asn1tools' constraint checks off (the violation must reach the bytes)."""
    return bytes(codec.edition.spec.encode(type_name, encode_open_values(codec, value), check_constraints=False))


def _patch_enum(
    edition: Edition, type_name: str, data: bytes, path: tuple[str | int, ...], node: Node, index: int
) -> bytes:
    """Overwrite the index bits of the ENUMERATED at ``path`` in a valid encoding with ``index``."""
    from ..codec import bittrace

    spans = [span for span in bittrace.trace(edition, type_name, data).spans if span.path == path]
    if not spans:
        raise AssertionError(f"bit position of {path_text(path)} not found in the encoding")
    span = spans[0]
    width = node.enum_bits()
    if span.end_bit - span.start_bit != width:
        raise AssertionError(f"{path_text(path)} spans {span.end_bit - span.start_bit} bits, expected {width}")
    number = int.from_bytes(data, "big")
    total = len(data) * 8
    shift = total - span.end_bit
    mask = ((1 << width) - 1) << shift
    number = (number & ~mask) | (index << shift)
    return number.to_bytes(len(data), "big")
