"""A laboratory's clause map: validated precisely, stored in the run folder, shown per reference in every report."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from test_reports_failure_text import SCHEMA, _result, make_run

from conformance.catalogue import bundled_catalogue
from conformance.catalogue.clausemap import CLAUSE_MAP_FILE, load_clause_map
from conformance.cli.main import main
from conformance.cli.reports import register
from conformance.cli.runsetup import prepare
from conformance.engine.model import Observation, Verdict
from conformance.errors import CatalogueError
from conformance.reports import build_report, render

if "report" not in main.commands:
    register(main)

ACCURACY = "CSAE53-2020/RSM/TX/ACCURACY"  # its only reference: clause number not verified
DECODE = "CSAE53-2020/RSM/TX/DECODE"  # verified by the catalogue (YD/T 3710-2020 §10)
CCSA = "CCSA RSU specification (direct-communication RSU; document number not verified)"

GOOD = f"""clause_map:
  laboratory: Tianjin V2X Test Lab
  verified_by: Li Si
  date: 2026-11-30
  entries:
    - requirement: {ACCURACY}
      confirmed_clause: "§5.3.2"
    - document: YD/T 3710-2020
      clause: "§10 (RSM)"
      confirmed_clause: "§10.1"
      verified_by: Wang Wu
      date: "2026-12-01"
"""


def write(tmp_path: Path, text: str, name: str = "map.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_map_confirms_requirement_and_reference_entries(tmp_path: Path) -> None:
    confirmed = load_clause_map(write(tmp_path, GOOD), bundled_catalogue())
    first = confirmed.lookup(ACCURACY, CCSA, "clause number not verified")
    assert first is not None and first.verified_by == "Li Si" and first.date == "2026-11-30"
    assert first.confirmed_clause == "§5.3.2" and first.entry == "map.yaml:6"
    # the reference form covers every requirement citing that document and clause text
    by_reference = confirmed.lookup(DECODE, "YD/T 3710-2020", "§10 (RSM)")
    assert by_reference is not None and by_reference.verified_by == "Wang Wu" and by_reference.date == "2026-12-01"
    assert confirmed.lookup("CSAE53-2019/RSM/TX/DECODE", "YD/T 3710-2020", "§10 (RSM)") is not None
    assert confirmed.lookup(DECODE, "YD/T 3710-2020", "§9 (RSI)") is None
    assert confirmed.summary()["verified_by"] == ["Li Si", "Wang Wu"]


@pytest.mark.parametrize(
    ("text", "where", "needles"),
    [
        (
            "clause_map:\n  verified_by: A\n  date: 2026-01-01\n  entries:\n"
            "    - requirement: CSAE53-2020/RSM/TX/ACURACY\n"
            "      confirmed_clause: x\n",
            ":5:",
            ["unknown requirement id 'CSAE53-2020/RSM/TX/ACURACY'", ACCURACY],
        ),
        (
            "clause_map:\n  verified_by: A\n  date: 2026-01-01\n  entries:\n    - requirement: " + ACCURACY + "\n"
            "      confirmed_clause: x\n      verifed_by: B\n",
            ":7:7",
            ["Unknown key 'verifed_by'", "verified_by"],
        ),
        (
            "clause_map:\n  entries:\n    - requirement: " + ACCURACY + "\n      confirmed_clause: x\n",
            ":3:",
            ["does not say who verified it"],
        ),
        (
            "clause_map:\n  verified_by: A\n  date: 30.11.2026\n  entries:\n    - requirement: "
            + ACCURACY
            + "\n      confirmed_clause: x\n",
            ":3:",
            ["'30.11.2026' is not a date"],
        ),
        (
            "clause_map:\n  verified_by: A\n  date: 2026-01-01\n  entries:\n    - document: YD/T 3710-2020\n"
            "      clause: '§10 (RMS)'\n      confirmed_clause: x\n",
            ":6:",
            ["no requirement cites clause '§10 (RMS)' of YD/T 3710-2020", "§10 (RSM)"],
        ),
        (
            "clause_map:\n  verified_by: A\n  date: 2026-01-01\n  entries:\n    - requirement: " + DECODE + "\n"
            "      document: YD/T 3709-2020\n      confirmed_clause: x\n",
            ":6:",
            ["does not cite 'YD/T 3709-2020'", "it cites YD/T 3710-2020"],
        ),
        (
            "clause_map:\n  verified_by: A\n  date: 2026-01-01\n  entries:\n    - requirement: " + DECODE + "\n"
            "      clause: '§10 (RSM)'\n      confirmed_clause: x\n",
            ":5:",
            ["either a requirement"],
        ),
        ("clause_map:\n  entries: [\n", ":", ["Invalid YAML"]),
    ],
)
def test_a_broken_map_names_file_line_column_and_what_to_do(
    tmp_path: Path, text: str, where: str, needles: list[str]
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CatalogueError) as info:
        load_clause_map(path, bundled_catalogue())
    message = info.value.describe()
    assert f"map.yaml{where}" in message, message
    for needle in needles:
        assert needle in message, message
    assert info.value.exit_code == 2


def _run_folder(tmp_path: Path) -> Path:
    return make_run(
        tmp_path / "run",
        [
            _result(ACCURACY, Verdict.FAIL, [Observation(Verdict.FAIL, "speed error 2 km/h", check="rsm.accuracy")]),
            _result(DECODE, Verdict.PASS, [Observation(Verdict.PASS, "all RSM decode", check="decode")]),
        ],
    )


def _refs(report: dict[str, Any], rid: str) -> list[dict[str, Any]]:
    return next(c for c in report["campaign"] if c["requirement_id"] == rid)["clauses"]


def test_without_a_map_references_say_whether_the_catalogue_verifies_them(tmp_path: Path) -> None:
    report = build_report(_run_folder(tmp_path))
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    assert report["clause_map"] is None
    assert _refs(report, ACCURACY)[0]["verified"] is False and _refs(report, ACCURACY)[0]["verified_source"] is None
    assert _refs(report, DECODE)[0]["verified_source"] == "catalogue"
    assert any("not verified" in item["en"] for item in report["limitations"])
    assert "clause number not verified [clause not verified]" in render(report, "md")
    junit = ET.fromstring(render(report, "junit"))
    failure = next(tc for tc in junit.iter("testcase") if "ACCURACY" in tc.get("name", "")).find("failure")
    assert failure is not None and "[clause not verified]" in failure.get("message", "")
    html = render(report, "html")
    assert 'data-verified="catalogue"' in html and "已核实（要求目录）" in html


def test_a_map_in_the_run_folder_marks_references_verified_by_the_lab_in_every_format(tmp_path: Path) -> None:
    folder = _run_folder(tmp_path)
    (folder / CLAUSE_MAP_FILE).write_text(GOOD, encoding="utf-8")
    report = build_report(folder)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    accuracy = _refs(report, ACCURACY)[0]
    assert accuracy["verified"] is True and accuracy["verified_source"] == "clause-map"
    assert accuracy["verified_by"] == "Li Si" and accuracy["verified_on"] == "2026-11-30"
    assert accuracy["confirmed_clause"] == "§5.3.2"
    decode = _refs(report, DECODE)[0]
    assert decode["verified_source"] == "catalogue" and decode["verified_by"] == "Wang Wu"
    assert report["clause_map"]["laboratory"] == "Tianjin V2X Test Lab" and report["clause_map"]["references"] >= 3
    assert not any("not verified" in item["en"] for item in report["limitations"])
    by_clause = next(
        r
        for r in report["coverage"]["by_clause"]
        if r["document"] == CCSA and r["clause"] == "clause number not verified"
    )
    assert by_clause["verified"] is True
    junit = ET.fromstring(render(report, "junit"))
    failure = next(tc for tc in junit.iter("testcase") if "ACCURACY" in tc.get("name", "")).find("failure")
    assert failure is not None and "verified by Li Si on 2026-11-30 (laboratory clause map: §5.3.2)" in failure.get(
        "message", ""
    )
    properties = {p.get("name"): p.get("value") for p in junit.iter("property")}
    assert "Tianjin V2X Test Lab" in properties["clause_map"] and "Li Si, Wang Wu" in properties["clause_map"]
    assert "verified by Li Si on 2026-11-30" in render(report, "md")
    html = render(report, "html")
    assert 'data-verified="clause-map"' in html and "已由实验室条款对照表核实" in html and "Li Si, 2026-11-30" in html


def test_report_render_applies_a_map_and_a_bad_map_is_exit_2(tmp_path: Path) -> None:
    folder = _run_folder(tmp_path)
    good = write(tmp_path, GOOD)
    result = CliRunner().invoke(main, ["report", "render", str(folder), "--format", "json", "--clause-map", str(good)])
    assert result.exit_code == 0, result.output
    assert _refs(json.loads(result.stdout), ACCURACY)[0]["verified_source"] == "clause-map"
    bad = write(tmp_path, GOOD.replace(ACCURACY, "CSAE53-2020/RSM/TX/ACCURACCY"), "bad.yaml")
    result = CliRunner().invoke(main, ["report", "render", str(folder), "--format", "md", "--clause-map", str(bad)])
    assert result.exit_code == 2 and "bad.yaml:6:" in result.output and ACCURACY in result.output
    assert "Traceback" not in result.output


def test_run_checks_the_map_before_anything_is_written_and_keeps_a_copy(tmp_path: Path) -> None:
    bad = write(tmp_path, GOOD.replace("  verified_by: Li Si\n", ""), "bad.yaml")
    out = tmp_path / "bad-run"
    result = CliRunner().invoke(
        main,
        ["run", "--profile", "csae53-2020-rsu", "--target", "sim://rsu", "--out", str(out), "--clause-map", str(bad)],
    )
    assert result.exit_code == 2 and "bad.yaml:5:7" in result.output and "who verified" in result.output
    assert not out.exists()
    good = write(tmp_path, GOOD)
    setup = prepare(
        profile_id="csae53-2020-rsu",
        target="sim://rsu",
        pics_path=None,
        pixit_path=None,
        out_dir=tmp_path / "run",
        keyword="RSM",
        seed=1,
        edition=None,
        observation_window=None,
        clause_map=good,
    )
    assert (setup.out_dir / CLAUSE_MAP_FILE).read_text(encoding="utf-8") == GOOD
    recorded = json.loads((setup.out_dir / "run.json").read_text(encoding="utf-8"))["clause_map"]
    assert recorded["file"] == CLAUSE_MAP_FILE and recorded["source"] == str(good) and len(recorded["sha256"]) == 64


def test_clause_map_cannot_be_given_with_resume(tmp_path: Path) -> None:
    good = write(tmp_path, GOOD)
    result = CliRunner().invoke(main, ["run", "--resume", str(tmp_path), "--clause-map", str(good)])
    assert result.exit_code == 2 and "--clause-map cannot be combined with --resume" in result.output
