"""A laboratory's own profiles and catalogue: found through --profiles-path / --catalogue-path and the environment
(V2XC_PROFILES_PATH / V2XC_CATALOGUE_PATH), added to the bundled ones; an id defined twice, a missing directory, a
file given as a directory and a broken overlay file are exit 2 with file:line:column."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from conformance.catalogue import bundled_catalogue
from conformance.catalogue.overlays import CATALOGUE_PATH_ENV, PROFILES_PATH_ENV, overlay_dirs
from conformance.cli.profiles import register
from conformance.standards import PROFILES_DIR

DATA = Path(__file__).parent / "data"
RSU_PICS = DATA / "pics" / "rsu-no-rsi.yaml"
LAB_PROFILE = """\
# a lab's profile on top of a bundled one, adding the lab's own requirement
profile:
  id: lab-rsu-quick
  title: {zh: 实验室快速测试, en: Lab quick run}
  extends: [csae53-2020-rsu]
  include:
    - LAB/MAP/TX/RATE-STRICT
"""
LAB_CATALOGUE = """\
catalogue:
  id: lab-extra
  title: {zh: 实验室补充要求, en: Lab additions}
requirements:
  - id: LAB/MAP/TX/RATE-STRICT
    standard: T/CSAE 53-2020
    title: {zh: MAP发送周期（实验室）, en: "MAP period, lab limit"}
    purpose: {zh: 验证MAP发送周期不大于1.05秒。, en: "Verify MAP is sent at least every 1.05 s."}
    references: [{document: lab procedure LP-7, clause: "§3", verified: false}]
    framework: [ICT-2018/protocols-devices]
    roles: [RSU]
    level: conditional
    condition: RSU.TX.MAP
    checks:
      - id: message.rate
        parameters:
          message: {value: MAP}
          max_interval_ms: {value: 1050, unit: ms, min: 1}
"""
BUNDLED = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml") if "abstract: true" not in p.read_text(encoding="utf-8"))


@click.group()
def cli() -> None:
    """Test group standing in for ``v2xc``."""


register(cli)


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    result = CliRunner().invoke(cli, list(args), env={PROFILES_PATH_ENV: "", CATALOGUE_PATH_ENV: "", **(env or {})})
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


@pytest.fixture
def lab(tmp_path: Path) -> Path:
    """A lab folder with profiles/lab-rsu-quick.yaml and catalogue/lab.yaml."""
    (tmp_path / "profiles").mkdir()
    (tmp_path / "catalogue").mkdir()
    (tmp_path / "profiles" / "lab-rsu-quick.yaml").write_text(LAB_PROFILE, encoding="utf-8")
    (tmp_path / "catalogue" / "lab.yaml").write_text(LAB_CATALOGUE, encoding="utf-8")
    return tmp_path


def listed(result: Result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [row["id"] for row in json.loads(result.stdout)]


def test_lab_profiles_are_added_to_the_bundled_ones_by_option_and_by_environment(lab: Path) -> None:
    assert listed(run("profiles", "list", "--format", "json")) == BUNDLED
    options = ("--profiles-path", str(lab / "profiles"), "--catalogue-path", str(lab / "catalogue"))
    assert listed(run("profiles", "list", *options, "--format", "json")) == sorted([*BUNDLED, "lab-rsu-quick"])
    env = {PROFILES_PATH_ENV: f"{lab / 'profiles'}{os.pathsep}", CATALOGUE_PATH_ENV: str(lab / "catalogue")}
    assert listed(run("profiles", "list", "--format", "json", env=env)) == sorted([*BUNDLED, "lab-rsu-quick"])
    shown = run("profiles", "show", "lab-rsu-quick", "--format", "json", env=env)
    assert shown.exit_code == 0, shown.stderr
    requirements = [r["id"] for r in json.loads(shown.stdout)["requirements"]]
    bundled = json.loads(run("profiles", "show", "csae53-2020-rsu", "--format", "json").stdout)["requirements"]
    assert requirements == [r["id"] for r in bundled] + ["LAB/MAP/TX/RATE-STRICT"]  # extends the bundled profile


def test_option_and_environment_directories_both_apply(lab: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "lab-obu.yaml").write_text(
        "profile:\n  id: lab-obu\n  title: {zh: x, en: x}\n  extends: [csae53-2020-obu]\n", encoding="utf-8"
    )
    env = {PROFILES_PATH_ENV: str(other), CATALOGUE_PATH_ENV: str(lab / "catalogue")}
    result = run("profiles", "list", "--profiles-path", str(lab / "profiles"), "--format", "json", env=env)
    assert listed(result) == sorted([*BUNDLED, "lab-obu", "lab-rsu-quick"])


def test_plan_and_templates_use_the_lab_catalogue(lab: Path) -> None:
    options = ("--profiles-path", str(lab / "profiles"), "--catalogue-path", str(lab / "catalogue"))
    pics_file = lab / "pics.yaml"
    pics_file.write_text(RSU_PICS.read_text(encoding="utf-8").replace("csae53-2020-rsu", "lab-rsu-quick"))
    plan = run("plan", "--profile", "lab-rsu-quick", *options, "--pics", str(pics_file), "--format", "json")
    assert plan.exit_code == 0, plan.stderr
    entries = {e["id"]: e["status"] for e in json.loads(plan.stdout)["requirements"]}
    assert entries["LAB/MAP/TX/RATE-STRICT"] == "selected"
    template = run("pixit", "template", "--profile", "lab-rsu-quick", *options)
    assert template.exit_code == 0 and "profile: lab-rsu-quick" in template.stdout
    pics = run("pics", "template", "--profile", "lab-rsu-quick", *options)
    assert pics.exit_code == 0 and "RSU.TX.MAP:" in pics.stdout
    # without the overlay catalogue the lab profile names an unknown requirement, at its file:line:column
    broken = run("profiles", "validate", "lab-rsu-quick", "--profiles-path", str(lab / "profiles"))
    assert broken.exit_code == 2
    assert f"{lab / 'profiles' / 'lab-rsu-quick.yaml'}:7:7" in broken.stderr
    assert "Unknown requirement 'LAB/MAP/TX/RATE-STRICT'" in broken.stderr


def test_a_lab_profile_named_like_a_bundled_one_is_an_error(lab: Path) -> None:
    shutil.copy(PROFILES_DIR / "csae53-2020-rsu.yaml", lab / "profiles" / "csae53-2020-rsu.yaml")
    lines = (PROFILES_DIR / "csae53-2020-rsu.yaml").read_text(encoding="utf-8").splitlines()
    id_line = next(n for n, text in enumerate(lines, 1) if text.startswith("  id: "))
    for args in (("profiles", "list"), ("profiles", "show", "csae53-2020-rsu"), ("profiles", "show", "lab-rsu-quick")):
        result = run(*args, "--profiles-path", str(lab / "profiles"), "--catalogue-path", str(lab / "catalogue"))
        assert result.exit_code == 2, result.output
        assert "Profile 'csae53-2020-rsu' is defined twice" in result.stderr
        assert str(PROFILES_DIR / "csae53-2020-rsu.yaml") in result.stderr
        assert f"Where: {lab / 'profiles' / 'csae53-2020-rsu.yaml'}:{id_line}:7." in result.stderr


def test_a_lab_requirement_redefining_a_bundled_id_is_an_error(lab: Path) -> None:
    rid = next(r for r in bundled_catalogue().requirements if r.startswith("CSAE53-2020/MAP/"))
    text = LAB_CATALOGUE.replace("id: LAB/MAP/TX/RATE-STRICT", f"id: {rid}")
    (lab / "catalogue" / "lab.yaml").write_text(text, encoding="utf-8")
    result = run("profiles", "validate", "--catalogue-path", str(lab / "catalogue"))
    assert result.exit_code == 2
    assert f"Duplicate requirement id {rid!r}" in result.stderr
    assert f"{lab / 'catalogue' / 'lab.yaml'}:5:9" in result.stderr


def test_missing_or_wrong_overlay_directories_are_exit_2(lab: Path) -> None:
    missing = lab / "nope"
    result = run("profiles", "list", "--profiles-path", str(missing))
    assert result.exit_code == 2
    assert f"Overlay directory {missing} (given by --profiles-path) does not exist" in result.stderr
    result = run("profiles", "list", env={CATALOGUE_PATH_ENV: str(lab / "profiles" / "lab-rsu-quick.yaml")})
    assert result.exit_code == 2
    assert f"(given by {CATALOGUE_PATH_ENV}) is not a directory" in result.stderr
    (lab / "empty").mkdir()
    result = run("profiles", "list", "--catalogue-path", str(lab / "empty"))  # a folder without catalogue files
    assert result.exit_code == 2
    assert "No requirement catalogue files (*.yaml) in the catalogue overlay directory" in result.stderr


def test_a_broken_overlay_file_is_exit_2_at_its_line_and_column(lab: Path) -> None:
    (lab / "catalogue" / "lab.yaml").write_text(LAB_CATALOGUE.replace("level: conditional", "level: sometimes"))
    result = run("profiles", "list", "--catalogue-path", str(lab / "catalogue"))
    assert result.exit_code == 2
    assert f"{lab / 'catalogue' / 'lab.yaml'}:12:12" in result.stderr
    (lab / "profiles" / "bad.yaml").write_text("profile:\n  id: bad\n  title: {zh: x, en: [\n", encoding="utf-8")
    result = run("profiles", "list", "--profiles-path", str(lab / "profiles"))
    assert result.exit_code == 2
    assert f"{lab / 'profiles' / 'bad.yaml'}:" in result.stderr


def test_overlay_dirs_order_and_deduplication(lab: Path) -> None:
    first, second = lab / "profiles", lab / "catalogue"
    environ = {PROFILES_PATH_ENV: f"{second}{os.pathsep}{os.pathsep}{first}"}
    assert overlay_dirs([first], PROFILES_PATH_ENV, "--profiles-path", environ=environ) == (first, second)
    assert overlay_dirs([], PROFILES_PATH_ENV, "--profiles-path", environ={}) == ()


@pytest.mark.live
def test_a_run_records_its_overlays_for_resume_and_the_reports(lab: Path) -> None:
    """The lab's profile and requirement run against the reference RSU; --resume and `report render` find them
    again from run.json, without the options or the environment."""
    out = lab / "run"
    env = {k: v for k, v in os.environ.items() if k not in (PROFILES_PATH_ENV, CATALOGUE_PATH_ENV)}

    def v2xc(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "conformance", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=300, check=False)

    overlays = ("--profiles-path", str(lab / "profiles"), "--catalogue-path", str(lab / "catalogue"))
    target = ("--target", "sim://rsu", "--edition", "csae53-2020", "--observation-window", "3", "-k", "LAB")
    done = v2xc("run", "--profile", "lab-rsu-quick", *overlays, *target, "--out", str(out))
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    metadata = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert metadata["catalogue"]["overlays"] == [str((lab / "catalogue").resolve())]
    assert metadata["resume"]["profiles_path"] == [str((lab / "profiles").resolve())]
    verdicts = {r["case_id"]: r["verdict"] for r in map(json.loads, (out / "journal.ndjson").open()) if "case_id" in r}
    assert verdicts["LAB/MAP/TX/RATE-STRICT"] == "pass", verdicts
    resumed = v2xc("run", "--resume", str(out))
    assert resumed.returncode == 0, resumed.stdout[-3000:] + resumed.stderr
    rendered = v2xc("report", "render", str(out), "--format", "json")
    assert rendered.returncode == 0, rendered.stderr
    case = next(c for c in json.loads(rendered.stdout)["campaign"] if c["requirement_id"] == "LAB/MAP/TX/RATE-STRICT")
    assert case["title"]["en"] == "MAP period, lab limit" and case["verdict"] == "pass"
