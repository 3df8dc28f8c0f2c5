"""Requirement catalogue and national framework: bundled data is complete and traceable; broken data is refused."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from conformance.catalogue import bundled_catalogue, expr, load_catalogue
from conformance.catalogue.loader import FRAMEWORK_FILE, REQUIREMENTS_DIR, load_framework
from conformance.catalogue.models import Level, Role
from conformance.catalogue.yamlsrc import parse_yaml
from conformance.errors import CatalogueError, ConfigurationError

DATA = Path(__file__).parent / "data"
ID_PATTERN = re.compile(r"^[A-Z0-9][A-Z0-9-]*(/[A-Z0-9][A-Z0-9-]*)+$")


def test_catalogue_counts_per_part() -> None:
    catalogue = bundled_catalogue()
    by_prefix: dict[str, int] = {}
    for requirement_id in catalogue.requirements:
        prefix = requirement_id.split("/")[0]
        by_prefix[prefix] = by_prefix.get(prefix, 0) + 1
    assert by_prefix == {
        "CSAE53-2019": 63,  # 57 + msgCnt of MAP, SPAT, RSI, RSM and the MAP/SPAT revision readings
        "CSAE53-2020": 63,
        "CSAE157-2020": 17,
        "YDT3707-2020": 6,
        "YDT3594": 5,
        "TITS0117-2020": 3,
        "CLOUD": 5,
    }


def test_every_requirement_is_traceable() -> None:
    catalogue = bundled_catalogue()
    for requirement in catalogue.requirements.values():
        assert ID_PATTERN.match(requirement.id), requirement.id
        assert requirement.references and all(r.clause.strip() for r in requirement.references), requirement.id
        assert requirement.framework and all(n in catalogue.framework.nodes for n in requirement.framework)
        assert requirement.title.zh and requirement.title.en and requirement.purpose.zh and requirement.purpose.en
        assert requirement.roles
        if requirement.level is Level.MANDATORY:
            assert requirement.condition is None
        else:
            assert requirement.condition_expr is not None


def test_yd_t_3710_structure_send_and_receive_for_each_day1_message() -> None:
    catalogue = bundled_catalogue()
    clauses = {"BSM": "§6", "MAP": "§7", "SPAT": "§8", "RSI": "§9", "RSM": "§10"}
    for edition in ("CSAE53-2019", "CSAE53-2020"):
        for message, clause in clauses.items():
            for direction in ("TX", "RX"):
                requirement = catalogue.requirements[f"{edition}/{message}/{direction}/DECODE"]
                first = requirement.references[0]
                assert (first.document, first.clause.split()[0], first.verified) == ("YD/T 3710-2020", clause, True)


def test_unverified_clauses_say_so() -> None:
    for requirement in bundled_catalogue().requirements.values():
        for reference in requirement.references:
            if not reference.verified:
                assert "not verified" in str(reference), (requirement.id, str(reference))


def test_seventeen_day1_applications_per_edition() -> None:
    catalogue = bundled_catalogue()
    apps = [r for r in catalogue.requirements if r.startswith("CSAE53-2020/APP/")]
    assert len(apps) == 17
    vnfp = catalogue.requirements["CSAE53-2020/APP/VNFP"]
    assert not vnfp.tested  # no Day-1 message: shown as not tested
    fcw = catalogue.requirements["CSAE53-2020/APP/FCW"].checks[0]
    assert fcw.parameter("range_m").value == 300 and fcw.parameter("range_m").verified is False


def test_edition_expansion_substitutes_the_edition() -> None:
    catalogue = bundled_catalogue()
    for edition in ("csae53-2019", "csae53-2020"):
        requirement = catalogue.requirements[f"{edition.upper()}/SPAT/TX/DECODE"]
        assert requirement.edition == edition
        assert requirement.checks[0].parameter("edition").value == edition
    assert catalogue.requirements["CSAE157-2020/SSM/TX/DECODE"].checks[0].parameter("message_id").value == 12


def test_rsu_periods_from_the_rsu_specification() -> None:
    catalogue = bundled_catalogue()
    periods = {
        "MAP/TX/RATE": 1000,
        "SPAT/TX/RATE": 500,
        "RSM/TX/RATE": 100,
        "RSI/TX/RATE-STATIC": 1000,
        "RSI/TX/RATE-SEMI-STATIC": 500,
        "RSI/TX/RATE-DYNAMIC": 100,
    }
    for suffix, period in periods.items():
        parameter = catalogue.requirements[f"CSAE53-2020/{suffix}"].checks[0].parameter("max_interval_ms")
        assert (parameter.value, parameter.unit, parameter.verified) == (period, "ms", True)


def test_framework_codes_only_where_confirmed() -> None:
    framework = load_framework()
    coded = {n.id: n.code for n in framework.nodes.values() if n.code}
    assert coded == {"ICV-2017/100": "100", "ICV-2017/200": "200", "ICV-2017/300": "300", "ICV-2017/400": "400"}
    assert {p.id for p in framework.parts} == {
        "GEN-2018",
        "ICV-2017",
        "ICV-2023",
        "ICT-2018",
        "VIM-2020",
        "ITS-2021",
        "VRC-2023",
    }
    assert len(framework.nodes) == 49
    # the ICT tree and the ICV 300 sub-nodes are believed, not confirmed
    assert not framework.nodes["ICT-2018/protocols-devices"].verified
    assert not framework.nodes["ICV-2017/300/decision-warning"].verified
    assert framework.path_label("ICV-2017/300/decision-warning") == "ICV-2017 / 300 产品与技术应用 / 决策预警"


def test_pics_and_pixit_items() -> None:
    catalogue = bundled_catalogue()
    assert catalogue.pics_items["RSU.TX.RSI"].type == "boolean"
    assert catalogue.pics_items["RSU.TX.RSI"].roles == (Role.RSU,)
    assert catalogue.pics_items["PLT.TOPICS"].choices == ("t-its-0117", "open-mqtt", "vendor-v1")
    sensitive = {i.id for i in catalogue.pixit_items.values() if i.sensitive}
    assert sensitive == {"mqtt.password", "tls.client_key", "security.private_key"}


def test_catalogue_digest_is_stable() -> None:
    assert load_catalogue().digest == bundled_catalogue().digest
    assert re.fullmatch(r"[0-9a-f]{64}", bundled_catalogue().digest)


# --------------------------------------------------------------------------------------------------- broken data
def _catalogue_with(tmp_path: Path, broken: str) -> Path:
    directory = tmp_path / "requirements"
    shutil.copytree(REQUIREMENTS_DIR, directory)
    shutil.copy(DATA / "catalogue" / broken, directory / broken)
    return directory


@pytest.mark.parametrize(
    ("broken", "line_col", "fragments"),
    [
        (
            "unknown-node.yaml",
            "10:17",
            ["unknown framework node 'ICV-2017/300/decision-warnings'", "Did you mean 'ICV-2017/300/decision-warning'"],
        ),
        ("duplicate-key.yaml", "13:5", ["Duplicate key 'roles' (first defined on line 11)"]),
        (
            "bad-condition.yaml",
            "13:16",
            ["unknown PICS item 'OBU.APP.FCWW'", "Did you mean 'OBU.APP.FCW'", "Valid PICS items:"],
        ),
        ("duplicate-id.yaml", "5:9", ["Duplicate requirement id 'YDT3594/SEC/ALGORITHM'", "security.yaml:"]),
        ("bad-check-id.yaml", "13:19", ["'Message_Rate' does not match the required form"]),
    ],
)
def test_broken_catalogue_files(tmp_path: Path, broken: str, line_col: str, fragments: list[str]) -> None:
    directory = _catalogue_with(tmp_path, broken)
    with pytest.raises(ConfigurationError) as info:
        load_catalogue(directory, FRAMEWORK_FILE)
    text = info.value.describe()
    assert f"{directory / broken}:{line_col}" in text, text
    for fragment in fragments:
        assert fragment in text, text
    assert info.value.exit_code == 2


def test_yaml_syntax_error_has_line_and_column() -> None:
    with pytest.raises(CatalogueError) as info:
        parse_yaml("a: 1\nb: [1, 2\nc: 3\n", "x.yaml")
    assert str(info.value.source).startswith("x.yaml:3:")
    assert "Invalid YAML" in info.value.message


def test_yaml_refuses_merge_keys_and_non_string_keys() -> None:
    with pytest.raises(CatalogueError, match="merge keys"):
        parse_yaml("base: &b {x: 1}\nchild:\n  <<: *b\n", "m.yaml")
    with pytest.raises(CatalogueError, match="Mapping keys must be strings") as info:
        parse_yaml("1: a\n", "k.yaml")
    assert str(info.value.source) == "k.yaml:1:1"


def test_yaml_positions_of_values_and_keys() -> None:
    document = parse_yaml("top:\n  items:\n    A.B: yes\n", "p.yaml")
    assert document.data == {"top": {"items": {"A.B": True}}}
    assert str(document.at(("top", "items", "A.B"))) == "p.yaml:3:10"
    assert str(document.at(("top", "items", "A.B"), key=True)) == "p.yaml:3:5"
    assert str(document.at(("top", "missing"))) == "p.yaml:2:3"


# --------------------------------------------------------------------------------------------------- expressions
@pytest.mark.parametrize(
    ("text", "values", "expected"),
    [
        ("A", {"A": True}, True),
        ("not A", {"A": True}, False),
        ("A and B or C", {"A": True, "B": False, "C": True}, True),
        ("A and (B or C)", {"A": True, "B": False, "C": False}, False),
        ("X == 'uper' and A", {"X": "uper", "A": True}, True),
        ("X != json", {"X": "json"}, False),
    ],
)
def test_expressions(text: str, values: dict[str, object], expected: bool) -> None:
    node = expr.parse(text)

    def atom(item: expr.Atom) -> bool:
        value = values[item.name]
        if not item.op:
            return value is True
        return (str(value) == item.literal) == (item.op == "==")

    assert expr.evaluate(node, atom) is expected
    assert expr.parse(expr.render(node)) == node


@pytest.mark.parametrize("text", ["", "A and", "(A or B", "A B", "and A", "A == ", "A == and"])
def test_expression_syntax_errors(text: str) -> None:
    with pytest.raises(CatalogueError, match="Invalid condition"):
        expr.parse(text)
