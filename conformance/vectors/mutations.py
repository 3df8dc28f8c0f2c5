"""Byte-level mutations of valid frames, each labelled with what it breaks.

Every function takes a valid (or boundary) :class:`Vector` and returns invalid vectors whose
:class:`Violation.kind` is ``mutation:<name>``:

=====================  =======================================================================================
truncation             the frame without its last byte (and cut in half): must be rejected as truncated input
trailing-bytes         one and three extra bytes after the message: must be rejected as trailing bytes
bit-flip               one bit inverted; kept only where the strict codec rejects the result, labelled with the
                       field path it then names (a flip inside a value that still decodes is another valid frame,
                       not an invalid one, and is not emitted)
wrong-choice-index     the index of a CHOICE set to an alternative the type does not define (X.691 23): root
                       index beyond the alternatives of a non-extensible CHOICE, or of the root of an extensible
                       one; labelled with the CHOICE's field path
length-overflow        a length determinant of a SEQUENCE OF or string set to its largest encodable value: the
                       decoder must not read past the data or accept the extra elements
other-edition          a frame of edition A offered as edition B where it does not decode or is not canonical
dsmp-length            DSMP length field one more / one less than the payload (YD/T 3707): field ``length``
dsmp-version           DSMP version 1 (only 0 is defined): field ``version``
dsmp-aid               DSMP AID registered for another message than the one carried: field ``aid``
=====================  =======================================================================================

Mutations whose result does not behave as labelled (checked with :func:`conformance.vectors.oracle.verify`) are
dropped by :func:`all_mutations`, so every emitted vector is a true negative.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence

from ..codec import bittrace
from ..codec.identify import MatchStatus, try_edition
from ..codec.strict import codec_for
from ..errors import CodecError
from ..network import dsmp, framing
from ..standards import messages as message_table
from ..standards.editions import edition_ids, load_edition
from .model import Vector, VectorClass, Violation, path_text
from .oracle import verify
from .schema import Node, node_at, schema_for

__all__ = [
    "all_mutations",
    "bit_flips",
    "dsmp_faults",
    "length_overflows",
    "other_edition",
    "trailing_bytes",
    "truncations",
    "wrong_choice_indices",
]


def _mutant(source: Vector, data: bytes, kind: str, path: str, constraint: str, **params: object) -> Vector:
    return Vector(
        edition=source.edition,
        type_name=source.type_name,
        vclass=VectorClass.INVALID,
        data=data,
        value=None,
        violation=Violation(f"mutation:{kind}", path, constraint),
        generator=f"mutations.{kind}",
        params={"source": source.hex, **params},
    )


def truncations(source: Vector) -> list[Vector]:
    """The frame without its last byte, and cut to half its length."""
    data = source.data
    cuts = sorted({len(data) - 1, len(data) // 2} - {0})
    return [
        _mutant(source, data[:cut], "truncation", "", f"{len(data)}-byte frame cut to {cut} bytes", cut=cut)
        for cut in cuts
    ]


def trailing_bytes(source: Vector, rng: random.Random | None = None) -> list[Vector]:
    """The frame followed by one zero byte, and by three random bytes."""
    rng = rng or random.Random(0)
    extras = [b"\x00", bytes(rng.randrange(256) for _ in range(3))]
    return [
        _mutant(source, source.data + extra, "trailing-bytes", "", f"{len(extra)} byte(s) appended", extra=extra.hex())
        for extra in extras
    ]


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def bit_flips(source: Vector, *, count: int = 4, rng: random.Random | None = None) -> list[Vector]:
    """Up to ``count`` single-bit flips the strict codec rejects, labelled with the field path it names."""
    rng = rng or random.Random(0)
    codec = codec_for(source.edition)
    bits = list(range(len(source.data) * 8))
    rng.shuffle(bits)
    found: list[Vector] = []
    for bit in bits[: count * 8]:
        mutated = _flip(source.data, bit)
        try:
            codec.decode(mutated, source.type_name)
        except CodecError as exc:
            found.append(_mutant(source, mutated, "bit-flip", exc.field_path, f"bit {bit} inverted", bit=bit))
            if len(found) >= count:
                break
    return found


def _set_bits(data: bytes, start: int, width: int, number: int) -> bytes:
    total = len(data) * 8
    value = int.from_bytes(data, "big")
    shift = total - start - width
    mask = ((1 << width) - 1) << shift
    return ((value & ~mask) | (number << shift)).to_bytes(len(data), "big")


def _spans_with_nodes(source: Vector) -> Iterator[tuple[bittrace.FieldSpan, Node]]:
    edition = load_edition(source.edition)
    schema = schema_for(source.edition)
    for span in bittrace.trace(edition, source.type_name, source.data).spans:
        node = node_at(schema, source.type_name, span.path)
        if node is not None:
            yield span, node


def wrong_choice_indices(source: Vector, *, limit: int = 3) -> list[Vector]:
    """Set the index of up to ``limit`` CHOICEs to an alternative that is not defined there."""
    found: list[Vector] = []
    for span, node in _spans_with_nodes(source):
        if node.kind != "CHOICE":
            continue
        roots = [member for member in node.members if not member.extension]
        width = (len(roots) - 1).bit_length() if len(roots) > 1 else 0
        if width == 0 or len(roots) == 1 << width:
            continue
        start = span.start_bit + (1 if node.extensible else 0)
        mutated = _set_bits(source.data, start, width, len(roots))
        where = path_text(span.path)
        found.append(
            _mutant(
                source,
                mutated,
                "wrong-choice-index",
                where,
                f"{node.label} CHOICE index {len(roots)} (root alternatives 0..{len(roots) - 1})",
                bit=start,
            )
        )
        if len(found) >= limit:
            break
    return found


def length_overflows(source: Vector, *, limit: int = 3) -> list[Vector]:
    """Set up to ``limit`` constrained length determinants to their largest encodable value."""
    found: list[Vector] = []
    for span, node in _spans_with_nodes(source):
        size = node.size
        if size is None or node.kind not in ("SEQUENCE OF", "SET OF", "OCTET STRING", "IA5String", "UTF8String"):
            continue
        if len(size.roots) != 1 or size.lower == size.upper or size.upper >= 65536:
            continue
        width = (size.upper - size.lower).bit_length()
        start = span.start_bit + (1 if size.extensible else 0)
        mutated = _set_bits(source.data, start, width, (1 << width) - 1)
        if mutated == source.data:
            continue
        found.append(
            _mutant(
                source,
                mutated,
                "length-overflow",
                "",
                f"length determinant of {path_text(span.path)} ({node.label} {size.text()}) set to its maximum "
                f"{size.lower + (1 << width) - 1}",
                bit=start,
            )
        )
        if len(found) >= limit:
            break
    return found


def other_edition(source: Vector, editions: Sequence[str] | None = None) -> list[Vector]:
    """The frame offered as each other edition under which it does not decode or is not canonical."""
    found: list[Vector] = []
    for target in editions or edition_ids():
        if target == source.edition or not load_edition(target).has_type(source.type_name):
            continue
        result = try_edition(source.data, target, source.type_name)
        if result.status is MatchStatus.MATCH:
            continue
        found.append(
            Vector(
                edition=target,
                type_name=source.type_name,
                vclass=VectorClass.INVALID,
                data=source.data,
                violation=Violation("mutation:other-edition", "", f"frame of {source.edition}: {result.status.value}"),
                generator="mutations.other-edition",
                params={"source_edition": source.edition},
            )
        )
    return found


def dsmp_faults(source: Vector) -> list[Vector]:
    """The frame in a DSMP header with a wrong length (+1/-1), a wrong version, and an AID of another message."""
    alternative = source.value[0] if isinstance(source.value, tuple) else None
    if alternative is None:
        try:
            alternative = codec_for(source.edition).decode(source.data, source.type_name).value[0]
        except (CodecError, TypeError, IndexError):
            return []
    aid = framing.default_aid(alternative) if isinstance(alternative, str) else None
    if aid is None:
        return []
    good = dsmp.build(source.data, aid=aid)
    header_length = len(good) - len(source.data)
    length_at = header_length - 2
    found: list[Vector] = []
    for delta in (1, -1):
        bad = bytearray(good)
        bad[length_at : length_at + 2] = (len(source.data) + delta).to_bytes(2, "big")
        vec = _mutant(
            source,
            bytes(bad),
            "dsmp-length",
            "length",
            f"DSMP length {len(source.data) + delta} for a {len(source.data)}-byte payload",
            aid=aid,
        )
        found.append(_framed(vec))
    versioned = bytearray(good)
    versioned[1] |= 1 << 5
    found.append(_framed(_mutant(source, bytes(versioned), "dsmp-version", "version", "DSMP version 1", aid=aid)))
    kind = message_table.by_alternative(alternative)
    message = kind.name if kind is not None else None
    others = [entry.aid for entry in dsmp.aid_table() if entry.message != message]
    if others:
        wrong = dsmp.build(source.data, aid=others[0])
        found.append(
            _framed(_mutant(source, wrong, "dsmp-aid", "aid", f"AID {others[0]} carrying a {message}", aid=others[0]))
        )
    return found


def _framed(vector: Vector) -> Vector:
    return Vector(
        vector.edition,
        vector.type_name,
        vector.vclass,
        vector.data,
        vector.value,
        vector.violation,
        vector.generator,
        "dsmp",
        vector.params,
    )


def all_mutations(source: Vector, *, seed: int = 0, other_editions: bool = True) -> list[Vector]:
    """Every mutation of ``source`` that the oracle confirms behaves as labelled."""
    rng = random.Random(seed)
    candidates = [
        *truncations(source),
        *trailing_bytes(source, rng),
        *bit_flips(source, count=2, rng=rng),
        *wrong_choice_indices(source, limit=2),
        *length_overflows(source, limit=2),
        *dsmp_faults(source),
    ]
    if other_editions:
        candidates.extend(other_edition(source))
    return [vector for vector in candidates if verify(vector).ok]
