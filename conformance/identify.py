"""Edition identification: under which editions does a frame decode *and* re-encode to the same bytes?

A frame can decode under the wrong edition yet re-encode differently (STANDARDS-FACTS §1), so decoding alone
proves nothing. An edition *matches* only when the strict decode succeeds and the strict re-encode of the decoded
value is byte-identical to the input. A frame that only decodes is reported as "decodes, but not canonical under
<edition>", with the first differing bit — never as a match.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from .codec import codec_for
from .editions import edition_ids
from .errors import CodecError


class MatchStatus(StrEnum):
    """Outcome of trying one edition on one frame."""

    MATCH = "match"
    NOT_CANONICAL = "decodes-not-canonical"
    NO_DECODE = "does-not-decode"


@dataclass(frozen=True)
class EditionResult:
    """The result of one edition: status, a one-line explanation, and the decoded type (when it decoded)."""

    edition: str
    status: MatchStatus
    detail: str
    first_difference_bit: int | None = None

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping."""
        return {
            "edition": self.edition,
            "status": self.status.value,
            "detail": self.detail,
            "first_difference_bit": self.first_difference_bit,
        }


def first_differing_bit(left: bytes, right: bytes) -> int | None:
    """Return the index of the first bit where two byte strings differ (None when identical)."""
    for index, (a, b) in enumerate(zip(left, right, strict=False)):
        if a != b:
            diff = a ^ b
            return index * 8 + (8 - diff.bit_length())
    if len(left) != len(right):
        return min(len(left), len(right)) * 8
    return None


def try_edition(data: bytes, edition: str, type_name: str | None = None) -> EditionResult:
    """Decode and re-encode ``data`` under one edition and classify the outcome."""
    codec = codec_for(edition)
    try:
        decoded = codec.decode(data, type_name, allow_trailing=True)
    except CodecError as exc:
        return EditionResult(edition, MatchStatus.NO_DECODE, exc.describe())
    if decoded.trailing:
        return EditionResult(
            edition,
            MatchStatus.NOT_CANONICAL,
            f"decodes, but not canonical under {edition}: a complete {decoded.type_name} ends at bit "
            f"{decoded.bit_length} and {len(decoded.trailing)} of the {len(data)} bytes are left over",
            first_difference_bit=len(decoded.data) * 8,
        )
    try:
        again = codec.encode(decoded.value, decoded.type_name)
    except CodecError as exc:
        return EditionResult(edition, MatchStatus.NOT_CANONICAL, f"decodes, but does not re-encode: {exc.describe()}")
    if again == bytes(data):
        return EditionResult(edition, MatchStatus.MATCH, f"decodes and re-encodes byte-identically ({len(data)} bytes)")
    bit = first_differing_bit(bytes(data), again)
    return EditionResult(
        edition,
        MatchStatus.NOT_CANONICAL,
        f"decodes, but not canonical under {edition}: re-encoding gives {len(again)} bytes instead of {len(data)}, "
        f"first difference at bit {bit}",
        first_difference_bit=bit,
    )


def identify(data: bytes, editions: Sequence[str] | None = None, type_name: str | None = None) -> list[EditionResult]:
    """Try every edition (default: all bundled ones, oldest first) and return one result per edition."""
    return [try_edition(data, edition, type_name) for edition in (editions or edition_ids())]


def matching_editions(data: bytes, editions: Sequence[str] | None = None) -> list[str]:
    """Return the editions under which ``data`` decodes and re-encodes byte-identically."""
    return [result.edition for result in identify(data, editions) if result.status is MatchStatus.MATCH]
