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
import os
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import CodecError, format_path
from ...standards.editions import Edition, load_edition
from ..jsonvalue import OpenValue
from .program import Program, Unsupported, compile_program

try:  # the extension is optional: a source install without a compiler has only the Python path
    from . import _uper  # type: ignore[attr-defined]

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
E_CONSTRAINT = 20
E_ALPHA_CONSTRAINT = 21
E_OPEN_KEY = 30
E_EMPTY = 40
E_TRAILING = 41
E_PADDING = 42

STRUCTURAL = frozenset(range(1, 20))


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


@dataclass(frozen=True)
class Verdict:
    """The outcome of validating one frame: ``ok``, or the fault's code, bit offset and field path."""

    code: int
    bit_offset: int | None
    path: tuple[str | int, ...]
    detail: tuple[int, int]
    bits: int
    inner_type: str | None

    @property
    def ok(self) -> bool:
        """True when the frame is a valid, complete, canonical encoding."""
        return self.code == E_OK

    @property
    def field_path(self) -> str:
        """The field path as the Python path names it (``a.b[2].c``)."""
        return format_path(self.path)


def _verdict(raw: tuple[Any, ...]) -> Verdict:
    code, bit, path, d1, d2, bits, inner, _value = raw
    return Verdict(code, None if code == E_OK else bit, path, (d1, d2), bits, inner)


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
        return [_verdict(raw) for raw in native.validate_many(root, frames)]

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
        return _verdict(raw), raw[7]

    def encode_raw(self, value: Any, type_name: str | None = None) -> bytes | tuple[int, tuple[str | int, ...], int]:
        """Encode a value: the bytes, or (code, path, detail) when the value does not fit the type."""
        native, root = self._require(type_name)
        result: bytes | tuple[int, tuple[str | int, ...], int] = native.encode(root, value)
        return result


@functools.cache
def codec_for(edition_id: str) -> NativeCodec:
    """The cached native codec of an edition (raises RuntimeError when the engine is not built)."""
    return NativeCodec(load_edition(edition_id))


def error_for(verdict: Verdict, *, edition: str, type_name: str, data: bytes) -> CodecError:
    """The :class:`CodecError` the strict codec raises for this verdict (same path and bit offset)."""
    from .. import strict  # the hints and wording live with the Python path

    d1, d2 = verdict.detail
    code = verdict.code
    where = verdict.field_path
    prefix = ""
    if verdict.inner_type:
        prefix = f"open type value does not decode as {verdict.inner_type}: "
    if code == E_TRUNCATED:
        message, hint = f"Truncated input: the {len(data)}-byte input ends before the {type_name} is complete.", (
            strict.HINT_TRUNCATED
        )
    elif code == E_UNKNOWN_ALT:
        message = f"Unknown extension: extension alternative number {d1} is not defined in this edition."
        hint = strict.HINT_UNKNOWN_EXTENSION
    elif code in (E_OPEN_PADDING, E_PADDING):
        message = f"Non-zero padding: bit {verdict.bit_offset} is 1 where X.691 §11.1 wants a zero padding bit."
        hint = strict.HINT_PADDING
    elif code == E_OPEN_LENGTH:
        message = f"Invalid encoding: the open-type length is {d1} bytes but its value takes {d2}."
        hint = strict.HINT_STRUCTURE
    elif code in (E_CONSTRAINT, E_ALPHA_CONSTRAINT):
        what = f"character 0x{d1:02x}" if code == E_ALPHA_CONSTRAINT else str(d1)
        message, hint = f"Constraint violated: {where or type_name} is {what}.", strict.HINT_CONSTRAINT
    elif code == E_OPEN_KEY:
        message = f"Unknown open-type key {d1}: no message type is assigned to it in edition {edition}."
        hint = "See the edition's open-type table (`v2xc editions`)."
    elif code == E_EMPTY:
        message, hint = "Empty input: there are no bytes to decode.", "Give the frame's bytes."
    elif code == E_TRAILING:
        message = f"{d1} trailing byte(s) after the end of the message (it ends at bit {d2})."
        hint = "Remove the trailing bytes; if several frames were joined, give one frame per line."
    else:
        names = {
            E_CHOICE_INDEX: f"CHOICE index {d1} beyond its {d2} alternatives",
            E_ENUM_INDEX: f"enumeration index {d1} beyond its {d2} values",
            E_ALPHABET: f"character index {d1} beyond the {d2}-character alphabet",
            E_UTF8: "bytes that are not UTF-8",
            E_LENGTH_DET: f"length determinant octet 0x{d1:02x} that X.691 does not define",
            E_INT_LENGTH: "an INTEGER of zero octets",
            E_DEPTH: f"nesting deeper than {d1} levels",
            E_LIMIT: "more zero-width elements than the frame can mean",
        }
        message, hint = f"Invalid encoding: {names.get(code, f'fault {code}')}.", strict.HINT_STRUCTURE
    return CodecError(
        prefix + message,
        operation="decode",
        edition=edition,
        type_name=type_name,
        field_path=where,
        bit_offset=verdict.bit_offset,
        hint=hint,
    )


__all__ = ["NativeCodec", "Verdict", "available", "codec_for", "error_for", "status"]
