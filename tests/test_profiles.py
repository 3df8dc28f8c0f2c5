"""Profiles: the eight bundled profiles resolve and validate; broken profiles fail precisely with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from conformance.catalogue import bundled_catalogue, load_all, load_profile
from conformance.catalogue.models import Role
from conformance.catalogue.views import framework_coverage
from conformance.cli.profiles import register

DATA = Path(__file__).parent / "data"
BROKEN = DATA / "profiles"
EIGHT = [
    "cloud-control-platform",
    "csae157-2020-obu",
    "csae157-2020-rsu",
    "csae53-2019-obu",
    "csae53-2019-rsu",
    "csae53-2020-obu",
    "csae53-2020-rsu",
    "tianjin-xiqing-pilot",
]


@click.group()
def cli() -> None:
    """Test group standing in for ``v2xc``."""


register(cli)


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_profiles_list_shows_all_eight() -> None:
    result = run("profiles", "list", "--format", "json")
    assert result.exit_code == 0
    rows = json.loads(result.stdout)
    assert [r["id"] for r in rows] == EIGHT
    table = run("profiles", "list")
    for name in EIGHT:
        assert name in table.stdout
    assert "day1-rsu-base" not in table.stdout  # abstract building blocks only with --all
    assert "day1-rsu-base (abstract)" in run("profiles", "list", "--all").stdout


def test_profiles_list_counts_only_checks_the_engine_registers() -> None:
    """A check the catalogue names but the engine does not register is *not tested* in `plan`, so not counted."""
    from conformance.checks import registered_checks

    catalogue = bundled_catalogue()
    rows = {r["id"]: r for r in json.loads(run("profiles", "list", "--format", "json").stdout)}
    cloud = load_profile("cloud-control-platform", catalogue)
    # the catalogue names checks for every cloud requirement, none of which is registered yet
    assert all(catalogue.requirements[r].checks for r in cloud.requirements)
    assert not {c.id for r in cloud.requirements for c in catalogue.requirements[r].checks} & set(registered_checks())
    assert rows["cloud-control-platform"]["with_checks"] == 0
    registered = set(registered_checks())
    for name in EIGHT:
        profile = load_profile(name, catalogue)
        expected = 0
        for rid in profile.requirements:
            ids = [c.id for c in catalogue.requirements[rid].checks]
            expected += bool(ids) and set(ids) <= registered
        assert rows[name]["with_checks"] == expected, name
    assert rows["csae53-2020-rsu"]["with_checks"] > 20  # the message-layer checks are registered


def test_requirement_counts_per_profile() -> None:
    catalogue = bundled_catalogue()
    counts = {p.id: len(p.requirements) for p in load_all(catalogue) if not p.abstract}
    assert counts == {
        "cloud-control-platform": 8,
        "csae157-2020-obu": 61,
        "csae157-2020-rsu": 60,
        "csae53-2019-obu": 44,
        "csae53-2019-rsu": 43,
        "csae53-2020-obu": 44,
        "csae53-2020-rsu": 43,
        "tianjin-xiqing-pilot": 82,
    }


@pytest.mark.parametrize("name", EIGHT)
def test_profiles_validate_each(name: str) -> None:
    result = run("profiles", "validate", name)
    assert result.exit_code == 0, result.stderr
    assert f"profile ok: {name}" in result.stdout


def test_profiles_validate_all() -> None:
    result = run("profiles", "validate")
    assert result.exit_code == 0, result.stderr
    assert "catalogue ok: 162 requirements" in result.stdout
    assert result.stdout.count("profile ok:") == 10  # eight + two abstract building blocks


def test_every_requirement_in_every_profile_names_a_clause_and_a_framework_node() -> None:
    catalogue = bundled_catalogue()
    for profile in load_all(catalogue):
        assert profile.requirements
        for requirement_id in profile.requirements:
            requirement = catalogue.requirements[requirement_id]
            assert requirement.clause.strip(), requirement_id
            assert requirement.framework, requirement_id
            assert all(node in catalogue.framework.nodes for node in requirement.framework)
            assert set(requirement.roles) & set(profile.roles), (profile.id, requirement_id)


def test_profile_roles_and_editions() -> None:
    catalogue = bundled_catalogue()
    rsu = load_profile("csae53-2019-rsu", catalogue)
    assert rsu.roles == (Role.RSU,)
    assert {catalogue.requirements[r].edition for r in rsu.requirements} == {None, "csae53-2019"}
    day2 = load_profile("csae157-2020-obu", catalogue)
    assert day2.chain == ("day1-obu-base", "csae53-2020-obu")
    assert any(r.startswith("CSAE157-2020/") for r in day2.requirements)
    assert "aid.day2.ssm" in day2.pixit
    pilot = load_profile("tianjin-xiqing-pilot", catalogue)
    assert set(pilot.roles) == {Role.RSU, Role.OBU, Role.PLATFORM}
    assert pilot.pics["RSU.TX.RSI"].level.value == "mandatory"  # overrides the optional of day1-rsu-base
    assert pilot.pics["OBU.APP.AVW"].level.value == "mandatory"
    assert pilot.parameters["zone.center_lat"].verified is False


def test_overrides_apply_through_globs() -> None:
    catalogue = bundled_catalogue()
    pilot = load_profile("tianjin-xiqing-pilot", catalogue)
    spat_rate = catalogue.requirements["CSAE53-2020/SPAT/TX/RATE"]
    (check,) = pilot.checks_for(spat_rate)
    assert check.parameter("tolerance_pct").value == 5
    assert check.parameter("tolerance_pct").source == "profile tianjin-xiqing-pilot"
    assert check.parameter("max_interval_ms").value == 500  # untouched
    rsi_dynamic = catalogue.requirements["CSAE53-2020/RSI/TX/RATE-DYNAMIC"]
    assert pilot.checks_for(rsi_dynamic)[0].parameter("tolerance_pct").value == 5
    assert pilot.parameters["observation_window_s"].value == 60
    # the bundled RSU profile itself is not changed
    rsu = load_profile("csae53-2020-rsu", catalogue)
    assert rsu.checks_for(spat_rate)[0].parameter("tolerance_pct").value == 10
    assert rsu.parameters["observation_window_s"].value == 10


def test_profile_file_extending_a_bundled_profile() -> None:
    catalogue = bundled_catalogue()
    child = load_profile(str(BROKEN / "good-child.yaml"), catalogue)
    assert not any(r.endswith("/TX/PRIORITY") for r in child.requirements)
    assert len(child.requirements) == 43 - 4
    requirement = catalogue.requirements["CSAE53-2020/RSM/TX/RATE"]
    assert child.checks_for(requirement)[0].parameter("tolerance_pct").value == 20
    assert child.parameters["observation_window_s"].value == 2


def test_show_by_framework_covers_every_part_with_requirements() -> None:
    catalogue = bundled_catalogue()
    for name in EIGHT:
        profile = load_profile(name, catalogue)
        parts = framework_coverage(catalogue, profile)
        result = run("profiles", "show", name, "--by", "framework")
        assert result.exit_code == 0
        for part in parts:
            assert part.part.id in result.stdout
            if part.total:
                assert f"{part.part.id} " in result.stdout and f"— {part.total} requirements:" in result.stdout
    document = json.loads(
        run("profiles", "show", "tianjin-xiqing-pilot", "--by", "framework", "--format", "json").stdout
    )
    totals = {p["id"]: p["requirements"] for p in document["parts"]}
    assert totals["ITS-2021"] > 0 and totals["VRC-2023"] > 0 and totals["VIM-2020"] > 0 and totals["ICV-2017"] > 0
    node = next(n for p in document["parts"] for n in p["nodes"] if n["id"] == "ICV-2017/300/decision-warning")
    assert node == {
        "id": "ICV-2017/300/decision-warning",
        "code": None,
        "name": {"zh": "决策预警", "en": "Decision and warning"},
        "verified": False,
        "requirements": 17,
        "tested": 16,
        "not_tested": 1,
    }


def test_show_requirements_marks_not_tested() -> None:
    result = run("profiles", "show", "csae53-2020-rsu")
    assert result.exit_code == 0
    assert "CSAE53-2020/SPAT/TX/PRIORITY" in result.stdout
    assert "not tested (no check yet)" in result.stdout
    document = json.loads(run("profiles", "show", "csae53-2020-rsu", "--format", "json").stdout)
    priority = next(r for r in document["requirements"] if r["id"] == "CSAE53-2020/SPAT/TX/PRIORITY")
    assert priority["tested"] is False and priority["checks"] == []
    assert priority["clauses"] == [
        "CCSA RSU specification (direct-communication RSU; document number not verified) §4.5; SPAT priority 176"
    ]


def test_show_by_document() -> None:
    result = run("profiles", "show", "csae53-2020-rsu", "--by", "document", "--format", "json")
    rows = json.loads(result.stdout)
    assert rows["YD/T 3710-2020"]["requirements"] == rows["YD/T 3710-2020"]["verified_clause"] > 0
    assert rows["YD/T 3594"]["verified_clause"] == 0


# --------------------------------------------------------------------------------------------------- broken
@pytest.mark.parametrize(
    ("name", "where", "fragments"),
    [
        (
            "unknown-requirement",
            "unknown-requirement.yaml:7:7",
            ["Unknown requirement 'CSAE53-2020/SAPT/TX/RATE'", "Did you mean 'CSAE53-2020/SPAT/TX/RATE'"],
        ),
        (
            "wrong-type",
            "wrong-type.yaml:8:37",
            ["Parameter 'tolerance_pct' of 'message.rate'", "must be a number like 10 %, found string 'ten percent'"],
        ),
        ("bad-yaml", "bad-yaml.yaml:5:", ["Invalid YAML"]),
        ("cyclic-a", "cyclic-b.yaml:5:13", ["Cyclic extends: cyclic-a -> cyclic-b -> cyclic-a"]),
        (
            "unknown-key",
            "unknown-key.yaml:6:3",
            ["Unknown key 'includes' in profile", "Did you mean 'include'?", "Valid keys: abstract, description"],
        ),
        ("unknown-pics-item", "unknown-pics-item.yaml:6:5", ["Unknown PICS item 'RSU.TX.SPATT'", "'RSU.TX.SPAT'"]),
        (
            "undeclared-pics",
            "undeclared-pics.yaml:3:7",
            ["needs PICS item(s) RSU.TX.RSI, which profile 'undeclared-pics' does not declare"],
        ),
        (
            "unknown-parameter",
            "unknown-parameter.yaml:7:22",
            ["has no parameter 'window'", "Valid parameters: max_interval_ms, message, tolerance_pct."],
        ),
    ],
)
def test_broken_profiles_fail_precisely(name: str, where: str, fragments: list[str]) -> None:
    result = run("profiles", "validate", str(BROKEN / f"{name}.yaml"))
    assert result.exit_code == 2, result.output
    assert f"{BROKEN / where}" in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    assert "profile ok" not in result.stdout  # nothing half-loaded


def test_unknown_profile_lists_available() -> None:
    result = run("profiles", "show", "csae53-2020-rsuu")
    assert result.exit_code == 2
    assert "Unknown profile 'csae53-2020-rsuu'. Did you mean 'csae53-2020-rsu'?" in result.stderr
    assert "Available profiles: cloud-control-platform" in result.stderr


def test_profiles_dir_option(tmp_path: Path) -> None:
    (tmp_path / "lab-quick.yaml").write_text(
        (BROKEN / "good-child.yaml").read_text(encoding="utf-8").replace("id: good-child", "id: lab-quick"),
        encoding="utf-8",
    )
    result = run("profiles", "list", "--profiles-dir", str(tmp_path), "--format", "json")
    assert result.exit_code == 0, result.stderr
    assert [r["id"] for r in json.loads(result.stdout)] == ["lab-quick"]
    (tmp_path / "misnamed.yaml").write_text("profile:\n  id: other\n  title: {zh: x, en: x}\n  roles: [RSU]\n")
    result = run("profiles", "validate", "--profiles-dir", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path / 'misnamed.yaml'}:2:7" in result.stderr
    assert "differs from its file name" in result.stderr
