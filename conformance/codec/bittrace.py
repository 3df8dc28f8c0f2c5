"""Bit positions of every field of a UPER encoding — used only to explain a decode failure.

asn1tools reports *which* field failed but, for constraint violations, not *where* in the bytes. This module
decodes the same bytes again with a separately compiled copy of the edition whose type objects are instrumented
to record, for every field, its path (with SEQUENCE OF indices), first bit, last bit and decoded value. It is
slow and is never on the normal decode path: the strict codec calls it only after a failure.

It relies on asn1tools' compiled-type attributes (``root_members``, ``additions``, ``element_type``,
``root_index_to_member``, ``additions_index_to_member``, ``_inner``) — internal API, pinned by the version range in
pyproject.toml and covered by tests that assert exact offsets.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

import asn1tools
from asn1tools.codecs import uper

from ..errors import format_path
from ..standards.editions import Edition


@dataclass(frozen=True)
class FieldSpan:
    """One decoded field: its path from the top type, first bit, bit after its end, and decoded value."""

    path: tuple[str | int, ...]
    start_bit: int
    end_bit: int
    value: Any

    @property
    def dotted(self) -> str:
        """The path without SEQUENCE OF indices, as asn1tools names error locations (``a.b.c``)."""
        return ".".join(str(part) for part in self.path if isinstance(part, str))

    @property
    def display(self) -> str:
        """The path with indices, e.g. ``spatFrame.intersections[0].phases[3].id``."""
        return format_path(self.path)


@dataclass
class TraceResult:
    """Spans of every field decoded before the trace ended, and where and why it ended if it failed."""

    spans: list[FieldSpan]
    failure_path: tuple[str | int, ...] | None = None
    failure_bit: int | None = None
    failure_start_bit: int | None = None


class _Frame:
    __slots__ = ("is_array", "next_index", "path", "start")

    def __init__(self, path: tuple[str | int, ...], start: int, is_array: bool) -> None:
        self.path = path
        self.start = start
        self.is_array = is_array
        self.next_index = 0


class _Tracer:
    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.spans: list[FieldSpan] = []
        self.decoder: Any = None


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


def _instrument(root: Any, tracer: _Tracer) -> None:
    seen: set[int] = set()
    pending = [root]
    while pending:
        obj = pending.pop()
        if id(obj) in seen or not hasattr(obj, "decode"):
            continue
        seen.add(id(obj))
        pending.extend(children_of(obj))
        original = obj.decode
        is_array = hasattr(obj, "element_type")
        is_recursive = hasattr(obj, "_inner")

        def traced(
            decoder: Any, _obj: Any = obj, _orig: Any = original, _arr: bool = is_array, _rec: bool = is_recursive
        ) -> Any:
            if _rec:  # a recursion placeholder: its inner type records the span
                return _orig(decoder)
            parent = tracer.stack[-1] if tracer.stack else None
            if parent is None:
                path: tuple[str | int, ...] = ()
            elif parent.is_array:
                path = (*parent.path, parent.next_index)
                parent.next_index += 1
            else:
                path = (*parent.path, _obj.name) if _obj.name else parent.path
            start = decoder.number_of_read_bits()
            tracer.stack.append(_Frame(path, start, _arr))
            value = _orig(decoder)
            tracer.stack.pop()
            tracer.spans.append(FieldSpan(path, start, decoder.number_of_read_bits(), value))
            return value

        obj.decode = traced


_TRACED_SPECS: dict[tuple[str, str], Any] = {}


def _traced_spec(edition: Edition) -> Any:
    key = (edition.id, edition.sha256)
    if key not in _TRACED_SPECS:
        _TRACED_SPECS[key] = asn1tools.compile_dict(copy.deepcopy(edition.parsed), "uper")
    return _TRACED_SPECS[key]


def trace(edition: Edition, type_name: str, data: bytes) -> TraceResult:
    """Decode ``data`` as ``type_name`` recording every field's bit span; never raises on malformed data."""
    spec = _traced_spec(edition)
    compiled = spec.types[type_name]
    tracer = _Tracer()
    # Instrument a fresh copy each time so that spans of one trace never leak into another.
    root = copy.deepcopy(compiled._type)
    _instrument(root, tracer)
    decoder = uper.Decoder(bytearray(data))
    try:
        root.decode(decoder)
    except Exception:  # noqa: BLE001 - the point is to learn where decoding stopped
        frame = tracer.stack[-1] if tracer.stack else None
        return TraceResult(
            spans=tracer.spans,
            failure_path=frame.path if frame else (),
            failure_bit=decoder.number_of_read_bits(),
            failure_start_bit=frame.start if frame else 0,
        )
    return TraceResult(spans=tracer.spans)


def find_span(result: TraceResult, dotted_path: str, offending: str | None = None) -> FieldSpan | None:
    """Return the first span at ``dotted_path`` (indices ignored), preferring one whose value matches ``offending``.

    ``offending`` is the text asn1tools puts after "but got" in a constraint message: a value, or a count of
    elements, bits or characters.
    """
    candidates = [span for span in result.spans if span.dotted == dotted_path]
    if offending is not None:
        for span in candidates:
            value = span.value
            texts = {str(value)}
            if isinstance(value, (list, str, bytes, bytearray)):
                texts.add(str(len(value)))
            if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int):
                texts.add(str(value[1]))
            if offending in texts:
                return span
    return candidates[0] if candidates else None
