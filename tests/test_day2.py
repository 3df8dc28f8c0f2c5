"""Day-2 (T/CSAE 157-2020): the open type MessageFrameExt.value is decoded and encoded in the same call."""

from __future__ import annotations

import pytest

from conformance.codec.identify import matching_editions
from conformance.codec.jsonvalue import OpenValue, to_json
from conformance.codec.strict import StrictCodec, decode, encode
from conformance.errors import CodecError
from conformance.standards.editions import load_edition
from conformance.vectors.samples import sample_frames

DAY2 = "csae157-2020"
TEST_MSG_FRAME = bytes.fromhex("800b00000802011a195b1b1bc0")  # STANDARDS-FACTS §2 (checked)


def lax_frame(message_id: int, inner: bytes) -> bytes:
    """A MessageFrameExt frame built without any checks, as a faulty device would send it."""
    spec = load_edition(DAY2).spec
    return bytes(spec.encode("MessageFrame", ("msgFrameExt", {"messageId": message_id, "value": inner})))


def test_test_msg_frame_decodes_both_levels_and_reencodes() -> None:
    decoded = decode(TEST_MSG_FRAME, edition=DAY2)
    alternative, ext = decoded.value
    assert alternative == "msgFrameExt"
    assert ext["messageId"] == 0
    inner = ext["value"]
    assert isinstance(inner, OpenValue) and inner.type_name == "TestMsg"
    assert to_json(decoded.value)["value"]["value"]["$open"] == "TestMsg"
    assert encode(decoded.value, edition=DAY2) == TEST_MSG_FRAME


def test_test_msg_frame_matches_day2_only() -> None:
    assert matching_editions(TEST_MSG_FRAME) == [DAY2]


@pytest.mark.parametrize("name", ["bsm", "map", "spat", "rsi", "rsm"])
def test_day1_frames_still_decode_under_day2(name: str) -> None:
    data = sample_frames()[name]
    assert encode(decode(data, edition=DAY2).value, edition=DAY2) == data


def test_unknown_message_id_names_both_levels() -> None:
    with pytest.raises(CodecError) as caught:
        decode(lax_frame(99, b"\x01"), edition=DAY2)
    assert "Unknown messageId 99 in MessageFrameExt" in caught.value.message
    assert caught.value.field_path == "msgFrameExt.messageId"
    assert "0 TestMsg" in caught.value.hint


def test_inner_value_that_does_not_decode_names_both_levels() -> None:
    with pytest.raises(CodecError) as caught:
        decode(lax_frame(0, b"\x02"), edition=DAY2)  # one byte cannot hold a TestMsg
    message = caught.value.message
    assert "MessageFrameExt.value (messageId 0 = TestMsg) does not decode as TestMsg" in message
    assert caught.value.field_path.startswith("msgFrameExt.value")


def test_encode_rejects_open_value_of_the_wrong_type() -> None:
    value = decode(TEST_MSG_FRAME, edition=DAY2).value
    alternative, ext = value
    wrong = (alternative, {"messageId": 12, "value": ext["value"]})
    with pytest.raises(CodecError, match=r"selects SensorSharingMsg, but msgFrameExt\.value holds a TestMsg"):
        encode(wrong, edition=DAY2)


def test_encode_checks_the_inner_value() -> None:
    alternative, ext = decode(TEST_MSG_FRAME, edition=DAY2).value
    inner = OpenValue("TestMsg", dict(ext["value"].value, msgCnt=500))
    with pytest.raises(CodecError) as caught:
        encode((alternative, {"messageId": 0, "value": inner}), edition=DAY2)
    assert "msgFrameExt.value" in caught.value.field_path and "msgCnt" in caught.value.field_path


def test_oversized_frame_is_refused_rather_than_misencoded_on_the_python_path() -> None:
    python_only = StrictCodec(load_edition(DAY2))
    python_only.native = None  # the native engine decodes fragmented lengths (tests/test_native_codec.py)
    with pytest.raises(CodecError, match="fragmented length"):
        python_only.decode(b"\x00" * 20_000)
