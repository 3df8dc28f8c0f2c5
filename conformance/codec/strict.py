"""The strict UPER codec: the standard's bytes, and nothing else, in and out.

asn1tools does the bit-level work. This module closes the holes a conformance tool cannot live with (each found
by encoding and decoding with asn1tools): constraints are checked on encode *and* decode; bytes after the end of
the message, and padding bits that are not zero (ITU-T X.691 §11.1), are rejected; BIT STRING sizes are enforced;
values are shape-checked (unknown members, wrong types) before encoding; open types named in the edition registry
are decoded and encoded in the same call. Every failure is one :class:`~conformance.errors.CodecError` carrying
edition, type, dotted field path, bit offset and a hint — never an asn1tools or pyparsing traceback.

Compiled specifications are cached per edition (:func:`conformance.editions.load_edition`), so only the first
call in a process pays the compile time.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asn1tools
from asn1tools.codecs import uper

from ..errors import CodecError, format_number, format_path, long_decimals
from ..standards.editions import Edition, OpenTypeBinding, load_edition
from . import bittrace, hardening, native
from .asn1schema import TypeResolver, check_shape
from .jsonvalue import OpenValue

_GOT_PATTERN = re.compile(r"but got (-?[\w…\[\]-]+)")
#: a decimal number longer than format_number writes in decimal (78 digits and more are beyond 256 bits)
_LONG_DIGITS = re.compile(r"-?\d{78,}")


def _short_numbers(text: str) -> str:
    """``text`` with every decimal number beyond 256 bits written as :func:`format_number` writes it."""
    with long_decimals():
        return _LONG_DIGITS.sub(lambda match: format_number(int(match.group())), text)


HINT_TRUNCATED = (
    "The frame ends inside this field: check that the whole datagram or line was captured, and that no DSMP or "
    "security header precedes the MessageFrame (use --framing dsmp for DSMP)."
)
HINT_CONSTRAINT = "The value is outside what the standard allows for this field; a conformant device must not send it."
HINT_STRUCTURE = (
    "The bits do not follow the message structure at this point; the frame may belong to another edition "
    "(try `v2xc identify`) or be corrupted."
)

HINT_UNKNOWN_EXTENSION = (
    "The frame is from a later edition than this one (MessageFrame extension alternative 0 is the Day-2 "
    "msgFrameExt of T/CSAE 157-2020: try --edition csae157-2020), or `v2xc identify` tells which edition fits."
)
HINT_UNKNOWN_VALUE = (
    "The value is an extension this edition does not define, so a device conforming to it does not send it: the "
    "frame may be from a later edition (`v2xc identify` tells which edition fits)."
)
HINT_PADDING = (
    "A conforming encoder pads with zero bits (X.691 §11.1): the frame does not re-encode byte-identically, so "
    "it is not what the standard produces. Check the sender's bit writer (it should clear the last octet)."
)
#: X.691 11.9.3.8: lengths of 16384 and more are fragmented. asn1tools 0.169 mis-encodes fragmented CHOICE
#: extension lengths (found while writing the Day-2 modules), so the codec refuses such frames instead of
#: producing wrong bytes. C-V2X PC5 frames are far smaller than this.
MAX_FRAME_BYTES = 16383
CANNOT_DECODE = "The frame uses an ASN.1 feature the codec cannot decode"
TOO_LARGE = "need X.691 fragmented length determinants"


@dataclass(frozen=True)
class Decoded:
    """A strictly decoded message: edition, type, asn1tools value, bits used and the input bytes."""

    edition: str
    type_name: str
    value: Any
    bit_length: int
    data: bytes
    trailing: bytes = b""

    @property
    def padding_bits(self) -> int:
        """Number of padding bits that complete the last byte."""
        return len(self.data) * 8 - self.bit_length

    @property
    def first_nonzero_padding_bit(self) -> int | None:
        """Bit offset of the first padding bit that is 1 (None when the padding is all zero, as X.691 §11.1 wants)."""
        return first_nonzero_padding_bit(self.data, self.bit_length)


def first_nonzero_padding_bit(data: bytes, bit_length: int) -> int | None:
    """Return the offset of the first 1 among the bits of ``data`` from ``bit_length`` to the next octet boundary.

    A complete UPER encoding ends with 0 to 7 padding bits, which a conforming encoder sets to zero (ITU-T X.691
    §11.1). Returns None when those bits are all zero (or there are none).
    """
    used = bit_length % 8
    if used == 0 or len(data) * 8 < bit_length:
        return None
    last = data[bit_length // 8] & (0xFF >> used)  # keep only the padding bits of the last used octet
    if not last:
        return None
    return (bit_length // 8) * 8 + 8 - last.bit_length()


class StrictCodec:
    """Strict encoder/decoder bound to one compiled edition."""

    def __init__(self, edition: Edition) -> None:
        self.edition = edition
        self.resolver = TypeResolver(edition.parsed)
        hardening.harden_spec(edition.spec)
        #: the native engine of this edition when it is built and not switched off (V2XC_NATIVE=0)
        self.native: native.NativeCodec | None = native.NativeCodec(edition) if native.available() else None

    # -- helpers ---------------------------------------------------------------------------------------------
    def _type_name(self, type_name: str | None) -> str:
        name = type_name or self.edition.info.pdu
        if not self.edition.has_type(name):
            close = [t for t in self.edition.type_names() if t.lower().startswith(name.lower()[:3])][:8]
            raise CodecError(
                f"Edition {self.edition.id} has no type {name!r}.",
                operation="decode",
                edition=self.edition.id,
                hint=f"Similar types: {', '.join(close)}." if close else "See `v2xc editions --types`.",
            )
        return name

    def _error(
        self,
        message: str,
        *,
        operation: str,
        type_name: str,
        path: str = "",
        bit_offset: int | None = None,
        hint: str = "",
        locate: Callable[[], tuple[str, int | None]] | None = None,
    ) -> CodecError:
        return CodecError(
            message,
            operation=operation,
            edition=self.edition.id,
            type_name=type_name,
            field_path=path,
            bit_offset=bit_offset,
            hint=hint,
            locate=locate,
        )

    @staticmethod
    def _location(exc: Exception, type_name: str) -> str:
        locations = getattr(exc, "location", None) or []
        names = [loc.name for loc in reversed(locations) if getattr(loc, "name", None)]
        if names and names[0] == type_name:
            names = names[1:]
        return ".".join(names)

    # -- decode ----------------------------------------------------------------------------------------------
    def decode(
        self,
        data: bytes,
        type_name: str | None = None,
        *,
        allow_trailing: bool = False,
        allow_padding: bool = False,
    ) -> Decoded:
        """Decode ``data`` as ``type_name`` (default: the edition's message frame) strictly.

        Raises :class:`CodecError` for empty input, truncation, structure errors, constraint violations,
        trailing bytes, padding bits that are not zero (X.691 §11.1; the error gives the offset of the first
        padding bit that is 1), and open-type values that do not decode. ``allow_trailing=True`` and
        ``allow_padding=True`` (used only by edition identification, to tell "decodes, but not canonical" from
        "does not decode") return the bytes after the end of the message in :attr:`Decoded.trailing`, and leave
        non-zero padding to :attr:`Decoded.first_nonzero_padding_bit`, instead of raising.
        """
        name = self._type_name(type_name)
        data = bytes(data)
        if not data:
            raise self._error(
                "Empty input: there are no bytes to decode.",
                operation="decode",
                type_name=name,
                bit_offset=0,
                hint="Give the frame as a file of bytes, a hex string, or '-' for stdin.",
            )
        if self.native is not None and self.native.supports(name):
            verdict, value = self.native.decode_raw(
                data, name, allow_trailing=allow_trailing, allow_padding=allow_padding
            )
            if verdict.ok:
                needed = (verdict.bits + 7) // 8
                return Decoded(self.edition.id, name, value, verdict.bits, data[:needed], data[needed:])
            # the Python path's words, field path and bit offset (tests/test_native_codec.py compares them), built
            # from the native verdict without decoding the frame again
            raise self.native.error(verdict, data, name)
        return self._decode_python(data, name, allow_trailing, allow_padding)

    def _decode_python(self, data: bytes, name: str, allow_trailing: bool, allow_padding: bool) -> Decoded:
        if len(data) > MAX_FRAME_BYTES:
            raise self._too_large("decode", name, len(data))
        compiled = self.edition.spec.types[name]
        decoder = uper.Decoder(bytearray(data))
        try:
            value = compiled._type.decode(decoder)  # the internal path exposes the number of bits read
        except Exception as exc:  # noqa: BLE001 - every library failure becomes one CodecError
            raise self._decode_failure(exc, name, data) from None
        bits = decoder.number_of_read_bits()
        needed = (bits + 7) // 8
        if len(data) > needed and not allow_trailing:
            extra = len(data) - needed
            raise self._error(
                f"{extra} trailing byte(s) after the end of the message: the {name} ends at bit {bits} "
                f"(byte {needed}) but the input has {len(data)} bytes.",
                operation="decode",
                type_name=name,
                bit_offset=needed * 8,
                hint="Remove the trailing bytes; if several frames were joined, give one frame per line.",
            )
        try:
            compiled.check_constraints(value)
        except asn1tools.ConstraintsError as exc:
            raise self._constraint_failure(exc, name, data) from None
        except ValueError:  # asn1tools wrote a number of over 4300 digits into its message: check again, letting it
            with long_decimals():
                try:
                    compiled.check_constraints(value)
                except asn1tools.ConstraintsError as exc:
                    raise self._constraint_failure(exc, name, data) from None
            raise
        value = self._decode_open_types(name, value, data)
        padding_bit = first_nonzero_padding_bit(data, bits)
        if padding_bit is not None and not allow_padding:
            raise self._error(
                f"Non-zero padding: the {name} ends at bit {bits}, and the {needed * 8 - bits} padding bit(s) up to "
                f"the octet boundary must be zero, but bit {padding_bit} is 1.",
                operation="decode",
                type_name=name,
                bit_offset=padding_bit,
                hint=HINT_PADDING,
            )
        return Decoded(self.edition.id, name, value, bits, data[:needed], data[needed:])

    def _decode_failure(self, exc: Exception, name: str, data: bytes) -> CodecError:
        message = str(getattr(exc, "message", "") or exc)
        dotted = self._location(exc, name)
        offset = getattr(exc, "offset", None)

        def locate() -> tuple[str, int | None]:
            """The indexed field path and bit offset, from a traced decode (done when first read)."""
            traced = bittrace.trace(self.edition, name, data, spans=False)
            if traced.failure_path is None:
                return dotted, offset
            return format_path(traced.failure_path), traced.failure_start_bit if offset is None else offset

        if isinstance(exc, asn1tools.codecs.OutOfDataError) or "out of data" in message:
            text = f"Truncated input: the {len(data)}-byte input ends before the {name} is complete."
            hint = HINT_TRUNCATED
        elif "extension alternative number" in message:
            text, hint = f"Unknown extension: {message.rstrip('.')}.", HINT_UNKNOWN_EXTENSION
        elif "extension value number" in message:
            text, hint = f"Unknown extension: {message.rstrip('.')}.", HINT_UNKNOWN_VALUE
        elif "padding bit" in message:
            text, hint = f"Non-zero padding: {message}.", HINT_PADDING
        elif isinstance(exc, NotImplementedError):
            text = f"{CANNOT_DECODE} ({message})."
            hint = "An extensible size outside its root is present; this is legal ASN.1 but not yet supported."
        else:
            if message == "negative shift count":  # asn1tools reading an unconstrained INTEGER of 0 octets
                message = hardening.ZERO_LENGTH_INTEGER
            text, hint = f"Invalid encoding: {message.rstrip('.')}.", HINT_STRUCTURE
        return self._error(
            text, operation="decode", type_name=name, path=dotted, bit_offset=offset, hint=hint, locate=locate
        )

    def _constraint_failure(self, exc: Exception, name: str, data: bytes) -> CodecError:
        message = _short_numbers(str(getattr(exc, "message", "") or exc))
        dotted = self._location(exc, name)
        got = _GOT_PATTERN.search(message)

        def locate() -> tuple[str, int | None]:
            """The indexed field path and bit offset of the violating value (traced when first read)."""
            span = bittrace.locate(self.edition, name, data, dotted, got.group(1) if got else None)
            return (span.display, span.start_bit) if span else (dotted, None)

        return self._error(
            f"Constraint violated: {message}",
            operation="decode",
            type_name=name,
            path=dotted,
            hint=HINT_CONSTRAINT,
            locate=locate,
        )

    # -- open types ------------------------------------------------------------------------------------------
    def _find_containers(self, value: Any, path: tuple[str, ...]) -> Any:
        for step in path:
            if isinstance(value, tuple) and len(value) == 2 and value[0] == step:
                value = value[1]
            elif isinstance(value, dict) and step in value:
                value = value[step]
            else:
                return None
        return value

    def _decode_open_types(self, name: str, value: Any, data: bytes) -> Any:
        for binding in self.edition.info.open_types:
            if binding.pdu != name:
                continue
            container = self._find_containers(value, binding.path)
            if not isinstance(container, dict) or binding.value_field not in container:
                continue
            key = container[binding.key_field]
            raw = container[binding.value_field]
            where = ".".join((*binding.path, binding.value_field))
            inner_name = binding.types.get(key)
            if inner_name is None:
                known = ", ".join(f"{k} {v}" for k, v in sorted(binding.types.items()))
                key_path = ".".join((*binding.path, binding.key_field))
                raise self._error(
                    f"Unknown {binding.key_field} {key} in {binding.container_type}: no message type is assigned "
                    f"to it in edition {self.edition.id}.",
                    operation="decode",
                    type_name=name,
                    path=key_path,
                    hint=f"Known {binding.key_field} values: {known}.",
                    locate=functools.partial(self._key_place, name, data, key_path),
                )
            try:
                inner = self.decode(raw, inner_name)
            except CodecError as inner_exc:
                raise self._error(
                    f"{binding.container_type}.{binding.value_field} ({binding.key_field} {key} = {inner_name}) "
                    f"does not decode as {inner_name}: {inner_exc.message}",
                    operation="decode",
                    type_name=name,
                    path=where,
                    hint=inner_exc.hint,
                    locate=functools.partial(self._inner_place, name, data, where, len(raw), inner_exc),
                ) from None
            container[binding.value_field] = OpenValue(inner_name, inner.value, bytes(raw))
        return value

    def _key_place(self, name: str, data: bytes, key_path: str) -> tuple[str, int | None]:
        """Field path and bit offset of an open type's unknown key (traced when the error is first read)."""
        span = bittrace.find_span(bittrace.trace(self.edition, name, data), key_path)
        return key_path, span.start_bit if span else None

    def _inner_place(
        self, name: str, data: bytes, where: str, raw_length: int, inner: CodecError
    ) -> tuple[str, int | None]:
        """Field path and frame bit offset of a fault inside an open type's octets (traced when first read)."""
        path = f"{where}.{inner.field_path}" if inner.field_path else where
        if inner.bit_offset is None:
            return path, None
        span = bittrace.find_span(bittrace.trace(self.edition, name, data), where)
        return path, None if span is None else span.end_bit - 8 * raw_length + inner.bit_offset

    def _encode_open_types(self, name: str, value: Any) -> Any:
        for binding in self.edition.info.open_types:
            if binding.pdu != name:
                continue
            container = self._find_containers(value, binding.path)
            if not isinstance(container, dict):
                continue
            inner = container.get(binding.value_field)
            if not isinstance(inner, OpenValue):
                continue
            key = container.get(binding.key_field)
            expected = binding.types.get(key) if isinstance(key, int) else None
            where = ".".join((*binding.path, binding.value_field))
            if expected != inner.type_name:
                raise self._error(
                    f"{binding.container_type}.{binding.key_field} is {key!r}, which selects "
                    f"{expected or 'no type'}, but {where} holds a {inner.type_name}.",
                    operation="encode",
                    type_name=name,
                    path=where,
                    hint=f"Set {binding.key_field} to the id of {inner.type_name} "
                    f"({', '.join(str(k) for k, v in binding.types.items() if v == inner.type_name) or 'none'}).",
                )
            try:
                container[binding.value_field] = self.encode(inner.value, inner.type_name)
            except CodecError as inner_exc:
                raise self._error(
                    f"{where} ({inner.type_name}) cannot be encoded: {inner_exc.message}",
                    operation="encode",
                    type_name=name,
                    path=f"{where}.{inner_exc.field_path}" if inner_exc.field_path else where,
                    hint=inner_exc.hint,
                ) from None
        return value

    # -- encode ----------------------------------------------------------------------------------------------
    def encode(self, value: Any, type_name: str | None = None) -> bytes:
        """Encode an asn1tools value as ``type_name`` (default: the message frame), checking shape and constraints."""
        name = self._type_name(type_name)
        if self.native is not None and self.native.supports(name):
            encoded = self.native.encode_raw(value, name)
            if isinstance(encoded, bytes):
                return encoded
            # the native engine refused the value: the Python path names the fault in its own words
        check_shape(self.resolver, name, value)
        value = self._encode_open_types(name, _copy_value(value))
        try:
            encoded = bytes(self.edition.spec.encode(name, value, check_types=True, check_constraints=True))
        except asn1tools.ConstraintsError as exc:
            raise self._error(
                f"Constraint violated: {getattr(exc, 'message', exc)}",
                operation="encode",
                type_name=name,
                path=self._location(exc, name),
                hint=HINT_CONSTRAINT,
            ) from None
        except NotImplementedError as exc:
            raise self._error(
                f"The value uses an ASN.1 feature the codec cannot encode ({exc}).",
                operation="encode",
                type_name=name,
                path=self._location(exc, name),
                hint="A BIT STRING with an extensible size must have exactly its root size here.",
            ) from None
        except Exception as exc:  # noqa: BLE001 - every library failure becomes one CodecError
            raise self._error(
                f"Cannot encode: {getattr(exc, 'message', exc)}",
                operation="encode",
                type_name=name,
                path=self._location(exc, name),
                hint="Check the value against the JSON form in README.md.",
            ) from None
        if len(encoded) > MAX_FRAME_BYTES:
            raise self._too_large("encode", name, len(encoded))
        return encoded

    def _too_large(self, operation: str, name: str, size: int) -> CodecError:
        return self._error(
            f"The {name} is {size} bytes; frames over {MAX_FRAME_BYTES} bytes {TOO_LARGE}, which the underlying "
            "codec does not handle correctly, so they are refused.",
            operation=operation,
            type_name=name,
            hint="Real PC5 frames are far smaller; split the content (e.g. fewer SSM objects per message).",
        )


def _copy_value(value: Any) -> Any:
    """Copy the mutable containers of a value (open types are replaced in place during encoding)."""
    if isinstance(value, dict):
        return {key: _copy_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy_value(item) for item in value]
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return (value[0], _copy_value(value[1]))
    return value


@functools.cache
def codec_for(edition_id: str) -> StrictCodec:
    """Return the cached strict codec of an edition."""
    return StrictCodec(load_edition(edition_id))


def decode(data: bytes, *, edition: str, type_name: str | None = None) -> Decoded:
    """Strictly decode ``data`` under ``edition`` (see :meth:`StrictCodec.decode`)."""
    return codec_for(edition).decode(data, type_name)


def encode(value: Any, *, edition: str, type_name: str | None = None) -> bytes:
    """Strictly encode ``value`` under ``edition`` (see :meth:`StrictCodec.encode`)."""
    return codec_for(edition).encode(value, type_name)


__all__ = ["CodecError", "Decoded", "OpenTypeBinding", "StrictCodec", "codec_for", "decode", "encode"]
