"""Self-contained run folders (issue 20, item 3): a run folder keeps its own PICS, resolved profile and PIXIT (every
sensitive value redacted), names them relative to itself, and ``--resume`` works from the folder alone — from any
working directory, after the folder was moved, without the lab's profile folder — taking the secrets it does not
keep from ``--pixit`` given again (checked against the folder's copy).

These runs judge a recording (``file://``): no real-time window, so they are not marked live."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.catalogue.overlays import catalogue_with
from conformance.catalogue.profiles import ProfileSource, load_all, load_profile, resolved_profile_data
from conformance.catalogue.yamlsrc import dump_yaml
from conformance.engine.journal import read_journal
from conformance.vectors.samples import sample_frames

PROFILE = "csae53-2020-rsu"
SECRET = "hunter2-s3cr3t-Zq9"
#: The exit codes of a finished run (1: the recording is too short for some requirements: inconclusive / fail).
FINISHED = (0, 1)


def v2xc(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], capture_output=True, text=True, check=False, timeout=300, cwd=cwd
    )


def _recording(folder: Path) -> Path:
    frames = sample_frames()
    path = folder / "frames.hex"
    path.write_text("".join(f"{frames[kind].hex()}\n" for kind in ("map", "spat", "rsi", "rsm") for _ in range(3)))
    return path


def _pics(folder: Path) -> Path:
    printed = v2xc("sim", "rsu", "--print-pics")
    assert printed.returncode == 0, printed.stderr
    path = folder / "rsu-pics.yaml"
    path.write_text(printed.stdout, encoding="utf-8")
    return path


def _pixit(path: Path, *, model: str = "M-1", password: str | None = SECRET) -> Path:
    lines = [
        "pixit:",
        f"  profile: {PROFILE}",
        "  values:",
        "    lab.name: Lab one",
        "    dut.vendor: V",
        f"    dut.model: {model}",
        "    dut.firmware: F",
        "    dut.serial: S",
        '    dut.device_id: "0a0b"',
    ]
    if password is not None:
        lines.append(f"    mqtt.password: {password}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _cut(out: Path, keep: int) -> set[str]:
    """Leave only the first ``keep`` verdicts in the journal (as if killed); return the case ids removed."""
    journal = out / "journal.ndjson"
    lines = journal.read_text(encoding="utf-8").splitlines()
    kept, removed, cases = [], set(), 0
    for line in lines:
        record = json.loads(line)
        if record.get("type") == "case":
            cases += 1
            if cases > keep:
                removed.add(record["case_id"])
                continue
        if record.get("type") == "end":
            continue
        kept.append(line)
    journal.write_text("\n".join(kept) + "\n", encoding="utf-8")
    for report in out.glob("report.*"):
        report.unlink()
    return removed


def _verdicts(out: Path) -> dict[str, str]:
    return {case_id: result.verdict.value for case_id, result in read_journal(out).cases.items()}


def _case_records(out: Path) -> list[str]:
    lines = (out / "journal.ndjson").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["case_id"] for line in lines if '"type": "case"' in line]


def _every_file(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in sorted(folder.rglob("*")) if p.is_file())


@pytest.fixture
def secret_run(tmp_path: Path) -> tuple[Path, Path, Path, dict[str, str]]:
    """A finished run with a PIXIT holding ``mqtt.password``: (folder, recording, pixit file, verdicts)."""
    recording, pics, pixit = _recording(tmp_path), _pics(tmp_path), _pixit(tmp_path / "lab-pixit.yaml")
    out = tmp_path / "run"
    done = v2xc(
        "run", "--profile", PROFILE, "--target", f"file://{recording}", "--pics", str(pics), "--pixit", str(pixit),
        "--out", str(out),
    )  # fmt: skip
    assert done.returncode in FINISHED and "Traceback" not in done.stderr, done.stdout[-2000:] + done.stderr
    return out, recording, pixit, _verdicts(out)


def test_the_folder_keeps_profile_pics_and_a_redacted_pixit_and_never_the_secret(
    secret_run: tuple[Path, Path, Path, dict[str, str]],
) -> None:
    out, _, _, _ = secret_run
    metadata = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert metadata["profile"]["file"] == "profile.yaml" and metadata["pics"]["file"] == "pics.yaml"
    assert metadata["pixit"]["file"] == "pixit.yaml" and metadata["pixit"]["sensitive"] == ["mqtt.password"]
    copy = (out / "pixit.yaml").read_text(encoding="utf-8")
    assert "mqtt.password: '***redacted***'" in copy and "dut.model: M-1" in copy
    assert SECRET not in _every_file(out)  # not in the copy, run.json, journal, evidence or any report
    profile = load_profile(str(out / "profile.yaml"), catalogue_with([]), ProfileSource())
    assert profile.id == PROFILE and len(profile.requirements) == len(metadata["plan"])


def test_resume_without_the_secret_is_refused_naming_the_sensitive_item(
    secret_run: tuple[Path, Path, Path, dict[str, str]],
) -> None:
    out, _, _, _ = secret_run
    _cut(out, 10)
    done = v2xc("run", "--resume", str(out))
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr
    assert "mqtt.password" in done.stderr and "--pixit FILE" in done.stderr and "Traceback" not in done.stderr
    assert len(_case_records(out)) == 10  # nothing was run


def test_resume_with_a_different_pixit_is_refused_naming_the_item(
    secret_run: tuple[Path, Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    out, _, _, _ = secret_run
    _cut(out, 10)
    other = v2xc("run", "--resume", str(out), "--pixit", str(_pixit(tmp_path / "other.yaml", model="M-2")))
    assert other.returncode == 2 and "dut.model" in other.stderr and "'M-2'" in other.stderr, other.stderr
    no_secret = v2xc("run", "--resume", str(out), "--pixit", str(_pixit(tmp_path / "open.yaml", password=None)))
    assert no_secret.returncode == 2 and "mqtt.password (sensitive" in no_secret.stderr, no_secret.stderr
    assert len(_case_records(out)) == 10


def test_a_moved_folder_resumes_from_another_directory_with_the_pixit_given_again(
    secret_run: tuple[Path, Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    out, _, pixit, verdicts = secret_run
    removed = _cut(out, 10)
    assert removed
    moved = tmp_path / "elsewhere" / "moved-run"
    moved.parent.mkdir()
    out.rename(moved)
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    done = v2xc("run", "--resume", str(moved), "--pixit", str(pixit), cwd=elsewhere)
    assert done.returncode in FINISHED, done.stdout[-2000:] + done.stderr
    cases = _case_records(moved)
    assert len(cases) == len(set(cases)) == len(verdicts)  # only the removed cases were run again
    assert _verdicts(moved) == verdicts  # the same verdicts as the uninterrupted run
    assert read_journal(moved).ended and (moved / "report.json").is_file()
    assert SECRET not in _every_file(moved)


def test_a_run_without_secrets_resumes_with_no_option_from_a_relative_path(tmp_path: Path) -> None:
    recording, pics = _recording(tmp_path), _pics(tmp_path)
    pixit = _pixit(tmp_path / "plain-pixit.yaml", password=None)
    out = tmp_path / "run"
    first = v2xc(
        "run", "--profile", PROFILE, "--target", f"file://{recording}", "--pics", str(pics), "--pixit", str(pixit),
        "--out", str(out),
    )  # fmt: skip
    assert first.returncode in FINISHED, first.stderr
    verdicts = _verdicts(out)
    _cut(out, 5)
    pics.unlink()
    pixit.unlink()  # the folder's own copies are all resume reads
    done = v2xc("run", "--resume", "run", cwd=tmp_path)
    assert done.returncode in FINISHED, done.stdout[-2000:] + done.stderr
    assert _verdicts(out) == verdicts and len(_case_records(out)) == len(verdicts)


LAB_CATALOGUE = """\
catalogue:
  id: lab-extra
  title: {zh: 实验室补充要求, en: Lab additions}
requirements:
  - id: LAB/MAP/TX/DECODE-LAB
    standard: T/CSAE 53-2020
    title: {zh: MAP解码（实验室）, en: "MAP decodes, lab copy"}
    purpose: {zh: 验证MAP可解码。, en: "Verify MAP decodes."}
    references: [{document: lab procedure LP-8, clause: "§1", verified: false}]
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


def test_a_lab_profile_and_catalogue_resume_and_render_without_the_lab_folders(tmp_path: Path) -> None:
    """The folder keeps the profile as resolved (its extends merged) and copies of the lab's requirement files:
    the lab's profile and catalogue folders may be gone when the run is resumed or its report rendered."""
    lab = tmp_path / "lab-profiles"
    lab.mkdir()
    (lab / "lab-rsu.yaml").write_text(
        "profile:\n  id: lab-rsu\n  title: {zh: 实验室, en: Lab RSU}\n  extends: [csae53-2020-rsu]\n"
        "  include: [LAB/MAP/TX/DECODE-LAB]\n"
        "  exclude: ['CSAE53-2020/RSM/*']\n  parameters:\n    observation_window_s: {value: 2}\n",
        encoding="utf-8",
    )
    catalogue = tmp_path / "lab-catalogue"
    catalogue.mkdir()
    (catalogue / "lab.yaml").write_text(LAB_CATALOGUE, encoding="utf-8")
    recording, pics = _recording(tmp_path), _pics(tmp_path)
    pics.write_text(pics.read_text(encoding="utf-8").replace(f"profile: {PROFILE}", "profile: lab-rsu"), "utf-8")
    out = tmp_path / "run"
    first = v2xc(
        "run", "--profile", "lab-rsu", "--profiles-path", str(lab), "--catalogue-path", str(catalogue),
        "--target", f"file://{recording}", "--pics", str(pics), "--out", str(out),
    )  # fmt: skip
    assert first.returncode in FINISHED, first.stdout[-2000:] + first.stderr
    verdicts = _verdicts(out)
    assert not [case for case in verdicts if "/RSM/" in case] and "LAB/MAP/TX/DECODE-LAB" in verdicts
    assert (out / "catalogue" / "1" / "lab.yaml").read_text(encoding="utf-8") == LAB_CATALOGUE
    _cut(out, 3)
    shutil.rmtree(lab)
    shutil.rmtree(catalogue)
    done = v2xc("run", "--resume", str(out))
    assert done.returncode in FINISHED, done.stdout[-2000:] + done.stderr
    assert _verdicts(out) == verdicts
    rendered = v2xc("report", "render", str(out), "--format", "json")
    assert rendered.returncode == 0, rendered.stderr
    case = next(c for c in json.loads(rendered.stdout)["campaign"] if c["requirement_id"] == "LAB/MAP/TX/DECODE-LAB")
    assert case["title"]["en"] == "MAP decodes, lab copy"


def test_every_bundled_profile_resolves_to_a_standalone_copy_that_means_the_same(tmp_path: Path) -> None:
    catalogue = catalogue_with([])
    for profile in load_all(catalogue):
        if profile.abstract:
            continue
        path = tmp_path / f"{profile.id}.yaml"
        path.write_text(dump_yaml(resolved_profile_data(profile)), encoding="utf-8")
        copy = load_profile(str(path), catalogue, ProfileSource())
        assert copy.requirements == profile.requirements, profile.id
        assert dict(copy.pics) == dict(profile.pics) and copy.pixit == profile.pixit, profile.id
        assert dict(copy.parameters) == dict(profile.parameters) and copy.roles == profile.roles, profile.id
        assert copy.overrides == profile.overrides, profile.id


def test_the_folder_copies_are_signed_and_a_link_in_place_of_one_is_refused(
    secret_run: tuple[Path, Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    out, _, pixit, _ = secret_run
    keys = v2xc("keys", "generate", "--out", str(tmp_path / "lab"))
    assert keys.returncode == 0, keys.stderr
    signed = v2xc("report", "sign", str(out), "--key", str(tmp_path / "lab.key"))
    assert signed.returncode == 0, signed.stderr
    listed = {entry["path"] for entry in json.loads((out / "manifest.json").read_text())["files"]}
    assert {"profile.yaml", "pixit.yaml", "pics.yaml", "run.json"} <= listed and ".lock" not in listed
    _cut(out, 10)
    (out / "pixit.yaml").unlink()
    (out / "pixit.yaml").symlink_to(pixit)  # the original, secret included: still not read through a link
    done = v2xc("run", "--resume", str(out), "--pixit", str(pixit))
    assert done.returncode == 2 and "symbolic link" in done.stderr, done.stderr


def test_a_pixit_inside_the_out_folder_is_never_overwritten_by_its_redacted_copy(tmp_path: Path) -> None:
    out = tmp_path / "run"
    out.mkdir()
    pixit = _pixit(out / "pixit.yaml")
    original = pixit.read_bytes()
    done = v2xc(
        "run", "--profile", PROFILE, "--target", f"file://{_recording(tmp_path)}", "--pics", str(_pics(tmp_path)),
        "--pixit", str(pixit), "--out", str(out),
    )  # fmt: skip
    assert done.returncode == 2 and "would overwrite it with its secrets redacted" in done.stderr, done.stderr
    assert pixit.read_bytes() == original and not (out / "journal.ndjson").exists()


def test_resume_with_an_option_the_folder_fixes_is_refused_naming_it(
    secret_run: tuple[Path, Path, Path, dict[str, str]], tmp_path: Path
) -> None:
    """--target, --profile, -k, --seed ... with --resume would be ignored silently: exit 2 naming them instead."""
    out, _, pixit, _ = secret_run
    _cut(out, 10)
    extra = ("--target", "sim://rsu", "-k", "RATE", "--seed", "1")
    done = v2xc("run", "--resume", str(out), "--pixit", str(pixit), *extra)
    assert done.returncode == 2, done.stdout[-2000:] + done.stderr
    assert "--target, --seed, -k cannot be combined with --resume" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert len(_case_records(out)) == 10  # nothing was run


def test_the_reports_name_the_codec_that_judged_the_frames(
    secret_run: tuple[Path, Path, Path, dict[str, str]],
) -> None:
    from conformance.codec import native

    out, _, _, _ = secret_run
    status = native.status()
    assert json.loads((out / "run.json").read_text(encoding="utf-8"))["tool"]["codec"] == status
    assert json.loads((out / "report.json").read_text(encoding="utf-8"))["tool"]["codec"] == status
    assert f"({status})" in (out / "report.md").read_text(encoding="utf-8")
    assert f"({status})" in (out / "report.html").read_text(encoding="utf-8")
