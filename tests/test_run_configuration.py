"""Configuration mistakes stop a run early and loudly (issue 10 item 6): the reachability step before the first
case (exit 3, naming what was tried), PICS/target contradictions and PIXIT addresses that disagree with the URL
(exit 2, naming the file line and the URL), and a PIXIT template that lists every lab item the report uses."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import conformance.reports.build as report_build
from conformance.catalogue import Role, bundled_catalogue, load_profile, pixit_template
from conformance.devices.reference_pics import reference_pics_yaml
from conformance.engine.journal import read_journal

#: Real-time observation windows against reference devices: deselect with -m 'not live' for a fast run.
pytestmark = pytest.mark.live

PROFILE = "csae53-2020-rsu"
LAB_ITEMS = {
    "lab.name": "Test lab",
    "dut.vendor": "V",
    "dut.model": "M",
    "dut.firmware": "v1.0",
    "dut.serial": "S",
    "dut.device_id": "abcd0001",
    "timeouts.response_ms": 2000,
}


def v2xc(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], capture_output=True, text=True, check=False, timeout=120
    )


def _pics(tmp_path: Path, *, upper_tester: bool = True) -> Path:
    catalogue = bundled_catalogue()
    text = reference_pics_yaml(load_profile(PROFILE, catalogue), catalogue, Role.RSU)
    if not upper_tester:
        text, count = re.subn(r"IUT\.UPPER-TESTER: (yes|true)", "IUT.UPPER-TESTER: no", text)
        assert count == 1
    path = tmp_path / "pics.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _pixit(tmp_path: Path, **values: object) -> Path:
    merged = {**LAB_ITEMS, **values}
    lines = ["pixit:", f"  profile: {PROFILE}", "  values:"]
    lines += [f"    {name}: {value}" for name, value in merged.items()]
    path = tmp_path / "pixit.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _line_of(path: Path, item: str) -> int:
    return next(n for n, line in enumerate(path.read_text().splitlines(), 1) if line.strip().startswith(item + ":"))


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A bound UDP port on which nobody answers (a device that is off)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    yield int(sock.getsockname()[1])
    sock.close()


def test_pics_upper_tester_without_one_in_the_url_is_a_usage_error(tmp_path: Path, silent_port: int) -> None:
    pics = _pics(tmp_path)
    target = f"udp://127.0.0.1:{silent_port}?listen=0"
    done = v2xc("run", "--profile", PROFILE, "--target", target, "--pics", str(pics), "--out", str(tmp_path / "r"))
    assert done.returncode == 2, done.stderr
    line = _line_of(pics, "IUT.UPPER-TESTER")
    assert f"{pics}:{line}:" in done.stderr and target in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r").exists()  # nothing was written


def test_url_upper_tester_that_the_pics_denies_is_a_usage_error(tmp_path: Path, silent_port: int) -> None:
    pics = _pics(tmp_path, upper_tester=False)
    target = f"udp://127.0.0.1:{silent_port}?listen=0&ut={silent_port}"
    done = v2xc("run", "--profile", PROFILE, "--target", target, "--pics", str(pics), "--out", str(tmp_path / "r"))
    assert done.returncode == 2, done.stderr
    assert "IUT.UPPER-TESTER = no" in done.stderr and target in done.stderr


@pytest.mark.parametrize(
    ("item", "value"),
    [("target.port", 1), ("listen.port", 2), ("target.host", "192.0.2.7"), ("upper_tester.port", 3)],
)
def test_pixit_address_that_disagrees_with_the_url_is_a_usage_error(
    tmp_path: Path, silent_port: int, item: str, value: object
) -> None:
    pics = _pics(tmp_path, upper_tester=False)
    pixit = _pixit(tmp_path, **{item: value})
    target = f"udp://127.0.0.1:{silent_port}?listen=0"
    done = v2xc(
        "run", "--profile", PROFILE, "--target", target, "--pics", str(pics), "--pixit", str(pixit),
        "--out", str(tmp_path / "r"),
    )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert f"PIXIT {item} = {value} ({pixit}:{_line_of(pixit, item)}:" in done.stderr
    assert target in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "r").exists()


def test_pixit_addresses_with_a_sim_target_are_refused(tmp_path: Path) -> None:
    pixit = _pixit(tmp_path, **{"target.port": 30000})
    out = tmp_path / "r"
    done = v2xc("run", "--profile", PROFILE, "--target", "sim://rsu", "--pixit", str(pixit), "--out", str(out))
    assert done.returncode == 2, done.stderr
    assert "chooses its own loopback ports" in done.stderr


def test_unreachable_device_stops_before_any_case_with_exit_3(tmp_path: Path, silent_port: int) -> None:
    pics = _pics(tmp_path, upper_tester=False)
    # Addresses in both places, agreeing: accepted; the device is simply off.
    pixit = _pixit(tmp_path, **{"target.port": silent_port, "timeouts.connect_s": 1.5})
    out = tmp_path / "r"
    target = f"udp://127.0.0.1:{silent_port}?listen=0"
    done = v2xc(
        "run", "--profile", PROFILE, "--target", target, "--pics", str(pics), "--pixit", str(pixit), "--out", str(out)
    )
    assert done.returncode == 3, done.stdout + done.stderr
    assert "No frame arrived from the device within 1.5 s" in done.stderr and target in done.stderr
    assert "No case was run" in done.stderr and "Traceback" not in done.stderr
    journal = read_journal(out) if (out / "journal.ndjson").exists() else None
    assert journal is None or not journal.cases  # not a page of inconclusive verdicts
    assert (out / "run.json").is_file()  # the run folder says what was tried


def test_dead_upper_tester_stops_before_any_case_with_exit_3(tmp_path: Path, silent_port: int) -> None:
    pics = _pics(tmp_path)
    # The device sends frames, but its upper tester is silent.
    stop = threading.Event()
    listen = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    listen.bind(("127.0.0.1", 0))
    listen_port = int(listen.getsockname()[1])
    listen.close()

    def talk() -> None:
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        while not stop.wait(0.05):
            sender.sendto(b"\x00", ("127.0.0.1", listen_port))
        sender.close()

    thread = threading.Thread(target=talk, daemon=True)
    thread.start()
    try:
        target = f"udp://127.0.0.1:{silent_port}?listen={listen_port}&ut={silent_port}"
        done = v2xc("run", "--profile", PROFILE, "--target", target, "--pics", str(pics), "--out", str(tmp_path / "r"))
    finally:
        stop.set()
        thread.join()
    assert done.returncode == 3, done.stdout + done.stderr
    assert f"upper tester at 127.0.0.1:{silent_port} did not answer a ping" in done.stderr


def test_pixit_template_lists_every_lab_item_the_report_uses() -> None:
    source = Path(report_build.__file__).read_text(encoding="utf-8")
    used = set(re.findall(r'_pixit_item\(pixit, "([^"]+)"\)', source))
    used |= {f"dut.{name}" for name in re.findall(r'dut\("([a-z_]+)"\)', source)}
    assert len(used) >= 10, used  # the scan still finds the report's items
    catalogue = bundled_catalogue()
    template = pixit_template(load_profile(PROFILE, catalogue), catalogue)
    listed = set(re.findall(r"^    ([a-z_]+\.[a-z_.]+):", template, flags=re.MULTILINE))
    assert used <= listed, used - listed
    assert {"timeouts.connect_s", "timing.overload_wakeup_ms"} <= listed
