"""The native UPER engine: the strict codec's verdicts at C speed, from the same parsed ASN.1.

``program.py`` compiles an edition (the asn1tools objects the Python path uses, plus their constraint checkers)
into node tables; ``_uper.c`` interprets them. Nothing is generated per edition, so ``--asn1-dir`` and every
overlay work as they do on the Python path. The extension is optional: when it was not built (no compiler at
install time) or ``V2XC_NATIVE=0`` is set, :func:`available` is False and callers keep the Python path.

Verdicts are the Python path's (:mod:`conformance.codec.strict`): the same order of faults (structure, trailing
bytes, constraints, open types, padding), the same field path and bit offset. Where the Python path cannot decode
a legal frame (an extensible BIT STRING or string beyond its root size, fragmented lengths), the native engine
follows X.691; ``tests/test_native_codec.py`` lists each such difference.
"""

from __future__ import annotations

import functools
import importlib
import os
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from ...errors import CodecError, format_number, format_path
from ...standards.editions import Edition, load_edition
from .. import hardening
from ..jsonvalue import OpenValue
from .program import (
    F_BOUNDED,
    F_CHECK_HI,
    F_CHECK_LO,
    F_EXT,
    K_BITS,
    K_INT,
    K_KMSTR,
    K_OCTETS,
    K_SEQOF,
    K_UTF8,
    W_B,
    W_BCOUNT,
    W_CMAX,
    W_CMIN,
    W_FLAGS,
    W_KIND,
    Program,
    Unsupported,
    compile_program,
)

_uper: Any
try:  # the extension is optional: a source install without a compiler has only the Python path
    _uper = importlib.import_module(f"{__name__}._uper")
    _IMPORT_ERROR = ""
except ImportError as exc:  # pragma: no cover - exercised by the no-compiler install test
    _uper = None
    _IMPORT_ERROR = str(exc)

# verdict codes of _uper.c
E_OK = 0
E_TRUNCATED = 1
E_CHOICE_INDEX = 2
E_ENUM_INDEX = 3
E_UNKNOWN_ALT = 4
E_OPEN_LENGTH = 5
E_OPEN_PADDING = 6
E_ALPHABET = 7
E_UTF8 = 8
E_LENGTH_DET = 9
E_INT_LENGTH = 10
E_DEPTH = 11
E_LIMIT = 12
E_UNSUPPORTED = 13  # no longer produced (fragmented open types are decoded); kept so the numbers stay stable
E_UNKNOWN_VALUE = 14
E_CONSTRAINT = 20
E_ALPHA_CONSTRAINT = 21
E_OPEN_KEY = 30
E_EMPTY = 40
E_TRAILING = 41
E_PADDING = 42

INT64_MAX = 2**63 - 1


def available() -> bool:
    """True when the native engine is built and not switched off (``V2XC_NATIVE=0``)."""
    return _uper is not None and os.environ.get("V2XC_NATIVE", "1") != "0"


def status() -> str:
    """One line for people: whether the native engine is in use, and why not."""
    if _uper is None:
        return f"native UPER engine not built ({_IMPORT_ERROR}); using the Python path"
    if not available():
        return "native UPER engine switched off (V2XC_NATIVE=0); using the Python path"
    return "native UPER engine in use"


class Verdict(NamedTuple):
    """The outcome of judging one frame: ``ok``, or the fault's code, bit offset and field path.

    ``detail`` holds the fault's numbers (the value or size, an index, a count) and the node or member concerned;
    ``inner`` names the open type (type name, octets) when the fault lies inside one. A tuple, because a batch
    makes one per frame.
    """

    code: int
    bit: int
    path: tuple[str | int, ...]
    detail: tuple[int, int, int]
    bits: int
    inner: tuple[str, int] | None

    @property
    def ok(self) -> bool:
        """True when the frame is a valid, complete, canonical encoding."""
        return self.code == E_OK

    @property
    def bit_offset(self) -> int | None:
        """Where the fault was found (None for a valid frame)."""
        return None if self.code == E_OK else self.bit

    @property
    def field_path(self) -> str:
        """The field path as the Python path names it (``a.b[2].c``)."""
        return format_path(self.path)


_make = Verdict._make


def _verdict(raw: tuple[Any, ...]) -> Verdict:
    return _make(raw[:6])


class NativeCodec:
    """The strict codec of one edition, on the native engine (see :func:`codec_for`)."""

    def __init__(self, edition: Edition) -> None:
        if _uper is None:
            raise RuntimeError(status())
        self.edition = edition
        self._programs: dict[str, tuple[Any, int] | None] = {}
        self._compiled: dict[str, Program] = {}
        self._masks: dict[tuple[str, tuple[str, ...]], bytes] = {}
        self.unsupported: dict[str, str] = {}

    def program(self, type_name: str | None = None) -> tuple[Any, int] | None:
        """(native program, root node) for ``type_name`` (default: the PDU), or None when the engine lacks it."""
        name = type_name or self.edition.info.pdu
        if name not in self._programs:
            self._programs[name] = self._build(name)
        return self._programs[name]

    def _build(self, name: str) -> tuple[Any, int] | None:
        if not self.edition.has_type(name):
            return None
        try:
            compiled: Program = compile_program(self.edition, [name])
        except Unsupported as exc:  # pragma: no cover - compile_program records instead of raising
            self.unsupported[name] = str(exc)
            return None
        if name not in compiled.roots:
            self.unsupported.update(compiled.unsupported)
            return None
        self._compiled[name] = compiled
        nodes, edges, alphabets, bindings = compiled.packed()
        native = _uper.Program(
            nodes, edges, alphabets, bindings, tuple(compiled.strings), tuple(compiled.defaults), OpenValue, OpenValue
        )
        return native, compiled.roots[name]

    def supports(self, type_name: str | None = None) -> bool:
        """True when the engine can judge ``type_name`` (default: the PDU) of this edition."""
        return self.program(type_name) is not None

    def _require(self, type_name: str | None) -> tuple[Any, int]:
        found = self.program(type_name)
        if found is None:
            name = type_name or self.edition.info.pdu
            reason = self.unsupported.get(name, "no such type")
            raise LookupError(f"the native engine cannot take {name} of {self.edition.id}: {reason}")
        return found

    def validate(self, data: bytes, type_name: str | None = None) -> Verdict:
        """Judge one frame without building its value."""
        native, root = self._require(type_name)
        return _verdict(native.validate(root, data))

    def validate_many(self, frames: Sequence[bytes], type_name: str | None = None) -> list[Verdict]:
        """Judge many frames in one call (the fast path for batches)."""
        native, root = self._require(type_name)
        return [_make(raw[:6]) for raw in native.validate_many(root, frames)]

    def count_valid(self, frames: Sequence[bytes], type_name: str | None = None) -> int:
        """How many of ``frames`` are valid (no per-frame objects: for throughput work)."""
        native, root = self._require(type_name)
        return int(native.count_valid(root, frames))

    def extract(
        self, data: bytes, fields: Sequence[str], type_name: str | None = None
    ) -> tuple[Verdict, dict[str, list[tuple[tuple[str | int, ...], Any]]]]:
        """Judge a frame and return only the selected fields' values, without building the whole value.

        ``fields`` are dotted member names from the type, list levels left out (``spatFrame.intersections.phases
        .phaseStates.light``); each maps to every occurrence as ``(path with list indices, value)``, in frame
        order. The values are meaningful only when the verdict is ok.
        """
        native, root = self._require(type_name)
        name = type_name or self.edition.info.pdu
        key = (name, tuple(fields))
        mask = self._masks.get(key)
        if mask is None:
            mask = self._masks[key] = self._selection(name, fields)
        raw, captures = native.extract(root, data, mask)
        found: dict[str, list[tuple[tuple[str | int, ...], Any]]] = {field: [] for field in fields}
        for path, value in captures:
            dotted = ".".join(part for part in path if isinstance(part, str))
            if dotted in found:
                found[dotted].append((path, value))
        return _verdict(raw), found

    def _selection(self, name: str, fields: Sequence[str]) -> bytes:
        compiled = self._compiled[name]
        mask = bytearray(len(compiled.edges))
        for dotted in fields:
            node = compiled.roots[name]
            edge = -1
            for step in dotted.split("."):
                edge = compiled.find_member(node, step)
                if edge < 0:
                    raise LookupError(f"{name} has no field {dotted!r} (at {step!r})")
                node = compiled.edges[edge][1]
            mask[edge] = 1
        return bytes(mask)

    def decode_raw(
        self, data: bytes, type_name: str | None = None, *, allow_trailing: bool = False, allow_padding: bool = False
    ) -> tuple[Verdict, Any]:
        """Decode one frame: (verdict, value or None)."""
        native, root = self._require(type_name)
        raw = native.decode(root, data, allow_trailing, allow_padding)
        return _verdict(raw), raw[6]

    def error(self, verdict: Verdict, data: bytes, type_name: str | None = None) -> CodecError:
        """The strict codec's :class:`CodecError` for a rejected frame (the Python path's wording)."""
        name = type_name or self.edition.info.pdu
        return error_for(verdict, edition=self.edition, type_name=name, data=data, program=self._compiled.get(name))

    def encode_raw(self, value: Any, type_name: str | None = None) -> bytes | tuple[int, tuple[str | int, ...], int]:
        """Encode a value: the bytes, or (code, path, detail) when the value does not fit the type."""
        native, root = self._require(type_name)
        result: bytes | tuple[int, tuple[str | int, ...], int] = native.encode(root, value)
        return result


@functools.cache
def codec_for(edition_id: str) -> NativeCodec:
    """The cached native codec of an edition (raises RuntimeError when the engine is not built)."""
    return NativeCodec(load_edition(edition_id))


def _format_or(items: list[int]) -> str:
    """asn1tools' wording for a set of indexes: ``0, 1 or 2``."""
    texts = [str(item) for item in items]
    if len(texts) < 2:
        return "".join(texts)
    return f"{', '.join(texts[:-1])} or {texts[-1]}"


def _bound(words: list[int], flag: int, word: int, unbounded: str) -> str:
    return str(words[word]) if words[W_FLAGS] & flag else unbounded


def error_for(
    verdict: Verdict, *, edition: Edition, type_name: str, data: bytes, program: Program | None = None
) -> CodecError:
    """The :class:`CodecError` the strict codec raises for this verdict: the Python path's wording, hint, field
    path and bit offset (``tests/test_native_codec.py`` compares them).

    The verdict is complete here; the sentence and the dotted path are written when first read (see
    :class:`CodecError`), so a rejection costs about what the decode did."""

    def explain() -> tuple[str, str]:
        if verdict.inner is None:
            return _message(verdict, type_name, len(data), program, edition, data)
        inner_name, inner_length = verdict.inner
        binding = next((b for b in edition.info.open_types if b.pdu == type_name), None)
        text, hint = _message(verdict, inner_name, inner_length, program, edition, data)
        if binding is not None and verdict.code != E_OPEN_KEY:
            key = next((k for k, v in sorted(binding.types.items()) if v == inner_name), "?")
            text = (
                f"{binding.container_type}.{binding.value_field} ({binding.key_field} {key} = {inner_name}) "
                f"does not decode as {inner_name}: {text}"
            )
        return text, hint

    return CodecError(
        operation="decode",
        edition=edition.id,
        type_name=type_name,
        bit_offset=verdict.bit_offset,
        explain=explain,
        locate=lambda: (verdict.field_path, verdict.bit_offset),
    )


def _bit_reader(frame: bytes) -> Callable[[int, int], int]:
    """``read(at, width)``: the unsigned number in bits [at, at + width) of ``frame``; bits past its end read as 0
    (the verdict came first: only a fault's numbers are read again)."""
    total = 8 * len(frame)
    whole = int.from_bytes(frame, "big")

    def read(at: int, width: int) -> int:
        width = max(0, min(width, total - at))
        return (whole >> (total - at - width)) & ((1 << width) - 1) if width else 0

    return read


def _length_at(read: Callable[[int, int], int], at: int) -> tuple[int, int]:
    """(length, first bit after it) of the length determinant at ``at`` (X.691 11.9.3.5-8)."""
    first = read(at, 8)
    if first < 0x80:
        return first, at + 8
    if first < 0xC0:
        return ((first & 0x3F) << 8) | read(at + 8, 8), at + 16
    return (first & 0x3F) * 16384, at + 8


def _small_number(frame: bytes, bit: int) -> int:
    """The normally small non-negative whole number at ``bit`` (X.691 11.6), however wide."""
    read = _bit_reader(frame)
    if not read(bit, 1):
        return read(bit + 1, 6)
    length, at = _length_at(read, bit + 1)
    return read(at, 8 * length)


def _whole_number(frame: bytes, bit: int, extensible: bool) -> int:
    """The unconstrained INTEGER of the field at ``bit`` (its extension bit, 0, first when ``extensible``): a
    length determinant, then two's complement in that many octets (X.691 12.2.6), however wide."""
    read = _bit_reader(frame)
    length, at = _length_at(read, bit + (1 if extensible else 0))
    raw = read(at, 8 * length)
    return raw - (1 << (8 * length)) if length and raw >> (8 * length - 1) else raw


def _message(
    verdict: Verdict, name: str, length: int, program: Program | None, edition: Edition, frame: bytes = b""
) -> tuple[str, str]:
    from .. import strict  # the hints live with the Python path (which imports this module)

    d1, d2, d3 = verdict.detail
    code = verdict.code
    words = program.nodes[d3] if program is not None and 0 <= d3 < len(program.nodes) else None
    if code == E_TRUNCATED:
        return f"Truncated input: the {length}-byte input ends before the {name} is complete.", strict.HINT_TRUNCATED
    if code == E_EMPTY:
        hint = "Give the frame as a file of bytes, a hex string, or '-' for stdin."
        return "Empty input: there are no bytes to decode.", hint
    if code == E_TRAILING:
        needed = (d2 + 7) // 8
        return (
            f"{d1} trailing byte(s) after the end of the message: the {name} ends at bit {d2} (byte {needed}) but "
            f"the input has {length} bytes.",
            "Remove the trailing bytes; if several frames were joined, give one frame per line.",
        )
    if code == E_PADDING:
        needed = (d1 + 7) // 8
        return (
            f"Non-zero padding: the {name} ends at bit {d1}, and the {needed * 8 - d1} padding bit(s) up to the octet "
            f"boundary must be zero, but bit {d2} is 1.",
            strict.HINT_PADDING,
        )
    if code in (E_CONSTRAINT, E_ALPHA_CONSTRAINT) and words is not None:
        low, high = _bound(words, F_CHECK_LO, W_CMIN, "MIN"), _bound(words, F_CHECK_HI, W_CMAX, "MAX")
        if code == E_ALPHA_CONSTRAINT:
            text = f"Expected a character permitted by the alphabet constraint, but got 0x{d1:02x}."
        else:
            what = {K_INT: None, K_BITS: "bits", K_OCTETS: "bytes", K_KMSTR: "characters", K_UTF8: "characters"}
            kind = words[W_KIND]
            if kind == K_INT:
                value = d1
                if d1 == INT64_MAX and not words[W_FLAGS] & F_BOUNDED and verdict.bit_offset is not None:
                    value = _whole_number(frame, verdict.bit_offset, bool(words[W_FLAGS] & F_EXT))  # wider than 64 bits
                text = f"Expected an integer between {low} and {high}, but got {format_number(value)}."
            elif kind == K_SEQOF:
                text = f"Expected a list of between {low} and {high} elements, but got {d1}."
            else:
                text = f"Expected between {low} and {high} {what.get(kind) or 'items'}, but got {d1}."
        return f"Constraint violated: {text}", strict.HINT_CONSTRAINT
    if code == E_OPEN_KEY:
        binding = next((b for b in edition.info.open_types), None)
        if binding is not None:
            known = ", ".join(f"{k} {v}" for k, v in sorted(binding.types.items()))
            return (
                f"Unknown {binding.key_field} {d1} in {binding.container_type}: no message type is assigned to it "
                f"in edition {edition.id}.",
                f"Known {binding.key_field} values: {known}.",
            )
        return f"Unknown open-type key {d1}.", "See the edition's open-type table (`v2xc editions`)."
    member = program.strings[d3] if program is not None and 0 <= d3 < len(program.strings) else "?"
    if code in (E_UNKNOWN_ALT, E_UNKNOWN_VALUE):
        if d1 == INT64_MAX and verdict.bit_offset is not None:  # an index wider than 64 bits: read it again
            d1 = _small_number(frame, verdict.bit_offset)
        owner = next((part for part in reversed(verdict.path) if isinstance(part, str)), name)
        known = "none"
        if words is not None and program is not None:
            first, count = words[W_B], words[W_BCOUNT]
            if code == E_UNKNOWN_ALT:  # a CHOICE's additions are edges; an ENUMERATED's are its value names
                names = [program.strings[program.edges[e][0]] for e in range(first, first + count)]
            else:
                names = list(program.strings[first : first + count])
            known = ", ".join(names) or "none"
        number = format_number(d1)
        if code == E_UNKNOWN_VALUE:
            return (
                f"Unknown extension: extension value number {number} of {owner} is not defined in this edition "
                f"(extension values known here: {known}).",
                strict.HINT_UNKNOWN_VALUE,
            )
        return (
            f"Unknown extension: extension alternative number {number} of {owner} is not defined in this edition "
            f"(extension alternatives known here: {known}).",
            strict.HINT_UNKNOWN_EXTENSION,
        )
    if code == E_OPEN_PADDING:
        return (
            f"Non-zero padding: padding bit {verdict.bit_offset} after {member} is 1 (its open-type encoding must "
            "be padded with zero bits).",
            strict.HINT_PADDING,
        )
    structure = {  # worded only for the fault at hand (a rejection should cost little more than a decode)
        E_OPEN_LENGTH: lambda: f"the open-type length of {member} is {d1} bytes but its value takes {d2}",
        E_CHOICE_INDEX: lambda: f"Expected choice index {_format_or(list(range(d2)))}, but got {d1}",
        E_ENUM_INDEX: lambda: f"Expected enumeration index {_format_or(list(range(d2)))}, but got {d1}",
        E_ALPHABET: lambda: f"Expected a value in {list(range(d2))}, but got {d1}",
        E_UTF8: lambda: "the bytes of a UTF8String are not UTF-8",
        E_LENGTH_DET: lambda: f"Bad length determinant fragmentation value 0x{d1:02x}",
        E_INT_LENGTH: lambda: hardening.ZERO_LENGTH_INTEGER,
        E_DEPTH: lambda: f"the value is nested deeper than {d1} levels",
        E_LIMIT: lambda: "more zero-width elements than the frame can hold",
    }.get(code, lambda: f"fault {code}")()
    return f"Invalid encoding: {structure}.", strict.HINT_STRUCTURE


__all__ = ["NativeCodec", "Verdict", "available", "codec_for", "error_for", "status"]
