"""The engine and the message-layer checks, proven against the reference devices: clean → pass, each fault → fail.

Every check runs against the built-in RSU/OBU over real loopback UDP (sim:// transport). Observation windows are
short (a few seconds) so the suite stays quick; timing *accuracy* is measured in benchmarks/, not here.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import conformance.devices  # noqa: F401 - registers the reference devices that sim:// starts
from conformance.checks import registered_checks
from conformance.engine.context import EvidenceLog, RunContext
from conformance.engine.journal import Journal, read_journal
from conformance.engine.model import Verdict
from conformance.engine.registry import check
from conformance.engine.runner import CheckCall, Engine, PlannedCase, run_case
from conformance.errors import ConfigurationError
from conformance.network.decoder import frame_decoder
from conformance.transports import open_transport

#: Real-time observation windows against reference devices: deselect with -m 'not live' for a fast run.
pytestmark = pytest.mark.live

EDITION = "csae53-2020"
WINDOW = 3.0
RSU_RATES = {"MAP": 1, "SPAT": 2, "RSI": 1, "RSM": 10}


def case(check_id: str, **params: Any) -> PlannedCase:
    label = f"{check_id}/{params.get('message', '')}"
    return PlannedCase(
        label, f"TEST/{label}", label, "test clause", "test node", "selected", checks=(CheckCall(check_id, params),)
    )


def rsu_cases() -> list[PlannedCase]:
    cases = []
    for message, rate in RSU_RATES.items():
        cases += [
            case("message.present", message=message),
            case("message.decode-strict", message=message),
            case("message.edition", message=message),
            case("message.rate", message=message, rate_hz=rate, tolerance_pct=25),
            case("message.msgcnt-sequence", message=message),
        ]
    cases += [
        case(name)
        for name in (
            "map.references-resolve",
            "spat.phase-ids-in-map",
            "spat.countdown-consistent",
            "rsi.path-near-refpos",
            "rsi.event-codes",
            "rsm.participants-valid",
        )
    ]
    cases += [
        case("receive.decode-echo", message="BSM", count=2),
        case("robustness.survives-invalid", message="BSM", count=6, recovery_window_s=2.0),
    ]
    return cases


def obu_cases() -> list[PlannedCase]:
    return [
        case("message.decode-strict", message="BSM"),
        case("message.edition", message="BSM"),
        case("message.rate", message="BSM", rate_hz=10, tolerance_pct=25),
        case("message.msgcnt-sequence", message="BSM"),
        case("bsm.id-stable"),
        case("bsm.secmark-consistent", max_skew_ms=300),
        case("receive.decode-echo", message="MAP", count=2),
    ]


def run(url: str, cases: list[PlannedCase], tmp_path: Path) -> dict[str, Any]:
    transport = open_transport(url)
    transport.open()
    try:
        context = RunContext(
            edition=EDITION,
            decoder=frame_decoder(EDITION),
            transport=transport,
            evidence=EvidenceLog(tmp_path / "evidence.ndjson"),
            parameters={"observation_window_s": WINDOW},
        )
        engine = Engine(
            cases, context, [Journal(tmp_path)], run_id="t", out_dir=str(tmp_path), metadata={"target": url}
        )
        finished = engine.run()
    finally:
        transport.close()
    context.evidence.close()
    return {result.case_id: result for result in finished.results}


@pytest.fixture(scope="module")
def clean_rsu(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run("sim://rsu", rsu_cases(), tmp_path_factory.mktemp("clean-rsu"))


def test_every_check_passes_against_the_clean_rsu(clean_rsu: dict[str, Any]) -> None:
    verdicts = {case_id: result.verdict for case_id, result in clean_rsu.items()}
    assert set(verdicts.values()) == {Verdict.PASS}, {k: v for k, v in verdicts.items() if v is not Verdict.PASS}


def test_every_check_passes_against_the_clean_obu(tmp_path: Path) -> None:
    results = run("sim://obu", obu_cases(), tmp_path)
    bad = {
        k: (r.verdict, [o.message for o in r.observations]) for k, r in results.items() if r.verdict is not Verdict.PASS
    }
    assert not bad


# fault -> the case ids that must fail (and every other case of the same run must not fail)
RSU_FAULTS = {
    "skip-msgcnt": {"message.msgcnt-sequence/SPAT", "message.msgcnt-sequence/RSM"},
    "wrong-rate": {"message.rate/SPAT"},
    "out-of-range-field": {"message.decode-strict/RSM", "message.edition/RSM"},
    "spat-timing-jump": {"spat.countdown-consistent/"},
    "map-spat-mismatch": {"spat.phase-ids-in-map/"},
    "wrong-edition": {"message.decode-strict/RSI", "message.edition/RSI"},
    "crash-on-malformed": {"robustness.survives-invalid/BSM"},
    "ut-silent": {"receive.decode-echo/BSM"},
}


@pytest.mark.parametrize("fault", sorted(RSU_FAULTS))
def test_each_rsu_fault_is_caught_by_its_requirement(fault: str, tmp_path: Path) -> None:
    expected = RSU_FAULTS[fault]
    wanted = [c for c in rsu_cases() if c.case_id in expected or c.case_id.startswith("message.present")]
    if fault in ("crash-on-malformed", "ut-silent"):
        wanted = [c for c in rsu_cases() if c.case_id in expected]
    results = run(f"sim://rsu?fault={fault}", wanted, tmp_path)
    failing = {case_id for case_id, result in results.items() if result.verdict is Verdict.FAIL}
    assert failing == expected
    for case_id in expected:
        observation = next(o for o in results[case_id].observations if o.verdict is Verdict.FAIL)
        assert observation.message and observation.evidence, case_id


OBU_FAULTS = {
    "bsm-id-change": {"bsm.id-stable/"},
    "secmark-jump": {"bsm.secmark-consistent/"},
    "wrong-rate": {"message.rate/BSM"},
}


@pytest.mark.parametrize("fault", sorted(OBU_FAULTS))
def test_each_obu_fault_is_caught(fault: str, tmp_path: Path) -> None:
    cases = [c for c in obu_cases() if not c.case_id.startswith("receive.")]
    results = run(f"sim://obu?fault={fault}", cases, tmp_path)
    failing = {case_id for case_id, result in results.items() if result.verdict is Verdict.FAIL}
    assert failing == OBU_FAULTS[fault]


def test_device_that_stops_yields_fail_or_inconc_and_the_run_finishes(tmp_path: Path) -> None:
    results = run("sim://rsu?fault=no-response:1", rsu_cases(), tmp_path)
    assert len(results) == len(rsu_cases())
    assert results["message.rate/SPAT"].verdict is Verdict.FAIL
    assert results["receive.decode-echo/BSM"].verdict in (Verdict.INCONC, Verdict.FAIL)
    journal = read_journal(tmp_path)
    assert journal.ended and set(journal.cases) == set(results)


def test_evidence_holds_exact_bytes_with_timestamps(clean_rsu: dict[str, Any], tmp_path: Path) -> None:
    result = clean_rsu["message.decode-strict/SPAT"]
    assert result.observations[0].evidence


def test_harness_exception_becomes_error_and_run_goes_on(tmp_path: Path) -> None:
    @check("test.explodes")
    def explodes(context: RunContext, params: Any) -> list[Any]:
        raise RuntimeError("boom")

    transport = open_transport(f"file://{_hex_file(tmp_path)}")
    transport.open()
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=transport,
        evidence=EvidenceLog(tmp_path / "e.ndjson"),
        parameters={},
    )
    broken = run_case(case("test.explodes"), context)
    assert broken.verdict is Verdict.ERROR
    assert "RuntimeError: boom" in broken.observations[0].message
    after = run_case(case("message.decode-strict", message="BSM"), context)
    assert after.verdict is Verdict.PASS


def _hex_file(tmp_path: Path) -> Path:
    from conformance.vectors.samples import sample_frames

    path = tmp_path / "frames.hex"
    path.write_text("\n".join(sample_frames()["bsm"].hex() for _ in range(3)) + "\n")
    return path


def test_missing_capability_is_not_applicable_not_failure(tmp_path: Path) -> None:
    transport = open_transport(f"file://{_hex_file(tmp_path)}")
    transport.open()
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=transport,
        evidence=EvidenceLog(tmp_path / "e.ndjson"),
        parameters={},
    )
    result = run_case(case("receive.decode-echo", message="BSM"), context)
    assert result.verdict is Verdict.NONE
    assert result.status == "not-applicable"
    assert "lacks send" in result.reason


def test_unimplemented_check_is_not_tested_never_pass(tmp_path: Path) -> None:
    transport = open_transport(f"file://{_hex_file(tmp_path)}")
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=transport,
        evidence=EvidenceLog(tmp_path / "e.ndjson"),
        parameters={},
    )
    result = run_case(case("no.such-check"), context)
    assert result.verdict is Verdict.NONE and result.status == "not-tested"


def test_registration_rejects_bad_plugins() -> None:
    with pytest.raises(ConfigurationError, match="registered twice"):
        check("message.rate")(lambda context, params: [])
    with pytest.raises(ConfigurationError, match="unknown capability 'radio'"):
        check("x.y", needs=("radio",))
    assert "message.rate" in registered_checks()


def test_journal_survives_a_cut_last_line_and_resume_skips_done_cases(tmp_path: Path) -> None:
    cases = [case("message.decode-strict", message="BSM"), case("message.msgcnt-sequence", message="BSM")]
    transport = open_transport(f"file://{_hex_file(tmp_path)}")
    transport.open()
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=transport,
        evidence=EvidenceLog(tmp_path / "e.ndjson"),
        parameters={},
    )
    Engine(cases[:1], context, [Journal(tmp_path)], run_id="r", out_dir=str(tmp_path), metadata={}).run()
    journal_path = tmp_path / "journal.ndjson"
    lines = journal_path.read_text().splitlines()
    journal_path.write_text("\n".join(lines[:-1]) + '\n{"type": "case", "case_id": "cut-by-kil')  # killed mid-write
    contents = read_journal(tmp_path)
    assert set(contents.cases) == {cases[0].case_id} and not contents.ended
    seen: list[str] = []
    Engine(
        cases,
        context,
        [Journal(tmp_path), lambda e: seen.append(type(e).__name__)],
        run_id="r",
        out_dir=str(tmp_path),
        metadata={},
        done=contents.cases,
    ).run()
    assert seen.count("CaseStarted") == 1  # only the case that had no verdict
    resumed = read_journal(tmp_path)  # the cut record was dropped; the file is valid NDJSON again
    assert set(resumed.cases) == {c.case_id for c in cases} and resumed.ended


def test_interrupt_stops_cleanly_and_keeps_results(tmp_path: Path) -> None:
    cases = [case("message.decode-strict", message="BSM"), case("message.msgcnt-sequence", message="BSM")]
    transport = open_transport(f"file://{_hex_file(tmp_path)}")
    transport.open()
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=transport,
        evidence=EvidenceLog(tmp_path / "e.ndjson"),
        parameters={},
    )

    def interrupt_after_first(event: Any) -> None:
        if type(event).__name__ == "CaseFinished":
            context.stop.set()

    finished = Engine(
        cases, context, [Journal(tmp_path), interrupt_after_first], run_id="r", out_dir=str(tmp_path), metadata={}
    ).run()
    assert finished.interrupted and len(finished.results) == 1
    assert read_journal(tmp_path).interrupted


@pytest.fixture(autouse=True)
def _no_leaked_threads() -> Iterator[None]:
    import threading

    before = {t.ident for t in threading.enumerate()}
    yield
    import time

    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        extra = [t for t in threading.enumerate() if t.ident not in before and t.is_alive() and not t.daemon]
        if not extra:
            return
        time.sleep(0.05)
    raise AssertionError(f"threads left running: {extra}")


def test_dsmp_checks_pass_against_the_reference_rsu_speaking_dsmp(tmp_path: Path) -> None:
    cases = [
        case("dsmp.header"),
        case("dsmp.aid-matches", message="SPAT"),
        case("dsmp.receive", message="BSM", count=2),
        case("dsmp.robustness", message="BSM", count=8, recovery_window_s=2.0),
    ]
    results = run("sim://rsu?framing=dsmp", cases, tmp_path)
    bad = {k: [o.message for o in r.observations] for k, r in results.items() if r.verdict is not Verdict.PASS}
    assert not bad


def test_dsmp_checks_are_not_applicable_on_bare_frames(tmp_path: Path) -> None:
    results = run("sim://rsu", [case("dsmp.header"), case("dsmp.receive", message="BSM")], tmp_path)
    assert {r.verdict for r in results.values()} == {Verdict.NONE}


def test_dsmp_robustness_catches_a_device_that_crashes_on_a_bad_header(tmp_path: Path) -> None:
    results = run(
        "sim://rsu?framing=dsmp&fault=crash-on-malformed",
        [case("dsmp.robustness", message="BSM", count=4, recovery_window_s=2.0)],
        tmp_path,
    )
    assert results["dsmp.robustness/BSM"].verdict is Verdict.FAIL


def _recording(tmp_path: Path, frames: list[bytes]) -> Path:
    path = tmp_path / "recording.hex"
    path.write_text("".join(f"{frame.hex()}\n" for frame in frames))
    return path


def _judge_recording(tmp_path: Path, url: str, check_case: PlannedCase, edition: str = EDITION) -> Any:
    transport = open_transport(url)
    transport.open()
    context = RunContext(
        edition=edition,
        decoder=frame_decoder(edition),
        transport=transport,
        evidence=EvidenceLog(tmp_path / "e.ndjson"),
        parameters={},
    )
    try:
        return run_case(check_case, context)
    finally:
        transport.close()


def test_dsmp_header_fails_on_a_recorded_frame_with_a_wrong_length(tmp_path: Path) -> None:
    from conformance.network import dsmp
    from conformance.vectors.samples import sample_frames

    good = dsmp.build(sample_frames()["spat"], aid=3619)
    broken = bytearray(good)
    broken[3:5] = (len(sample_frames()["spat"]) + 1).to_bytes(2, "big")  # 1-byte AID: length at bytes 3-4
    path = _recording(tmp_path, [good, bytes(broken), good])
    result = _judge_recording(tmp_path, f"file://{path}?framing=dsmp", case("dsmp.header"))
    assert result.verdict is Verdict.FAIL
    assert "1 of 3 frames" in result.observations[0].message
    assert result.observations[0].field_path == "dsmp.length"


def test_emergency_ext_pass_and_fail_on_recorded_bsms(tmp_path: Path) -> None:
    import copy

    from conformance.codec.strict import encode
    from conformance.standards.samples import sample_values

    alternative, value = sample_values()["bsm"]
    without = copy.deepcopy(value)
    del without["emergencyExt"]
    with_ext = encode((alternative, value), edition=EDITION)
    lacking = encode((alternative, without), edition=EDITION)
    good = _judge_recording(tmp_path, f"file://{_recording(tmp_path, [with_ext, with_ext])}", case("bsm.emergency-ext"))
    assert good.verdict is Verdict.PASS
    (tmp_path / "e.ndjson").unlink()
    bad = _judge_recording(tmp_path, f"file://{_recording(tmp_path, [with_ext, lacking])}", case("bsm.emergency-ext"))
    assert bad.verdict is Verdict.FAIL and bad.observations[0].field_path == "emergencyExt"


def _spat_with_utc_end(end_marks: list[int]) -> list[bytes]:
    import copy

    from conformance.codec.strict import encode
    from conformance.standards.samples import sample_values

    alternative, value = sample_values()["spat"]
    frames = []
    for index, end in enumerate(end_marks):
        spat = copy.deepcopy(value)
        spat["msgCnt"] = index
        for phase in spat["intersections"][0]["phases"]:
            phase["phaseStates"][0]["timing"] = ("utcTiming", {"startUTCTime": 100, "likelyEndUTCTime": end})
        frames.append(encode((alternative, spat), edition=EDITION))
    return frames


def test_spat_utc_timing_is_judged_and_a_jump_fails(tmp_path: Path) -> None:
    steady = _recording(tmp_path, _spat_with_utc_end([500, 500, 500]))
    good = _judge_recording(tmp_path, f"file://{steady}", case("spat.countdown-consistent"))
    assert good.verdict is Verdict.PASS
    (tmp_path / "e.ndjson").unlink()
    jumping = _recording(tmp_path, _spat_with_utc_end([500, 500, 800]))
    bad = _judge_recording(tmp_path, f"file://{jumping}", case("spat.countdown-consistent"))
    assert bad.verdict is Verdict.FAIL
    assert bad.observations[0].field_path.endswith("utcTiming.likelyEndUTCTime")
    assert (bad.observations[0].expected, bad.observations[0].observed) == (500, 800)


def test_counting_timing_in_a_recording_without_times_is_not_applicable(tmp_path: Path) -> None:
    from conformance.vectors.samples import sample_frames

    path = _recording(tmp_path, [sample_frames()["spat"]] * 3)
    result = _judge_recording(tmp_path, f"file://{path}", case("spat.countdown-consistent"))
    assert result.verdict is Verdict.NONE and "no receive times" in result.reason


def test_day2_message_decode_is_judged_by_message_id(tmp_path: Path) -> None:
    from conformance.standards.editions import load_edition

    test_msg = bytes.fromhex("800b00000802011a195b1b1bc0")  # Day-2 TestMsg, messageId 0 (STANDARDS-FACTS §2)
    broken = bytes(
        load_edition("csae157-2020").spec.encode("MessageFrame", ("msgFrameExt", {"messageId": 0, "value": b"\x02"}))
    )  # inner TestMsg does not decode
    good = _judge_recording(
        tmp_path,
        f"file://{_recording(tmp_path, [test_msg, test_msg])}",
        case("message.decode-strict", message="TestMsg", message_id=0),
        edition="csae157-2020",
    )
    assert good.verdict is Verdict.PASS and "2 TESTMSG (messageId 0) frames" in good.observations[0].message
    (tmp_path / "e.ndjson").unlink()
    bad = _judge_recording(
        tmp_path,
        f"file://{_recording(tmp_path, [test_msg, broken])}",
        case("message.decode-strict", message="TestMsg", message_id=0),
        edition="csae157-2020",
    )
    assert bad.verdict is Verdict.FAIL and bad.observations[0].field_path.startswith("msgFrameExt.value")
    (tmp_path / "e.ndjson").unlink()
    other = _judge_recording(
        tmp_path,
        f"file://{_recording(tmp_path, [test_msg])}",
        case("message.decode-strict", message="SSM", message_id=12),
        edition="csae157-2020",
    )
    assert other.verdict is Verdict.INCONC


def test_msgcnt_max_gap_tolerates_lost_messages(tmp_path: Path) -> None:
    import copy

    from conformance.codec.strict import encode
    from conformance.standards.samples import sample_values

    alternative, value = sample_values()["bsm"]
    frames = []
    for count in (10, 11, 13):  # one message lost between 11 and 13
        bsm = copy.deepcopy(value)
        bsm["msgCnt"] = count
        frames.append(encode((alternative, bsm), edition=EDITION))
    path = _recording(tmp_path, frames)
    strict = _judge_recording(tmp_path, f"file://{path}", case("message.msgcnt-sequence", message="BSM"))
    assert strict.verdict is Verdict.FAIL
    (tmp_path / "e.ndjson").unlink()
    tolerant = _judge_recording(tmp_path, f"file://{path}", case("message.msgcnt-sequence", message="BSM", max_gap=1))
    assert tolerant.verdict is Verdict.PASS


# ------------------------------------------------------------------------------------------------ msgCnt, every kind
def catalogue_cases(profile_id: str, keyword: str, tmp_path: Path, pics_items: dict[str, str] | None = None) -> Any:
    """The selected cases of ``profile_id`` matching ``keyword`` for the reference RSU's own capability statement
    (with ``pics_items`` answered differently, when given), exactly as ``v2xc run`` plans them."""
    from conformance.catalogue import Role, load_pics, load_profile, make_plan
    from conformance.catalogue.loader import bundled_catalogue
    from conformance.cli.runsetup import planned_cases
    from conformance.devices.reference_pics import reference_pics_yaml

    catalogue = bundled_catalogue()
    profile = load_profile(profile_id, catalogue)
    text = reference_pics_yaml(profile, catalogue, Role.RSU)
    for name, answer in (pics_items or {}).items():
        text = text.replace(f"    {name}: sequence\n", f"    {name}: {answer}\n")
    path = tmp_path / "pics.yaml"
    path.write_text(text, encoding="utf-8")
    plan = make_plan(
        catalogue,
        profile,
        load_pics(path, profile, catalogue),
        keyword=keyword,
        available_checks=set(registered_checks()),
    )
    return [planned for planned in planned_cases(plan) if planned.status == "selected"]


MSGCNT_CASES = {f"CSAE53-2020/{kind}/TX/MSGCNT" for kind in ("MAP", "SPAT", "RSI", "RSM")}
FAST_RATES = "rates=MAP:4,SPAT:4,RSI:4"  # a periodic fault strikes frames 2, 7, 12...: within a 3 s window


def test_the_catalogue_has_a_msgcnt_requirement_for_every_message_the_rsu_sends(tmp_path: Path) -> None:
    cases = catalogue_cases("csae53-2020-rsu", "msgcnt", tmp_path)
    assert {c.case_id for c in cases} == MSGCNT_CASES  # the reference RSU declares the sequence reading
    for planned in cases:
        (call,) = planned.checks
        assert call.check_id == "message.msgcnt-sequence"
        assert call.parameters["reading"] == "sequence" and call.parameters["max_gap"] == 0
        assert "clause number not verified" in planned.clause
    revision = catalogue_cases(
        "csae53-2020-rsu", "msgcnt and (map or spat)", tmp_path, {"RSU.MSGCNT.MAP-READING": "revision"}
    )
    assert {c.case_id for c in revision} == {"CSAE53-2020/MAP/TX/MSGCNT-REVISION", "CSAE53-2020/SPAT/TX/MSGCNT"}
    assert revision[0].checks[0].parameters["reading"] == "revision"


@pytest.mark.parametrize(
    ("fault", "failing"),
    [
        ("", set()),
        ("skip-msgcnt", MSGCNT_CASES),
        ("skip-msgcnt:SPAT", {"CSAE53-2020/SPAT/TX/MSGCNT"}),  # an RSU that breaks msgCnt on SPAT only
    ],
)
def test_msgcnt_requirements_against_the_reference_rsu(fault: str, failing: set[str], tmp_path: Path) -> None:
    cases = catalogue_cases("csae53-2020-rsu", "msgcnt", tmp_path)
    results = run(f"sim://rsu?{FAST_RATES}" + (f"&fault={fault}" if fault else ""), cases, tmp_path)
    verdicts = {case_id: result.verdict for case_id, result in results.items()}
    assert {k for k, v in verdicts.items() if v is Verdict.FAIL} == failing, verdicts
    assert all(verdicts[k] is Verdict.PASS for k in MSGCNT_CASES - failing), verdicts
    for case_id in failing:
        observation = results[case_id].observations[0]
        assert observation.field_path == "msgCnt" and "skips 1 value(s)" in observation.message


def test_dsmp_receive_fails_when_the_application_layer_gets_nothing(tmp_path: Path) -> None:
    results = run("sim://rsu?framing=dsmp&fault=ut-silent", [case("dsmp.receive", message="BSM", count=2)], tmp_path)
    assert results["dsmp.receive/BSM"].verdict is Verdict.FAIL


def test_v2xc_run_exits_1_for_an_rsu_that_breaks_msgcnt_on_spat_only(tmp_path: Path) -> None:
    import subprocess
    import sys

    from conformance.engine.journal import read_journal

    out = tmp_path / "run"
    target = "sim://rsu?fault=skip-msgcnt:SPAT&rates=SPAT:4"
    arguments = ["--profile", "csae53-2020-rsu", "--target", target, "--out", str(out), "--observation-window", "3"]
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", *arguments, "-k", "msgcnt"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    failed = {k for k, r in read_journal(out).cases.items() if r.verdict is Verdict.FAIL}
    assert failed == {"CSAE53-2020/SPAT/TX/MSGCNT"}


def test_the_lab_pixit_msgcnt_max_gap_reaches_the_msgcnt_requirements(tmp_path: Path) -> None:
    import subprocess
    import sys

    from conformance.engine.journal import read_journal

    pixit = tmp_path / "pixit.yaml"
    pixit.write_text(
        "pixit:\n  profile: csae53-2020-rsu\n  values:\n    lab.name: Lab\n    dut.vendor: V\n    dut.model: M\n"
        '    dut.firmware: "1"\n    dut.serial: S\n    dut.device_id: "0a0b0c0d"\n    msgcnt.max_gap: 1\n',
        encoding="utf-8",
    )
    out = tmp_path / "run"
    target = "sim://rsu?fault=skip-msgcnt:SPAT&rates=SPAT:4"  # one value skipped = one message "lost": tolerated
    arguments = ["--profile", "csae53-2020-rsu", "--target", target, "--pixit", str(pixit), "--out", str(out)]
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", *arguments, "--observation-window", "3", "-k", "msgcnt"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    spat = read_journal(out).cases["CSAE53-2020/SPAT/TX/MSGCNT"]
    assert spat.verdict is Verdict.PASS and "PIXIT msgcnt.max_gap 1" in spat.observations[0].message
