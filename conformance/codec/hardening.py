"""Make asn1tools' compiled UPER types decode extensions as strictly as X.691 says (used by strict and bittrace).

asn1tools decodes extension content leniently, which a conformance decoder bound to one edition cannot do:

* a CHOICE extension alternative it has no definition for becomes ``(None, None)``, and an ENUMERATED extension
  value it has no definition for becomes ``None`` (X.691 lets a receiver skip them; a decoder that judges a frame
  against the edition it claims refuses them, with the hint to try a later edition — asn1c 0.9.28 refuses both too);
* an extension addition of a SEQUENCE or an extension alternative of a CHOICE is decoded from the rest of the
  frame, not from the octets its open-type length gives (X.691 §11.2): a value that overruns its length reads
  the next field's bits, and one that is shorter leaves whole unused octets that are then read as the next length;
* the padding inside such an open type is not checked, although the open type holds a complete encoding padded
  with zero bits (X.691 §11.1).

:func:`harden` replaces ``decode_additions`` of every extensible CHOICE and SEQUENCE, and ``decode`` of every
extensible ENUMERATED, of a compiled specification once: each extension is decoded confined to its declared
octets, a whole unused octet or a non-zero padding bit is an error at a stated bit, a length running past the
frame is a truncation, and an unknown extension value or alternative is an error at its index. Both the strict codec's
specification and bittrace's instrumented copy are hardened, so the bit offsets and field paths of the two agree
(and agree with the native engine, which follows the same rules).

:func:`harden_spec` also gives every semi-constrained INTEGER (``INTEGER (lb..MAX)``) the X.691 encoding: asn1tools
encodes and decodes it as an unconstrained INTEGER (two's complement of the value itself, asn1tools issue #140),
where X.691 encodes ``value - lb`` as a non-negative binary integer in the fewest octets, after a length
determinant (X.691 (08/2015) §13.2.3 and §11.7, semi-constrained whole number; clause numbers verified: false).
asn1tools' UPER objects drop the lower bound; it is read from the constraint checker compiled from the same ASN.1.
An extensible ``INTEGER (lb..MAX, ...)`` keeps asn1tools' form on both paths: neither its UPER object nor its checker
keeps the bound, so it cannot be told from ``INTEGER (MIN..MAX, ...)`` here (none is in the bundled ASN.1).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import asn1tools
from asn1tools.codecs import constraints_checker, per, uper

from ..errors import format_number


def children_of(obj: Any) -> list[Any]:
    """Return the compiled asn1tools types directly nested in ``obj`` (members, elements, alternatives)."""
    found: list[Any] = []
    for attr in ("root_members", "additions"):
        members = getattr(obj, attr, None)
        if members:
            for member in members:
                if isinstance(member, list):
                    found.extend(member)
                elif member is not None:
                    found.append(member)
    element = getattr(obj, "element_type", None)
    if element is not None:
        found.append(element)
    for attr in ("root_index_to_member", "additions_index_to_member"):
        mapping = getattr(obj, attr, None)
        if isinstance(mapping, dict):
            found.extend(mapping.values())
        elif isinstance(mapping, list):
            found.extend(mapping)
    inner = getattr(obj, "_inner", None)
    if inner is not None:
        found.append(inner)
    return found


def harden_spec(spec: Any) -> None:
    """Harden every type of a compiled asn1tools UPER specification (see the module docstring), once."""
    harden(compiled._type for compiled in spec.types.values())
    pairs = ((compiled._type, compiled.constraints_checker) for compiled in spec.types.values())
    for integer, lower in semi_constrained_integers(pairs):
        if not getattr(integer, "_v2xc_semi", False):
            integer.decode = functools.partial(_semi_constrained_decode, integer, lower)
            integer.encode = functools.partial(_semi_constrained_encode, integer, lower)
            integer._v2xc_semi = True


def semi_constrained_lower_bound(integer: Any, checker: Any) -> int | None:
    """The lower bound of a non-extensible semi-constrained INTEGER (``lb..MAX``), None for any other type.

    ``integer`` is asn1tools' UPER object (which keeps no bound for it), ``checker`` the constraint checker of the
    same type."""
    if not isinstance(integer, uper.Integer) or integer.number_of_bits is not None or integer.has_extension_marker:
        return None
    checker = unwrap_checker(checker)
    minimum, maximum = getattr(checker, "minimum", None), getattr(checker, "maximum", None)
    if isinstance(minimum, int) and not isinstance(minimum, bool) and maximum == "MAX":
        return minimum
    return None


def unwrap_checker(checker: Any) -> Any:
    """The checker of a type itself (past the compiled wrapper and recursion placeholders)."""
    if isinstance(checker, constraints_checker.CompiledType):
        checker = checker.type
    while isinstance(checker, constraints_checker.Recursive):
        checker = checker.inner
    return checker


def checker_members(checker: Any) -> dict[str, Any]:
    """The constraint checkers of a SEQUENCE's or CHOICE's members, by member name ({} for other types)."""
    return {member.name: member for member in getattr(checker, "members", None) or []}


def semi_constrained_integers(roots: Iterable[tuple[Any, Any]]) -> list[tuple[Any, int]]:
    """(UPER object, lower bound) of every semi-constrained INTEGER reachable from the (UPER object, constraint
    checker) ``roots``, walking the two side by side (members by name, list elements); a type reached again with
    the same checker (shared by several roots) is walked once."""
    found: list[tuple[Any, int]] = []
    seen: set[tuple[int, int]] = set()
    pending = list(roots)
    while pending:
        obj, check = pending.pop()
        while isinstance(obj, per.Recursive):
            obj = obj._inner
        check = unwrap_checker(check)
        if (id(obj), id(check)) in seen:  # the pair: the same type reached with its checker is walked once
            continue
        seen.add((id(obj), id(check)))
        lower = semi_constrained_lower_bound(obj, check)
        if lower is not None:
            found.append((obj, lower))
            continue
        members = checker_members(check)
        element = getattr(obj, "element_type", None)
        if element is not None:
            pending.append((element, getattr(check, "element_type", None)))
            continue
        for child in children_of(obj):
            if not isinstance(child, per.AdditionGroup):
                pending.append((child, members.get(child.name)))
    return found


def _semi_constrained_decode(integer: Any, lower: int, decoder: Any) -> int:
    """X.691 §13.2.3 / §11.7: a length determinant, then ``value - lb`` in that many octets."""
    at = decoder.number_of_read_bits()
    length = decoder.read_length_determinant()
    if length == 0:
        raise asn1tools.codecs.DecodeError(ZERO_LENGTH_INTEGER, offset=at)
    return lower + decoder.read_non_negative_binary_integer(8 * length)


def _semi_constrained_encode(integer: Any, lower: int, data: int, encoder: Any) -> None:
    offset = data - lower
    if offset < 0:
        raise asn1tools.codecs.EncodeError(f"Expected an integer of at least {lower}, but got {data}.")
    octets = max(1, (offset.bit_length() + 7) // 8)
    encoder.append_length_determinant(octets)
    encoder.append_non_negative_binary_integer(offset, 8 * octets)


#: an INTEGER whose length determinant says 0 octets (X.691 encodes every whole number in at least one octet)
ZERO_LENGTH_INTEGER = "the length of an INTEGER is 0 octets (X.691 needs at least one)"


def harden(roots: Iterable[Any]) -> None:
    """Replace ``decode_additions`` of every extensible CHOICE and SEQUENCE, and ``decode`` of every extensible
    ENUMERATED, reachable from ``roots`` (once)."""
    seen: set[int] = set()
    pending = list(roots)
    while pending:
        obj = pending.pop()
        if id(obj) in seen:
            continue
        seen.add(id(obj))
        pending.extend(children_of(obj))
        if getattr(obj, "_v2xc_hardened", False):
            continue
        if isinstance(obj, per.Choice) and obj.additions_index_to_member is not None:
            obj.decode_additions = functools.partial(_strict_choice_additions, obj)
            obj._v2xc_hardened = True
        elif (
            isinstance(obj, per.Sequence)
            and obj.additions
            and not any(isinstance(addition, per.AdditionGroup) for addition in obj.additions)
        ):
            obj.decode_additions = functools.partial(_strict_sequence_additions, obj)
            obj._v2xc_hardened = True
        elif isinstance(obj, per.Enumerated) and obj.additions_index_to_data is not None:
            obj.decode = functools.partial(_strict_enumerated, obj)
            obj._v2xc_hardened = True


def _decode_open_field(decoder: Any, addition: Any, length_bits: int, error_offset: int) -> Any:
    """Decode ``addition`` from the next ``length_bits`` bits only, then check its length and padding."""
    at = decoder.number_of_read_bits()
    available = decoder.number_of_bits
    limit = min(length_bits, available)
    saved_total = decoder.total_number_of_bits
    decoder.total_number_of_bits = at + limit
    decoder.number_of_bits = limit
    try:
        value = addition.decode(decoder)
    except asn1tools.codecs.ErrorWithLocation as exc:
        exc.add_location(addition)
        raise
    finally:
        consumed = limit - decoder.number_of_bits
        decoder.total_number_of_bits = saved_total
        decoder.number_of_bits = available - consumed
    unused = length_bits - consumed
    if unused >= 8:
        raise asn1tools.codecs.DecodeError(
            f"the open-type length of {addition.name} is {length_bits // 8} bytes but its value takes "
            f"{(consumed + 7) // 8}",
            offset=error_offset,
        )
    # The open type holds a complete encoding, so its padding bits are zero (X.691 §11.1, §11.2).
    padding_at = decoder.number_of_read_bits()
    padding = decoder.value[padding_at : padding_at + min(unused, decoder.number_of_bits)]
    if "1" in padding:
        raise asn1tools.codecs.DecodeError(
            f"padding bit {padding_at + padding.index('1')} after {addition.name} is 1 "
            "(its open-type encoding must be padded with zero bits)",
            offset=padding_at + padding.index("1"),
        )
    decoder.skip_bits(unused)  # past the end of the data: a truncation at the end of the value
    return value


def _strict_choice_additions(choice: Any, decoder: Any) -> tuple[str, Any]:
    """Decode a CHOICE extension alternative (X.691 23.8) strictly: known index, exact open-type length."""
    at = decoder.number_of_read_bits()
    index = decoder.read_normally_small_non_negative_whole_number()
    addition = choice.additions_index_to_member.get(index)
    if addition is None:
        known = ", ".join(member.name for member in choice.additions_index_to_member.values()) or "none"
        raise asn1tools.codecs.DecodeError(
            f"extension alternative number {format_number(index)} of {choice.name} is not defined in this edition "
            f"(extension alternatives known here: {known})",
            offset=at,
        )
    length_bits = 8 * decoder.read_length_determinant()
    return (addition.name, _decode_open_field(decoder, addition, length_bits, at))


def _strict_sequence_additions(sequence: Any, decoder: Any) -> dict[str, Any]:
    """Decode the extension additions of a SEQUENCE (X.691 19.7-19.9) each from exactly its open-type octets."""
    length = decoder.read_normally_small_length()
    presence_bits = decoder.read_non_negative_binary_integer(length)
    decoded: dict[str, Any] = {}
    for i in range(length):
        if not presence_bits & (1 << (length - i - 1)):
            continue
        length_bits = 8 * decoder.read_length_determinant()
        content = decoder.number_of_read_bits()
        if i < len(sequence.additions):
            addition = sequence.additions[i]
            decoded[addition.name] = _decode_open_field(decoder, addition, length_bits, content)
        else:  # an addition of a later edition: skipped, as X.691 lets a receiver do
            decoder.skip_bits(length_bits)
    return decoded


def _strict_enumerated(enumerated: Any, decoder: Any) -> Any:
    """Decode an extensible ENUMERATED (X.691 14.2-14.3): a value outside the root must be one this edition adds."""
    if not decoder.read_bit():
        return enumerated.decode_root(decoder)
    at = decoder.number_of_read_bits()
    index = decoder.read_normally_small_non_negative_whole_number()
    value = enumerated.additions_index_to_data.get(index)
    if value is None:
        known = ", ".join(str(name) for name in enumerated.additions_index_to_data.values()) or "none"
        raise asn1tools.codecs.DecodeError(
            f"extension value number {format_number(index)} of {enumerated.name} is not defined in this edition "
            f"(extension values known here: {known})",
            offset=at,
        )
    return value
