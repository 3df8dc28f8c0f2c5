"""Stacked layers around a MessageFrame: none (bare UPER) or DSMP (YD/T 3707), checked against each other.

The layers are peeled outside-in; each may be absent. The security layer (YD/T 3594 SecuredMessage) will sit
between DSMP and the MessageFrame; until it exists, a DSMP payload is taken to be the bare MessageFrame.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ..errors import FramingError
from ..standards import messages
from . import dsmp


class Framing(StrEnum):
    """How frames are wrapped on the wire or in a file."""

    NONE = "none"
    DSMP = "dsmp"


@dataclass(frozen=True)
class Unwrapped:
    """The MessageFrame bytes and the DSMP header they came in (None for bare frames)."""

    payload: bytes
    header: dsmp.DsmpPacket | None


def unwrap(data: bytes, framing: Framing) -> Unwrapped:
    """Remove the network-layer header (if any) and return the MessageFrame bytes."""
    if framing is Framing.NONE:
        return Unwrapped(bytes(data), None)
    packet = dsmp.parse(bytes(data))
    return Unwrapped(packet.payload, packet)


def wrap(payload: bytes, framing: Framing, *, aid: int | None) -> bytes:
    """Add the network-layer header (if any) to MessageFrame bytes."""
    if framing is Framing.NONE:
        return bytes(payload)
    if aid is None:
        raise FramingError("DSMP framing needs an AID.", hint="Give --aid, e.g. 3618 for MAP (see `v2xc editions`).")
    return dsmp.build(bytes(payload), aid=aid)


def check_aid(header: dsmp.DsmpPacket, frame_alternative: str) -> None:
    """Raise FramingError when the DSMP AID is registered for another message than the one carried."""
    aid = header.aid
    kind = messages.by_alternative(frame_alternative)
    message = kind.name if kind is not None else None
    registered = dsmp.aid_table().message_for(aid)
    if message is None or registered is None or registered == message:
        return
    expected = dsmp.aid_table().aids_for(message)
    raise FramingError(
        f"AID mismatch: the DSMP header carries AID {aid} ({registered}) but the payload is a {message} "
        f"({frame_alternative}).",
        field_name="aid",
        byte_offset=header.header_length - 2 - len(dsmp.encode_aid(aid)),
        hint=f"AIDs registered for {message}: {', '.join(map(str, expected)) or 'none (a lab parameter)'}.",
    )


def default_aid(frame_alternative: str) -> int | None:
    """Return the first registered AID for the message carried by a MessageFrame alternative (None if none)."""
    kind = messages.by_alternative(frame_alternative)
    aids = kind.aids if kind is not None else ()
    return aids[0] if aids else None
