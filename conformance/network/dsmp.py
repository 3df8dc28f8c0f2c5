"""DSMP network-layer framing (YD/T 3707-2020), as implemented by deployed equipment.

A DSM (DSMP message) carried over the LTE-V2X PC5 interface looks like this (byte offsets from the first
byte of the input)::

    0      adaptation-layer protocol type   1 byte, 0x04 = DSMP
    1      version (3) | option flag (1) | reserved (4)     1 byte
    2..    extension elements, only when the option flag is 1:
               count (1 byte), then count x (element id 1 byte, length 1 byte, value <length> bytes)
    ..     AID                              1 byte if AID <= 0x7F, else 2 bytes: AID + 0x7F80, big-endian
    ..     length                           2 bytes, big-endian: number of payload bytes
    ..     payload                          the (possibly secured) message, normally a UPER MessageFrame

Provenance of the layout. The field list and order are those of YD/T 3707-2020
*as implemented by deployed equipment*: they were read from vendor material, not checked against the text of
the standard. In particular these details come from deployed equipment / our reading and are unverified
against the standard's text:

* the bit positions inside byte 1. We read "version 3 bits, option 1 bit, reserved 4 bits" most significant
  bit first: version = bits 7..5, option flag = bit 4, reserved = bits 3..0. With version 0 and no extensions
  the byte is 0x00 either way; with extensions we emit 0x10. IEEE 1609.3 WSMP, which DSMP resembles, orders
  the corresponding byte the other way round (option indicator in bit 3): a device doing that is reported by
  :func:`parse` as "reserved bits set", with a hint saying so;
* the sizes in the extension area: count, element id and length are 1 byte each (believed, unverified; WSMP
  uses variable-length numbers there, which coincide with plain bytes only for values <= 127);
* the AID form. "AID + 0x7F80 in 2 bytes" is the IEEE 1609.12 p-encoding of its 2-octet range (first byte
  0b10xxxxxx), so we treat AIDs 0..0x407F (0..16511) as representable and reject a first AID byte >= 0xC0,
  which in that scheme would begin a 3- or 4-byte form that deployed equipment does not use.

Every failure is a :class:`~conformance.errors.FramingError` naming the DSMP field and the byte offset at
which the problem was found. Field names used: ``protocol_type``, ``version``, ``reserved``,
``extension_count``, ``extensions[i].element_id``, ``extensions[i].length``, ``extensions[i].value``,
``aid``, ``length``, ``payload``.
"""

from __future__ import annotations

import functools
import tomllib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from conformance.errors import ConfigurationError, FramingError, SourceLocation
from conformance.standards import messages

__all__ = [
    "AID_MAX",
    "DSMP_VERSION",
    "MAX_PAYLOAD_LENGTH",
    "PROTOCOL_TYPE_DSMP",
    "AidEntry",
    "AidTable",
    "DsmpExtension",
    "DsmpPacket",
    "aid_table",
    "build",
    "decode_aid",
    "encode_aid",
    "load_aid_table",
    "parse",
]

# --- constants -----------------------------------------------------------------------------------------

#: Adaptation-layer protocol type of DSMP (YD/T 3707-2020; value as used by deployed equipment).
PROTOCOL_TYPE_DSMP = 0x04
#: The only DSMP version defined by YD/T 3707-2020.
DSMP_VERSION = 0

# Byte 1 layout, most significant bit first (deployed equipment, as read; bit positions unverified —
# see the module docstring).
_VERSION_SHIFT = 5
_VERSION_MAX = 0x07  # 3 bits
_OPTION_FLAG = 0x10  # bit 4
_RESERVED_MASK = 0x0F  # bits 3..0

# AID encoding (deployed equipment): 1 byte for 0..0x7F, else 2 bytes = AID + 0x7F80, big-endian.
_AID_ONE_BYTE_MAX = 0x7F
_AID_TWO_BYTE_OFFSET = 0x7F80
_AID_TWO_BYTE_FIRST_MAX = 0xBF  # the 2-byte form's first byte is 0b10xxxxxx (0x80..0xBF)
#: Largest AID this module can represent: 0xBFFF - 0x7F80 (2-byte form 0x8000..0xBFFF).
AID_MAX = 0xBFFF - _AID_TWO_BYTE_OFFSET  # 0x407F = 16511

#: The length field is 2 bytes (YD/T 3707-2020), so a payload is at most 65535 bytes.
MAX_PAYLOAD_LENGTH = 0xFFFF
# Extension area sizes: 1 byte each for count, element id and length (believed to be what deployed
# equipment uses; unverified against the text of YD/T 3707-2020).
_EXT_COUNT_MAX = 0xFF
_EXT_ID_MAX = 0xFF
_EXT_VALUE_MAX = 0xFF


# --- data types ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DsmpExtension:
    """One DSMP extension element: element id (1 byte) and value (at most 255 bytes, 1-byte length)."""

    element_id: int
    value: bytes

    def __post_init__(self) -> None:
        if isinstance(self.element_id, bool) or not isinstance(self.element_id, int):
            raise FramingError(
                f"DSMP extension element id must be an integer, not {type(self.element_id).__name__}",
                field_name="extensions[].element_id",
            )
        if not 0 <= self.element_id <= _EXT_ID_MAX:
            raise FramingError(
                f"DSMP extension element id {self.element_id} does not fit the 1-byte element id field "
                f"(0..{_EXT_ID_MAX})",
                field_name="extensions[].element_id",
            )
        if not isinstance(self.value, bytes | bytearray | memoryview):
            raise FramingError(
                f"DSMP extension value must be bytes, not {type(self.value).__name__}",
                field_name="extensions[].value",
            )
        if not isinstance(self.value, bytes):
            object.__setattr__(self, "value", bytes(self.value))
        if len(self.value) > _EXT_VALUE_MAX:
            raise FramingError(
                f"DSMP extension value is {len(self.value)} bytes; the 1-byte length field holds at most "
                f"{_EXT_VALUE_MAX}",
                field_name="extensions[].length",
            )

    def as_dict(self) -> dict[str, object]:
        """Return the element as a JSON-ready mapping (value as lower-case hex)."""
        return {"element_id": self.element_id, "length": len(self.value), "value": self.value.hex()}


@dataclass(frozen=True, slots=True)
class DsmpPacket:
    """A parsed DSMP message: header fields, the payload, and the header's size in bytes."""

    protocol_type: int
    version: int
    extensions: tuple[DsmpExtension, ...]
    aid: int
    payload: bytes
    header_length: int

    @property
    def length(self) -> int:
        """Return the payload length (the value of the DSMP length field)."""
        return len(self.payload)

    @property
    def option_flag(self) -> bool:
        """Return whether the option flag is set (it is set exactly when extension elements are present)."""
        return bool(self.extensions)

    def as_dict(self) -> dict[str, object]:
        """Return the packet as a JSON-ready mapping; byte strings are lower-case hex."""
        return {
            "protocol_type": self.protocol_type,
            "version": self.version,
            "option_flag": self.option_flag,
            "extensions": [ext.as_dict() for ext in self.extensions],
            "aid": self.aid,
            "aid_hex": encode_aid(self.aid).hex(),
            "length": self.length,
            "header_length": self.header_length,
            "payload": self.payload.hex(),
        }


# --- AID -----------------------------------------------------------------------------------------------


def encode_aid(aid: int) -> bytes:
    """Encode an AID for the DSMP AID field.

    1 byte when ``aid <= 0x7F``; otherwise 2 bytes holding ``aid + 0x7F80`` big-endian (deployed equipment's
    form of YD/T 3707-2020's variable-length AID). Representable AIDs are ``0..AID_MAX`` (0..16511); others
    raise :class:`FramingError`.
    """
    if isinstance(aid, bool) or not isinstance(aid, int):
        raise FramingError(f"AID must be an integer, not {type(aid).__name__}", field_name="aid")
    if not 0 <= aid <= AID_MAX:
        raise FramingError(
            f"AID {aid} cannot be represented in the DSMP AID field: representable AIDs are 0..{AID_MAX} "
            f"(0x0..{AID_MAX:#x}) — 1 byte for 0..127, 2 bytes (AID + 0x7F80) for 128..{AID_MAX}",
            field_name="aid",
            hint=(
                "Check the AID; the 3- and 4-byte AID forms are not used by deployed equipment and are not supported."
            ),
        )
    if aid <= _AID_ONE_BYTE_MAX:
        return bytes((aid,))
    return (aid + _AID_TWO_BYTE_OFFSET).to_bytes(2, "big")


def decode_aid(data: bytes, offset: int) -> tuple[int, int]:
    """Decode the DSMP AID field starting at ``data[offset]``.

    Return ``(aid, next_offset)`` where ``next_offset`` is the offset of the first byte after the AID field. A
    missing byte, or a first byte of 0xC0 or above (not a 1- or 2-byte form), raises :class:`FramingError`.
    """
    if offset < 0:
        raise FramingError(f"AID offset must not be negative (got {offset})", byte_offset=offset, field_name="aid")
    if offset >= len(data):
        raise _truncated("aid", offset, needed=1, data=data)
    first = data[offset]
    if first <= _AID_ONE_BYTE_MAX:
        return first, offset + 1
    if first > _AID_TWO_BYTE_FIRST_MAX:
        raise FramingError(
            f"AID first byte {first:#04x} is neither a 1-byte AID (0x00..0x7f) nor the start of a 2-byte AID "
            f"(0x80..0xbf)",
            byte_offset=offset,
            field_name="aid",
            hint="3- and 4-byte AID forms are not used by deployed equipment; the header may be misaligned.",
        )
    if offset + 2 > len(data):
        raise _truncated("aid", offset, needed=2, data=data)
    value = int.from_bytes(data[offset : offset + 2], "big")
    return value - _AID_TWO_BYTE_OFFSET, offset + 2


# --- build ---------------------------------------------------------------------------------------------


def build(
    payload: bytes,
    *,
    aid: int,
    version: int = DSMP_VERSION,
    extensions: Sequence[DsmpExtension] = (),
) -> bytes:
    """Wrap ``payload`` in a DSMP header (YD/T 3707-2020) and return the whole DSM.

    Protocol type is 0x04; the option flag is set exactly when ``extensions`` is non-empty. ``version`` may be
    any 3-bit value (0..7) so that negative test vectors can be built; :func:`parse` accepts only 0.
    """
    if not isinstance(payload, bytes | bytearray | memoryview):
        raise FramingError(f"payload must be bytes, not {type(payload).__name__}", field_name="payload")
    body = bytes(payload)
    if len(body) > MAX_PAYLOAD_LENGTH:
        raise FramingError(
            f"payload is {len(body)} bytes; the 2-byte DSMP length field holds at most {MAX_PAYLOAD_LENGTH}",
            field_name="length",
        )
    if isinstance(version, bool) or not isinstance(version, int) or not 0 <= version <= _VERSION_MAX:
        raise FramingError(
            f"DSMP version {version!r} does not fit the 3-bit version field (0..{_VERSION_MAX})",
            field_name="version",
        )
    exts = tuple(extensions)
    for index, ext in enumerate(exts):
        if not isinstance(ext, DsmpExtension):
            raise FramingError(
                f"extension {index} must be a DsmpExtension, not {type(ext).__name__}",
                field_name=f"extensions[{index}]",
            )
    if len(exts) > _EXT_COUNT_MAX:
        raise FramingError(
            f"{len(exts)} extension elements; the 1-byte count field holds at most {_EXT_COUNT_MAX}",
            field_name="extension_count",
        )
    aid_bytes = encode_aid(aid)

    out = bytearray((PROTOCOL_TYPE_DSMP, (version << _VERSION_SHIFT) | (_OPTION_FLAG if exts else 0)))
    if exts:
        out.append(len(exts))
        for ext in exts:
            out += bytes((ext.element_id, len(ext.value)))
            out += ext.value
    out += aid_bytes
    out += len(body).to_bytes(2, "big")
    out += body
    return bytes(out)


# --- parse ---------------------------------------------------------------------------------------------


def _truncated(field: str, offset: int, *, needed: int, data: bytes) -> FramingError:
    present = max(0, len(data) - offset)
    return FramingError(
        f"DSMP header truncated: field {field} needs {needed} byte(s) at byte offset {offset} but "
        f"{present} {'is' if present == 1 else 'are'} present (input is {len(data)} bytes)",
        byte_offset=offset,
        field_name=field,
        hint="The capture may be cut short, or the input may not be a DSMP message.",
    )


def parse(data: bytes, *, expected_aid: int | None = None) -> DsmpPacket:
    """Parse one complete DSM (DSMP header + payload, YD/T 3707-2020) and return a :class:`DsmpPacket`.

    Checks, in order: protocol type 0x04, version 0, reserved bits zero, extension elements, AID, and that the
    length field equals the number of bytes after the header (no truncation, no trailing bytes); finally, when
    ``expected_aid`` is given, that the AID matches it. Any failure raises :class:`FramingError` with the
    field name and byte offset.
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise FramingError(f"DSMP input must be bytes, not {type(data).__name__}", field_name="protocol_type")
    buf = bytes(data)
    size = len(buf)

    # Byte 0: adaptation-layer protocol type.
    if size == 0:
        raise FramingError(
            "empty input: no DSMP header (expected protocol type byte 0x04 at byte offset 0)",
            byte_offset=0,
            field_name="protocol_type",
        )
    protocol_type = buf[0]
    if protocol_type != PROTOCOL_TYPE_DSMP:
        # A hint only: the message a bare MessageFrame starting with this byte would be (message table, CHOICE index).
        kind = messages.kind_of_first_byte(protocol_type)
        looks_like = kind.label if kind is not None else None
        guess = ""
        if looks_like:
            guess = f" (0x{protocol_type:02x} is a typical first byte of a bare {looks_like} MessageFrame)"
        raise FramingError(
            f"adaptation-layer protocol type is 0x{protocol_type:02x}, expected "
            f"0x{PROTOCOL_TYPE_DSMP:02x} (DSMP){guess}",
            byte_offset=0,
            field_name="protocol_type",
            hint="The input may be a bare MessageFrame without a DSMP header; if so use `--framing none`.",
        )

    # Byte 1: version (bits 7..5) | option flag (bit 4) | reserved (bits 3..0) — deployed equipment's layout.
    if size < 2:
        raise _truncated("version", 1, needed=1, data=buf)
    flags = buf[1]
    version = flags >> _VERSION_SHIFT
    if version != DSMP_VERSION:
        raise FramingError(
            f"DSMP version is {version}; YD/T 3707-2020 defines only version {DSMP_VERSION} "
            f"(byte 1 is 0x{flags:02x}, version in bits 7..5)",
            byte_offset=1,
            field_name="version",
        )
    reserved = flags & _RESERVED_MASK
    if reserved:
        raise FramingError(
            f"DSMP reserved bits are 0b{reserved:04b}, must be 0 (byte 1 is 0x{flags:02x}, reserved in bits 3..0)",
            byte_offset=1,
            field_name="reserved",
            hint=(
                "This tool reads byte 1 as version (bits 7..5), option flag (bit 4), reserved (bits 3..0), "
                "as deployed equipment does; if the device puts its option flag in bit 3 (WSMP style), "
                "report it."
            ),
        )
    offset = 2

    # Extension elements (only when the option flag is set). Sizes: count 1 byte, then per element: id 1 byte,
    # length 1 byte, value — believed to be what deployed equipment uses; unverified against the text of
    # YD/T 3707-2020.
    extensions: list[DsmpExtension] = []
    if flags & _OPTION_FLAG:
        if offset >= size:
            raise _truncated("extension_count", offset, needed=1, data=buf)
        count = buf[offset]
        if count == 0:
            raise FramingError(
                "DSMP option flag is set but the extension element count is 0",
                byte_offset=offset,
                field_name="extension_count",
                hint="The option flag should be set only when at least one extension element follows.",
            )
        offset += 1
        for index in range(count):
            name = f"extensions[{index}]"
            if offset >= size:
                raise _truncated(f"{name}.element_id", offset, needed=1, data=buf)
            element_id = buf[offset]
            if offset + 1 >= size:
                raise _truncated(f"{name}.length", offset + 1, needed=1, data=buf)
            value_length = buf[offset + 1]
            value_start = offset + 2
            if value_start + value_length > size:
                raise _truncated(f"{name}.value", value_start, needed=value_length, data=buf)
            extensions.append(DsmpExtension(element_id, buf[value_start : value_start + value_length]))
            offset = value_start + value_length

    # AID (variable length).
    aid_offset = offset
    aid, offset = decode_aid(buf, offset)

    # Length (2 bytes, big-endian) and payload.
    length_offset = offset
    if offset + 2 > size:
        raise _truncated("length", offset, needed=2, data=buf)
    declared = int.from_bytes(buf[offset : offset + 2], "big")
    header_length = offset + 2
    present = size - header_length
    if declared != present:
        if declared > present:
            detail = "the payload is truncated"
            hint = "The capture may be cut short, or the length field is wrong."
        else:
            detail = f"{present - declared} trailing byte(s) follow the payload"
            hint = "Trailing bytes may be padding, a second message or a wrong length field."
        raise FramingError(
            f"DSMP length field at byte offset {length_offset} declares {declared} payload bytes but "
            f"{present} {'is' if present == 1 else 'are'} present after the {header_length}-byte header: "
            f"{detail}",
            byte_offset=length_offset,
            field_name="length",
            hint=hint,
        )

    if expected_aid is not None and aid != expected_aid:
        raise FramingError(
            f"DSMP AID is {aid}, expected {expected_aid}",
            byte_offset=aid_offset,
            field_name="aid",
            hint="Check the AID the device is configured with against the lab's AID table (data/aids.toml).",
        )

    return DsmpPacket(
        protocol_type=protocol_type,
        version=version,
        extensions=tuple(extensions),
        aid=aid,
        payload=buf[header_length:],
        header_length=header_length,
    )


# --- AID table -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AidEntry:
    """One row of the AID table: AID, Day-1 message name, description and where the row came from."""

    aid: int
    message: str
    description: str
    source: str


class AidTable:
    """The AID <-> message table (``conformance/standards/data/aids.toml``).

    Iterating yields :class:`AidEntry` rows in ascending AID order.
    """

    __slots__ = ("_by_aid", "_entries")

    def __init__(self, entries: Iterable[AidEntry]) -> None:
        by_aid: dict[int, AidEntry] = {}
        for entry in entries:
            if entry.aid in by_aid:
                raise ConfigurationError(f"AID table: AID {entry.aid} appears more than once")
            by_aid[entry.aid] = entry
        self._by_aid = by_aid
        self._entries = tuple(sorted(by_aid.values(), key=lambda e: e.aid))

    @classmethod
    def from_mapping(cls, document: Mapping[str, Any], *, source: str = "<aid table>") -> AidTable:
        """Build a table from a parsed TOML document with an ``[[aid]]`` array; errors name ``source``."""
        where = SourceLocation(source)
        rows = document.get("aid")
        if not isinstance(rows, list):
            raise ConfigurationError("AID table has no [[aid]] array", source=where)
        allowed = [kind.name for kind in messages.aid_kinds()]  # message kinds with AIDs of their own
        entries: list[AidEntry] = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                raise ConfigurationError(f"AID table row {index} is not a table", source=where)
            aid = row.get("aid")
            message = row.get("message")
            description = row.get("description", "")
            row_source = row.get("source", "")
            if isinstance(aid, bool) or not isinstance(aid, int) or not 0 <= aid <= AID_MAX:
                raise ConfigurationError(
                    f"AID table row {index}: aid {aid!r} is not an integer in 0..{AID_MAX}", source=where
                )
            if message not in allowed:
                raise ConfigurationError(
                    f"AID table row {index} (aid {aid}): message {message!r} is not one of {', '.join(allowed)}",
                    source=where,
                )
            if not isinstance(description, str) or not isinstance(row_source, str):
                raise ConfigurationError(
                    f"AID table row {index} (aid {aid}): description and source must be strings", source=where
                )
            entries.append(AidEntry(aid=aid, message=message, description=description, source=row_source))
        try:
            return cls(entries)
        except ConfigurationError as exc:
            raise ConfigurationError(exc.message, source=where) from None

    def entry_for(self, aid: int) -> AidEntry | None:
        """Return the row for ``aid``, or None when the AID is not in the table."""
        return self._by_aid.get(aid)

    def message_for(self, aid: int) -> str | None:
        """Return the message name (BSM, MAP, SPAT, RSI, RSM) for ``aid``; None when not in the table."""
        entry = self._by_aid.get(aid)
        return entry.message if entry else None

    def aids_for(self, message: str) -> tuple[int, ...]:
        """Return the AIDs mapped to ``message`` (case-insensitive), in ascending order; empty when none."""
        wanted = message.upper()
        return tuple(entry.aid for entry in self._entries if entry.message == wanted)

    def __iter__(self) -> Iterator[AidEntry]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, aid: object) -> bool:
        return aid in self._by_aid


def load_aid_table(text: str | None = None, *, source: str = messages.AID_TABLE_SOURCE) -> AidTable:
    """Parse an AID table from TOML ``text``, or the packaged ``data/aids.toml`` when ``text`` is None (read by the
    message table, :func:`conformance.standards.messages.aid_document`)."""
    if text is None:
        return AidTable.from_mapping(messages.aid_document(), source=source)
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"AID table is not valid TOML: {exc}", source=SourceLocation(source)) from None
    return AidTable.from_mapping(document, source=source)


@functools.cache
def aid_table() -> AidTable:
    """Return the packaged AID table, loaded once and cached."""
    return load_aid_table()
