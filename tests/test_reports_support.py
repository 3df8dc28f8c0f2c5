"""Run folders shared by the report tests: one clean and one faulty run, generated once per test session.

Not a test module of its own (it has no tests); ``test_reports*.py`` import :func:`runs`.
"""

from __future__ import annotations

import shutil
import tempfile
from functools import cache
from pathlib import Path

from click.testing import CliRunner

from conformance.cli.main import main
from conformance.cli.reports import register

if "report" not in main.commands:
    register(main)

KEYWORD = "SPAT or MAP"  # 9 requirements of the RSU profile run (7 pass and 2 fail with the faults), 34 not run
FAULTS = "map-spat-mismatch,wrong-rate"
SECRET = "s3cret-Pixit-Value-7f3a"
PHASES = "CSAE53-2020/SPAT/TX/PHASE-IDS-IN-MAP"
SPAT_RATE = "CSAE53-2020/SPAT/TX/RATE"

PIXIT = f"""pixit:
  profile: csae53-2020-rsu
  values:
    lab.name: "Tianjin V2X Test Lab"
    lab.address: "No. 1 Xiqing Rd, Tianjin"
    customer.name: "Example RSU Co."
    operator.name: "Zhang San"
    dut.vendor: "ExampleVendor"
    dut.model: "RSU-9000"
    dut.firmware: "2.1.0"
    dut.serial: "SN-0042"
    dut.device_id: "0a0b0c0d"
    framing: "none"
    mqtt.password: "{SECRET}"
    security.private_key: "{SECRET}-key"
"""


@cache
def runs() -> dict[str, Path]:
    """{'clean': folder, 'faulty': folder}: reference RSU without and with faults (the faulty one has a PIXIT)."""
    base = Path(tempfile.mkdtemp(prefix="v2xc-report-tests-"))
    pixit = base / "pixit.yaml"
    pixit.write_text(PIXIT, encoding="utf-8")
    runner = CliRunner()
    folders = {}
    # The faulty RSU sends SPAT at 1 Hz: its window must hold the 10 SPAT frames SPAT/TX/DECODE needs to judge.
    for name, target, extra, code, window in (
        ("clean", "sim://rsu", [], 0, "6"),
        ("faulty", f"sim://rsu?fault={FAULTS}", ["--pixit", str(pixit)], 1, "11"),
    ):
        out = base / name
        result = runner.invoke(
            main,
            [
                *("run", "--profile", "csae53-2020-rsu", "--target", target, "--out", str(out)),
                *("--observation-window", window, "-k", KEYWORD, *extra),
            ],
        )
        assert result.exit_code == code, result.output
        folders[name] = out
    pixit.unlink()  # the PIXIT (with its secret) is not part of any run folder
    return folders


def copy_run(name: str, into: Path) -> Path:
    """A private copy of a shared run folder (for tests that change files)."""
    target = into / name
    shutil.copytree(runs()[name], target)
    return target


def invoke(*args: str) -> tuple[int, str]:
    """Run ``v2xc ARGS`` in-process; return the exit code and stdout + stderr."""
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output
