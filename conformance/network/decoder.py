"""The frame decoder the engine is given: the network layer, the strict codec and the message table, put together.

The engine (``conformance/engine/``) imports no standard. It reads every frame through an object with the shape of
:class:`conformance.engine.model.FrameDecoder`; this module builds the one for the CSAE message sets, and whoever
creates a :class:`~conformance.engine.context.RunContext` passes it in (``v2xc run``, the pytest plugin, the tests)::

    RunContext(edition=edition, decoder=frame_decoder(edition), transport=..., evidence=..., parameters=...)

* ``unwrap``: the network header per the transport's framing (:mod:`conformance.network.framing`: none or DSMP);
* ``classify``: strict decoding under the edition (:mod:`conformance.codec.strict`); the message kind from the
  MessageFrame alternative, or, for a frame that does not decode, from its first byte (the message table's
  first-byte hint, :mod:`conformance.standards.messages`);
* ``wrap``: the DSMP header with the first AID the AID table registers for the frame's message.
"""

from __future__ import annotations

from typing import Any

from ..codec.strict import codec_for
from ..errors import CodecError, ConformanceError
from ..standards import messages
from .framing import Framing, default_aid, unwrap, wrap


class StrictFrameDecoder:
    """:class:`conformance.engine.model.FrameDecoder` for one edition of the CSAE message sets."""

    def __init__(self, edition: str) -> None:
        self._edition = edition

    @property
    def edition(self) -> str:
        """The edition frames are decoded under."""
        return self._edition

    def unwrap(self, raw: bytes, framing: str) -> bytes:
        """The MessageFrame bytes inside ``raw`` (FramingError when the DSMP header is broken)."""
        return unwrap(raw, Framing(framing)).payload

    def classify(self, frame: bytes) -> tuple[str | None, Any, ConformanceError | None]:
        """(message kind, decoded message, error): strict decode; the kind from the MessageFrame alternative, or from
        the first byte when the frame does not decode."""
        try:
            alternative, value = codec_for(self._edition).decode(frame).value
        except CodecError as exc:
            hint = messages.kind_of_first_byte(frame[0]) if frame else None
            return (hint.name if hint is not None else None), None, exc
        kind = messages.by_alternative(alternative)
        return (kind.name if kind is not None else alternative), value, None

    def wrap(self, frame: bytes, framing: str) -> bytes:
        """``frame`` with the header ``framing`` asks for; for DSMP the AID of the frame's message (a frame that does
        not decode has no message, hence no AID: FramingError)."""
        chosen = Framing(framing)
        if chosen is not Framing.DSMP:
            return frame
        alternative = self._alternative_of(frame)
        return wrap(frame, chosen, aid=default_aid(alternative) if alternative else None)

    def _alternative_of(self, frame: bytes) -> str | None:
        try:
            value = codec_for(self._edition).decode(frame).value
        except CodecError:
            return None
        return value[0] if isinstance(value, tuple) else None

    def __repr__(self) -> str:
        return f"StrictFrameDecoder({self._edition!r})"


def frame_decoder(edition: str) -> StrictFrameDecoder:
    """The engine's frame decoder for ``edition`` (a registry id or ``custom:DIR``)."""
    return StrictFrameDecoder(edition)
