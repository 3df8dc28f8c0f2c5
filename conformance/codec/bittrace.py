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
from typing import Any, NamedTuple

import asn1tools
from asn1tools.codecs import uper

from ..errors import format_number, format_path
from ..standards.editions import Edition
from .hardening import children_of, harden_spec


class FieldSpan(NamedTuple):
    """One decoded field: its path from the top type, first bit, bit after its end, and decoded value (a tuple:
    a trace makes one per field)."""

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


# A frame is a list [parent frame, key (member name, list index or None), first bit, is a list, next index]: a
# field being decoded; its path is built from the parent chain only when asked for (on failure). Lists, not
# objects, because a trace makes one per field and a rejection should cost about one more decode.
_PARENT, _KEY, _START, _IS_ARRAY, _NEXT, _PATH = range(6)


def _path_of(frame: list[Any] | None) -> tuple[str | int, ...]:
    keys: list[str | int] = []
    while frame is not None:
        if frame[_KEY] is not None:
            keys.append(frame[_KEY])
        frame = frame[_PARENT]
    return tuple(reversed(keys))


class _Tracer:
    def __init__(self) -> None:
        self.stack: list[list[Any]] = []
        self.spans: list[FieldSpan] = []
        self.record = True  # False: only where decoding stopped is wanted (no spans)
        self.target: str | None = None  # locate(): record only the spans at this dotted path
        self.target_last = ""
        self.offending: str | None = None  # locate(): stop at the first of them whose value is this


class _Found(Exception):
    """Raised inside a targeted trace when the field sought has been decoded (stops the trace early)."""


def _instrument(root: Any, tracer: _Tracer) -> None:
    seen: set[int] = set()
    pending = [root]
    while pending:
        obj = pending.pop()
        if id(obj) in seen or not hasattr(obj, "decode"):
            continue
        seen.add(id(obj))
        pending.extend(children_of(obj))
        if hasattr(obj, "_inner"):  # a recursion placeholder: its inner type records the span
            continue
        original = obj.decode

        def traced(
            decoder: Any,
            _name: Any = obj.name or None,
            _orig: Any = original,
            _arr: bool = hasattr(obj, "element_type"),
            _stack: list[list[Any]] = tracer.stack,
        ) -> Any:
            parent = _stack[-1] if _stack else None
            key = _name
            if parent is not None:
                if parent[_IS_ARRAY]:
                    key = parent[_NEXT]
                    parent[_NEXT] += 1
            else:
                key = None
            start = decoder.total_number_of_bits - decoder.number_of_bits
            if tracer.record:  # the path is kept with the frame, one tuple per field
                path = parent[_PATH] if parent is not None else ()
                if key is not None:
                    path = (*path, key)
                frame = [parent, key, start, _arr, 0, path]
            else:
                frame = [parent, key, start, _arr, 0, None]
            _stack.append(frame)
            value = _orig(decoder)
            _stack.pop()
            if tracer.record:
                end = decoder.total_number_of_bits - decoder.number_of_bits
                tracer.spans.append(FieldSpan(frame[_PATH], start, end, value))
            elif tracer.target is not None and (key == tracer.target_last or isinstance(key, int) or parent is None):
                path = _path_of(frame)  # built only for fields that may be the one sought
                if ".".join(part for part in path if isinstance(part, str)) == tracer.target:
                    end = decoder.total_number_of_bits - decoder.number_of_bits
                    tracer.spans.append(FieldSpan(path, start, end, value))
                    if tracer.offending is not None and _value_matches(value, tracer.offending):
                        raise _Found
            return value

        obj.decode = traced


_TRACED_SPECS: dict[tuple[str, str], Any] = {}


def _traced_spec(edition: Edition) -> Any:
    key = (edition.id, edition.sha256)
    if key not in _TRACED_SPECS:
        spec = asn1tools.compile_dict(copy.deepcopy(edition.parsed), "uper")
        harden_spec(spec)  # the same extension rules as the codec
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
                failure_path=_path_of(frame),
                failure_bit=decoder.number_of_read_bits(),
                failure_start_bit=frame[_START] if frame else 0,
            )
        return TraceResult(spans=tracer.spans)


def find_span(result: TraceResult, dotted_path: str, offending: str | None = None) -> FieldSpan | None:
    """Return the first span at ``dotted_path`` (indices ignored), preferring one whose value matches ``offending``.

    ``offending`` is the text asn1tools puts after "but got" in a constraint message: a value, or a count of
    elements, bits or characters.
    """
    last = dotted_path.rsplit(".", 1)[-1]
    # a cheap test on the last name first: a trace holds a span per field, and only a few end in that name
    candidates = [
        span
        for span in result.spans
        if (span.path[-1] == last or isinstance(span.path[-1], int) if span.path else not dotted_path)
        and span.dotted == dotted_path
    ]
    if offending is not None:
        for span in candidates:
            if _value_matches(span.value, offending):
                return span
    return candidates[0] if candidates else None


def _value_matches(value: Any, offending: str) -> bool:
    """True when ``offending`` (asn1tools' "but got" text) is this value, or its count of elements, bits or
    characters."""
    try:
        texts = {format_number(value) if isinstance(value, int) else str(value)}
    except ValueError:  # a container holding a number too long to write in decimal: not the value sought
        texts = set()
    if isinstance(value, (list, str, bytes, bytearray)):
        texts.add(str(len(value)))
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], int):
        texts.add(str(value[1]))
    return offending in texts


def locate(edition: Edition, type_name: str, data: bytes, dotted_path: str, offending: str | None) -> FieldSpan | None:
    """:func:`find_span` over a trace of ``data`` that records only the spans at ``dotted_path`` and stops at the
    first whose value matches ``offending``: where a constraint violation lies, at about the cost of a decode."""
    root, tracer, lock = _instrumented(edition, type_name)
    with lock:
        tracer.stack.clear()
        tracer.spans = []
        tracer.record = False
        tracer.target, tracer.target_last, tracer.offending = dotted_path, dotted_path.rsplit(".", 1)[-1], offending
        try:
            root.decode(uper.Decoder(bytearray(data)))
        except Exception:  # noqa: BLE001 - _Found, or a malformed frame: the spans so far are the answer
            pass
        finally:
            tracer.target, tracer.offending = None, None
        return find_span(TraceResult(spans=tracer.spans), dotted_path, offending)
