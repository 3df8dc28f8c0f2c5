"""``v2xc sim rsu|obu --print-pics``: the reference device's own capability statement, and a run against a standalone
reference device that uses it."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from conformance.cli.main import main
from conformance.engine.journal import read_journal


@pytest.mark.parametrize(
    ("device", "profile"),
    [("rsu", None), ("obu", None), ("rsu", "csae53-2019-rsu"), ("obu", "csae53-2019-obu")],
)
def test_printed_statement_passes_pics_check(tmp_path: Path, device: str, profile: str | None) -> None:
    runner = CliRunner()
    printed = runner.invoke(main, ["sim", device, "--print-pics", *(["--profile", profile] if profile else [])])
    assert printed.exit_code == 0, printed.output
    expected = profile or f"csae53-2020-{device}"
    statement = yaml.safe_load(printed.output)["pics"]
    assert statement["profile"] == expected and statement["role"] == device.upper()
    assert statement["items"]["IUT.UPPER-TESTER"] is True and statement["items"]["IUT.DSMP"] is False
    path = tmp_path / "pics.yaml"
    path.write_text(printed.output, encoding="utf-8")
    checked = runner.invoke(main, ["pics", "check", "--profile", expected, str(path)])
    assert checked.exit_code == 0, checked.output
    assert "consistent with the profile" in checked.output


def test_printed_statement_follows_framing_and_no_ut() -> None:
    printed = CliRunner().invoke(main, ["sim", "obu", "--print-pics", "--framing", "dsmp", "--no-ut"])
    assert printed.exit_code == 0, printed.output
    items = yaml.safe_load(printed.output)["pics"]["items"]
    assert items["IUT.DSMP"] is True and items["IUT.UPPER-TESTER"] is False


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["sim", "rsu", "--print-pics", "--profile", "csae53-2020-obu"], "not a runnable profile for an RSU"),
        (["sim", "rsu", "--print-pics", "--profile", "day1-rsu-base"], "not a runnable profile"),
        (["sim", "obu", "--print-pics", "--profile", "no-such"], "Unknown profile 'no-such'"),
        (["sim", "rsu", "--profile=csae53-2020-rsu", "--send-to=127.0.0.1:9"], "go with --print-pics"),
    ],
)
def test_print_pics_errors(args: list[str], fragment: str) -> None:
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2
    assert fragment in result.output
    assert "Traceback" not in result.output


def _free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.live
def test_run_against_a_standalone_reference_rsu_with_its_printed_statement(tmp_path: Path) -> None:
    pics = tmp_path / "rsu-pics.yaml"
    printed = CliRunner().invoke(main, ["sim", "rsu", "--print-pics"])
    assert printed.exit_code == 0, printed.output
    pics.write_text(printed.output, encoding="utf-8")
    listen = _free_udp_port()
    device = subprocess.Popen(
        [sys.executable, "-m", "conformance", "sim", "rsu", "--send-to", f"127.0.0.1:{listen}", "--announce"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert device.stdout is not None
        ready = json.loads(device.stdout.readline())
        assert ready.get("ready"), ready
        target = f"udp://127.0.0.1:{ready['port']}?listen={listen}&ut={ready['ut_port']}"
        out = tmp_path / "run"
        done = subprocess.run(
            [
                sys.executable, "-m", "conformance", "run", "--profile", "csae53-2020-rsu", "--target", target,
                "--pics", str(pics), "--out", str(out), "--observation-window", "6", "-k", "MAP or SPAT",
            ],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
    finally:
        assert device.stdin is not None
        device.stdin.close()  # the device stops when its standard input closes
        device.wait(timeout=10)
    assert done.returncode == 0, done.stdout + done.stderr
    metadata = json.loads((out / "run.json").read_text())
    assert metadata["pics"]["source"] == str(pics) and metadata["target"] == target
    verdicts = {case_id: result.verdict.value for case_id, result in read_journal(out).cases.items()}
    assert verdicts["CSAE53-2020/SPAT/TX/PHASE-IDS-IN-MAP"] == "pass"
    assert verdicts["CSAE53-2020/MAP/TX/MSGCNT"] == "pass"
    assert "fail" not in verdicts.values() and "inconc" not in verdicts.values()


def test_printed_statement_for_a_lab_profile(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "lab-rsu.yaml").write_text(
        "profile:\n  id: lab-rsu\n  title: {zh: x, en: x}\n  extends: [csae53-2020-rsu]\n", encoding="utf-8"
    )
    runner = CliRunner()
    lab = ["--profile", "lab-rsu", "--profiles-path", str(profiles)]
    printed = runner.invoke(main, ["sim", "rsu", "--print-pics", *lab])
    assert printed.exit_code == 0, printed.output
    assert yaml.safe_load(printed.output)["pics"]["profile"] == "lab-rsu"
    path = tmp_path / "pics.yaml"
    path.write_text(printed.output, encoding="utf-8")
    checked = runner.invoke(main, ["pics", "check", *lab, str(path)])
    assert checked.exit_code == 0, checked.output
