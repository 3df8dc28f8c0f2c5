"""Checks proven in both directions on real UPER frames: each check passes on a correct recording and fails on the
frame a broken device would send (one defect each, encoded strictly with conformance.codec unless the defect is
an encoding one).

These are the checks no sim:// fault reaches (RSI priority bits and sign types, RSM position age, MAP references,
RSI event codes and positions, RSM participants, message presence, DSMP AID) and the msgCnt readings. Recordings
are judged through the file:// transport exactly as a lab's capture would be; the one check that needs a live
time base (rsm.position-age) reads frames from a scripted live transport whose receive times are set, so no
verdict depends on the machine's timing.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conformance.codec.strict import encode
from conformance.engine.context import EvidenceLog, RunContext
from conformance.engine.model import Verdict
from conformance.engine.runner import CheckCall, PlannedCase, run_case
from conformance.network import dsmp
from conformance.network.decoder import frame_decoder
from conformance.standards import messages
from conformance.standards.samples import sample_values
from conformance.transports import open_transport
from conformance.transports.base import Capabilities, Received, Transport

EDITION = "csae53-2020"


def alternative_of(kind: str) -> str:
    """The MessageFrame alternative of message ``kind`` (bsm, map, ...), from the message table."""
    entry = messages.get(kind)
    assert entry is not None
    return entry.alternative


def case(check_id: str, **params: Any) -> PlannedCase:
    """A planned case running one check with ``params``."""
    label = f"{check_id}/{params.get('message', '')}"
    return PlannedCase(
        label, f"TEST/{label}", label, "test clause", "test node", "selected", checks=(CheckCall(check_id, params),)
    )


def value(kind: str) -> dict[str, Any]:
    """A deep copy of the sample message of ``kind`` (a valid csae53-2020 value)."""
    alternative, sample = sample_values()[kind]
    assert alternative == alternative_of(kind)
    return copy.deepcopy(sample)


def frame(kind: str, message: dict[str, Any], *, msg_cnt: int | None = None) -> bytes:
    """Encode ``message`` (strictly) as the MessageFrame of ``kind``."""
    if msg_cnt is not None:
        message = {**message, "msgCnt": msg_cnt}
    return encode((alternative_of(kind), message), edition=EDITION)


def judge(
    tmp_path: Path,
    frames: list[bytes],
    check_case: PlannedCase,
    *,
    query: str = "",
    pixit: dict[str, Any] | None = None,
) -> Any:
    """Run ``check_case`` on a recording of ``frames`` (file:// transport); return the case result."""
    folder = tmp_path / f"judge-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    path = folder / "recording.hex"
    path.write_text("".join(f"{data.hex()}\n" for data in frames))
    transport = open_transport(f"file://{path}{query}")
    transport.open()
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=transport,
        evidence=EvidenceLog(folder / "evidence.ndjson"),
        parameters={},
        pixit=pixit or {},
    )
    try:
        return run_case(check_case, context)
    finally:
        transport.close()
        context.evidence.close()


def fail_text(result: Any) -> str:
    """The message of the first failing observation (asserting there is one)."""
    assert result.verdict is Verdict.FAIL, (result.verdict, result.reason, [o.message for o in result.observations])
    return str(next(o.message for o in result.observations if o.verdict is Verdict.FAIL))


def assert_pass(result: Any) -> None:
    """The case passed (showing why not when it did not)."""
    assert result.verdict is Verdict.PASS, (result.verdict, result.reason, [o.message for o in result.observations])


# ------------------------------------------------------------------------------------------------ RSI
def test_rsi_priority_bits_pass_and_fail(tmp_path: Path) -> None:
    good = value("rsi")
    assert_pass(judge(tmp_path, [frame("rsi", good)], case("rsi.priority-bits")))
    broken = value("rsi")
    broken["rtes"][0]["priority"] = b"\xc5"  # the low five bits are reserved and shall be zero
    text = fail_text(judge(tmp_path, [frame("rsi", good), frame("rsi", broken)], case("rsi.priority-bits")))
    assert "rtes[0].priority = 0xc5" in text


def test_rsi_sign_type_pass_and_text_sign_without_text_fails(tmp_path: Path) -> None:
    assert_pass(judge(tmp_path, [frame("rsi", value("rsi"))], case("rsi.sign-type-in-table")))
    broken = value("rsi")
    broken["rtss"][0]["signType"] = 0  # a text message ...
    del broken["rtss"][0]["description"]  # ... without its text
    result = judge(tmp_path, [frame("rsi", broken)], case("rsi.sign-type-in-table"))
    assert "signType 0" in fail_text(result)
    assert result.observations[0].field_path == "rtss[0].description"


def test_rsi_sign_type_outside_the_confirmed_rows_is_inconclusive_not_failed(tmp_path: Path) -> None:
    unknown = value("rsi")
    unknown["rtss"][0]["signType"] = 999  # may be a GB 5768.2 row the bundled (partial) table lacks
    assert judge(tmp_path, [frame("rsi", unknown)], case("rsi.sign-type-in-table")).verdict is Verdict.INCONC


def test_rsi_event_codes_pass_and_malformed_code_fails(tmp_path: Path) -> None:
    assert_pass(judge(tmp_path, [frame("rsi", value("rsi"))], case("rsi.event-codes")))
    broken = value("rsi")
    broken["rtes"][0]["eventType"] = 700  # GB/T 29100: the sequence number (last two digits) is never 00
    assert "eventType 700" in fail_text(judge(tmp_path, [frame("rsi", broken)], case("rsi.event-codes")))


def test_rsi_path_near_refpos_pass_and_far_event_fails(tmp_path: Path) -> None:
    assert_pass(judge(tmp_path, [frame("rsi", value("rsi"))], case("rsi.path-near-refpos", max_distance_m=2000)))
    broken = value("rsi")
    ref = broken["refPos"]
    # the event placed ~11 km north of the RSU (an absolute position in place of the offset)
    broken["rtes"][0]["eventPos"] = {
        "offsetLL": ("position-LatLon", {"lon": ref["long"], "lat": ref["lat"] + 1_000_000})
    }
    result = judge(tmp_path, [frame("rsi", broken)], case("rsi.path-near-refpos", max_distance_m=2000))
    assert "from refPos" in fail_text(result)
    assert result.observations[0].observed > 10_000


# ------------------------------------------------------------------------------------------------ MAP
def test_map_references_pass_and_duplicate_lane_id_fails(tmp_path: Path) -> None:
    assert_pass(judge(tmp_path, [frame("map", value("map"))], case("map.references-resolve")))
    broken = value("map")
    lanes = broken["nodes"][0]["inLinks"][0]["lanes"]
    lanes[1]["laneID"] = lanes[0]["laneID"]
    assert "duplicate laneID" in fail_text(judge(tmp_path, [frame("map", broken)], case("map.references-resolve")))


def test_map_references_upstream_node_is_the_node_itself_fails(tmp_path: Path) -> None:
    broken = value("map")
    node = broken["nodes"][0]
    node["inLinks"][0]["upstreamNodeId"] = copy.deepcopy(node["id"])
    text = fail_text(judge(tmp_path, [frame("map", broken)], case("map.references-resolve")))
    assert "upstreamNodeId is the node itself" in text


# ------------------------------------------------------------------------------------------------ RSM
def test_rsm_participants_pass_and_duplicate_id_fails(tmp_path: Path) -> None:
    assert_pass(judge(tmp_path, [frame("rsm", value("rsm"))], case("rsm.participants-valid")))
    broken = value("rsm")
    broken["participants"][1]["ptcId"] = broken["participants"][0]["ptcId"]
    assert "duplicate ptcId" in fail_text(judge(tmp_path, [frame("rsm", broken)], case("rsm.participants-valid")))


def test_rsm_participant_id_0_that_is_not_the_rsu_fails(tmp_path: Path) -> None:
    broken = value("rsm")
    assert broken["participants"][0]["ptcType"] != "rsu"
    broken["participants"][0]["ptcId"] = 0
    text = fail_text(judge(tmp_path, [frame("rsm", broken)], case("rsm.participants-valid")))
    assert "ptcId 0 is reserved for the RSU" in text


class ScriptedLiveTransport(Transport):
    """A live transport that delivers given frames with given receive (wall) times, then nothing."""

    def __init__(self, frames: list[tuple[bytes, float]]) -> None:
        super().__init__("scripted://live")
        self.capabilities = Capabilities(send=False, receive=True, live=True, upper_tester=False)
        self._frames = list(frames)
        self._started = False

    def open(self) -> None:
        """Nothing to open."""

    def close(self) -> None:
        """Nothing to close."""

    def send(self, data: bytes, *, channel: str = "") -> Any:
        """Never called (no send capability)."""
        raise AssertionError("a passive check sent a frame")

    def receive(self, timeout: float) -> Received | None:
        """The next scripted frame (none before the observation window starts draining, so nothing is stale)."""
        if not self._started:  # the window's drain call comes first: hold the frames back for the window
            self._started = True
            return None
        if not self._frames:
            time.sleep(min(timeout, 0.01))
            return None
        data, wall = self._frames.pop(0)
        return Received(data, wall, time.monotonic(), "127.0.0.1:1")


def _rsm_received_after(age_ms: int) -> tuple[bytes, float]:
    """An RSM whose participants' secMark is ``age_ms`` before the (scripted) receive time."""
    rsm = value("rsm")
    received = 1_700_000_000.0 + 30.0  # 30.000 s into a minute
    for participant in rsm["participants"]:
        participant["secMark"] = int((received * 1000 - age_ms) % 60_000)
    return frame("rsm", rsm), received


def _judge_live(tmp_path: Path, frames: list[tuple[bytes, float]], check_case: PlannedCase) -> Any:
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=ScriptedLiveTransport(frames),
        evidence=EvidenceLog(tmp_path / f"live-{len(list(tmp_path.iterdir()))}.ndjson"),
        parameters={"observation_window_s": 0.3},
    )
    try:
        return run_case(check_case, context)
    finally:
        context.evidence.close()


def test_rsm_position_age_pass_and_stale_positions_fail(tmp_path: Path) -> None:
    fresh = _judge_live(tmp_path, [_rsm_received_after(40), _rsm_received_after(60)], case("rsm.position-age"))
    assert_pass(fresh)
    stale = _judge_live(tmp_path, [_rsm_received_after(40), _rsm_received_after(900)], case("rsm.position-age"))
    assert "older than 150 ms" in fail_text(stale)
    assert stale.observations[0].observed == 900


# ------------------------------------------------------------------------------------------------ any message
def test_message_present_pass_and_absent_message_fails(tmp_path: Path) -> None:
    recording = [frame("spat", value("spat")), frame("bsm", value("bsm"))]
    assert_pass(judge(tmp_path, recording, case("message.present", message="SPAT")))
    assert "no MAP frame" in fail_text(judge(tmp_path, recording, case("message.present", message="MAP")))


def test_dsmp_aid_pass_and_aid_of_another_message_fails(tmp_path: Path) -> None:
    spat = frame("spat", value("spat"))
    right = dsmp.build(spat, aid=3619)
    wrong = dsmp.build(spat, aid=111)  # an AID registered for BSM carrying a SPAT
    assert_pass(judge(tmp_path, [right, right], case("dsmp.aid-matches", message="SPAT"), query="?framing=dsmp"))
    result = judge(tmp_path, [right, wrong], case("dsmp.aid-matches", message="SPAT"), query="?framing=dsmp")
    assert "wrong AID" in fail_text(result)


# ------------------------------------------------------------------------------------------------ msgCnt
MSGCNT_KINDS = ("map", "spat", "rsi", "rsm", "bsm")


def _counted(kind: str, counts: list[int], change: Callable[[dict[str, Any], int], None] | None = None) -> list[bytes]:
    frames = []
    for index, count in enumerate(counts):
        message = value(kind)
        if change is not None:
            change(message, index)
        frames.append(frame(kind, message, msg_cnt=count))
    return frames


@pytest.mark.parametrize("kind", MSGCNT_KINDS)
@pytest.mark.parametrize(
    ("counts", "verdict"),
    [
        ([125, 126, 127, 0, 1], Verdict.PASS),  # 127 -> 0 is the next value
        ([10, 11, 13], Verdict.FAIL),  # a skip
        ([10, 11, 10], Verdict.FAIL),  # backwards
        ([10, 11, 11], Verdict.FAIL),  # repeated
        ([127, 1], Verdict.FAIL),  # a skip across the wrap
    ],
)
def test_msgcnt_sequence_reading(tmp_path: Path, kind: str, counts: list[int], verdict: Verdict) -> None:
    result = judge(tmp_path, _counted(kind, counts), case("message.msgcnt-sequence", message=kind.upper()))
    assert result.verdict is verdict, [o.message for o in result.observations]
    if verdict is Verdict.FAIL:
        assert result.observations[0].field_path == "msgCnt"


def test_msgcnt_failure_names_the_pair_and_what_went_wrong(tmp_path: Path) -> None:
    backwards = judge(tmp_path, _counted("spat", [10, 11, 10]), case("message.msgcnt-sequence", message="SPAT"))
    text = fail_text(backwards)
    assert "11 then 10: msgCnt goes back by 1" in text
    assert (backwards.observations[0].expected, backwards.observations[0].observed) == (12, 10)
    skip = fail_text(judge(tmp_path, _counted("map", [3, 5]), case("message.msgcnt-sequence", message="MAP")))
    assert "3 then 5: msgCnt skips 1 value(s)" in skip


def test_msgcnt_max_gap_from_the_catalogue_and_from_the_pixit(tmp_path: Path) -> None:
    lost = _counted("rsi", [10, 11, 13])  # one message lost on the air between 11 and 13
    assert judge(tmp_path, lost, case("message.msgcnt-sequence", message="RSI")).verdict is Verdict.FAIL
    tolerant = judge(tmp_path, lost, case("message.msgcnt-sequence", message="RSI", max_gap=1))
    assert_pass(tolerant)
    by_pixit = judge(tmp_path, lost, case("message.msgcnt-sequence", message="RSI"), pixit={"msgcnt.max_gap": 1})
    assert_pass(by_pixit)
    assert "PIXIT msgcnt.max_gap 1" in by_pixit.observations[0].message
    stricter = judge(
        tmp_path, lost, case("message.msgcnt-sequence", message="RSI", max_gap=1), pixit={"msgcnt.max_gap": 0}
    )
    assert stricter.verdict is Verdict.FAIL  # the lab's PIXIT value wins over the catalogue's


def _rename_map(message: dict[str, Any], index: int, names: list[str]) -> None:
    message["nodes"][0]["name"] = names[index]


@pytest.mark.parametrize(
    ("counts", "names", "verdict"),
    [
        ([5, 5, 5], ["A", "A", "A"], Verdict.PASS),  # unchanged content, unchanged msgCnt
        ([5, 5, 6, 6], ["A", "A", "B", "B"], Verdict.PASS),  # +1 when the content changes
        ([127, 0], ["A", "B"], Verdict.PASS),  # 127 -> 0 on a change
        ([5, 6], ["A", "A"], Verdict.FAIL),  # msgCnt moved, content did not
        ([5, 5], ["A", "B"], Verdict.FAIL),  # content changed under the same msgCnt
        ([5, 7], ["A", "B"], Verdict.FAIL),  # a skip
        ([5, 4], ["A", "B"], Verdict.FAIL),  # backwards
    ],
)
def test_msgcnt_revision_reading(tmp_path: Path, counts: list[int], names: list[str], verdict: Verdict) -> None:
    frames = _counted("map", counts, lambda message, index: _rename_map(message, index, names))
    result = judge(tmp_path, frames, case("message.msgcnt-sequence", message="MAP", reading="revision"))
    assert result.verdict is verdict, [o.message for o in result.observations]


def test_msgcnt_revision_ignores_time_fields_and_sequence_reading_refuses_a_constant_count(tmp_path: Path) -> None:
    def new_minute(message: dict[str, Any], index: int) -> None:
        message["timeStamp"] = 482_400 + index  # time of building only: not a content change

    constant = _counted("map", [5, 5, 5], new_minute)
    assert_pass(judge(tmp_path, constant, case("message.msgcnt-sequence", message="MAP", reading="revision")))
    text = fail_text(judge(tmp_path, constant, case("message.msgcnt-sequence", message="MAP")))
    assert "is repeated" in text


def test_msgcnt_revision_tolerates_lost_changes_within_max_gap(tmp_path: Path) -> None:
    frames = _counted("map", [5, 7], lambda message, index: _rename_map(message, index, ["A", "A"]))  # A, (B), A
    params = {"message": "MAP", "reading": "revision"}
    assert judge(tmp_path, frames, case("message.msgcnt-sequence", **params)).verdict is Verdict.FAIL
    assert_pass(judge(tmp_path, frames, case("message.msgcnt-sequence", **params, max_gap=1)))


def test_msgcnt_unknown_reading_is_a_harness_error_not_a_verdict(tmp_path: Path) -> None:
    result = judge(tmp_path, _counted("map", [1, 2]), case("message.msgcnt-sequence", message="MAP", reading="version"))
    assert result.verdict is Verdict.ERROR


def test_the_session_records_what_each_check_showed(tmp_path: Path, check_outcomes: dict[str, set[str]]) -> None:
    good = value("rsi")
    judge(tmp_path, [frame("rsi", good)], case("rsi.priority-bits"))
    broken = copy.deepcopy(good)
    broken["rtes"][0]["priority"] = b"\x01"
    judge(tmp_path, [frame("rsi", broken)], case("rsi.priority-bits"))
    assert check_outcomes["rsi.priority-bits"] == {"pass", "fail"}


def test_msgcnt_counts_an_undecodable_frame_between_as_lost_not_as_a_skip(tmp_path: Path) -> None:
    from conformance.codec.strict import codec_for

    good = _counted("rsm", [10, 12])
    broken = value("rsm")
    broken["msgCnt"] = 11
    broken["participants"][0]["heading"] = 30_000  # Heading is 0..28800: judged by RSM/TX/DECODE
    spec = codec_for(EDITION).edition.spec
    unreadable = bytes(spec.encode("MessageFrame", ("rsmFrame", broken), check_constraints=False))
    frames = [good[0], unreadable, good[1]]
    assert_pass(judge(tmp_path, frames, case("message.msgcnt-sequence", message="RSM")))
    assert judge(tmp_path, frames, case("message.decode-strict", message="RSM")).verdict is Verdict.FAIL
