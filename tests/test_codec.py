"""The strict codec: constraints on encode and decode, trailing bytes, BIT STRING sizes, shape, exact locations."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.codec import codec_for, decode, encode
from conformance.editions import load_edition
from conformance.errors import CodecError, ValueFormatError
from conformance.identify import first_differing_bit
from conformance.samples import EDITION, sample_frames, sample_values


def bsm_value(**changes: Any) -> tuple[str, dict[str, Any]]:
    alternative, value = sample_values()["bsm"]
    changed = copy.deepcopy(value)
    changed.update(changes)
    return alternative, changed


def lax_encode(value: Any) -> bytes:
    """Encode without constraint checks, as a faulty device would (asn1tools' default)."""
    return bytes(load_edition(EDITION).spec.encode("MessageFrame", value, check_constraints=False))


@pytest.mark.parametrize("name", ["bsm", "map", "spat", "rsi", "rsm"])
def test_samples_round_trip(name: str) -> None:
    data = sample_frames()[name]
    decoded = decode(data, edition=EDITION)
    assert decoded.bit_length > len(data) * 8 - 8
    assert encode(decoded.value, edition=EDITION) == data


def test_encode_rejects_out_of_range_speed_instead_of_wrapping() -> None:
    # asn1tools without constraint checks encodes speed 9000 into 13 bits and it decodes back as 808.
    with pytest.raises(CodecError) as caught:
        encode(bsm_value(speed=9000), edition=EDITION)
    assert caught.value.field_path == "bsmFrame.speed"
    assert "8191" in caught.value.message and "9000" in caught.value.message


def test_lax_encoding_of_9000_really_wraps() -> None:
    """The hole the strict codec closes exists: unchecked speed 9000 comes back as another number."""
    spec = load_edition(EDITION).spec
    assert spec.decode("MessageFrame", lax_encode(bsm_value(speed=9000)))[1]["speed"] == 808


def test_decode_rejects_out_of_range_heading_with_field_and_bit_offset() -> None:
    data = lax_encode(bsm_value(heading=30_000))
    # Independent oracle for where the heading field starts: flip its most significant bit (15-bit field).
    start = first_differing_bit(lax_encode(bsm_value(heading=0)), lax_encode(bsm_value(heading=16_384)))
    with pytest.raises(CodecError) as caught:
        decode(data, edition=EDITION)
    assert caught.value.field_path == "bsmFrame.heading"
    assert caught.value.bit_offset == start
    assert caught.value.exit_code == 1


def test_decode_reports_index_of_offending_list_element() -> None:
    alternative, value = sample_values()["spat"]
    bad = copy.deepcopy(value)
    bad["intersections"][0]["phases"][2]["phaseStates"][0]["timing"][1]["likelyEndTime"] = 40_000  # TimeMark 0..36001
    with pytest.raises(CodecError) as caught:
        decode(lax_encode((alternative, bad)), edition=EDITION)
    assert (
        caught.value.field_path == "spatFrame.intersections[0].phases[2].phaseStates[0].timing.counting.likelyEndTime"
    )
    assert caught.value.bit_offset is not None


def test_trailing_bytes_are_rejected() -> None:
    data = sample_frames()["bsm"] + b"\x00\x01"
    with pytest.raises(CodecError) as caught:
        decode(data, edition=EDITION)
    assert "2 trailing byte(s)" in caught.value.message
    assert caught.value.bit_offset == len(sample_frames()["bsm"]) * 8


def test_trailing_bytes_can_be_returned_for_identification() -> None:
    data = sample_frames()["bsm"] + b"\xff"
    decoded = codec_for(EDITION).decode(data, allow_trailing=True)
    assert decoded.trailing == b"\xff"


@pytest.mark.parametrize("cut", [1, 5, 20, 60])
def test_truncation_names_field_and_offset(cut: int) -> None:
    data = sample_frames()["bsm"][:cut]
    with pytest.raises(CodecError) as caught:
        decode(data, edition=EDITION)
    assert caught.value.message.startswith("Truncated input")
    assert caught.value.field_path.startswith("bsmFrame")
    assert caught.value.bit_offset is not None and caught.value.bit_offset <= cut * 8


def test_empty_input() -> None:
    with pytest.raises(CodecError, match="Empty input"):
        decode(b"", edition=EDITION)


def test_unknown_choice_index() -> None:
    data = bytes([0x70]) + sample_frames()["bsm"][1:]
    with pytest.raises(CodecError) as caught:
        decode(data, edition=EDITION)
    assert "choice index" in caught.value.message
    assert caught.value.bit_offset == 0


def test_bit_string_size_enforced_on_encode() -> None:
    alternative, value = bsm_value()
    value["brakes"] = dict(value["brakes"], wheelBrakes=(b"\xff", 8))  # BrakeAppliedStatus is SIZE(5)
    with pytest.raises(CodecError) as caught:
        encode((alternative, value), edition=EDITION)
    assert caught.value.field_path == "bsmFrame.brakes.wheelBrakes"


def test_extensible_bit_string_outside_root_is_a_clear_error() -> None:
    alternative, value = bsm_value()
    value["safetyExt"] = dict(value["safetyExt"], events=(b"\xff\xff", 16))  # SIZE(13, ...)
    with pytest.raises(CodecError) as caught:
        encode((alternative, value), edition=EDITION)
    assert "bsmFrame.safetyExt.events" in caught.value.field_path


def test_unknown_member_is_rejected_with_valid_names() -> None:
    with pytest.raises(ValueFormatError) as caught:
        encode(bsm_value(sped=10), edition=EDITION)
    assert caught.value.field_path == "bsmFrame.sped"
    assert "speed" in caught.value.hint


def test_missing_mandatory_member() -> None:
    alternative, value = bsm_value()
    del value["heading"]
    with pytest.raises(ValueFormatError) as caught:
        encode((alternative, value), edition=EDITION)
    assert caught.value.field_path == "bsmFrame.heading"


def test_wrong_python_type_is_rejected() -> None:
    with pytest.raises(ValueFormatError) as caught:
        encode(bsm_value(speed="fast"), edition=EDITION)
    assert caught.value.field_path == "bsmFrame.speed"
    assert "integer" in caught.value.message


def test_unknown_choice_alternative_and_enum_item() -> None:
    with pytest.raises(ValueFormatError, match="no alternative"):
        encode(("carFrame", {}), edition=EDITION)
    with pytest.raises(ValueFormatError, match="no item") as caught:
        encode(bsm_value(transmission="drive"), edition=EDITION)
    assert "forwardGears" in caught.value.hint


def test_unknown_type_name() -> None:
    with pytest.raises(CodecError, match="has no type"):
        decode(sample_frames()["bsm"], edition=EDITION, type_name="NoSuchType")


def test_named_type_decode() -> None:
    _alternative, value = sample_values()["rsm"]
    data = encode(value, edition=EDITION, type_name="RoadsideSafetyMessage")
    assert decode(data, edition=EDITION, type_name="RoadsideSafetyMessage").value == value


@settings(max_examples=300, deadline=None)
@given(st.binary(min_size=0, max_size=64))
def test_random_bytes_never_escape_as_another_exception(data: bytes) -> None:
    try:
        decoded = decode(data, edition=EDITION)
    except CodecError as exc:
        assert exc.describe()
        return
    # A value the strict decoder accepted satisfies every constraint, so the strict encoder must accept it too.
    assert encode(decoded.value, edition=EDITION)
    assert len(decoded.data) == len(data)


def test_unknown_choice_extension_alternative_is_an_error_not_none() -> None:
    """A Day-2 frame (MessageFrame extension alternative 0) under a Day-1 edition; asn1tools gives (None, None)."""
    with pytest.raises(CodecError) as caught:
        decode(bytes.fromhex("800b00000802011a195b1b1bc0"), edition=EDITION)
    assert "extension alternative number 0 of MessageFrame is not defined" in caught.value.message
    assert caught.value.bit_offset == 1
