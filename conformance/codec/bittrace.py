"""Bit positions of every field of a UPER encoding — used only to explain a decode failure.

asn1tools reports *which* field failed but, for constraint violations, not *where* in the bytes. This module
decodes the same bytes again with a separately compiled copy of the edition whose type objects are instrumented
to record, for every field, its path (with SEQUENCE OF indices), first bit, last bit and decoded value. It is
slower than a plain decode and is never on the normal decode path: the strict codec calls it only after a
failure. The instrumented copy is made once per edition and type (a tracer reset per call, under a lock), so a
rejection costs one more decode, not a copy of the type tree.

It relies on asn1tools' compiled-type attributes (``root_members``, ``additions``, ``element_type``,
``root_index_to_member``, ``additions_index_to_member``, ``_inner``) — internal API, pinned by the version range in
pyproject.toml and covered by tests that assert exact offsets.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass
from typing import Any

import asn1tools
from asn1tools.codecs import uper

from ..errors import format_path
from ..standards.editions import Edition
from .hardening import children_of, harden


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
    """A field being decoded; its path is built from the parent chain only when asked for (on failure)."""

    __slots__ = ("is_array", "key", "next_index", "parent", "start")

    def __init__(self, parent: _Frame | None, key: str | int | None, start: int, is_array: bool) -> None:
        self.parent = parent
        self.key = key
        self.start = start
        self.is_array = is_array
        self.next_index = 0

    @property
    def path(self) -> tuple[str | int, ...]:
        keys: list[str | int] = []
        frame: _Frame | None = self
        while frame is not None:
            if frame.key is not None:
                keys.append(frame.key)
            frame = frame.parent
        return tuple(reversed(keys))


class _Tracer:
    def __init__(self) -> None:
        self.stack: list[_Frame] = []
        self.spans: list[FieldSpan] = []
        self.record = True  # False: only where decoding stopped is wanted (no spans)
        self.decoder: Any = None


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
            stack = tracer.stack
            parent = stack[-1] if stack else None
            key: str | int | None = None
            if parent is not None:
                if parent.is_array:
                    key = parent.next_index
                    parent.next_index += 1
                elif _obj.name:
                    key = _obj.name
            frame = _Frame(parent, key, decoder.number_of_read_bits(), _arr)
            stack.append(frame)
            value = _orig(decoder)
            stack.pop()
            if tracer.record:
                tracer.spans.append(FieldSpan(frame.path, frame.start, decoder.number_of_read_bits(), value))
            return value

        obj.decode = traced


_TRACED_SPECS: dict[tuple[str, str], Any] = {}


def _traced_spec(edition: Edition) -> Any:
    key = (edition.id, edition.sha256)
    if key not in _TRACED_SPECS:
        spec = asn1tools.compile_dict(copy.deepcopy(edition.parsed), "uper")
        harden(compiled._type for compiled in spec.types.values())  # the same extension rules as the codec
        _TRACED_SPECS[key] = spec
    return _TRACED_SPECS[key]


_INSTRUMENTED: dict[tuple[str, str, str], tuple[Any, _Tracer, threading.Lock]] = {}


def _instrumented(edition: Edition, type_name: str) -> tuple[Any, _Tracer, threading.Lock]:
    """The instrumented copy of ``type_name`` with its tracer, made once per edition and type."""
    key = (edition.id, edition.sha256, type_name)
    found = _INSTRUMENTED.get(key)
    if found is None:
        tracer = _Tracer()
        root = copy.deepcopy(_traced_spec(edition).types[type_name]._type)
        _instrument(root, tracer)
        found = _INSTRUMENTED.setdefault(key, (root, tracer, threading.Lock()))
    return found


def trace(edition: Edition, type_name: str, data: bytes, *, spans: bool = True) -> TraceResult:
    """Decode ``data`` as ``type_name`` recording every field's bit span; never raises on malformed data.

    ``spans=False`` records only where decoding stopped (path and first bit of the innermost field), which is all a
    structural failure needs, at about the cost of a plain decode.
    """
    root, tracer, lock = _instrumented(edition, type_name)
    with lock:  # one tracer per type: a trace's spans never mix with another's
        tracer.stack.clear()
        tracer.spans = []
        tracer.record = spans
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
