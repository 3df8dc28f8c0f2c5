"""Every command that reads a file parses it within limits (issue 20, item 4): a YAML alias bomb, nesting 10^5 deep,
/dev/zero, a FIFO, a folder and non-UTF-8 bytes each end in a clear error with a documented exit code, naming the
file, within seconds — never a traceback, a hang or memory exhaustion."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from conformance.errors import ConfigurationError
from conformance.reports.waivers import load_waivers

PROFILE = "csae53-2020-rsu"


def _alias_bomb(path: Path) -> None:
    lines = ["pics:", '  a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    lines += [f"  {chr(98 + n)}: &{chr(98 + n)} [" + ",".join([f"*{chr(97 + n)}"] * 10) + "]" for n in range(8)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _deep(path: Path) -> None:
    path.write_text("a: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")


def _deep_json(path: Path) -> None:
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")


def _non_utf8(path: Path) -> None:
    path.write_bytes(b"pics:\n  profile: \xb2\xe2\xca\xd4\n")  # GBK bytes


def _fifo(path: Path) -> None:
    os.mkfifo(path)


def _folder(path: Path) -> None:
    path.mkdir()


HOSTILE: dict[str, Callable[[Path], None]] = {
    "alias-bomb": _alias_bomb,
    "deep-yaml": _deep,
    "deep-json": _deep_json,
    "non-utf8": _non_utf8,
    "fifo": _fifo,
    "folder": _folder,
}
COMMANDS: dict[str, Callable[[Path, Path], list[str]]] = {
    "pics check": lambda f, tmp: ["pics", "check", "--profile", PROFILE, str(f)],
    "pixit check": lambda f, tmp: ["pixit", "check", "--profile", PROFILE, str(f)],
    "plan": lambda f, tmp: ["plan", "--profile", PROFILE, "--pics", str(f)],
    "encode": lambda f, tmp: ["encode", "-e", "csae53-2020", str(f)],
    "run --pics": lambda f, tmp: ["run", "--profile", PROFILE, "--target", "sim://rsu", "--pics", str(f),
                                  "--out", str(tmp / "run")],
}  # fmt: skip


@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_file(tmp_path: Path, kind: str, command: str) -> None:
    hostile = tmp_path / f"{kind}.input"
    HOSTILE[kind](hostile)
    done = subprocess.run(
        [sys.executable, "-m", "conformance", *COMMANDS[command](hostile, tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,  # a FIFO read or an alias expansion would hang here
        check=False,
    )
    assert done.returncode in (1, 2), (done.returncode, done.stderr[-2000:])
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr[-2000:]
    assert hostile.name in done.stderr, done.stderr[-2000:]  # names the file
    assert not (tmp_path / "run" / "journal.ndjson").exists()  # nothing was run


@pytest.mark.parametrize(
    "args",
    [
        ["run", "--profile", PROFILE, "--target", "sim://rsu", "--observation-window", "nan"],
        ["run", "--profile", PROFILE, "--target", "sim://rsu", "--observation-window", "inf"],
        ["run", "--profile", PROFILE, "--target", "sim://rsu?rates=MAP:nan"],
        ["run", "--profile", PROFILE, "--target", "sim://rsu?rates=RSM:inf"],
        ["sim", "rsu", "--send-to", "127.0.0.1:9", "--duration", "nan"],
        ["sim", "rsu", "--send-to", "127.0.0.1:9", "--rates", "SPAT:-inf"],
        ["selftest", "--seconds", "nan"],
    ],
)
def test_non_finite_numbers_are_usage_errors(tmp_path: Path, args: list[str]) -> None:
    extra = ["--out", str(tmp_path / "run")] if args[0] == "run" else []
    done = subprocess.run(
        [sys.executable, "-m", "conformance", *args, *extra], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 2, (done.returncode, done.stdout[-1000:], done.stderr[-1000:])
    assert "Traceback" not in done.stderr and ("finite" in done.stderr or "positive" in done.stderr), done.stderr
    assert not (tmp_path / "run").exists()


def test_a_pixit_number_that_is_not_finite_is_refused(tmp_path: Path) -> None:
    pixit = tmp_path / "pixit.yaml"
    pixit.write_text(f"pixit:\n  profile: {PROFILE}\n  values:\n    timeouts.connect_s: .nan\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "pixit", "check", "--profile", PROFILE, str(pixit)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2 and "must be a finite number" in done.stderr and f"{pixit}:4:" in done.stderr


def test_an_out_folder_that_cannot_be_created_is_a_usage_error(tmp_path: Path) -> None:
    a_file = tmp_path / "a-file"
    a_file.write_text("x", encoding="utf-8")
    for out in (Path("/proc/v2xc-not-here"), a_file / "run"):
        done = subprocess.run(
            [sys.executable, "-m", "conformance", "run", "--profile", PROFILE, "--target", "sim://rsu",
             "--out", str(out)],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 2 and "Cannot create the run folder" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr and "internal error" not in done.stderr


def test_a_run_json_cannot_point_resume_outside_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "run"
    folder.mkdir()
    (folder / "run.json").write_text(
        '{"run_id": "x", "catalogue": {}, "resume": {"profile_id": "csae53-2020-rsu"}, '
        '"pics": {"file": "../../../etc/passwd"}, "plan": []}',
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "run", "--resume", str(folder)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "not a file of the run folder" in done.stderr, done.stderr
    assert "root:" not in done.stderr + done.stdout  # nothing of the outside file is read or printed


def test_a_gbk_encoded_asn1_module_is_named_with_its_position(tmp_path: Path) -> None:
    (tmp_path / "Bad.asn").write_bytes("-- 测试\nBad DEFINITIONS ::= BEGIN\nEND\n".encode("gbk"))
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "decode", "--asn1-dir", str(tmp_path), "800b00000802011a195b1b1bc0"],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"{tmp_path / 'Bad.asn'}:1:4" in done.stderr and "not UTF-8" in done.stderr, done.stderr


def test_an_impossible_waiver_date_is_a_usage_error(tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n  - requirement: CSAE53-2020/MAP/TX/RATE\n    expected: fail\n    justification: j\n"
        "    approver: a\n    expires: 2026-02-30\n    link: l\n",
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError, match="impossible date") as info:
        load_waivers(waivers)
    assert info.value.exit_code == 2


def test_a_sensitive_pixit_value_is_never_echoed(tmp_path: Path) -> None:
    pixit = tmp_path / "pixit.yaml"
    pixit.write_text(
        "pixit:\n  profile: cloud-control-platform\n  values:\n    mqtt.password: 918273645\n", encoding="utf-8"
    )
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "pixit", "check", "--profile", "cloud-control-platform", str(pixit)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "mqtt.password" in done.stderr, done.stderr
    assert "918273645" not in done.stderr + done.stdout


def test_a_report_nested_too_deeply_is_a_clear_error(tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    report.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "report", "render", str(report), "--format", "md"],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "nested too deeply" in done.stderr and "Traceback" not in done.stderr, done.stderr


def test_a_profile_parameter_that_is_not_finite_is_refused(tmp_path: Path) -> None:
    (tmp_path / "lab-nan.yaml").write_text(
        "profile:\n  id: lab-nan\n  title: {zh: x, en: x}\n  extends: [csae53-2020-rsu]\n"
        "  parameters:\n    observation_window_s: {value: .nan}\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "conformance", "profiles", "show", "lab-nan", "--profiles-path", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 2 and "must be a finite number" in done.stderr and "lab-nan.yaml:6:" in done.stderr
