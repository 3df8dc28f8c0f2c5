"""Message kinds of MessageFrame bytes, and the JSON payloads MQTT brokers carry.

Shared by transports, the upper tester and the reference devices. Message kinds are the names used in topics,
AID tables and upper-tester events: ``BSM``, ``MAP``, ``RSM``, ``SPAT``, ``RSI`` (and ``DAY2`` for the Day-2
extension alternative), from the message table (:mod:`conformance.standards.messages`).
"""

from __future__ import annotations

import json
from typing import Any

from ..codec.jsonvalue import from_json, to_json
from ..codec.strict import decode, encode
from ..errors import CodecError, TransportError, ValueFormatError
from ..standards import messages
from .base import Received


def frame_kind(frame: bytes) -> str:
    """Return the message kind of UPER MessageFrame bytes from the CHOICE index bits ('' when unknown).

    Bit 0 is the extension bit (set: a Day-2 ``msgFrameExt`` frame); the next bits index the root alternatives (the
    message table's first-byte hint, :func:`conformance.standards.messages.kind_of_first_byte`).
    """
    if not frame:
        return ""
    kind = messages.kind_of_first_byte(frame[0])
    return kind.name if kind is not None else ""


def frame_to_json(frame: bytes, *, edition: str) -> bytes:
    """Strictly decode UPER MessageFrame bytes and return the JSON payload (the project's JSON form, UTF-8)."""
    try:
        value = decode(frame, edition=edition).value
    except CodecError as exc:
        raise TransportError(
            f"Cannot send a JSON payload: the frame does not decode under {edition} ({exc.message}).",
            hint="Send a valid frame, or use payload=uper to send undecodable bytes.",
        ) from None
    return json.dumps(to_json(value), ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_to_frame(payload: bytes, *, edition: str, channel: str = "") -> bytes:
    """Encode a JSON payload to UPER MessageFrame bytes.

    The payload is either a MessageFrame (``{"$choice": "mapFrame", "value": {...}}``) or the bare message value,
    whose alternative is then taken from ``channel`` (the topic's message kind). Raises CodecError when the
    payload is not valid JSON or not a valid message.
    """
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueFormatError(f"The JSON payload is not valid JSON: {exc}.", operation="decode") from None
    if not (isinstance(obj, dict) and "$choice" in obj):
        kind = messages.get(channel)
        alternative = kind.alternative if kind is not None and not kind.in_open_type else None
        if alternative is None:
            raise ValueFormatError(
                "The JSON payload is a bare message value but the message kind is unknown.",
                operation="decode",
                hint='Publish on a topic naming the message, or send {"$choice": "mapFrame", "value": ...}.',
            )
        obj = {"$choice": alternative, "value": obj}
    return encode(from_json(obj), edition=edition)


def frame_bytes(received: Received, *, edition: str) -> bytes:
    """Return the UPER bytes of a received frame: ``raw`` itself, or the encoding of a JSON payload."""
    if received.encoding == "json":
        return json_to_frame(received.raw, edition=edition, channel=received.channel)
    return received.raw


def decoded_json(frame: bytes, *, edition: str) -> Any:
    """Strictly decode a MessageFrame and return its JSON form (CodecError when it does not decode)."""
    return to_json(decode(frame, edition=edition).value)
