"""The real field captures are the oracle of the 2019 edition and of edition identification (checked by decoding
and re-encoding each capture's bytes under every edition)."""

from __future__ import annotations

from typing import Any

import pytest

from conformance.codec import jsonvalue
from conformance.codec.identify import MatchStatus, identify, preferred_edition
from conformance.codec.strict import decode, encode
from conformance.errors import CodecError
from conformance.standards.editions import edition_ids

CAPTURE_IDS = ["zyjohn-spat", "zyjohn-bsm-0", "zyjohn-bsm-1", "zyjohn-rsm", "zyjohn-rsi", "zyjohn-map"]

# Expected outcome per capture and edition (checked by strict decoding and re-encoding of the capture bytes).
M, N, X = MatchStatus.MATCH, MatchStatus.NOT_CANONICAL, MatchStatus.NO_DECODE
EXPECTED: dict[str, dict[str, MatchStatus]] = {
    "zyjohn-spat": {"csae53-2017": X, "csae53-2019": M, "csae53-2020": M, "csae157-2020": M},
    "zyjohn-bsm-0": {"csae53-2017": N, "csae53-2019": M, "csae53-2020": M, "csae157-2020": M},
    "zyjohn-bsm-1": {"csae53-2017": N, "csae53-2019": M, "csae53-2020": M, "csae157-2020": M},
    "zyjohn-rsm": {"csae53-2017": X, "csae53-2019": M, "csae53-2020": M, "csae157-2020": M},
    "zyjohn-rsi": {"csae53-2017": X, "csae53-2019": M, "csae53-2020": X, "csae157-2020": X},
    "zyjohn-map": {"csae53-2017": N, "csae53-2019": M, "csae53-2020": N, "csae157-2020": N},
}


@pytest.mark.parametrize("capture_id", CAPTURE_IDS)
def test_capture_decodes_to_listed_value_under_2019(captures: dict[str, dict[str, Any]], capture_id: str) -> None:
    capture = captures[capture_id]
    decoded = decode(bytes.fromhex(capture["hex"]), edition="csae53-2019")
    assert jsonvalue.to_json(decoded.value) == capture["decoded"]
    assert decoded.bit_length <= len(capture["hex"]) * 4


@pytest.mark.parametrize("capture_id", CAPTURE_IDS)
def test_capture_reencodes_byte_identically_under_2019(captures: dict[str, dict[str, Any]], capture_id: str) -> None:
    data = bytes.fromhex(captures[capture_id]["hex"])
    value = decode(data, edition="csae53-2019").value
    assert encode(value, edition="csae53-2019") == data


@pytest.mark.parametrize("capture_id", CAPTURE_IDS)
def test_json_round_trip_is_lossless(captures: dict[str, dict[str, Any]], capture_id: str) -> None:
    """UPER -> value -> JSON text -> value -> UPER gives the same bytes."""
    import json

    data = bytes.fromhex(captures[capture_id]["hex"])
    text = jsonvalue.dumps(decode(data, edition="csae53-2019").value)
    again = jsonvalue.from_json(json.loads(text))
    assert encode(again, edition="csae53-2019") == data


@pytest.mark.parametrize("capture_id", CAPTURE_IDS)
def test_identification_matches_the_documented_table(captures: dict[str, dict[str, Any]], capture_id: str) -> None:
    data = bytes.fromhex(captures[capture_id]["hex"])
    results = {result.edition: result.status for result in identify(data)}
    expected = {edition: status for edition, status in EXPECTED[capture_id].items() if edition in edition_ids()}
    assert results == expected


def test_rsi_and_map_identify_as_2019_alone(captures: dict[str, dict[str, Any]]) -> None:
    for capture_id in ("zyjohn-rsi", "zyjohn-map"):
        matches = [r.edition for r in identify(bytes.fromhex(captures[capture_id]["hex"])) if r.status is M]
        assert matches == ["csae53-2019"]


def test_not_canonical_names_the_first_differing_bit(captures: dict[str, dict[str, Any]]) -> None:
    data = bytes.fromhex(captures["zyjohn-map"]["hex"])
    result = next(r for r in identify(data) if r.edition == "csae53-2020")
    assert result.status is N
    assert result.first_difference_bit is not None and 0 < result.first_difference_bit < len(data) * 8
    assert "not canonical under csae53-2020" in result.detail


@pytest.mark.parametrize("capture_id", ["zyjohn-spat", "zyjohn-bsm-0", "zyjohn-rsm", "zyjohn-rsi"])
def test_capture_with_a_padding_bit_set_is_rejected(captures: dict[str, dict[str, Any]], capture_id: str) -> None:
    """The real frames are zero-padded; with their last (padding) bit set, decode and identify both refuse them."""
    data = bytes.fromhex(captures[capture_id]["hex"])
    bits = decode(data, edition="csae53-2019").bit_length
    assert bits % 8 and first_padding_is_zero(data, bits)
    bad = data[:-1] + bytes([data[-1] | 0x01])
    with pytest.raises(CodecError) as caught:
        decode(bad, edition="csae53-2019")
    assert caught.value.bit_offset == len(data) * 8 - 1
    assert "csae53-2019" not in [r.edition for r in identify(bad) if r.status is M]
    result = next(r for r in identify(bad) if r.edition == "csae53-2019")
    assert result.status is N and result.first_difference_bit == len(data) * 8 - 1


def first_padding_is_zero(data: bytes, bits: int) -> bool:
    """True when the bits of ``data`` after the first ``bits`` are all zero."""
    return int.from_bytes(data, "big") & ((1 << (len(data) * 8 - bits)) - 1) == 0


def test_auto_names_the_newest_day1_edition_for_a_capture(captures: dict[str, dict[str, Any]]) -> None:
    data = bytes.fromhex(captures["zyjohn-bsm-0"]["hex"])
    matches = [r.edition for r in identify(data) if r.status is M]
    assert matches == ["csae53-2019", "csae53-2020", "csae157-2020"]
    assert preferred_edition(matches) == "csae53-2020"
    rsi = [r.edition for r in identify(bytes.fromhex(captures["zyjohn-rsi"]["hex"])) if r.status is M]
    assert preferred_edition(rsi) == "csae53-2019"
