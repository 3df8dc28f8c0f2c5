"""Tests for conformance.dsmp: DSMP framing (YD/T 3707-2020 as implemented by deployed equipment)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conformance.errors import ConfigurationError, FramingError
from conformance.network.dsmp import (
    AID_MAX,
    MAX_PAYLOAD_LENGTH,
    AidEntry,
    AidTable,
    DsmpExtension,
    DsmpPacket,
    aid_table,
    build,
    decode_aid,
    encode_aid,
    load_aid_table,
    parse,
)

H = bytes.fromhex

# ---------------------------------------------------------------------------------------------------------
# Exact bytes


@pytest.mark.parametrize(
    ("aid", "encoded"),
    [
        (0, "00"),
        (1, "01"),
        (111, "6f"),  # BSM
        (114, "72"),
        (0x7F, "7f"),  # largest 1-byte AID
        (0x80, "8000"),  # smallest 2-byte AID: 0x80 + 0x7F80
        (3617, "8da1"),  # aftermarket BSM
        (3618, "8da2"),  # MAP: 0x7F80 + 3618 = 0x8DA2
        (3619, "8da3"),  # SPAT
        (3620, "8da4"),  # RSI static
        (3623, "8da7"),  # RSM
        (AID_MAX, "bfff"),  # largest representable AID (16511)
    ],
)
def test_encode_decode_aid_exact(aid: int, encoded: str) -> None:
    assert encode_aid(aid) == H(encoded)
    data = b"\xee" + H(encoded) + b"\xee"
    assert decode_aid(data, 1) == (aid, 1 + len(H(encoded)))


def test_aid_max_is_16511() -> None:
    assert AID_MAX == 0x407F == 16511


def test_aid_encoding_round_trips_exhaustively() -> None:
    seen: set[bytes] = set()
    for aid in range(AID_MAX + 1):
        enc = encode_aid(aid)
        assert len(enc) == (1 if aid <= 0x7F else 2)
        assert decode_aid(enc, 0) == (aid, len(enc))
        seen.add(enc)
    assert len(seen) == AID_MAX + 1


@pytest.mark.parametrize(
    ("kwargs", "payload", "expected"),
    [
        # protocol type 04, byte1 00, AID 6f (111), length 0002, payload
        ({"aid": 111}, H("0102"), "04006f00020102"),
        ({"aid": 0}, b"", "0400000000"),
        ({"aid": 127}, H("ff"), "04007f0001ff"),
        ({"aid": 128}, H("ff"), "040080000001ff"),
        ({"aid": 3618}, H("14"), "04008da2000114"),
        ({"aid": 3623}, b"", "04008da70000"),
        # option flag (bit 4) set, count 2, (01, len 1, 05), (80, len 0), AID 0x70 (112), length 1, payload aa
        (
            {"aid": 112, "extensions": [DsmpExtension(1, H("05")), DsmpExtension(0x80, b"")]},
            H("aa"),
            "04100201010580007000" + "01aa",
        ),
        # 2-byte AID after an extension
        ({"aid": 3619, "extensions": [DsmpExtension(7, H("abcd"))]}, H("36"), "0410010702abcd8da3000136"),
        # version is bits 7..5 of byte 1 (non-zero only for negative test vectors)
        ({"aid": 111, "version": 1}, b"", "04206f0000"),
        ({"aid": 111, "version": 7}, b"", "04e06f0000"),
    ],
)
def test_build_exact_bytes(kwargs: dict[str, object], payload: bytes, expected: str) -> None:
    assert build(payload, **kwargs).hex() == expected  # type: ignore[arg-type]


def test_parse_exact_bytes_one_byte_aid() -> None:
    pkt = parse(H("04006f00020102"))
    assert pkt == DsmpPacket(protocol_type=4, version=0, extensions=(), aid=111, payload=H("0102"), header_length=5)
    assert pkt.length == 2
    assert not pkt.option_flag


def test_parse_exact_bytes_two_byte_aid_and_extensions() -> None:
    pkt = parse(H("0410010702abcd8da3000136"))
    assert pkt.aid == 3619
    assert pkt.extensions == (DsmpExtension(7, H("abcd")),)
    assert pkt.option_flag
    assert pkt.header_length == 11
    assert pkt.payload == H("36")
    assert pkt.length == 1


def test_parse_accepts_bytearray_and_memoryview() -> None:
    data = build(b"xyz", aid=3618)
    assert parse(bytearray(data)) == parse(data)  # type: ignore[arg-type]
    assert parse(memoryview(data)) == parse(data)  # type: ignore[arg-type]


def test_parse_accepts_matching_expected_aid() -> None:
    assert parse(build(b"x", aid=3618), expected_aid=3618).aid == 3618


def test_as_dict_is_json_ready() -> None:
    pkt = parse(build(H("0a0b"), aid=3618, extensions=[DsmpExtension(3, H("ff00"))]))
    d = pkt.as_dict()
    assert json.loads(json.dumps(d)) == d
    assert d == {
        "protocol_type": 4,
        "version": 0,
        "option_flag": True,
        "extensions": [{"element_id": 3, "length": 2, "value": "ff00"}],
        "aid": 3618,
        "aid_hex": "8da2",
        "length": 2,
        "header_length": 11,
        "payload": "0a0b",
    }


def test_extension_value_is_normalised_to_bytes() -> None:
    ext = DsmpExtension(1, bytearray(b"ab"))  # type: ignore[arg-type]
    assert type(ext.value) is bytes
    assert ext == DsmpExtension(1, b"ab")


# ---------------------------------------------------------------------------------------------------------
# Properties

extensions_st = st.lists(st.builds(DsmpExtension, st.integers(0, 255), st.binary(max_size=40)), max_size=5)


@given(
    payload=st.binary(max_size=600),
    aid=st.integers(0, AID_MAX),
    extensions=extensions_st,
)
def test_build_parse_round_trip(payload: bytes, aid: int, extensions: list[DsmpExtension]) -> None:
    data = build(payload, aid=aid, extensions=extensions)
    pkt = parse(data, expected_aid=aid)
    assert pkt.protocol_type == 0x04
    assert pkt.version == 0
    assert pkt.aid == aid
    assert pkt.extensions == tuple(extensions)
    assert pkt.payload == payload
    assert pkt.length == len(payload)
    assert pkt.header_length + len(payload) == len(data)
    assert data[1] == (0x10 if extensions else 0x00)
    assert build(pkt.payload, aid=pkt.aid, extensions=pkt.extensions) == data


@given(payload=st.binary(max_size=64), aid=st.integers(0, AID_MAX), extensions=extensions_st)
def test_every_truncation_is_a_framing_error(payload: bytes, aid: int, extensions: list[DsmpExtension]) -> None:
    data = build(payload, aid=aid, extensions=extensions)
    for cut in range(len(data)):
        with pytest.raises(FramingError) as info:
            parse(data[:cut])
        assert info.value.byte_offset is not None
        assert info.value.field_name


@given(payload=st.binary(max_size=64), aid=st.integers(0, AID_MAX), extra=st.binary(min_size=1, max_size=8))
def test_trailing_bytes_are_a_length_error(payload: bytes, aid: int, extra: bytes) -> None:
    data = build(payload, aid=aid)
    with pytest.raises(FramingError) as info:
        parse(data + extra)
    assert info.value.field_name == "length"
    assert info.value.byte_offset == len(encode_aid(aid)) + 2


@given(st.binary(max_size=80))
def test_parse_arbitrary_bytes_raises_only_framing_error(data: bytes) -> None:
    try:
        pkt = parse(data)
    except FramingError as exc:
        assert exc.field_name
        assert exc.byte_offset is not None
        assert 0 <= exc.byte_offset <= len(data)
    else:
        assert build(pkt.payload, aid=pkt.aid, extensions=pkt.extensions) == data


@given(st.binary(min_size=2, max_size=80))
def test_parse_dsmp_like_bytes_raises_only_framing_error(tail: bytes) -> None:
    data = b"\x04" + tail
    try:
        parse(data)
    except FramingError as exc:
        assert exc.byte_offset is not None


# ---------------------------------------------------------------------------------------------------------
# Error paths: (input hex, field_name, byte_offset, text the message must contain)


@pytest.mark.parametrize(
    ("data", "field", "offset", "text"),
    [
        pytest.param("", "protocol_type", 0, "empty input", id="empty"),
        pytest.param("0011223344", "protocol_type", 0, "0x00", id="wrong-protocol-bare-bsm"),
        pytest.param("14ff", "protocol_type", 0, "bare MAP", id="wrong-protocol-bare-map"),
        pytest.param("05006f0000", "protocol_type", 0, "0x05", id="wrong-protocol-05"),
        pytest.param("04206f0000", "version", 1, "version is 1", id="version-1"),
        pytest.param("04e06f0000", "version", 1, "version is 7", id="version-7"),
        pytest.param("04016f0000", "reserved", 1, "0b0001", id="reserved-bit0"),
        pytest.param("04086f0000", "reserved", 1, "0b1000", id="reserved-bit3-wsmp-style-option"),
        pytest.param("04", "version", 1, "truncated", id="truncated-no-byte1"),
        pytest.param("0400", "aid", 2, "truncated", id="truncated-no-aid"),
        pytest.param("04008d", "aid", 2, "needs 2 byte(s)", id="truncated-2-byte-aid"),
        pytest.param("04006f", "length", 3, "needs 2 byte(s)", id="truncated-no-length"),
        pytest.param("04006f00", "length", 3, "1 is present", id="truncated-half-length"),
        pytest.param("04008da200", "length", 4, "truncated", id="truncated-length-after-2-byte-aid"),
        pytest.param("0400c0000000", "aid", 2, "0xc0", id="aid-first-byte-c0"),
        pytest.param("0400ff000000", "aid", 2, "0xff", id="aid-first-byte-ff"),
        pytest.param("0410", "extension_count", 2, "truncated", id="truncated-ext-count"),
        pytest.param("0410006f0000", "extension_count", 2, "count is 0", id="ext-count-zero"),
        pytest.param("041001", "extensions[0].element_id", 3, "truncated", id="truncated-ext-id"),
        pytest.param("04100107", "extensions[0].length", 4, "truncated", id="truncated-ext-length"),
        pytest.param("0410010703aa", "extensions[0].value", 5, "needs 3 byte(s)", id="truncated-ext-value"),
        pytest.param("041002070006", "extensions[1].length", 6, "truncated", id="truncated-2nd-ext"),
        pytest.param("0410020700", "extensions[1].element_id", 5, "truncated", id="truncated-2nd-ext-id"),
        pytest.param("04006f00050102", "length", 3, "declares 5 payload bytes but 2 are present", id="length-longer"),
        pytest.param("04006f00010102", "length", 3, "declares 1 payload bytes but 2 are present", id="length-shorter"),
        pytest.param("04006f0001", "length", 3, "declares 1 payload bytes but 0 are present", id="no-payload"),
        pytest.param(
            "0410010701aa8da20000ff",
            "length",
            8,
            "declares 0 payload bytes but 1 is present",
            id="length-after-ext-and-2-byte-aid",
        ),
    ],
)
def test_parse_errors(data: str, field: str, offset: int, text: str) -> None:
    with pytest.raises(FramingError) as info:
        parse(H(data))
    err = info.value
    assert err.field_name == field
    assert err.byte_offset == offset
    assert text in err.message
    assert err.exit_code == 1
    assert f"byte offset {offset}" in err.describe()


def test_wrong_protocol_type_hints_framing_none() -> None:
    with pytest.raises(FramingError) as info:
        parse(H("0011223344"))
    assert "--framing none" in info.value.hint
    assert "bare MessageFrame" in info.value.hint


def test_length_error_states_declared_and_present() -> None:
    with pytest.raises(FramingError) as info:
        parse(H("04008da2000a") + b"\x00" * 4)
    msg = info.value.message
    assert "declares 10" in msg
    assert "4 are present" in msg
    assert "byte offset 4" in msg


@pytest.mark.parametrize("aid", [AID_MAX + 1, 0x807F, 0xFFFF, 100_000, -1])
def test_encode_aid_rejects_unrepresentable(aid: int) -> None:
    with pytest.raises(FramingError) as info:
        encode_aid(aid)
    assert info.value.field_name == "aid"
    assert info.value.byte_offset is None
    assert f"0..{AID_MAX}" in info.value.message


def test_build_rejects_aid_too_large() -> None:
    with pytest.raises(FramingError) as info:
        build(b"", aid=AID_MAX + 1)
    assert info.value.field_name == "aid"
    assert "16511" in info.value.message


@pytest.mark.parametrize("bad", [True, 1.5, "111"])
def test_encode_aid_rejects_non_int(bad: object) -> None:
    with pytest.raises(FramingError) as info:
        encode_aid(bad)  # type: ignore[arg-type]
    assert info.value.field_name == "aid"


def test_decode_aid_errors() -> None:
    with pytest.raises(FramingError) as info:
        decode_aid(b"", 0)
    assert (info.value.field_name, info.value.byte_offset) == ("aid", 0)
    with pytest.raises(FramingError) as info:
        decode_aid(b"\x6f", 1)
    assert (info.value.field_name, info.value.byte_offset) == ("aid", 1)
    with pytest.raises(FramingError) as info:
        decode_aid(b"\x6f", -1)
    assert info.value.field_name == "aid"


@pytest.mark.parametrize(
    ("data", "expected", "offset"),
    [
        (build(b"x", aid=3618), 3619, 2),
        (build(b"x", aid=111), 3618, 2),
        (build(b"x", aid=111, extensions=[DsmpExtension(1, b"ab")]), 112, 7),
    ],
)
def test_expected_aid_mismatch(data: bytes, expected: int, offset: int) -> None:
    with pytest.raises(FramingError) as info:
        parse(data, expected_aid=expected)
    assert info.value.field_name == "aid"
    assert info.value.byte_offset == offset
    assert f"expected {expected}" in info.value.message


def test_build_rejects_payload_too_long() -> None:
    with pytest.raises(FramingError) as info:
        build(b"\x00" * (MAX_PAYLOAD_LENGTH + 1), aid=111)
    assert info.value.field_name == "length"
    assert len(build(b"\x00" * MAX_PAYLOAD_LENGTH, aid=111)) == 5 + MAX_PAYLOAD_LENGTH


@pytest.mark.parametrize("version", [-1, 8])
def test_build_rejects_version_out_of_3_bits(version: int) -> None:
    with pytest.raises(FramingError) as info:
        build(b"", aid=111, version=version)
    assert info.value.field_name == "version"


def test_build_rejects_too_many_extensions() -> None:
    with pytest.raises(FramingError) as info:
        build(b"", aid=111, extensions=[DsmpExtension(1, b"")] * 256)
    assert info.value.field_name == "extension_count"
    assert parse(build(b"", aid=111, extensions=[DsmpExtension(1, b"")] * 255)).extensions[254].element_id == 1


def test_build_rejects_non_extension_and_non_bytes() -> None:
    with pytest.raises(FramingError) as info:
        build(b"", aid=111, extensions=[(1, b"")])  # type: ignore[list-item]
    assert info.value.field_name == "extensions[0]"
    with pytest.raises(FramingError) as info:
        build("text", aid=111)  # type: ignore[arg-type]
    assert info.value.field_name == "payload"


def test_parse_rejects_non_bytes() -> None:
    with pytest.raises(FramingError):
        parse("04006f0000")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("element_id", "value", "field"),
    [
        (256, b"", "extensions[].element_id"),
        (-1, b"", "extensions[].element_id"),
        (1, b"\x00" * 256, "extensions[].length"),
        (1, "text", "extensions[].value"),
    ],
)
def test_extension_validation(element_id: int, value: object, field: str) -> None:
    with pytest.raises(FramingError) as info:
        DsmpExtension(element_id, value)  # type: ignore[arg-type]
    assert info.value.field_name == field


def test_framing_error_is_not_index_error_for_huge_declared_length() -> None:
    with pytest.raises(FramingError) as info:
        parse(H("04006fffff"))
    assert "declares 65535" in info.value.message


# ---------------------------------------------------------------------------------------------------------
# AID table


def test_aid_table_rows() -> None:
    table = aid_table()
    assert len(table) == 11
    assert [e.aid for e in table] == [111, 112, 113, 114, 3617, 3618, 3619, 3620, 3621, 3622, 3623]
    assert table.aids_for("BSM") == (111, 112, 113, 114, 3617)
    assert table.aids_for("bsm") == (111, 112, 113, 114, 3617)
    assert table.aids_for("MAP") == (3618,)
    assert table.aids_for("SPAT") == (3619,)
    assert table.aids_for("RSI") == (3620, 3621, 3622)
    assert table.aids_for("RSM") == (3623,)
    assert table.aids_for("SSM") == ()
    assert table.message_for(111) == "BSM"
    assert table.message_for(3618) == "MAP"
    assert table.message_for(3623) == "RSM"
    assert table.message_for(9999) is None
    assert 3619 in table
    assert 9999 not in table
    entry = table.entry_for(3621)
    assert entry is not None
    assert "semi-static" in entry.description


def test_aid_table_provenance_and_encodability() -> None:
    for entry in aid_table():
        assert "vendor configuration" in entry.source
        assert "GB/T 31024.3-2019 Annex B" in entry.source
        assert entry.description
        assert decode_aid(encode_aid(entry.aid), 0)[0] == entry.aid


def test_bsm_111_to_114_do_not_claim_a_mapping() -> None:
    for aid in (111, 112, 113, 114):
        entry = aid_table().entry_for(aid)
        assert entry is not None
        assert "not established" in entry.description


def test_aid_table_is_cached() -> None:
    assert aid_table() is aid_table()


def test_aid_table_rejects_bad_files() -> None:
    with pytest.raises(ConfigurationError, match="more than once"):
        load_aid_table('[[aid]]\naid = 1\nmessage = "BSM"\n[[aid]]\naid = 1\nmessage = "MAP"\n')
    with pytest.raises(ConfigurationError, match="not one of"):
        load_aid_table('[[aid]]\naid = 1\nmessage = "XYZ"\n')
    with pytest.raises(ConfigurationError, match=r"0\.\.16511"):
        load_aid_table('[[aid]]\naid = 20000\nmessage = "BSM"\n')
    with pytest.raises(ConfigurationError, match=r"no \[\[aid\]\] array"):
        load_aid_table("x = 1\n")
    with pytest.raises(ConfigurationError, match="not valid TOML"):
        load_aid_table("[[aid\n", source="broken.toml")


def test_aid_table_from_entries() -> None:
    table = AidTable([AidEntry(5, "SPAT", "d", "s"), AidEntry(1, "BSM", "d", "s")])
    assert [e.aid for e in table] == [1, 5]
    assert table.message_for(5) == "SPAT"
