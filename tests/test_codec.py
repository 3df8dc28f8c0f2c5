"""The strict codec: constraints on encode and decode, trailing bytes, BIT STRING sizes, shape, exact locations."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import asn1tools
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance.codec import bittrace
from conformance.codec.identify import (
    MatchStatus,
    _only_adds,
    extension_of,
    first_differing_bit,
    matching_editions,
    preferred_edition,
    try_edition,
)
from conformance.codec.strict import StrictCodec, codec_for, decode, encode, first_nonzero_padding_bit
from conformance.errors import CodecError, ValueFormatError, format_path
from conformance.standards import CORPUS_DIR
from conformance.standards.editions import custom_edition, load_edition
from conformance.standards.samples import EDITION, sample_values
from conformance.vectors.samples import sample_frames

VECTORS = CORPUS_DIR


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


def _python_path() -> StrictCodec:
    codec = StrictCodec(load_edition(EDITION))
    codec.native = None
    return codec


@pytest.mark.parametrize("fault", ["constraint", "structure"])
def test_a_rejection_traces_the_frame_only_when_its_place_is_read(fault: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 15: rejecting costs about what accepting does. The Python path decides at once and traces the bits
    for the exact place (field path with list indices, bit offset) the first time that place is read; the place
    is then the one an eager trace gives."""
    codec = _python_path()
    data = lax_encode(bsm_value(heading=30_000)) if fault == "constraint" else sample_frames()["bsm"][:20]
    calls: list[str] = []

    def counted(name: str) -> Any:
        real = getattr(bittrace, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            calls.append(name)
            return real(*args, **kwargs)

        return call

    for name in ("trace", "locate"):
        monkeypatch.setattr(bittrace, name, counted(name))
    with pytest.raises(CodecError) as caught:
        codec.decode(data)
    assert caught.value.message and calls == []  # the verdict and its words, no trace
    path, bit = caught.value.field_path, caught.value.bit_offset
    assert len(calls) == 1 and path.startswith("bsmFrame") and bit is not None
    assert (caught.value.field_path, caught.value.bit_offset) == (path, bit) and len(calls) == 1  # traced once
    monkeypatch.undo()
    if fault == "constraint":
        span = bittrace.locate(codec.edition, "MessageFrame", data, "bsmFrame.heading", "30000")
        assert span is not None and (path, bit) == (span.display, span.start_bit)
    else:
        traced = bittrace.trace(codec.edition, "MessageFrame", data, spans=False)
        assert traced.failure_path is not None and bit == traced.failure_start_bit


def test_a_deferred_place_that_cannot_be_worked_out_keeps_the_known_one() -> None:
    """Should the trace fail (a bug), the error still reads: the place known at once, and the failure kept."""

    def broken() -> tuple[str, int | None]:
        raise RuntimeError("tracer bug")

    error = CodecError("Constraint violated.", operation="decode", field_path="bsmFrame.heading", locate=broken)
    assert "field bsmFrame.heading" in error.describe() and error.bit_offset is None
    assert error.locate_failure == "RuntimeError: tracer bug"
    failing = CodecError(operation="decode", bit_offset=12, explain=lambda: ("", "")[5])  # type: ignore[misc]
    assert "its description could not be written (IndexError" in failing.describe()
    assert "bit offset 12" in failing.describe() and failing.locate_failure.startswith("IndexError")
    deferred = CodecError(operation="decode", explain=lambda: ("Truncated input.", "Capture it all."))
    deferred.message = f"frame.bin: {deferred.message}"
    assert str(deferred) == "frame.bin: Truncated input. Hint: Capture it all."


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


def test_extensible_bit_string_outside_root_is_a_clear_error_on_the_python_path() -> None:
    """asn1tools cannot encode it; the Python path says so (the native engine encodes it: test_native_codec)."""
    python_only = _python_path()
    alternative, value = bsm_value()
    value["safetyExt"] = dict(value["safetyExt"], events=(b"\xff\xff", 16))  # SIZE(13, ...)
    with pytest.raises(CodecError) as caught:
        python_only.encode((alternative, value))
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


def _with_light_extension_value(index: int) -> tuple[bytes, str, int]:
    """The SPAT sample with its first LightState written as extension value ``index`` (X.691 14.3: extension bit
    1, then the index as a normally small number), and that field's path and the bit its index starts at."""
    data = sample_frames()["spat"]
    span = next(s for s in bittrace.trace(load_edition(EDITION), "MessageFrame", data).spans if s.path[-1] == "light")
    bits = "".join(f"{byte:08b}" for byte in data)[: decode(data, edition=EDITION).bit_length]
    assert bits[span.start_bit] == "0" and span.end_bit - span.start_bit == 5  # a root value: 0 + 4-bit index
    bits = bits[: span.start_bit] + "1" + "0" + f"{index:06b}" + bits[span.end_bit :]
    bits += "0" * (-len(bits) % 8)
    return int(bits, 2).to_bytes(len(bits) // 8, "big"), format_path(span.path), span.start_bit + 1


@pytest.mark.parametrize("path", ["python", "default"])
def test_unknown_enumerated_extension_value_is_an_error_not_none(path: str) -> None:
    """An ENUMERATED extension value the edition does not define (LightState of csae53-2020 has none) is refused
    like an unknown CHOICE extension alternative, at its index; asn1tools would give None, asn1c refuses it."""
    frame, field, index_bit = _with_light_extension_value(3)
    codec = _python_path() if path == "python" else codec_for(EDITION)
    with pytest.raises(CodecError) as caught:
        codec.decode(frame)
    assert caught.value.message == (
        "Unknown extension: extension value number 3 of light is not defined in this edition "
        "(extension values known here: none)."
    )
    assert (caught.value.field_path, caught.value.bit_offset) == (field, index_bit)
    assert "later edition" in caught.value.hint
    plain = asn1tools.compile_dict(copy.deepcopy(load_edition(EDITION).parsed), "uper")  # not hardened
    assert plain.decode("MessageFrame", frame)  # asn1tools takes it, the light as None


# -- padding bits (ITU-T X.691 §11.1: a complete encoding is padded with zero bits to the octet boundary) ----------
def flip(data: bytes, bit: int) -> bytes:
    """Invert one bit (bit 0 is the most significant bit of the first byte)."""
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


@functools.cache
def padded_valid_frames() -> list[tuple[str, bytes, int]]:
    """(edition, frame, bits used) of the samples and the corpus' valid/boundary vectors that end with padding."""
    found = [(EDITION, data, decode(data, edition=EDITION).bit_length) for data in sample_frames().values()]
    for path in sorted(VECTORS.glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record["class"] in ("valid", "boundary") and record["framing"] == "none":
                data = bytes.fromhex(record["hex"])
                found.append((record["edition"], data, decode(data, edition=record["edition"]).bit_length))
    return [(edition, data, bits) for edition, data, bits in found if bits % 8]


@pytest.mark.parametrize(
    ("name", "where"),
    [("bsm", "first"), ("bsm", "last"), ("map", "last"), ("spat", "first"), ("spat", "last"), ("rsm", "both")],
)
def test_nonzero_padding_is_rejected_at_the_first_set_padding_bit(name: str, where: str) -> None:
    data = sample_frames()[name]
    clean = decode(data, edition=EDITION)  # zero padding: decodes, and identify calls it a match
    assert clean.first_nonzero_padding_bit is None
    assert try_edition(data, EDITION).status is MatchStatus.MATCH
    bits = clean.bit_length
    assert bits % 8, f"the {name} sample has no padding bits"
    first, last = bits, len(data) * 8 - 1
    bad = {"first": flip(data, first), "last": flip(data, last), "both": flip(flip(data, first), last)}[where]
    expected = last if where == "last" else first
    # Independent oracle: the conforming re-encoding (the clean frame) differs from the bad one exactly there.
    assert first_differing_bit(bad, encode(clean.value, edition=EDITION)) == expected
    with pytest.raises(CodecError) as caught:
        decode(bad, edition=EDITION)
    assert caught.value.bit_offset == expected
    assert caught.value.message.startswith("Non-zero padding")
    assert f"ends at bit {bits}" in caught.value.message and f"bit {expected} is 1" in caught.value.message
    assert "pads with zero bits (X.691 §11.1)" in caught.value.hint
    result = try_edition(bad, EDITION)
    assert result.status is MatchStatus.NOT_CANONICAL
    assert result.first_difference_bit == expected
    assert f"padding bit {expected} is 1" in result.detail
    assert codec_for(EDITION).decode(bad, allow_padding=True).first_nonzero_padding_bit == expected


def test_frame_without_padding_bits_has_nothing_to_check() -> None:
    data = sample_frames()["rsi"]
    decoded = decode(data, edition=EDITION)
    assert decoded.bit_length == len(data) * 8 and decoded.padding_bits == 0
    assert first_nonzero_padding_bit(data, decoded.bit_length) is None


def test_bit_trace_ends_where_the_padding_starts() -> None:
    """The instrumented decode is not confused by padding: it succeeds and its last field ends at the used bits."""
    data = sample_frames()["spat"]
    bits = decode(data, edition=EDITION).bit_length
    bad = flip(data, len(data) * 8 - 1)
    traced = bittrace.trace(load_edition(EDITION), "MessageFrame", bad)
    assert traced.failure_path is None
    assert max(span.end_bit for span in traced.spans) == bits


def test_a_constraint_violation_is_reported_before_bad_padding() -> None:
    data = lax_encode(bsm_value(heading=30_000))
    assert len(data) == len(sample_frames()["bsm"]) and decode(sample_frames()["bsm"], edition=EDITION).padding_bits
    last = len(data) * 8 - 1
    with pytest.raises(CodecError) as clean_caught:
        decode(data, edition=EDITION)
    with pytest.raises(CodecError) as caught:
        decode(flip(data, last), edition=EDITION)
    assert caught.value.field_path == clean_caught.value.field_path == "bsmFrame.heading"
    assert caught.value.bit_offset == clean_caught.value.bit_offset != last


def test_nonzero_padding_inside_a_day2_open_type_names_the_outer_bit() -> None:
    frame = bytes.fromhex("800b00000802011a195b1b1bc0")  # TestMsg in msgFrameExt; the TestMsg ends with 6 padding bits
    assert decode(frame, edition="csae157-2020").value[1]["value"].type_name == "TestMsg"
    for bit in range(98, 104):
        with pytest.raises(CodecError) as caught:
            decode(flip(frame, bit), edition="csae157-2020")
        assert caught.value.bit_offset == bit
        assert caught.value.field_path == "msgFrameExt.value"
        assert "Non-zero padding" in caught.value.message
    assert try_edition(flip(frame, 100), "csae157-2020").status is not MatchStatus.MATCH


def test_nonzero_padding_of_an_extension_alternative_is_rejected(tmp_path: Path) -> None:
    """An extension alternative is an open type (X.691 §23.8): its complete encoding is zero-padded too."""
    (tmp_path / "ext.asn").write_text(
        "Ext DEFINITIONS AUTOMATIC TAGS ::= BEGIN\n"
        "  Frame ::= CHOICE { small INTEGER (0..1), ..., flag BOOLEAN }\nEND\n"
    )
    codec = StrictCodec(custom_edition(tmp_path, pdu="Frame"))
    data = codec.encode(("flag", True))
    assert data == bytes.fromhex("800180")  # ext bit, index 0, length 1, TRUE + 7 zero padding bits
    assert codec.decode(data).value == ("flag", True)
    with pytest.raises(CodecError) as caught:
        codec.decode(flip(data, 20))
    assert caught.value.bit_offset == 20
    assert "Non-zero padding" in caught.value.message and "X.691 §11.1" in caught.value.hint


SEMI_CONSTRAINED = (
    "Semi DEFINITIONS AUTOMATIC TAGS ::= BEGIN\n"
    "  Frame ::= SEQUENCE { n1 INTEGER (5..MAX), big INTEGER (0..MAX), plain INTEGER, flag BOOLEAN }\nEND\n"
)


@pytest.mark.parametrize("path", ["python", "default"])
def test_semi_constrained_integer_is_encoded_as_x691_says(path: str, tmp_path: Path) -> None:
    """X.691 (08/2015) §13.2.3 with §11.7: INTEGER (lb..MAX) is a length determinant, then value - lb as a
    non-negative binary integer in the fewest octets. asn1tools encodes the value itself in two's complement
    (its issue #140: n1 INTEGER (5..MAX) = 8 gives 0x0108 where 0x0103 is due); both paths follow X.691."""
    (tmp_path / "semi.asn").write_text(SEMI_CONSTRAINED)
    codec = StrictCodec(custom_edition(tmp_path, pdu="Frame"))
    if path == "python":
        codec.native = None
    value = {"n1": 8, "big": 200, "plain": -1, "flag": True}
    data = codec.encode(value)
    # n1: length 1, 8 - 5; big: length 1, 200 unsigned (two's complement would need 00 c8); plain: 01 ff; TRUE
    assert data == bytes.fromhex("0103" "01c8" "01ff" "80")
    assert codec.decode(data).value == value
    huge = dict(value, big=2**70 + 1)  # beyond 64 bits: 9 octets
    data = codec.encode(huge)
    assert data[2:13] == bytes.fromhex("09") + (2**70 + 1).to_bytes(9, "big") + bytes.fromhex("01")
    assert codec.decode(data).value == huge
    with pytest.raises(CodecError) as caught:
        codec.encode(dict(value, n1=4))
    assert caught.value.field_path == "n1" and "Constraint violated" in caught.value.message
    with pytest.raises(CodecError) as caught:
        codec.decode(bytes.fromhex("00" "01c8" "01ff" "80"))  # n1 with a length of 0 octets
    assert caught.value.message == (
        "Invalid encoding: the length of an INTEGER is 0 octets (X.691 needs at least one)."
    )
    assert (caught.value.field_path, caught.value.bit_offset) == ("n1", 0)
    with pytest.raises(CodecError) as caught:
        codec.decode(bytes.fromhex("0103" "01c8" "00" "80"))  # the unconstrained INTEGER with 0 octets: same words
    assert "the length of an INTEGER is 0 octets" in caught.value.message
    assert (caught.value.field_path, caught.value.bit_offset) == ("plain", 32)


def test_semi_constrained_integer_differs_from_plain_asn1tools(tmp_path: Path) -> None:
    """The difference is real: asn1tools alone writes n1 = 8 as 0x0108 (its issue #140)."""
    plain = asn1tools.compile_string(SEMI_CONSTRAINED, "uper")
    assert plain.encode("Frame", {"n1": 8, "big": 200, "plain": -1, "flag": True}).hex().startswith("0108" "0200c8")


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_single_padding_bit_is_rejected_at_exactly_its_offset(data: st.DataObject) -> None:
    edition, frame, bits = data.draw(st.sampled_from(padded_valid_frames()))
    bit = data.draw(st.integers(min_value=bits, max_value=len(frame) * 8 - 1))
    assert decode(frame, edition=edition).bit_length == bits
    with pytest.raises(CodecError) as caught:
        decode(flip(frame, bit), edition=edition)
    assert caught.value.bit_offset == bit
    assert caught.value.message.startswith("Non-zero padding")
    assert try_edition(flip(frame, bit), edition).first_difference_bit == bit


# -- the most specific matching edition ----------------------------------------------------------------------------
A = {"name": "a", "type": "BOOLEAN"}
B = {"name": "b", "type": "INTEGER"}
C = {"name": "c", "type": "NULL"}


@pytest.mark.parametrize(
    ("old", "new", "adds_only"),
    [
        ({"type": "CHOICE", "members": [A, None]}, {"type": "CHOICE", "members": [A, None]}, True),
        ({"type": "CHOICE", "members": [A, None]}, {"type": "CHOICE", "members": [A, None, B, None]}, True),
        ({"type": "SEQUENCE", "members": [A, None, B]}, {"type": "SEQUENCE", "members": [A, None, B, C]}, True),
        ({"type": "CHOICE", "members": [A, None]}, {"type": "CHOICE", "members": [A, B, None]}, False),  # root
        ({"type": "SEQUENCE", "members": [A]}, {"type": "SEQUENCE", "members": [A, B]}, False),  # not extensible
        ({"type": "SEQUENCE", "members": [A, None]}, {"type": "SEQUENCE", "members": [B, None, A]}, False),
        ({"type": "SEQUENCE", "members": [A, None]}, {"type": "SET", "members": [A, None, B]}, False),
        (
            {"type": "ENUMERATED", "values": [("x", 0), None]},
            {"type": "ENUMERATED", "values": [("x", 0), None, ("y", 1)]},
            True,
        ),
        ({"type": "ENUMERATED", "values": [("x", 0)]}, {"type": "ENUMERATED", "values": [("x", 0), ("y", 1)]}, False),
        (
            {"type": "BIT STRING", "size": [8], "named-bits": [("p", "0"), ("q", "1")]},
            {"type": "BIT STRING", "size": [8], "named-bits": [("p", "0"), ("r", "1")]},
            True,
        ),
        (
            {"type": "BIT STRING", "size": [8], "named-bits": [("p", "0"), ("q", "1")]},
            {"type": "BIT STRING", "size": [8], "named-bits": [("p", "0"), ("q", "2")]},
            False,
        ),
        ({"type": "INTEGER", "restricted-to": [(0, 24)]}, {"type": "INTEGER", "restricted-to": [(0, 31)]}, False),
    ],
)
def test_only_adds_tells_extensions_from_changes(old: dict[str, Any], new: dict[str, Any], adds_only: bool) -> None:
    assert _only_adds(old, new) is adds_only


def test_extension_of_is_computed_from_the_asn1() -> None:
    assert extension_of("csae157-2020") == "csae53-2020"  # Day-2 only adds msgFrameExt and extension additions
    assert [extension_of(edition) for edition in ("csae53-2020", "csae53-2019", "csae53-2017")] == [None] * 3
    assert extension_of("custom:/nowhere") is None


@pytest.mark.parametrize(
    ("matches", "preferred"),
    [
        (["csae53-2019", "csae53-2020", "csae157-2020"], "csae53-2020"),
        (["csae53-2020", "csae157-2020"], "csae53-2020"),
        (["csae53-2019", "csae157-2020"], "csae157-2020"),  # its parent does not match: nothing more specific
        (["csae157-2020"], "csae157-2020"),
        (["csae53-2017", "csae53-2019"], "csae53-2019"),  # replacing editions: the newest
        ([], None),
    ],
)
def test_preferred_edition(matches: list[str], preferred: str | None) -> None:
    assert preferred_edition(matches) == preferred


@pytest.mark.parametrize("name", ["bsm", "map", "spat", "rsi", "rsm"])
def test_day1_samples_are_named_by_a_day1_edition(name: str) -> None:
    matches = matching_editions(sample_frames()[name])
    assert "csae157-2020" in matches  # the Day-2 edition accepts every Day-1 frame ...
    assert preferred_edition(matches) == EDITION  # ... but the Day-1 edition is the more specific name


def test_day2_frame_is_named_by_the_day2_edition() -> None:
    assert preferred_edition(matching_editions(bytes.fromhex("800b00000802011a195b1b1bc0"))) == "csae157-2020"
