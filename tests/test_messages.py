"""The message table (conformance/standards/messages.py): declared facts, and the facts derived from the ASN.1, the
edition registry and the AID table, checked against encodings and the tables they replace."""

from __future__ import annotations

import inspect

import pytest

from conformance.codec.strict import encode
from conformance.network import dsmp
from conformance.network.decoder import frame_decoder
from conformance.standards import messages, samples
from conformance.standards.editions import load_edition
from conformance.transports.payload import frame_kind
from conformance.vectors import traffic
from conformance.vectors.samples import sample_frames

DAY1 = ("BSM", "MAP", "SPAT", "RSI", "RSM")
TEST_MSG_FRAME = bytes.fromhex("800b00000802011a195b1b1bc0")  # Day-2 TestMsg, messageId 0


def test_every_kind_once_with_its_alternative_and_type() -> None:
    table = {kind.name: (kind.alternative, kind.type_name) for kind in messages.kinds()}
    assert table == {
        "BSM": ("bsmFrame", "BasicSafetyMessage"),
        "MAP": ("mapFrame", "MapData"),
        "SPAT": ("spatFrame", "SPAT"),
        "RSI": ("rsiFrame", "RoadSideInformation"),
        "RSM": ("rsmFrame", "RoadsideSafetyMessage"),
        "DAY2": ("msgFrameExt", "MessageFrameExt"),
        "TEST": ("msgFrameExt", "TestMsg"),
        "RTCM": ("msgFrameExt", "RTCMcorrections"),
        "RSC": ("msgFrameExt", "RoadsideCoordination"),
        "SSM": ("msgFrameExt", "SensorSharingMsg"),
        "VIR": ("msgFrameExt", "VehIntentionAndRequest"),
        "PAM": ("msgFrameExt", "PAMData"),
        "PSM": ("msgFrameExt", "PersonalSafetyMessage"),
        "CLPMM": ("msgFrameExt", "CLPMM"),
        "VPM": ("msgFrameExt", "VehiclePaymentMessage"),
    }
    assert [kind.name for kind in messages.frame_kinds()] == [*DAY1, "DAY2"]
    assert [kind.short for kind in messages.frame_kinds_in_choice_order()] == [
        "bsm",
        "map",
        "rsm",
        "spat",
        "rsi",
        "day2",
    ]
    assert messages.get("bsm") is messages.get("BSM") and messages.get("nope") is None


def test_day2_message_ids_come_from_the_open_type_table() -> None:
    ids = {kind.name: kind.message_id for kind in messages.day2_kinds()}
    assert ids == {"TEST": 0, "RTCM": 10, "RSC": 11, "SSM": 12, "VIR": 13, "PAM": 14, "PSM": 15, "CLPMM": 16, "VPM": 17}
    binding = load_edition("csae157-2020").info.open_types[0]
    assert {binding.types[kind.message_id] for kind in messages.day2_kinds() if kind.message_id is not None} == {
        kind.type_name for kind in messages.day2_kinds()
    }
    assert all(kind.frame_kind == "DAY2" and kind.in_open_type for kind in messages.day2_kinds())
    assert messages.get("SSM").label == "SSM (messageId 12)"  # type: ignore[union-attr]
    assert messages.get("DAY2").label == "Day-2 MessageFrameExt"  # type: ignore[union-attr]
    assert messages.get("BSM").message_id is None  # type: ignore[union-attr]


def test_choice_positions_and_first_bytes_match_real_encodings() -> None:
    frames = sample_frames()
    for kind in messages.frame_kinds():
        mask, value = kind.first_byte
        frame = TEST_MSG_FRAME if kind.name == "DAY2" else frames[kind.short]
        assert frame[0] & mask == value, kind.name
        assert messages.kind_of_first_byte(frame[0]) is kind
    assert str(messages.get("SPAT").choice) == "root alternative 3"  # type: ignore[union-attr]
    assert str(messages.get("DAY2").choice) == "extension addition 0"  # type: ignore[union-attr]


def test_first_byte_hint_over_every_byte() -> None:
    """The derived hint equals the table it replaced: BSM 0x0-, MAP 0x1-, RSM 0x2-, SPAT 0x3-, RSI 0x4-, none for
    0x5- to 0x7-, and the extension (Day-2) for every byte with the extension bit set."""
    old = {0: "BSM", 1: "MAP", 2: "RSM", 3: "SPAT", 4: "RSI"}
    for byte in range(256):
        kind = messages.kind_of_first_byte(byte)
        expected = "DAY2" if byte & 0x80 else old.get(byte >> 4)
        assert (kind.name if kind else None) == expected, hex(byte)
        assert frame_kind(bytes([byte])) == (expected or "")


def test_aids_are_the_aid_tables() -> None:
    for kind in messages.kinds():
        assert kind.aids == dsmp.aid_table().aids_for(kind.name), kind.name
    assert messages.get("RSI").aids == (3620, 3621, 3622)  # type: ignore[union-attr]
    assert messages.get("DAY2").aids == () and messages.get("SSM").aids == ()  # type: ignore[union-attr]
    assert [kind.name for kind in messages.aid_kinds()] == list(DAY1)


def test_rates_topics_and_generators() -> None:
    assert messages.default_rates("MAP", "SPAT", "RSI", "RSM") == {"MAP": 1.0, "SPAT": 2.0, "RSI": 1.0, "RSM": 10.0}
    assert messages.default_rates("BSM") == {"BSM": 10.0}
    assert messages.get("SPAT").period_s == 0.5  # type: ignore[union-attr]
    with pytest.raises(Exception, match="no default rate"):
        messages.default_rates("SSM")
    assert [kind.topic for kind in messages.mqtt_kinds()] == list(DAY1)
    assert list(samples.sample_values()) == [name.lower() for name in DAY1]
    for kind in messages.kinds():
        if kind.traffic is None:
            continue
        generate = getattr(traffic, kind.traffic)
        assert {"count", "edition"} <= set(inspect.signature(generate).parameters), kind.traffic
        values = generate(count=2, edition="csae53-2020")
        assert len(values) == 2
        encode((kind.alternative, values[0]), edition="csae53-2020")


def test_the_engine_decoder_names_kinds_from_the_table() -> None:
    decoder = frame_decoder("csae157-2020")
    assert decoder.edition == "csae157-2020"
    message, value, error = decoder.classify(TEST_MSG_FRAME)
    assert (message, error) == ("DAY2", None) and value["messageId"] == 0
    message, value, error = decoder.classify(sample_frames()["spat"][:-3])
    assert message == "SPAT" and value is None and error is not None
    framed = decoder.wrap(sample_frames()["map"], "dsmp")
    assert dsmp.parse(framed).aid == 3618
    assert decoder.unwrap(framed, "dsmp") == sample_frames()["map"]
    assert decoder.wrap(b"\x01", "none") == b"\x01"
