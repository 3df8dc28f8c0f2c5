"""Edition identification: under which editions does a frame decode *and* re-encode to the same bytes?

A frame can decode under the wrong edition yet re-encode differently (checked by encoding the field captures), so
decoding alone proves nothing. An edition *matches* only when the strict decode succeeds and the strict re-encode
of the decoded value is byte-identical to the input. A frame that only decodes (bytes left over, padding bits that
are not zero, or a different re-encoding) is reported as "decodes, but not canonical under <edition>", with the
first differing bit — never as a match.

Several editions can match one frame: an edition that only *adds* to the one it extends (new types, extension
additions after ``...``, renamed named bits) accepts every frame of its parent unchanged, e.g. every T/CSAE 53-2020
frame is also a T/CSAE 157-2020 frame. :func:`preferred_edition` names the most specific one.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ..errors import CodecError
from ..standards.editions import all_type_definitions, edition_ids, load_edition, registry
from .strict import codec_for


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
        decoded = codec.decode(data, type_name, allow_trailing=True, allow_padding=True)
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
    padding_bit = decoded.first_nonzero_padding_bit
    if padding_bit is not None:
        return EditionResult(
            edition,
            MatchStatus.NOT_CANONICAL,
            f"decodes, but not canonical under {edition}: a complete {decoded.type_name} ends at bit "
            f"{decoded.bit_length} and padding bit {padding_bit} is 1 (a conforming encoder pads with zero bits, "
            "X.691 §11.1)",
            first_difference_bit=padding_bit,
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


def _close_extension_list(items: Sequence[Any]) -> list[Any]:
    """Drop a closing extension marker with nothing after it (``a, ..., b, ...`` is the same type as ``a, ..., b``)."""
    result = list(items)
    if result.count(None) == 2 and result[-1] is None:
        result.pop()
    return result


def _only_adds(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """True when every encoding of parsed type ``old`` decodes to the same value under ``new``, re-encoding alike.

    That holds for an identical definition, for a SEQUENCE/SET/CHOICE/ENUMERATED whose new members or items are
    all extension additions appended after the parent's one extension marker (X.691: a parent frame has the
    extension bit 0), and for a BIT STRING whose named bits are renamed at the same positions.
    """
    if old == new:
        return True
    for key in ("members", "values"):
        if key in old or key in new:
            if {k: v for k, v in old.items() if k != key} != {k: v for k, v in new.items() if k != key}:
                return False
            before, after = _close_extension_list(old.get(key, [])), _close_extension_list(new.get(key, []))
            return before.count(None) == 1 and after[: len(before)] == before and None not in after[len(before) :]
    if "named-bits" in old and "named-bits" in new:
        same_rest = {k: v for k, v in old.items() if k != "named-bits"} == {
            k: v for k, v in new.items() if k != "named-bits"
        }
        return same_rest and [bit for _, bit in old["named-bits"]] == [bit for _, bit in new["named-bits"]]
    return False


@functools.cache
def extension_of(edition: str) -> str | None:
    """Return the edition that ``edition`` extends when it only adds to it, else None.

    "Only adds" is computed from the parsed ASN.1 of both editions (see :func:`_only_adds`): then every frame of
    the parent is also a frame of ``edition`` with the same value, so the parent is the more specific name for
    it (T/CSAE 157-2020 only adds Day-2 alternatives and extension additions to T/CSAE 53-2020). Editions that
    replace types (csae53-2019, csae53-2017) and custom ASN.1 folders give None.
    """
    info = registry().get(edition)
    if info is None or info.extends is None:
        return None
    before = all_type_definitions(load_edition(info.extends).parsed)
    after = all_type_definitions(load_edition(edition).parsed)
    for name, (_, definition) in before.items():
        if name not in after or not _only_adds(definition, after[name][1]):
            return None
    return info.extends


def preferred_edition(matches: Sequence[str]) -> str | None:
    """Name the most specific of the matching editions (given oldest first): the newest one whose parent, when
    it only adds to that parent, does not match too. A Day-1 frame is thus named by a Day-1 edition even though
    the Day-2 edition built on it matches as well; a Day-2 (msgFrameExt) frame matches only the Day-2 edition.
    """
    specific = [edition for edition in matches if extension_of(edition) not in matches]
    return specific[-1] if specific else None
