"""The package installs: ``python -m build`` gives an sdist and a wheel that carry every data file the toolkit reads;
the wheel, installed with its dependencies into a new venv and used from an empty folder (PYTHONPATH unset), runs
every command with the same output as the source tree; shell completion works.

The wheel is built once per session (about 4 s); the venv and the install take about 10 s more (tests marked
``live``: they also run a real-time observation window against the reference RSU).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import time
import venv
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest

import conformance
from conformance.catalogue import Role, bundled_catalogue, load_pics, load_profile, make_plan
from conformance.devices.faults import faults_for
from conformance.devices.reference_pics import reference_pics_yaml
from conformance.standards import CORPUS_DIR, STANDARDS_DIR

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "conformance"
TEMPLATES = PACKAGE / "reports" / "templates"
SAMPLE = "800b00000802011a195b1b1bc0"  # a Day-2 TestMsg frame (README), csae157-2020
RSU_PICS = ROOT / "tests" / "data" / "pics" / "rsu-no-rsi.yaml"
#: what the build must not see: environments, build and cache leftovers, run folders (the last ones at the top only)
LEFTOVERS = {".venv", ".git", "__pycache__", ".hypothesis", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
TOP_LEFTOVERS = {"build", "dist", "reports", "test-artifacts"}
#: variables that would let the installed toolkit see the source tree or a lab's overlays
UNSET = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "V2XC_PROFILES_PATH", "V2XC_CATALOGUE_PATH", "PYTHONSTARTUP")


def clean_env(bin_dir: Path | None = None) -> dict[str, str]:
    """The environment without PYTHONPATH and friends; ``bin_dir`` first on PATH."""
    env = {k: v for k, v in os.environ.items() if k not in UNSET and not k.startswith("_V2XC_COMPLETE")}
    if bin_dir is not None:
        env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


@dataclass(frozen=True)
class Dist:
    """The built distributions and how long the build took."""

    wheel: Path
    sdist: Path
    seconds: float


@dataclass(frozen=True)
class Installed:
    """A new venv with the wheel installed, and an empty working folder outside the repository."""

    bin: Path
    work: Path
    seconds: float

    def run(self, *args: str, command: str = "v2xc", env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        """Run a command of the venv in the empty folder; never a traceback."""
        done = subprocess.run(
            [str(self.bin / command), *args],
            cwd=self.work,
            env={**clean_env(self.bin), **(env or {})},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert "Traceback" not in done.stderr, done.stderr
        return done


def in_tree(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``v2xc`` from the source tree (this interpreter) in ``cwd``: what the installed one must reproduce."""
    env = {**clean_env(), "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "conformance", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


def leftovers(directory: str, names: list[str]) -> set[str]:
    """The names of ``directory`` that the copy of the source tree leaves out (``shutil.copytree``'s ignore)."""
    top = Path(directory) == ROOT
    built = {n for n in names if n.endswith(".so")}  # the editable install's in-tree extension: builds make their own
    return built | {n for n in names if n in LEFTOVERS or n.endswith(".egg-info") or (top and n in TOP_LEFTOVERS)}


def package_files() -> set[str]:
    """Every file under conformance/standards and conformance/reports/templates, and every module of the package."""
    found = {p for p in STANDARDS_DIR.rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    found |= {p for p in TEMPLATES.rglob("*") if p.is_file()}
    found |= {p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts}
    return {p.relative_to(ROOT).as_posix() for p in found}


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """Build the sdist and the wheel (the wheel from the sdist, as ``python -m build`` does) into a tmp folder.

    The build runs on a copy of the source tree without build leftovers: a stale ``*.egg-info/SOURCES.txt`` would
    put files into the sdist that pyproject.toml and MANIFEST.in no longer name (and the shared tree stays clean).
    """
    out = tmp_path_factory.mktemp("dist")
    source = tmp_path_factory.mktemp("source") / "v2x-conformance"
    shutil.copytree(ROOT, source, ignore=leftovers)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(out), str(source)],
        cwd=out,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, f"python -m build failed (pip install -e '.[dev]' installs it):\n{done.stderr[-4000:]}"
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dist(wheel, sdist, seconds)


@pytest.fixture(scope="session")
def installed(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A fresh venv (no system site-packages) with the wheel and its dependencies installed by pip."""
    base = tmp_path_factory.mktemp("install")
    started = time.monotonic()
    venv.EnvBuilder(with_pip=True, clear=True).create(base / "venv")
    bin_dir = base / "venv" / "bin"
    done = subprocess.run(
        [str(bin_dir / "python"), "-m", "pip", "install", "--quiet", str(dist.wheel)],
        env=clean_env(bin_dir),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    work = base / "empty"
    work.mkdir()
    return Installed(bin_dir, work, time.monotonic() - started)


# ----------------------------------------------------------------------------------------------- distributions
def test_wheel_carries_every_data_file_and_module(dist: Dist) -> None:
    names = set(zipfile.ZipFile(dist.wheel).namelist())
    expected = package_files()
    assert len(expected) > 150
    assert expected - names == set(), "files of the package missing from the wheel (pyproject package-data)"
    assert {
        "conformance/standards/profiles/csae53-2020-rsu.yaml",
        "conformance/reports/templates/report.html.j2",
    } < names
    info = next(n for n in names if n.endswith(".dist-info/METADATA"))
    metadata = zipfile.ZipFile(dist.wheel).read(info).decode()
    assert f"\nVersion: {conformance.__version__}\n" in metadata
    # the native UPER engine makes the wheel platform-specific (release wheels: [tool.cibuildwheel])
    assert dist.wheel.name.startswith(f"v2x_conformance-{conformance.__version__}-cp3")
    assert any(n.startswith("conformance/codec/native/_uper.") and n.endswith(".so") for n in names)
    entry_points = zipfile.ZipFile(dist.wheel).read(info.replace("METADATA", "entry_points.txt")).decode()
    assert "v2xc = conformance.cli.main:main" in entry_points


def test_sdist_carries_the_package_tests_and_docs(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    fixtures = {p.relative_to(ROOT).as_posix() for p in (ROOT / "tests" / "data").rglob("*.yaml")}
    expected = package_files() | fixtures | {"README.md", "ARCHITECTURE.md", "Makefile", "docs/upper-tester.md"}
    assert expected - names == set(), "files missing from the sdist (MANIFEST.in)"


def test_shell_completion_scripts() -> None:
    """click's completion of the ``v2xc`` console script (README, 'Shell completion')."""
    script = Path(sys.executable).parent / "v2xc"  # the dev venv's console script, importing this tree
    tree = {"PYTHONPATH": str(ROOT)}
    for shell, marker in (
        ("bash", "complete -o nosort -F _v2xc_completion v2xc"),
        ("zsh", "#compdef v2xc"),
        ("fish", "complete --no-files --command v2xc"),
    ):
        env = {**clean_env(), **tree, "_V2XC_COMPLETE": f"{shell}_source"}
        done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0 and marker in done.stdout, (shell, done.stdout, done.stderr)
    env = {**clean_env(), **tree, "_V2XC_COMPLETE": "bash_complete", "COMP_WORDS": "v2xc prof", "COMP_CWORD": "1"}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["plain,profiles"]
    words = "v2xc run --target sim://rsu --profile csae53-2020-r"  # profile ids complete, from the search path
    env = {**clean_env(), **tree, "_V2XC_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": "5"}
    done = subprocess.run([str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["plain,csae53-2020-rsu"]


# ----------------------------------------------------------------------------------------------- installed
@pytest.mark.live
def test_installed_version_is_the_package_version(installed: Installed) -> None:
    done = installed.run("--version")
    assert (done.returncode, done.stdout) == (0, f"v2xc, version {conformance.__version__}\n")
    probe = "import conformance, importlib.metadata as m; print(m.version('v2x-conformance'), conformance.__file__)"
    version, location = installed.run("-c", probe, command="python").stdout.split()
    assert version == conformance.__version__
    assert Path(location).is_relative_to(installed.bin.parent) and not Path(location).is_relative_to(ROOT)


@pytest.mark.live
def test_installed_catalogue_commands_match_the_source_tree(installed: Installed) -> None:
    shutil.copy(RSU_PICS, installed.work / "pics.yaml")
    commands = [
        ("profiles", "list", "--format", "json"),
        ("profiles", "show", "tianjin-xiqing-pilot", "--format", "json"),
        ("plan", "--profile", "csae53-2020-rsu", "--pics", "pics.yaml", "--format", "json"),
        ("pics", "template", "--profile", "csae53-2020-rsu"),
        ("pixit", "template", "--profile", "csae53-2020-rsu"),
        ("editions", "--format", "json"),
    ]
    for args in commands:
        done = installed.run(*args)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout == in_tree(*args, cwd=installed.work).stdout, args
    profiles = [row["id"] for row in json.loads(installed.run("profiles", "list", "--format", "json").stdout)]
    assert "csae53-2020-rsu" in profiles and len(profiles) == 8
    assert json.loads(installed.run(*commands[2]).stdout)["counts"]["selected"] > 0


@pytest.mark.live
def test_installed_codec_commands(installed: Installed) -> None:
    identify = installed.run("identify", "--format", "json", SAMPLE)
    assert identify.returncode == 0, identify.stderr
    assert json.loads(identify.stdout) == json.loads(in_tree("identify", "--format", "json", SAMPLE, cwd=ROOT).stdout)
    decoded = installed.run("decode", SAMPLE)
    assert decoded.returncode == 0 and json.loads(decoded.stdout)["edition"] == "csae157-2020"
    (installed.work / "frame.json").write_text(decoded.stdout, encoding="utf-8")
    encoded = installed.run("encode", "frame.json")
    assert (encoded.returncode, encoded.stdout.strip()) == (0, SAMPLE), encoded.stderr


@pytest.mark.live
def test_installed_vectors_use_the_packaged_corpus(installed: Installed) -> None:
    located = installed.run("-c", "from conformance.standards import CORPUS_DIR; print(CORPUS_DIR)", command="python")
    corpus = Path(located.stdout.strip())
    assert corpus.is_dir() and corpus.is_relative_to(installed.bin.parent)
    records = [json.loads(line) for f in sorted(CORPUS_DIR.rglob("*.jsonl")) for line in f.read_text().splitlines()]
    shown = installed.run("vectors", "show", records[0]["id"])
    assert shown.returncode == 0 and records[0]["id"] in shown.stdout, shown.stderr
    checked = installed.run("vectors", "check", str(corpus))
    assert checked.returncode == 0, checked.stdout[-2000:] + checked.stderr
    assert f"{len(records)} record(s) verified" in checked.stdout


@pytest.mark.live
def test_installed_selftest_and_reference_device(installed: Installed) -> None:
    selftest = installed.run("selftest", "--seconds", "1", "--format", "json")
    assert selftest.returncode in (0, 1), selftest.stderr  # 1: this machine is overloaded right now
    assert "budget" in json.loads(selftest.stdout)
    faults = installed.run("sim", "rsu", "--list-faults")
    assert faults.returncode == 0
    assert [f.name for f in faults_for("rsu")] and all(f.name in faults.stdout for f in faults_for("rsu"))


@pytest.mark.live
def test_installed_run_against_the_reference_rsu_passes(installed: Installed) -> None:
    # 6 s: SPAT/TX/DECODE needs 10 SPAT frames (2 Hz); a 3 s window leaves MAP and SPAT DECODE inconclusive
    args = ("run", "--profile", "csae53-2020-rsu", "--target", "sim://rsu", "--observation-window", "6")
    done = installed.run(*args, "-k", "MAP or SPAT", "--out", "run")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr
    folder = installed.work / "run"
    for name in ("run.json", "journal.ndjson", "evidence.ndjson", "report.json", "report.html", "report.md"):
        assert (folder / name).is_file(), name
    assert json.loads((folder / "run.json").read_text())["tool"]["version"] == conformance.__version__
    report = json.loads((folder / "report.json").read_text())
    verdicts = report["summary"]["verdicts"]
    assert report["gate"]["exit_code"] == 0 and verdicts["pass"] >= 9, verdicts
    assert verdicts["fail"] == verdicts["inconc"] == verdicts["error"] == 0, verdicts


@pytest.mark.live
def test_installed_lab_overlays_and_completion(installed: Installed, tmp_path: Path) -> None:
    (tmp_path / "lab-quick.yaml").write_text(
        "profile:\n  id: lab-quick\n  title: {zh: x, en: x}\n  extends: [csae53-2020-rsu]\n", encoding="utf-8"
    )
    listed = installed.run("profiles", "list", "--format", "json", env={"V2XC_PROFILES_PATH": str(tmp_path)})
    assert listed.returncode == 0, listed.stderr
    assert {"lab-quick", "csae53-2020-rsu"} <= {row["id"] for row in json.loads(listed.stdout)}
    script = installed.run(env={"_V2XC_COMPLETE": "bash_source"})
    assert "complete -o nosort -F _v2xc_completion v2xc" in script.stdout


@pytest.mark.live
def test_installed_pytest_plugin_collects_one_item_per_case(installed: Installed) -> None:
    """The wheel's pytest11 entry point: with pytest installed beside it (as in a vendor's CI), the options are there
    and a plugin session collects one item per planned case of the profile, named by requirement id."""
    pip = subprocess.run(
        [str(installed.bin / "python"), "-m", "pip", "install", "--quiet", "pytest"],
        env=clean_env(installed.bin),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert pip.returncode == 0, pip.stderr[-3000:]
    options = installed.run("--help", command="pytest")
    assert "--v2xc-profile" in options.stdout and "--v2xc-target" in options.stdout, options.stdout[-2000:]
    collected = installed.run(
        "--co", "-q", "-p", "no:cacheprovider", "--v2xc-profile", "csae53-2020-rsu", "--v2xc-target", "sim://rsu",
        command="pytest",
    )  # fmt: skip
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-2000:]
    items = [line for line in collected.stdout.splitlines() if line.startswith("v2xc::")]
    catalogue = bundled_catalogue()
    profile = load_profile("csae53-2020-rsu", catalogue)
    pics_file = installed.work / "reference-pics.yaml"
    pics_file.write_text(reference_pics_yaml(profile, catalogue, Role.RSU), encoding="utf-8")
    plan = make_plan(catalogue, profile, load_pics(pics_file, profile, catalogue))
    assert items == [f"v2xc::{entry.requirement.id}" for entry in plan.entries]  # one per case, in plan order
    assert "v2xc::CSAE53-2020/MAP/TX/RATE" in items


def test_without_a_compiler_the_package_builds_and_the_python_path_judges(dist: Dist, tmp_path: Path) -> None:
    """No C compiler (CC=false): the build still succeeds, the wheel has no native engine, and the installed
    package decodes and rejects frames on the Python path, saying which path it uses."""
    out = tmp_path / "dist"
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=leftovers)
    env = dict(clean_env(), CC="false", CXX="false", LDSHARED="false")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(out), str(source)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    (wheel,) = out.glob("*.whl")
    assert not any(n.endswith(".so") for n in zipfile.ZipFile(wheel).namelist())
    target = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(target)
    check = (
        "from conformance.codec import native, strict\n"
        "from conformance.vectors.samples import sample_frames\n"
        "print(native.status())\n"
        "frame = sample_frames()['bsm']\n"
        "assert strict.decode(frame, edition='csae53-2020').value[0] == 'bsmFrame'\n"
        "try:\n    strict.decode(frame[:-5], edition='csae53-2020')\nexcept strict.CodecError as e:\n"
        "    print('rejected at bit', e.bit_offset)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", check],
        env=dict(clean_env(), PYTHONPATH=str(target)),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "not built" in done.stdout and "rejected at bit" in done.stdout
