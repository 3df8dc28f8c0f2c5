"""PICS and PIXIT: templates, static review, the explained plan, refusal of broken statements, redaction."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from conformance.catalogue import (
    Status,
    bundled_catalogue,
    load_pics,
    load_pixit,
    load_profile,
    make_plan,
    static_review,
)
from conformance.catalogue.models import Role
from conformance.catalogue.pics import REDACTED
from conformance.cli.profiles import register
from conformance.errors import ConfigurationError

DATA = Path(__file__).parent / "data"
PICS = DATA / "pics"
PIXIT = DATA / "pixit"


@click.group()
def cli() -> None:
    """Test group standing in for ``v2xc``."""


register(cli)


def run(*args: str) -> Result:
    result = CliRunner().invoke(cli, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_plan_rsu_without_rsi_names_the_pics_item() -> None:
    """The acceptance case of issue 5: RSI requirements not applicable, naming RSU.TX.RSI and where it was said."""
    catalogue = bundled_catalogue()
    profile = load_profile("csae53-2020-rsu", catalogue)
    pics = load_pics(PICS / "rsu-no-rsi.yaml", profile, catalogue)
    plan = make_plan(catalogue, profile, pics)
    rsi = [e for e in plan.entries if "/RSI/" in e.requirement.id]
    assert len(rsi) == 9
    for entry in rsi:
        assert entry.status is Status.NOT_APPLICABLE
        assert entry.pics_items == ("RSU.TX.RSI",)
        assert f"RSU.TX.RSI = no ({PICS / 'rsu-no-rsi.yaml'}:9:17)" in entry.reason
    assert plan.counts() == {"selected": 21, "not-tested": 6, "not-applicable": 16, "deselected": 0}
    # every requirement appears exactly once
    assert sorted(e.requirement.id for e in plan.entries) == sorted(profile.requirements)


def test_plan_cli_table_and_json() -> None:
    pics = str(PICS / "rsu-no-rsi.yaml")
    result = run("plan", "--profile", "csae53-2020-rsu", "--pics", pics, "--checks", "declared")
    assert result.exit_code == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if "CSAE53-2020/RSI/TX/DECODE" in x)
    assert "not-applicable" in line and "RSU.TX.RSI = no" in line
    assert "21 selected, 6 not-tested, 16 not-applicable, 0 deselected (of 43)" in result.stdout
    document = json.loads(
        run("plan", "-p", "csae53-2020-rsu", "--pics", pics, "--format", "json", "--checks", "declared").stdout
    )
    by_id = {r["id"]: r for r in document["requirements"]}
    assert by_id["CSAE53-2020/RSI/TX/DECODE"]["status"] == "not-applicable"
    assert by_id["CSAE53-2020/RSI/TX/DECODE"]["pics_items"] == ["RSU.TX.RSI"]
    assert by_id["CSAE53-2020/SPAT/TX/RATE"]["status"] == "selected"
    assert by_id["CSAE53-2020/SPAT/TX/RATE"]["checks"][0]["parameters"]["max_interval_ms"] == {
        "value": 500,
        "unit": "ms",
    }
    assert by_id["CSAE53-2020/SPAT/TX/PRIORITY"]["status"] == "not-tested"
    assert by_id["YDT3594/SEC/TX/SIGNED"]["reason"].startswith("condition 'SEC.SIGN' is false: SEC.SIGN = no")


def test_not_tested_is_never_selected() -> None:
    catalogue = bundled_catalogue()
    profile = load_profile("csae53-2020-rsu", catalogue)
    pics = load_pics(PICS / "rsu-no-rsi.yaml", profile, catalogue)
    plan = make_plan(catalogue, profile, pics)
    for entry in plan.entries:
        if not entry.requirement.checks:
            assert entry.status in {Status.NOT_TESTED, Status.NOT_APPLICABLE}
    # with the engine's registry: an unregistered check makes the requirement "not tested", with the reason
    registry_plan = make_plan(catalogue, profile, pics, available_checks={"message.rate"})
    decode = next(e for e in registry_plan.entries if e.requirement.id == "CSAE53-2020/SPAT/TX/DECODE")
    assert decode.status is Status.NOT_TESTED
    assert "message.decode-strict" in decode.reason
    rate = next(e for e in registry_plan.entries if e.requirement.id == "CSAE53-2020/SPAT/TX/RATE")
    assert rate.status is Status.SELECTED


def test_plan_cli_uses_the_engine_registry() -> None:
    """By default a requirement whose check the engine has not registered is planned as not tested."""
    from conformance.checks import registered_checks

    registered = set(registered_checks())
    pics = str(PICS / "rsu-no-rsi.yaml")
    document = json.loads(run("plan", "-p", "csae53-2020-rsu", "--pics", pics, "--format", "json").stdout)
    for entry in document["requirements"]:
        ids = {c["id"] for c in entry["checks"]}
        if entry["status"] == "selected":
            assert ids and ids <= registered, entry["id"]
        elif entry["status"] == "not-tested" and ids and not ids <= registered:
            assert "check(s) not registered by this toolkit" in entry["reason"]


def test_keyword_filter() -> None:
    catalogue = bundled_catalogue()
    profile = load_profile("csae53-2020-rsu", catalogue)
    pics = load_pics(PICS / "rsu-no-rsi.yaml", profile, catalogue)
    plan = make_plan(catalogue, profile, pics, keyword="spat and not priority")
    selected = {e.requirement.id for e in plan.by_status(Status.SELECTED)}
    assert selected == {
        "CSAE53-2020/SPAT/TX/DECODE",
        "CSAE53-2020/SPAT/TX/RATE",
        "CSAE53-2020/SPAT/TX/MSGCNT",
        "CSAE53-2020/SPAT/TX/PHASE-IDS-IN-MAP",
        "CSAE53-2020/SPAT/TX/TIMING",
    }
    deselected = next(e for e in plan.entries if e.requirement.id == "CSAE53-2020/MAP/TX/RATE")
    assert deselected.status is Status.DESELECTED
    assert deselected.reason == "not matched by -k 'spat and not priority'"
    # not applicable wins over deselected: the reason stays the PICS item
    rsi = next(e for e in plan.entries if e.requirement.id == "CSAE53-2020/RSI/TX/DECODE")
    assert rsi.status is Status.NOT_APPLICABLE
    bad = run("plan", "-p", "csae53-2020-rsu", "--pics", str(PICS / "rsu-no-rsi.yaml"), "-k", "spat and")
    assert bad.exit_code == 2
    assert "Invalid -k expression 'spat and'" in bad.stderr


def test_pilot_role_and_mandatory_capability() -> None:
    catalogue = bundled_catalogue()
    profile = load_profile("tianjin-xiqing-pilot", catalogue)
    pics = load_pics(PICS / "pilot-rsu-no-rsi.yaml", profile, catalogue)
    assert pics.role is Role.RSU
    review = static_review(pics, profile)
    assert not review.conformant
    problems = {f.item: f for f in review.problems()}
    assert set(problems) == {"RSU.TX.RSI", "RSU.RSI.DYNAMIC"}
    assert problems["RSU.TX.RSI"].reason.startswith(f"declared absent ({PICS / 'pilot-rsu-no-rsi.yaml'}:8:17)")
    assert "mandatory in this profile" in problems["RSU.TX.RSI"].reason
    plan = make_plan(catalogue, profile, pics)
    fcw = next(e for e in plan.entries if e.requirement.id == "CSAE53-2020/APP/FCW")
    assert fcw.status is Status.NOT_APPLICABLE
    assert fcw.reason.startswith("applies to OBU; the PICS declares role RSU")
    uplink = next(e for e in plan.entries if e.requirement.id == "CLOUD/UPLINK")
    assert uplink.status is Status.SELECTED and uplink.reason == "mandatory"
    # the static review is part of the plan output as well
    result = run("plan", "-p", "tianjin-xiqing-pilot", "--pics", str(PICS / "pilot-rsu-no-rsi.yaml"))
    assert "static review: RSU.TX.RSI declared absent" in result.stdout


def test_pics_check_exit_codes() -> None:
    ok = run("pics", "check", "--profile", "csae53-2020-rsu", str(PICS / "rsu-no-rsi.yaml"))
    assert ok.exit_code == 0, ok.stderr
    assert "consistent with the profile" in ok.stdout
    bad = run("pics", "check", "--profile", "tianjin-xiqing-pilot", str(PICS / "pilot-rsu-no-rsi.yaml"))
    assert bad.exit_code == 1
    assert "Non-conformant before any test: 2 required capability(ies) declared absent" in bad.stdout
    document = json.loads(
        run("pics", "check", "-p", "csae53-2020-rsu", "--format", "json", str(PICS / "spat-without-map.yaml")).stdout
    )
    assert document["conformant"] is False
    (problem,) = [f for f in document["findings"] if f["verdict"] != "ok"]
    assert problem["item"] == "RSU.TX.MAP"
    assert "required because RSU.TX.SPAT holds: RSU.TX.SPAT = yes" in problem["reason"]


@pytest.mark.parametrize(
    ("profile", "fixture", "where", "fragments"),
    [
        (
            "csae53-2020-rsu",
            "unknown-item.yaml",
            "unknown-item.yaml:6:5",
            ["Unknown PICS item 'RSU.TX.MAPP'", "Did you mean 'RSU.TX.MAP'?", "Valid items for csae53-2020-rsu (RSU):"],
        ),
        (
            "csae53-2020-rsu",
            "wrong-type.yaml",
            "wrong-type.yaml:5:18",
            ["PICS item 'RSU.TX.SPAT' is a yes/no question, found 'sometimes'", "Answer yes or no"],
        ),
        ("csae53-2020-rsu", "bad-yaml.yaml", "bad-yaml.yaml:6:", ["Invalid YAML"]),
        ("csae53-2020-rsu", "empty.yaml", "empty.yaml:4:", ["The capability statement is empty"]),
        ("csae53-2020-rsu", "all-no.yaml", "all-no.yaml:5:5", ["declares no capability at all"]),
        (
            "csae53-2020-rsu",
            "missing-answers.yaml",
            "missing-answers.yaml:5:5",
            ["leaves 11 PICS item(s) unanswered: IUT.DSMP, IUT.UPPER-TESTER, RSU.RSI.DYNAMIC"],
        ),
        (
            "tianjin-xiqing-pilot",
            "other-role-item.yaml",
            "other-role-item.yaml:5:5",
            ["PICS item 'OBU.TX.BSM' concerns OBU, but this statement is for role RSU"],
        ),
        (
            "csae53-2020-obu",
            "rsu-no-rsi.yaml",
            "rsu-no-rsi.yaml:3:12",
            ["This PICS is for profile 'csae53-2020-rsu', not 'csae53-2020-obu'"],
        ),
    ],
)
def test_broken_pics_fail_precisely(profile: str, fixture: str, where: str, fragments: list[str]) -> None:
    result = run("pics", "check", "--profile", profile, str(PICS / fixture))
    assert result.exit_code == 2, result.output
    assert str(PICS / where) in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr
    # plan refuses the same statement the same way: nothing is planned from a broken PICS
    planned = run("plan", "--profile", profile, "--pics", str(PICS / fixture))
    assert planned.exit_code == 2 and planned.stdout == ""


def test_template_lists_every_item_and_must_be_answered(tmp_path: Path) -> None:
    catalogue = bundled_catalogue()
    profile = load_profile("csae53-2020-rsu", catalogue)
    target = tmp_path / "pics.yaml"
    result = run("pics", "template", "--profile", "csae53-2020-rsu", "-o", str(target))
    assert result.exit_code == 0
    text = target.read_text(encoding="utf-8")
    for item in profile.pics:
        assert f"    {item}:" in text
    assert "# [C: RSU.TX.SPAT] Does the RSU transmit MAP?" in text
    # the blank template is refused (unanswered), filling it in makes it valid
    refused = run("pics", "check", "-p", "csae53-2020-rsu", str(target))
    assert refused.exit_code == 2 and "unanswered" in refused.stderr
    answers = {line.strip()[:-1] for line in text.splitlines() if line.strip().endswith(":") and "." in line}
    filled = text
    for item in answers - {"SEC.ALGORITHM", "RSU.MSGCNT.MAP-READING", "RSU.MSGCNT.SPAT-READING"}:  # not yes/no
        filled = filled.replace(f"    {item}:\n", f"    {item}: yes\n")
    target.write_text(filled, encoding="utf-8")
    refused = run("pics", "check", "-p", "csae53-2020-rsu", str(target))
    assert refused.exit_code == 2  # SEC.ALGORITHM is now required, because SEC.SIGN = yes
    assert "leaves 1 PICS item(s) unanswered: SEC.ALGORITHM" in refused.stderr
    target.write_text(filled.replace("    SEC.ALGORITHM:\n", "    SEC.ALGORITHM: SM2\n"), encoding="utf-8")
    assert run("pics", "check", "-p", "csae53-2020-rsu", str(target)).exit_code == 0


def test_pilot_template_separates_roles() -> None:
    result = run("pics", "template", "--profile", "tianjin-xiqing-pilot")
    assert "# --- items for role RSU" in result.stdout and "# --- items for role OBU" in result.stdout
    rsu_only = run("pics", "template", "--profile", "tianjin-xiqing-pilot", "--role", "RSU").stdout
    assert "OBU.TX.BSM" not in rsu_only and "RSU.TX.RSI" in rsu_only and "PLT.TOPICS" in rsu_only


# --------------------------------------------------------------------------------------------------- PIXIT
def test_pixit_sensitive_values_are_redacted() -> None:
    catalogue = bundled_catalogue()
    profile = load_profile("cloud-control-platform", catalogue)
    pixit = load_pixit(PIXIT / "platform.yaml", profile, catalogue)
    assert pixit.secret("mqtt.password") == "s3cr3t-Passw0rd"
    redacted = pixit.redacted()
    assert redacted["mqtt.password"] == REDACTED and redacted["tls.client_key"] == REDACTED
    assert redacted["mqtt.username"] == "lab"
    assert redacted["platform.simulated_rsus"] == 10  # default filled in
    for text in (repr(pixit), str(pixit), json.dumps(redacted)):
        assert "s3cr3t" not in text and "PRIVATE KEY" not in text
    result = run("pixit", "check", "--profile", "cloud-control-platform", str(PIXIT / "platform.yaml"))
    assert result.exit_code == 0
    assert "s3cr3t" not in result.output and "PRIVATE KEY" not in result.output
    assert json.loads(result.stdout)["values"]["mqtt.password"] == REDACTED


def test_pixit_errors_never_echo_sensitive_values(tmp_path: Path) -> None:
    path = tmp_path / "pixit.yaml"
    path.write_text("pixit:\n  profile: cloud-control-platform\n  values:\n    mqtt.password: 12345678\n")
    catalogue = bundled_catalogue()
    profile = load_profile("cloud-control-platform", catalogue)
    with pytest.raises(ConfigurationError) as info:
        load_pixit(path, profile, catalogue)
    assert "12345678" not in info.value.describe()
    assert "(value hidden: sensitive)" in info.value.describe()
    assert f"{path}:4:20" in info.value.describe()


@pytest.mark.parametrize(
    ("profile", "fixture", "where", "fragment"),
    [
        ("cloud-control-platform", "unknown-item.yaml", "unknown-item.yaml:4:5", "Did you mean 'mqtt.password'?"),
        ("csae53-2020-rsu", "wrong-type.yaml", "wrong-type.yaml:4:18", "needs a integer value, found str"),
    ],
)
def test_broken_pixit(profile: str, fixture: str, where: str, fragment: str) -> None:
    result = run("pixit", "check", "--profile", profile, str(PIXIT / fixture))
    assert result.exit_code == 2
    assert str(PIXIT / where) in result.stderr and fragment in result.stderr, result.stderr


def test_pixit_missing_required_values(tmp_path: Path) -> None:
    path = tmp_path / "pixit.yaml"
    path.write_text("pixit:\n  profile: csae53-2020-rsu\n  values:\n    target.port: 5000\n")
    result = run("pixit", "check", "--profile", "csae53-2020-rsu", str(path))
    assert result.exit_code == 2
    assert "required lab parameter(s) without a value: dut.device_id, dut.firmware" in result.stderr


def test_pixit_template() -> None:
    result = run("pixit", "template", "--profile", "cloud-control-platform")
    assert "# MQTT password / MQTT密码 (SENSITIVE)" in result.stdout
    assert "    mqtt.password:\n" in result.stdout
    assert '    mqtt.topic_convention: "open-mqtt"' in result.stdout
