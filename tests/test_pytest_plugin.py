"""The pytest plugin (``conformance/pytest_plugin.py``, entry point ``pytest11: v2xc``): a profile run as pytest items.

Each test runs pytest in a subprocess (``pytester``), exactly as a vendor's CI would, against the reference RSU.
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conformance.engine.journal import read_journal
from conformance.engine.model import CaseResult, Observation, Verdict
from conformance.pytest_plugin import NOT_RUN_BY_PYTEST, outcome_text

pytest_plugins = ["pytester"]

PROFILE = "csae53-2020-rsu"
PHASE_IDS = "CSAE53-2020/SPAT/TX/PHASE-IDS-IN-MAP"
NOT_APPLICABLE = "CSAE53-2020/MAP/TX/MSGCNT-REVISION"  # the reference RSU's msgCnt reading is "sequence"


def _testcases(path: Path) -> dict[str, ET.Element]:
    """The testcases of a JUnit XML file by name, in file order."""
    return {case.attrib["name"]: case for case in ET.parse(path).getroot().iter("testcase")}


def _properties(case: ET.Element) -> dict[str, str]:
    return {prop.attrib["name"]: prop.attrib["value"] for prop in case.iter("property")}


@pytest.mark.live
def test_clean_reference_rsu_one_item_per_case_all_pass(pytester: pytest.Pytester) -> None:
    # 6 s: the DECODE requirements need at least 5 MAP frames (1 Hz); a 3 s window makes them inconclusive.
    result = pytester.runpytest_subprocess(
        f"--v2xc-profile={PROFILE}",
        "--v2xc-target=sim://rsu",
        "--v2xc-observation-window=6",
        "--v2xc-keyword=MAP or SPAT",
        "--v2xc-out=run",
        "--junitxml=junit.xml",
        "-rs",
    )
    out = result.stdout.str()
    assert result.ret == 0, out + result.stderr.str()
    outcomes = result.parseoutcomes()
    assert outcomes["passed"] == 9 and "failed" not in outcomes and "errors" not in outcomes, outcomes
    run = pytester.path / "run"
    plan = json.loads((run / "run.json").read_text())["plan"]
    runnable = [entry["id"] for entry in plan if entry["status"] != "deselected"]
    assert outcomes["deselected"] == len(plan) - len(runnable)
    # --junitxml: one testcase per collected item, named by requirement id, in plan order, with its verdict
    cases = _testcases(pytester.path / "junit.xml")
    assert list(cases) == runnable
    verdicts = {name: _properties(case)["verdict"] for name, case in cases.items()}
    assert {name for name, verdict in verdicts.items() if verdict == "pass"} == {
        entry["id"] for entry in plan if entry["status"] == "selected"
    }
    # a not-applicable item is skipped with its reason (the PICS item and its line)
    skipped = cases[NOT_APPLICABLE].find("skipped")
    assert skipped is not None and "RSU.MSGCNT.MAP-READING = sequence" in skipped.attrib["message"]
    assert "not-applicable: condition" in out and "pics.yaml:" in out
    # the run folder is the one `v2xc run` writes: every case of the plan journalled, in plan order, and the reports
    journal = read_journal(run)
    assert journal.ended and not journal.interrupted
    assert list(journal.cases) == [entry["id"] for entry in plan]
    assert journal.cases[PHASE_IDS].verdict is Verdict.PASS
    for name in ("run.json", "pics.yaml", "evidence.ndjson", "report.json", "report.html", "report.junit.xml"):
        assert (run / name).is_file(), name
    assert "run folder:" in out and "report.html" in out


@pytest.mark.live
def test_faulty_rsu_fails_the_phase_ids_item_with_its_observation(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        f"--v2xc-profile={PROFILE}",
        "--v2xc-target=sim://rsu?fault=map-spat-mismatch",
        "--v2xc-observation-window=3",
        "--v2xc-out=run",
        "--junitxml=junit.xml",
        "-k",
        "MAP or SPAT",  # pytest's own -k on the items' names
    )
    out = result.stdout.str()
    assert result.ret == 1, out + result.stderr.str()
    cases = _testcases(pytester.path / "junit.xml")
    failure = cases[PHASE_IDS].find("failure")
    assert failure is not None and failure.attrib["message"].startswith("SPAT and MAP disagree")
    assert _properties(cases[PHASE_IDS])["verdict"] == "fail"
    assert f"FAILED v2xc::{PHASE_IDS} - SPAT and MAP disagree" in out
    # 3 s of a 1 Hz MAP is too few frames to judge strict decoding: inconclusive, shown failed, never passed
    decode = cases["CSAE53-2020/MAP/TX/DECODE"]
    inconclusive = decode.find("failure")
    assert inconclusive is not None and inconclusive.attrib["message"].startswith("INCONCLUSIVE: only")
    assert _properties(decode)["verdict"] == "inconc"
    # cases pytest's -k left out are journalled as deselected, so the reports do not call the run interrupted
    journal = read_journal(run := pytester.path / "run")
    assert journal.ended and not journal.interrupted
    assert journal.cases[PHASE_IDS].verdict is Verdict.FAIL
    bsm = journal.cases["CSAE53-2020/BSM/RX/DECODE"]
    assert (bsm.status, bsm.reason, bsm.verdict) == ("deselected", NOT_RUN_BY_PYTEST, Verdict.NONE)
    assert json.loads((run / "report.json").read_text())["format"] == "v2xc-report"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["--v2xc-profile=no-such", "--v2xc-target=sim://rsu"], "Unknown profile 'no-such'"),
        ([f"--v2xc-profile={PROFILE}", "--v2xc-target=carrier-pigeon://x"], "Bad target URL"),
        ([f"--v2xc-profile={PROFILE}", "--v2xc-target=udp://127.0.0.1:9?listen=0"], "--pics is required"),
        ([f"--v2xc-profile={PROFILE}", "--v2xc-target=sim://rsu", "--v2xc-pics=absent.yaml"], "no such file"),
        ([f"--v2xc-profile={PROFILE}"], "--v2xc-target URL is required"),
        (["--v2xc-target=sim://rsu"], "needs --v2xc-profile"),
    ],
)
def test_configuration_errors_are_usage_errors(pytester: pytest.Pytester, args: list[str], fragment: str) -> None:
    result = pytester.runpytest_subprocess(*args, "--v2xc-out=run")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert fragment in result.stderr.str()
    assert "Traceback" not in result.stderr.str() + result.stdout.str()
    assert not (pytester.path / "run").exists()  # nothing written


def test_a_broken_pics_file_is_a_usage_error_naming_its_line(pytester: pytest.Pytester) -> None:
    statement = "pics:\n  profile: csae53-2020-rsu\n  role: RSU\n  items:\n    RSU.TX.MAP: perhaps\n"
    pytester.makefile(".yaml", pics=statement)
    result = pytester.runpytest_subprocess(
        f"--v2xc-profile={PROFILE}", "--v2xc-target=sim://rsu", "--v2xc-pics=pics.yaml"
    )
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "pics.yaml:5" in result.stderr.str()


def test_without_a_profile_the_plugin_collects_nothing(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_one():\n    assert True\n")
    result = pytester.runpytest_subprocess("-q", "--co")
    assert result.ret == 0
    assert result.stdout.lines[0] == "test_without_a_profile_the_plugin_collects_nothing.py::test_one"
    assert "v2xc" not in result.stdout.str()


def test_collect_only_lists_the_plan_and_writes_no_run_folder(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest_subprocess(
        f"--v2xc-profile={PROFILE}", "--v2xc-target=sim://rsu", "--v2xc-out=run", "--co", "-q"
    )
    assert result.ret == 0
    items = [line for line in result.stdout.lines if line.startswith("v2xc::")]
    assert items[0] == "v2xc::YDT3707-2020/DSMP/TX/HEADER" and f"v2xc::{PHASE_IDS}" in items
    assert len(items) == len(set(items)) > 40
    assert not (pytester.path / "run").exists()


def _result(verdict: Verdict, *observations: Observation) -> CaseResult:
    return CaseResult(
        case_id="R",
        requirement_id="R",
        title="a requirement",
        clause="a clause",
        framework_node="",
        verdict=verdict,
        status="selected",
        observations=list(observations),
    )


def test_outcome_text_puts_what_decided_the_verdict_first() -> None:
    passing = Observation(Verdict.PASS, "the edition matches", check="message.edition")
    failing = Observation(
        Verdict.FAIL, "msgCnt jumps", check="message.msgcnt", field_path="msgCnt", expected=5, observed=7,
        evidence=(3, 3),
    )
    text = outcome_text(_result(Verdict.FAIL, passing, failing))
    lines = text.splitlines()
    assert lines[0] == "msgCnt jumps"
    assert lines[2] == (
        "[fail] message.msgcnt: msgCnt jumps (field msgCnt; expected 5; observed 7; evidence.ndjson seq 3)"
    )
    assert lines[3].startswith("[pass] message.edition")
    inconclusive = Observation(Verdict.INCONC, "too few frames", check="message.rate")
    assert outcome_text(_result(Verdict.INCONC, passing, inconclusive)).startswith("INCONCLUSIVE: too few frames")
    error = Observation(Verdict.ERROR, "harness error in x: KeyError", check="x")
    assert outcome_text(_result(Verdict.ERROR, passing, error)).startswith("HARNESS ERROR: harness error in x")


def test_a_lab_profile_from_profiles_path(pytester: pytest.Pytester) -> None:
    profiles = pytester.mkdir("profiles")
    (profiles / "lab-rsu.yaml").write_text(
        "profile:\n  id: lab-rsu\n  title: {zh: x, en: x}\n  extends: [csae53-2020-rsu]\n", encoding="utf-8"
    )
    result = pytester.runpytest_subprocess(
        "--v2xc-profile=lab-rsu", "--v2xc-profiles-path=profiles", "--v2xc-target=sim://rsu", "--co", "-q"
    )
    assert result.ret == 0, result.stdout.str() + result.stderr.str()
    assert f"v2xc::{PHASE_IDS}" in result.stdout.lines


def test_an_unreachable_device_makes_every_item_an_error(pytester: pytest.Pytester) -> None:
    required = ("lab.name", "dut.vendor", "dut.model", "dut.firmware", "dut.serial", "dut.device_id")
    values = "".join(f"    {name}: x1\n" for name in required)
    pixit = f"pixit:\n  profile: {PROFILE}\n  values:\n{values}    timeouts.connect_s: 1\n"
    pytester.makefile(".yaml", pixit=pixit)
    statement = pytester.run(sys.executable, "-m", "conformance", "sim", "rsu", "--print-pics")
    assert statement.ret == 0
    pytester.makefile(".yaml", pics="\n".join(statement.outlines))
    result = pytester.runpytest_subprocess(
        f"--v2xc-profile={PROFILE}",
        "--v2xc-target=udp://127.0.0.1:9?listen=0&ut=9",  # nothing answers on port 9
        "--v2xc-pics=pics.yaml",
        "--v2xc-pixit=pixit.yaml",
        "--v2xc-keyword=SPAT",
        "--v2xc-out=run",
    )
    outcomes = result.parseoutcomes()
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    assert outcomes["errors"] == len([line for line in result.stdout.lines if line.startswith("ERROR v2xc::")]) > 0
    assert "passed" not in outcomes and "failed" not in outcomes
    assert "HARNESS ERROR: the run could not start" in result.stdout.str()
    assert "did not answer a ping" in result.stdout.str() or "No frame arrived" in result.stdout.str()
