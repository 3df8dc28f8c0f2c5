"""Compliance reports from real runs: JSON report + schema, 17025 items, JUnit, Markdown, waivers, diff, matrix.

The runs (reference RSU, clean and with faults) are made once per session by ``test_reports_support.runs``.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from test_reports_support import PHASES, SECRET, SPAT_RATE, copy_run, invoke, runs

from conformance.reports import apply_waivers, build_report, load_report, load_waivers, render, write_reports
from conformance.reports.model import SCHEMA_FILE

#: Real-time observation windows against reference devices: deselect with -m 'not live' for a fast run.
pytestmark = pytest.mark.live

SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def report_of(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((runs()[name] / "report.json").read_text(encoding="utf-8"))
    return data


def case(report: dict[str, Any], rid: str) -> dict[str, Any]:
    return next(c for c in report["campaign"] if c["requirement_id"] == rid)


# ------------------------------------------------------------------------------------------------ JSON report
@pytest.mark.parametrize("name", ["clean", "faulty"])
def test_run_writes_all_four_reports_and_the_json_validates_against_the_bundled_schema(name: str) -> None:
    folder = runs()[name]
    for file in ("report.json", "report.html", "report.junit.xml", "report.md"):
        assert (folder / file).stat().st_size > 500, file
    jsonschema.Draft202012Validator(SCHEMA).validate(report_of(name))


def test_lab_supplied_items_come_from_the_pixit_or_are_marked_not_provided() -> None:
    faulty, clean = report_of("faulty"), report_of("clean")
    assert faulty["laboratory"]["name"] == {
        "value": "Tianjin V2X Test Lab",
        "source": "PIXIT lab.name",
        "provided": True,
    }
    assert faulty["customer"]["name"]["value"] == "Example RSU Co."
    assert faulty["operator"]["name"]["value"] == "Zhang San"
    assert faulty["item_tested"]["model"]["value"] == "RSU-9000"
    assert faulty["item_tested"]["serial"]["value"] == "SN-0042"
    assert faulty["item_tested"]["firmware"]["value"] == "2.1.0"
    # no PIXIT: never invented, visibly absent; vendor/model fall back to the capability statement, saying so
    for item in (
        clean["laboratory"]["name"],
        clean["customer"]["name"],
        clean["item_tested"]["serial"],
        clean["item_tested"]["hardware"],
        faulty["item_tested"]["hardware"],
        faulty["authorisation"]["name"],
        faulty["item_tested"]["date_received"],
    ):
        assert item == {"value": None, "source": None, "provided": False}
    assert clean["item_tested"]["vendor"]["source"] == "PICS implementation"
    assert "not provided" in (runs()["clean"] / "report.md").read_text(encoding="utf-8")
    html = (runs()["clean"] / "report.html").read_text(encoding="utf-8")
    assert html.count('class="missing"') >= 8 and "未提供" in html


def test_report_holds_the_17025_items_the_tool_knows() -> None:
    report = report_of("faulty")
    assert report["report_id"] == "V2XC-" + json.loads((runs()["faulty"] / "run.json").read_text())["run_id"]
    assert report["title"]["en"].startswith("Conformance test report") and report["title"]["zh"]
    method = report["method"]
    assert method["profile"]["id"] == "csae53-2020-rsu" and len(method["profile"]["sha256"]) == 64
    assert method["edition"]["id"] == "csae53-2020" and len(method["edition"]["asn1_sha256"]) == 64
    assert len(method["catalogue"]["digest"]) == 64 and "YD/T 3710-2020" in method["standards"]
    dates = report["dates"]
    assert (
        dates["testing_started"] and dates["testing_finished"] and dates["testing_started"] <= dates["testing_finished"]
    )
    assert report["issued"] >= dates["testing_finished"][:19]
    assert "guard band" in report["decision_rule"]["en"] and report["decision_rule"]["zh"]
    assert "relate only to the item tested" in report["statement_item_only"]["en"]
    assert report["sampling"]["en"] and report["external_providers"]["en"]
    assert report["pics"]["review"]["conformant"] is True and len(report["pics"]["sha256"]) == 64
    assert any("-k 'SPAT or MAP'" in d["en"] for d in report["deviations"])
    assert any("Observation window" in d["en"] for d in report["deviations"])
    assert report["end_of_report"]["en"] == "End of report"
    rate = case(report, SPAT_RATE)["observations"][0]
    assert rate["unit"] == "ms"  # results with units


def test_sensitive_pixit_values_never_reach_any_artefact() -> None:
    folder = runs()["faulty"]
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), path.name
    assert report_of("faulty")["pixit"]["values"]["mqtt.password"] == "***redacted***"


def test_campaign_table_and_conformity_statement() -> None:
    faulty = report_of("faulty")
    failing = case(faulty, PHASES)
    assert failing["selected"] and failing["run"] and failing["verdict"] == "fail"
    assert failing["clauses"][0]["document"].startswith("YD/T 3709-2020")
    assert failing["framework"] and failing["title"]["zh"] and failing["purpose"]["en"]
    assert faulty["conformity"]["status"] == "does-not-conform"
    assert set(faulty["conformity"]["failed"]) == {PHASES, SPAT_RATE}
    assert faulty["gate"]["exit_code"] == 1
    deselected = case(faulty, "CSAE53-2020/RSM/TX/RATE")
    assert deselected["status"] == "deselected" and not deselected["run"] and deselected["coverage"] == "not-tested"
    not_applicable = case(faulty, "YDT3707-2020/DSMP/TX/HEADER")
    assert not_applicable["coverage"] == "not-applicable" and "IUT.DSMP" in not_applicable["reason"]
    clean = report_of("clean")
    # nothing failed, but requirements were deselected by -k or have no check: no conformity statement
    assert clean["conformity"]["status"] == "no-statement" and clean["conformity"]["passed"] == 9
    assert clean["gate"]["exit_code"] == 0
    assert faulty["summary"]["verdicts"]["fail"] == 2 and faulty["summary"]["verdicts"]["pass"] == 7


def test_failing_case_carries_the_decoded_message_and_field_level_differences() -> None:
    failing = case(report_of("faulty"), PHASES)
    observation = failing["observations"][0]
    assert {"path": "intersections.phases.id[0]", "expected": 1, "observed": 101} in observation["diff"]
    assert len(observation["diff"]) == 8
    message = failing["messages"][0]
    assert message["direction"] == "rx" and message["error"] is None
    assert message["decoded"]["$choice"] == "spatFrame"
    phase_ids = [p["id"] for p in message["decoded"]["value"]["intersections"][0]["phases"]]
    assert phase_ids == list(range(101, 109))


def test_rate_check_keeps_the_interval_series_for_plots() -> None:
    rate = case(report_of("faulty"), SPAT_RATE)["observations"][0]
    assert rate["series"]["intervals_ms"] and max(rate["series"]["intervals_ms"]) > 900
    assert rate["diff"] == []  # a series is plotted, not diffed


def test_coverage_by_clause_and_by_framework_node() -> None:
    report = report_of("faulty")
    counts = report["summary"]["coverage"]
    assert counts["tested"] == 9 and counts["tested"] + counts["not-tested"] + counts["not-applicable"] == 43
    clause_rows = report["coverage"]["by_clause"]
    rate_clause = next(r for r in clause_rows if r["clause"] == "§8 (SPAT)")
    assert SPAT_RATE in rate_clause["requirements"] and rate_clause["fail"] >= 1
    tree = report["coverage"]["by_framework"]
    parts = [row for row in tree if row["depth"] == 0]
    assert {p["id"] for p in parts} >= {"ICT-2018", "ITS-2021"}
    ict = next(row for row in tree if row["id"] == "ICT-2018/protocols-devices")
    assert ict["parent"] == "ICT-2018" and ict["fail"] == 2 and PHASES in ict["direct"]
    for row in tree:  # a parent counts at least what each child counts
        if row["depth"] > 0:
            parent = next(p for p in tree if p["id"] == row["parent"])
            assert parent["tested"] >= row["tested"] and parent["not-applicable"] >= row["not-applicable"]


# ------------------------------------------------------------------------------------------------ renderers
def test_junit_has_one_testcase_per_requirement_with_failures_naming_the_clause() -> None:
    root = ET.fromstring((runs()["faulty"] / "report.junit.xml").read_bytes())
    suite = root.find("testsuite")
    assert suite is not None and suite.get("failures") == "2" and suite.get("tests") == "43"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props["report_id"] == report_of("faulty")["report_id"] and props["device"] == "ExampleVendor RSU-9000"
    cases = {tc.get("classname", "") + "/" + tc.get("name", ""): tc for tc in suite.iter("testcase")}
    assert len(cases) == 43
    phases = next(tc for key, tc in cases.items() if "PHASE-IDS-IN-MAP" in key)
    failure = phases.find("failure")
    assert failure is not None and "YD/T 3709-2020" in failure.get("message", "")
    assert "intersections.phases.id[0]: expected 1, observed 101" in (failure.text or "")
    skipped = [tc for tc in suite.iter("testcase") if tc.find("skipped") is not None]
    assert len(skipped) == 34
    assert all(tc.find("failure") is None for tc in cases.values() if "TIMING" in tc.get("name", ""))


def test_markdown_summary_for_a_pull_request() -> None:
    text = (runs()["faulty"] / "report.md").read_text(encoding="utf-8")
    assert "DOES NOT CONFORM" in text and "被测设备不符合" in text
    assert f"`{PHASES}`" in text and "| `intersections.phases.id[0]` | `1` | `101` |" in text
    assert "| 7 | 2 | 0 | 0 |" in text and "exit code **1**" in text


def test_render_works_from_the_json_alone(tmp_path: Path) -> None:
    source = tmp_path / "only.json"
    shutil.copyfile(runs()["faulty"] / "report.json", source)
    for fmt, marker in (("html", "<!DOCTYPE html>"), ("junit", "<testsuites"), ("md", "## Conformance")):
        code, output = invoke("report", "render", str(source), "--format", fmt)
        assert code == 0 and marker in output
    code, _ = invoke("report", "render", str(source), "--format", "md", "-o", str(tmp_path / "out.md"))
    assert code == 0 and (tmp_path / "out.md").read_text(encoding="utf-8").startswith("## Conformance")
    assert render(load_report(source), "json") == (runs()["faulty"] / "report.json").read_text(encoding="utf-8")


def test_a_run_folder_without_report_is_rebuilt(tmp_path: Path) -> None:
    folder = copy_run("faulty", tmp_path)
    for name in ("report.json", "report.html", "report.junit.xml", "report.md"):
        (folder / name).unlink()
    code, output = invoke("report", "render", str(folder), "--format", "all")
    assert code == 0, output
    assert load_report(folder)["conformity"]["status"] == "does-not-conform"


# ------------------------------------------------------------------------------------------------ waivers
WAIVERS = """waivers:
  - requirement: CSAE53-2020/SPAT/TX/PHASE-IDS-IN-MAP
    expected: fail
    justification: Phase numbering offset in firmware 2.1; fixed in 2.2
    approver: Li Wei (lab)
    expires: 2099-12-31
    link: https://tracker.example/RSU-142
  - requirement: CSAE53-2020/SPAT/TX/RATE
    expected: fail
    justification: SPAT at 1 Hz agreed for the pilot
    approver: Li Wei (lab)
    expires: {rate_expiry}
    link: https://tracker.example/RSU-143
  - requirement: CSAE53-2020/MAP/TX/RATE
    expected: fail
    justification: was slow once
    approver: Li Wei (lab)
    expires: 2099-12-31
    link: https://tracker.example/RSU-100
"""


def waivers_file(tmp_path: Path, rate_expiry: str) -> Path:
    path = tmp_path / "waivers.yaml"
    path.write_text(WAIVERS.format(rate_expiry=rate_expiry), encoding="utf-8")
    return path


def test_waivers_applied_expired_and_unused_are_reported_and_drive_the_exit_code(tmp_path: Path) -> None:
    report = build_report(runs()["faulty"])
    apply_waivers(report, load_waivers(waivers_file(tmp_path, "2026-01-31")), today=date(2026, 6, 1))
    states = {e["requirement"]: e["state"] for e in report["waivers"]["entries"]}
    assert states == {PHASES: "applied", SPAT_RATE: "expired", "CSAE53-2020/MAP/TX/RATE": "unused"}
    assert report["gate"]["exit_code"] == 1 and report["gate"]["cases"] == [SPAT_RATE]  # expired counts again
    assert report["conformity"]["status"] == "does-not-conform"  # waivers never change the conformity statement
    jsonschema.Draft202012Validator(SCHEMA).validate(report)

    apply_waivers(report, load_waivers(waivers_file(tmp_path, "2099-01-31")), today=date(2026, 6, 1))
    assert report["gate"]["exit_code"] == 0 and report["summary"]["waived"] == 2
    html, junit, md = render(report, "html"), render(report, "junit"), render(report, "md")
    assert 'data-verdict="waived"' in html and "https://tracker.example/RSU-142" in html
    suite = ET.fromstring(junit).find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    assert "waived (fail, expected fail) until 2099-12-31" in junit
    assert "🟡 waived (fail)" in md and "**unused**" in md


def test_write_reports_and_report_gate_honour_waivers(tmp_path: Path) -> None:
    folder = copy_run("faulty", tmp_path)
    waivers = waivers_file(tmp_path, "2099-01-31")
    report = write_reports(folder, waivers=waivers)
    assert report["gate"]["exit_code"] == 0 and load_report(folder)["summary"]["waived"] == 2
    code, output = invoke("report", "gate", str(folder / "report.json"))
    assert code == 0, output
    code, output = invoke(
        "report", "gate", str(runs()["faulty"]), "--waivers", str(waivers_file(tmp_path, "2020-01-01"))
    )
    assert code == 1 and "expired" in output and SPAT_RATE in output


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("waivers:\n  - requirement: X\n    expected: fail\n", "lacks justification, approver, expires, link"),
        ("waivers: {}\n", "top-level 'waivers:' list"),
        (
            "waivers:\n  - {requirement: X, expected: pass, justification: j, approver: a, expires: 2030-01-01, "
            "link: l}\n",
            "expected verdict 'pass'",
        ),
        (
            "waivers:\n  - {requirement: X, expected: fail, justification: j, approver: a, expires: soon, link: l}\n",
            "is not YYYY-MM-DD",
        ),
        ("waivers: [\n", "not valid YAML"),
    ],
)
def test_a_bad_waivers_file_is_one_paragraph_and_exit_2(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "w.yaml"
    path.write_text(text, encoding="utf-8")
    code, output = invoke("report", "render", str(runs()["faulty"]), "--format", "md", "--waivers", str(path))
    assert code == 2 and needle in output and str(path) in output and "Traceback" not in output


# ------------------------------------------------------------------------------------------------ diff, matrix
def test_diff_clean_to_faulty_lists_exactly_the_new_failures_and_exits_1() -> None:
    code, output = invoke("report", "diff", str(runs()["clean"]), str(runs()["faulty"]), "--format", "json")
    assert code == 1
    result = json.loads(output)
    assert {row["requirement_id"] for row in result["new_failures"]} == {PHASES, SPAT_RATE}
    assert {row["requirement_id"] for row in result["regressions"]} == {PHASES, SPAT_RATE}
    assert result["fixed"] == [] and result["removed"] == [] and result["added"] == []
    assert {row["requirement_id"] for row in result["verdict_changes"]} == {PHASES, SPAT_RATE}


def test_diff_faulty_to_clean_lists_fixes_and_passes_the_gate() -> None:
    code, output = invoke("report", "diff", str(runs()["faulty"]), str(runs()["clean"]))
    assert code == 0 and "no regression (exit 0)" in output
    assert f"{PHASES}: fail → pass" in output


def test_diff_ignores_waived_regressions(tmp_path: Path) -> None:
    waivers = waivers_file(tmp_path, "2099-01-31")
    code, output = invoke(
        "report", "diff", str(runs()["clean"]), str(runs()["faulty"]), "--waivers", str(waivers), "--format", "md"
    )
    assert code == 0 and "(waived)" in output and "### New failures: 2" in output


def test_matrix_rows_requirements_columns_devices(tmp_path: Path) -> None:
    clean, faulty = runs()["clean"], runs()["faulty"]
    code, output = invoke("report", "matrix", str(clean), str(faulty), "--format", "md")
    assert code == 0
    lines = output.splitlines()
    assert "v2x-conformance reference RSU" in lines[0] and "ExampleVendor RSU-9000" in lines[0]
    assert f"| `{PHASES}` | pass | fail |" in lines
    assert "| `YDT3707-2020/DSMP/TX/HEADER` | n/a | n/a |" in lines
    code, _ = invoke("report", "matrix", str(clean), str(faulty), "-o", str(tmp_path / "m.html"))
    html = (tmp_path / "m.html").read_text(encoding="utf-8")
    assert code == 0 and "ExampleVendor RSU-9000" in html and 'class="v v-fail"' in html and "互操作矩阵" in html


# ------------------------------------------------------------------------------------------------ errors
def _broken(tmp_path: Path, change: Any) -> Path:
    report = report_of("faulty")
    change(report)
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (lambda p: p / "missing.json", "No report at"),
        (lambda p: (p / "r.json").write_text("{not json", encoding="utf-8") and p / "r.json", "is not valid JSON"),
        (lambda p: _broken(p, lambda r: r.update(format_version=2)), "format version 2"),
        (lambda p: _broken(p, lambda r: r.pop("format")), "not a v2xc report"),
        (lambda p: _broken(p, lambda r: r.pop("conformity")), "does not match the v2xc report schema"),
        (lambda p: _broken(p, lambda r: r["campaign"][0].update(verdict="maybe")), "campaign/0/verdict"),
    ],
)
def test_broken_reports_are_one_paragraph_and_exit_2(tmp_path: Path, make: Any, needle: str) -> None:
    path = make(tmp_path)
    for args in (("render", str(path), "--format", "md"), ("diff", str(path), str(path)), ("matrix", str(path))):
        code, output = invoke("report", *args)
        assert code == 2 and needle in output and "Traceback" not in output, (args, output)
        assert output.startswith("error: ") and output.count("\n") <= 3


def test_an_incomplete_run_folder_is_a_clear_error(tmp_path: Path) -> None:
    folder = copy_run("clean", tmp_path)
    (folder / "report.json").unlink()
    (folder / "journal.ndjson").unlink()
    code, output = invoke("report", "render", str(folder), "--format", "json")
    assert code == 2 and "journal.ndjson" in output and "Traceback" not in output


def test_an_interrupted_run_reports_unreached_cases_as_not_run(tmp_path: Path) -> None:
    folder = copy_run("clean", tmp_path)
    lines = (folder / "journal.ndjson").read_text(encoding="utf-8").splitlines()
    kept = [line for line in lines if '"type": "end"' not in line and "SPAT/TX/TIMING" not in line]
    (folder / "journal.ndjson").write_text("\n".join(kept) + "\n", encoding="utf-8")
    report = build_report(folder)
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    timing = case(report, "CSAE53-2020/SPAT/TX/TIMING")
    assert timing["selected"] and not timing["run"] and timing["verdict"] == "none"
    assert "interrupted" in timing["reason"] and timing["coverage"] == "not-tested"
    assert report["run"]["ended"] is False
    assert any("did not finish" in d["en"] for d in report["deviations"])
    assert report["conformity"]["status"] == "no-statement"


def test_a_frame_out_of_range_shows_the_strict_error_and_the_offending_value_in_context() -> None:
    from conformance.codec.jsonvalue import from_json
    from conformance.reports.build import _decode
    from conformance.standards.editions import load_edition

    message = case(report_of("faulty"), PHASES)["messages"][0]
    edition = load_edition("csae53-2020")
    value = from_json(message["decoded"])
    value[1]["moy"] = 600_000  # MinuteOfTheYear is 0..527040
    data = edition.spec.encode(edition.info.pdu, value, check_constraints=False)
    shown = _decode({"seq": 9, "direction": "rx", "frame_hex": data.hex()}, "csae53-2020")
    assert "600000" in shown["error"] and "moy" in shown["error"]
    assert shown["decoded"]["value"]["moy"] == 600_000
    report = report_of("faulty")
    case(report, PHASES)["messages"] = [shown]
    html = render(report, "html")
    assert "Read without constraint checks" in html and "moy&#34;: 600000" in html
