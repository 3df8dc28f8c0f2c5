"""`v2xc run` end to end: exit codes, the run folder, PICS required for real devices, SIGKILL + --resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from conformance.cli.main import main
from conformance.engine.journal import read_journal

#: Real-time observation windows against reference devices: deselect with -m 'not live' for a fast run.
pytestmark = pytest.mark.live

KEYWORD = "SPAT or MAP"  # a handful of requirements keeps these runs short


def v2xc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], capture_output=True, text=True, check=False, timeout=300
    )


def test_run_against_the_reference_rsu_passes_and_writes_the_run_folder(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = v2xc(
        "run",
        "--profile",
        "csae53-2020-rsu",
        "--target",
        "sim://rsu",
        "--out",
        str(out),
        "--observation-window",
        "6",
        "-k",
        KEYWORD,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    metadata = json.loads((out / "run.json").read_text())
    assert metadata["edition"]["id"] == "csae53-2020" and metadata["pics"]["source"] == "reference device"
    journal = read_journal(out)
    assert journal.ended and not journal.interrupted
    verdicts = {case_id: result.verdict.value for case_id, result in journal.cases.items()}
    assert verdicts["CSAE53-2020/SPAT/TX/PHASE-IDS-IN-MAP"] == "pass"
    assert "fail" not in verdicts.values()
    evidence = [json.loads(line) for line in (out / "evidence.ndjson").read_text().splitlines()]
    assert evidence and all(frame["raw_hex"] and frame["wall_time"] > 0 for frame in evidence)


def test_run_against_a_faulty_rsu_exits_1_naming_the_requirement(tmp_path: Path) -> None:
    out = tmp_path / "run"
    done = v2xc(
        "run",
        "--profile",
        "csae53-2020-rsu",
        "--target",
        "sim://rsu?fault=map-spat-mismatch",
        "--out",
        str(out),
        "--observation-window",
        "6",
        "-k",
        KEYWORD,
    )
    assert done.returncode == 1
    failed = {k for k, r in read_journal(out).cases.items() if r.verdict.value == "fail"}
    assert failed == {"CSAE53-2020/SPAT/TX/PHASE-IDS-IN-MAP"}


def test_real_device_needs_a_capability_statement(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main,
        ["run", "--profile", "csae53-2020-rsu", "--target", "udp://127.0.0.1:9?listen=0", "--out", str(tmp_path / "r")],
    )
    assert result.exit_code == 2
    assert "--pics is required" in result.output and "v2xc pics template" in result.output


def test_usage_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["run", "--target", "sim://rsu"]).exit_code == 2
    bad_profile = runner.invoke(
        main, ["run", "--profile", "no-such", "--target", "sim://rsu", "--out", str(tmp_path / "x")]
    )
    assert bad_profile.exit_code == 2 and "Unknown profile" in bad_profile.output
    bad_target = runner.invoke(
        main, ["run", "--profile", "csae53-2020-rsu", "--target", "carrier-pigeon://x", "--out", str(tmp_path / "y")]
    )
    assert bad_target.exit_code in (2, 3) and "Traceback" not in bad_target.output
    assert "udp" in bad_target.output


def test_sigkill_then_resume_completes_without_redoing_cases(tmp_path: Path) -> None:
    out = tmp_path / "killed"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "conformance",
            "run",
            "--profile",
            "csae53-2020-rsu",
            "--target",
            "sim://rsu",
            "--out",
            str(out),
            "--observation-window",
            "6",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    journal = out / "journal.ndjson"
    deadline = time.monotonic() + 120
    # kill once some, but not all, verdicts are on disk: after the 11 not-applicable cases and BSM/RX/DECODE, during
    # the robustness case (seconds long); the passive cases after it are judged within milliseconds of each other
    while time.monotonic() < deadline:
        if journal.exists() and journal.read_text().count('"type": "case"') >= 12:
            break
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)
    before = read_journal(out)
    planned = len(json.loads((out / "run.json").read_text())["plan"])  # every requirement of the profile
    assert planned == 43
    assert not before.ended and 12 <= len(before.cases) < planned
    done = v2xc("run", "--resume", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    after = read_journal(out)
    assert after.ended and len(after.cases) == planned
    records = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    case_ids = [r["case_id"] for r in records if r["type"] == "case"]
    assert len(case_ids) == len(set(case_ids)) == planned  # nothing was redone
    for case_id, result in before.cases.items():
        assert after.cases[case_id].verdict == result.verdict


@pytest.mark.parametrize("args", [["--resume", "/nonexistent/run"]])
def test_resume_of_a_folder_without_a_run(args: list[str]) -> None:
    result = CliRunner().invoke(main, ["run", *args])
    assert result.exit_code == 2 and "holds no run" in result.output


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_robustness_is_inconclusive_never_a_device_fail(tmp_path: Path, signum: int) -> None:
    """Ctrl-C or SIGTERM in the middle of the robustness case (which judges whether the device still sends after
    invalid frames) must not become the clean device's fail: the case is inconclusive ("interrupted"), reports are
    written for what finished, the run exits 3 (not every case ran), and the CI gate refuses the incomplete run."""
    out = tmp_path / "interrupted"
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "run", "--profile", "csae53-2020-rsu", "--target", "sim://rsu",
         "--out", str(out), "-k", "ROBUSTNESS or MAP"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    journal = out / "journal.ndjson"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # wait until the robustness case has started sending invalid frames
        evidence = out / "evidence.ndjson"
        if evidence.exists() and "robustness" in evidence.read_text():
            break
        time.sleep(0.05)
    time.sleep(1.0)
    process.send_signal(signum)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 3, stdout[-2000:] + stderr[-2000:]
    assert "Traceback" not in stderr
    records = [json.loads(line) for line in journal.read_text().splitlines() if line.strip()]
    cases = [r for r in records if r["type"] == "case"]
    assert not [r["case_id"] for r in cases if r["verdict"] == "fail"]  # the clean device failed nothing
    robustness = next(r for r in cases if r["case_id"].endswith("BSM/RX/ROBUSTNESS"))
    assert robustness["verdict"] == "inconc"
    assert any("interrupted" in o["message"] for o in robustness["observations"])
    assert records[-1]["type"] == "end" and records[-1]["interrupted"]
    assert (out / "report.json").is_file() and (out / "report.md").is_file()
    gate = v2xc("report", "gate", str(out))
    assert gate.returncode == 3 and "incomplete" in gate.stdout + gate.stderr


def test_a_second_run_into_a_folder_being_written_is_refused(tmp_path: Path) -> None:
    """Two runs into one --out: the second is refused with exit 2 naming the holder; the first is intact."""
    out = tmp_path / "shared"
    first = subprocess.Popen(
        [sys.executable, "-m", "conformance", "run", "--profile", "csae53-2020-rsu", "--target", "sim://rsu",
         "--out", str(out), "--observation-window", "6", "-k", "SPAT or MAP"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (out / "run.json").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    second = v2xc("run", "--profile", "csae53-2020-rsu", "--target", "sim://rsu", "--out", str(out), "-k", "RSM")
    resumed = v2xc("run", "--resume", str(out))
    stdout, stderr = first.communicate(timeout=120)
    assert second.returncode == 2, second.stdout + second.stderr
    assert "being written by another run" in second.stderr or "already holds a run" in second.stderr
    assert f'"pid": {first.pid}' in second.stderr or "already holds a run" in second.stderr
    assert resumed.returncode == 2 and "being written by another run" in resumed.stderr, resumed.stderr
    assert first.returncode == 0, stdout[-2000:] + stderr[-2000:]
    journal = read_journal(out)
    assert len(journal.runs) == 1 and journal.ended  # one run header: nothing interleaved


def test_a_run_with_its_own_pics_resumes_from_any_path(tmp_path: Path) -> None:
    """The plan is made from the run folder's own copy of the PICS, named relative to the folder: a run started
    with --pics resumes, also when the folder is given by another path (relative instead of absolute)."""
    pics = tmp_path / "rsu-pics.yaml"
    printed = v2xc("sim", "rsu", "--print-pics")
    assert printed.returncode == 0, printed.stderr
    pics.write_text(printed.stdout, encoding="utf-8")
    out = tmp_path / "run"
    first = v2xc(
        "run", "--profile", "csae53-2020-rsu", "--target", "sim://rsu", "--pics", str(pics), "--out", str(out),
        "-k", "MAP/TX/RATE or SPAT/TX/RATE", "--observation-window", "3",
    )  # fmt: skip
    assert first.returncode == 0, first.stdout[-2000:] + first.stderr
    journal = out / "journal.ndjson"
    lines = journal.read_text().splitlines()
    cut = next(i for i, line in enumerate(lines) if "MAP/TX/RATE" in line and '"type": "case"' in line)
    journal.write_text("\n".join(lines[:cut]) + "\n")  # as if killed before MAP/TX/RATE was judged
    resumed = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--resume", "run"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert resumed.returncode == 0, resumed.stdout[-2000:] + resumed.stderr
    after = read_journal(out)
    assert after.ended and after.cases["CSAE53-2020/MAP/TX/RATE"].verdict.value == "pass"


@pytest.mark.parametrize(("delay", "signum"), [(2.5, signal.SIGTERM), (6.0, signal.SIGINT)])
def test_interrupt_at_a_point_then_resume_never_fails_the_clean_device(
    tmp_path: Path, delay: float, signum: int
) -> None:
    """Interrupt a run of the clean reference RSU some seconds in, then resume it: no fail verdict at any point,
    reports after each part, and the resumed run judges only the cases without a verdict (none twice)."""
    out = tmp_path / "run"
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "run", "--profile", "csae53-2020-rsu", "--target", "sim://rsu",
         "--out", str(out), "--observation-window", "4", "-k", "ROBUSTNESS or RSM or MAP"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not (out / "journal.ndjson").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(delay)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode in (0, 3), stderr[-2000:]  # 0 only when it had finished before the signal
    assert "Traceback" not in stderr and (out / "report.json").is_file()
    resumed = v2xc("run", "--resume", str(out))
    assert resumed.returncode in (0, 1), resumed.stdout[-2000:] + resumed.stderr  # 1: the interrupted case's inconc
    records = [json.loads(line) for line in (out / "journal.ndjson").read_text().splitlines() if line.strip()]
    case_ids = [r["case_id"] for r in records if r["type"] == "case"]
    assert len(case_ids) == len(set(case_ids)) == len(json.loads((out / "run.json").read_text())["plan"])
    assert not [r["case_id"] for r in records if r["type"] == "case" and r["verdict"] == "fail"]
    assert read_journal(out).ended
