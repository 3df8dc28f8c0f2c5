"""The oracle: re-check every vector against the strict codec, for the labelled reason.

* valid / boundary — the bytes decode strictly and re-encode byte-identically (and, when a corpus record carries
  a decoded JSON value, decode to exactly that value);
* invalid, violated constraint (``range`` / ``size`` / ``enumerated``) — the strict codec rejects the bytes and the
  :class:`~conformance.errors.CodecError` names the labelled field path (a rejection elsewhere is a mismatch);
* invalid, byte mutation (``mutation:<name>``) — rejected the way that mutation must be: truncation as truncated
  input, trailing bytes as trailing bytes, a DSMP fault by the DSMP field named in the label, a frame of another
  edition as not decoding (or not canonical) under the target edition; where the label carries a field path, the
  error must name it.

The oracle never trusts the generator: a shrunk Hypothesis example is re-classified here before it is reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..codec import jsonvalue
from ..codec.identify import first_differing_bit
from ..codec.strict import codec_for
from ..errors import CodecError, FramingError
from ..network import dsmp, framing
from .model import Vector, VectorClass

__all__ = ["Verdict", "verify"]


@dataclass(frozen=True, slots=True)
class Verdict:
    """The oracle's answer: whether the vector behaves as labelled, and what was observed."""

    ok: bool
    detail: str
    observed_path: str | None = None

    def __bool__(self) -> bool:
        return self.ok


def _payload(vector: Vector) -> tuple[bytes | None, Verdict | None, dsmp.DsmpPacket | None]:
    """Peel the DSMP header of a framed vector; return (payload, early verdict, header)."""
    if vector.framing == "none":
        return vector.data, None, None
    violation = vector.violation
    expected_field = violation.path if violation and violation.kind.startswith("mutation:dsmp") else None
    try:
        packet = dsmp.parse(vector.data)
    except FramingError as exc:
        if expected_field is not None and exc.field_name == expected_field:
            return None, Verdict(True, f"rejected by DSMP parsing at field {exc.field_name}", exc.field_name), None
        return None, Verdict(False, f"DSMP header rejected unexpectedly: {exc.describe()}", exc.field_name), None
    return packet.payload, None, packet


def verify(vector: Vector, *, decoded_json: Any = None) -> Verdict:
    """Check ``vector`` against the strict codec; ``decoded_json`` (a corpus record's value) is compared if given."""
    payload, early, header = _payload(vector)
    if early is not None:
        return early
    assert payload is not None
    codec = codec_for(vector.edition)
    violation = vector.violation
    if vector.vclass is not VectorClass.INVALID:
        try:
            decoded = codec.decode(payload, vector.type_name)
        except CodecError as exc:
            return Verdict(False, f"labelled {vector.vclass.value} but rejected: {exc.describe()}", exc.field_path)
        again = codec.encode(decoded.value, vector.type_name)
        if again != payload:
            bit = first_differing_bit(payload, again)
            return Verdict(False, f"decodes but re-encodes differently (first difference at bit {bit})")
        if decoded_json is not None and jsonvalue.to_json(decoded.value) != decoded_json:
            return Verdict(False, "decodes to a value different from the recorded decoded JSON")
        return Verdict(True, f"decodes and re-encodes byte-identically ({len(payload)} bytes)")

    if violation is None:
        return Verdict(False, "labelled invalid but carries no violation label")
    if violation.kind.startswith("mutation:dsmp"):
        if violation.path != "aid" or header is None:
            return Verdict(False, f"DSMP header accepted; expected a rejection at field {violation.path}")
        try:
            decoded = codec.decode(payload, vector.type_name)
            framing.check_aid(header, decoded.value[0])
        except FramingError as exc:
            ok = exc.field_name == "aid"
            return Verdict(ok, f"AID check: {exc.describe()}", exc.field_name)
        except CodecError as exc:
            return Verdict(False, f"payload rejected instead of the AID: {exc.describe()}", exc.field_path)
        return Verdict(False, "AID accepted; expected an AID/message mismatch")
    try:
        decoded = codec.decode(payload, vector.type_name)
    except CodecError as exc:
        return _check_rejection(vector, exc)
    if violation.kind == "mutation:other-edition":
        again = codec.encode(decoded.value, vector.type_name)
        if again != payload:
            bit = first_differing_bit(payload, again)
            return Verdict(True, f"decodes under {vector.edition} but not canonically (first difference at bit {bit})")
    return Verdict(False, f"accepted by the strict codec; expected rejection: {violation.kind} at {violation.path}")


def _check_rejection(vector: Vector, exc: CodecError) -> Verdict:
    violation = vector.violation
    assert violation is not None
    observed = exc.field_path
    kind = violation.kind
    if kind == "mutation:truncation" and not exc.message.startswith("Truncated"):
        return Verdict(False, f"rejected, but not as truncated input: {exc.describe()}", observed)
    if kind == "mutation:trailing-bytes" and "trailing byte" not in exc.message:
        return Verdict(False, f"rejected, but not for trailing bytes: {exc.describe()}", observed)
    if kind in ("range", "size", "enumerated") and not ("Constraint violated" in exc.message or kind == "enumerated"):
        return Verdict(False, f"rejected, but not as a constraint violation: {exc.describe()}", observed)
    if violation.path and observed != violation.path:
        return Verdict(
            False,
            f"rejected for another reason: the codec names {observed or '(no path)'!s}, the label "
            f"{violation.path} ({exc.message})",
            observed,
        )
    return Verdict(True, f"rejected as labelled: {exc.message}", observed)
