"""Reports from a synthetic run folder: failure texts name what failed, measurements and the uncertainty budget.

No device is run: ``run.json`` and ``journal.ndjson`` are written here from the bundled catalogue, so every
assertion is about the report builder and renderers alone.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from conformance.catalogue import bundled_catalogue
from conformance.engine.model import CaseResult, Observation, Verdict
from conformance.reports import build_report, render, write_reports
from conformance.reports.model import SCHEMA_FILE

SCHEMA = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
RATE = "CSAE53-2020/RSM/TX/RATE"
DECODE = "CSAE53-2020/RSM/TX/DECODE"
PASSING = "RSM rate 10.000 Hz within 10 Hz ± 10 %"
FAILING = "5 RSM interval(s) exceed 100 ms (+ tolerance: 110 ms); longest 127.5 ms"
INCONC = "longest interval 109.0 ms is within the measurement uncertainty of the 110 ms limit"
TIMING = {
    "clock": "CLOCK_MONOTONIC via SO_TIMESTAMPNS",
    "decision_rule": "ILAC-G8 guarded acceptance",
    "coverage_factor": 2,
    "budget": {"timestamp_resolution_ms": 0.001, "loopback_jitter_ms": 0.42},
}
MEASUREMENT = {
    "quantity": "longest interval",
    "value": 127.5,
    "limit": 110,
    "limit_kind": "max",
    "uncertainty": 0.9,
    "unit": "ms",
    "coverage_factor": 2,
    "decision": "fail",
    "window": {"start": 0.0, "end": 6.0},
}


def _entry(rid: str) -> dict[str, Any]:
    requirement = bundled_catalogue().requirements[rid]
    return {
        "id": rid,
        "status": "selected",
        "reason": "mandatory",
        "pics_items": [],
        "title": {"zh": requirement.title.zh, "en": requirement.title.en},
        "clause": [
            {"document": r.document, "clause": r.clause, "verified": r.verified, "note": r.note}
            for r in requirement.references
        ],
        "framework": list(requirement.framework),
        "level": requirement.level.value,
        "condition": requirement.condition,
        "checks": [{"id": c.id, "parameters": {}} for c in requirement.checks],
    }


def _result(rid: str, verdict: Verdict, observations: list[Observation]) -> dict[str, Any]:
    result = CaseResult(rid, rid, rid, "", "", verdict, "run", observations=observations)
    return {"type": "case", **result.as_dict()}


def make_run(folder: Path, results: list[dict[str, Any]], *, timing: dict[str, Any] | None = None) -> Path:
    """A minimal run folder: run.json with a plan of the given cases and a journal holding their results."""
    folder.mkdir(parents=True, exist_ok=True)
    meta: dict[str, Any] = {
        "run_id": "20260101T000000Z-synthetic",
        "tool": {"name": "v2x-conformance", "version": "test"},
        "created": "2026-01-01T00:00:00+00:00",
        "profile": {"id": "csae53-2020-rsu", "title": {"zh": "路侧单元", "en": "RSU"}, "sha256": None},
        "catalogue": {"digest": "0" * 64},
        "edition": {"id": "csae53-2020", "asn1_sha256": "0" * 64},
        "target": "file://synthetic",
        "parameters": {},
        "pics": {
            "file": "pics.yaml",
            "sha256": "0" * 64,
            "role": "rsu",
            "review": {"conformant": True, "findings": []},
        },
        "pixit": {"source": None, "values": {}},
        "plan": [_entry(r["requirement_id"]) for r in results],
    }
    if timing is not None:
        meta["timing"] = timing
    (folder / "run.json").write_text(json.dumps(meta), encoding="utf-8")
    records = [{"type": "run", "run_id": meta["run_id"], "metadata": {}}, *results, {"type": "end"}]
    (folder / "journal.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder


def _failing_run(tmp_path: Path, **kwargs: Any) -> Path:
    return make_run(
        tmp_path / "run",
        [
            _result(
                RATE,
                Verdict.FAIL,
                [
                    Observation(Verdict.PASS, PASSING, check="rate"),
                    Observation(Verdict.FAIL, FAILING, check="max-interval", measurement=MEASUREMENT),
                ],
            ),
            _result(
                DECODE,
                Verdict.INCONC,
                [
                    Observation(Verdict.PASS, "all 60 RSM frames decode", check="decode"),
                    Observation(Verdict.INCONC, INCONC, check="max-interval"),
                ],
            ),
        ],
        **kwargs,
    )


def _testcases(xml: str) -> dict[str, ET.Element]:
    root = ET.fromstring(xml)
    return {tc.get("classname", "") + "/" + tc.get("name", "").split(" — ")[0]: tc for tc in root.iter("testcase")}


def test_junit_failure_message_and_body_lead_with_the_failing_observation(tmp_path: Path) -> None:
    report = build_report(_failing_run(tmp_path))
    cases = _testcases(render(report, "junit"))
    failure = cases["CSAE53-2020.RSM.TX/RATE"].find("failure")
    assert failure is not None and failure.get("type") == "fail"
    message = failure.get("message", "")
    assert message.startswith(FAILING) and PASSING not in message
    body = (failure.text or "").splitlines()
    observed = [line for line in body if line.startswith("[")]
    assert observed[0].startswith("[fail] max-interval: " + FAILING) and observed[1].startswith("[pass] rate")
    inconclusive = cases["CSAE53-2020.RSM.TX/DECODE"].find("failure")
    assert inconclusive is not None and inconclusive.get("type") == "inconclusive"
    assert inconclusive.get("message", "").startswith(INCONC)


def test_markdown_row_and_html_lead_with_the_failing_observation(tmp_path: Path) -> None:
    report = build_report(_failing_run(tmp_path))
    markdown = render(report, "md")
    row = next(line for line in markdown.splitlines() if line.startswith(f"| `{RATE}`"))
    finding = row.rsplit("|", 2)[-2]
    assert finding.index(FAILING) < finding.index(PASSING)
    inconc_row = next(line for line in markdown.splitlines() if line.startswith(f"| `{DECODE}`"))
    assert inconc_row.rsplit("|", 2)[-2].strip().startswith(INCONC)
    html = render(report, "html")
    campaign = html[html.index('id="row-' + RATE) :]
    campaign = campaign[: campaign.index("</tr>")]
    assert "exceed 100 ms" in campaign and "within 10 Hz" not in campaign
    detail = html[html.index('id="case-' + RATE) :]
    assert detail.index("exceed 100 ms") < detail.index("within 10 Hz")


def test_an_error_case_shows_the_error_observation(tmp_path: Path) -> None:
    folder = make_run(
        tmp_path / "run",
        [
            _result(
                RATE,
                Verdict.ERROR,
                [
                    Observation(Verdict.PASS, PASSING, check="rate"),
                    Observation(Verdict.ERROR, "harness error: socket closed", check="max-interval"),
                ],
            )
        ],
    )
    report = build_report(folder)
    error = _testcases(render(report, "junit"))["CSAE53-2020.RSM.TX/RATE"].find("error")
    assert error is not None and error.get("message") == "harness error: socket closed"


def test_measurement_is_carried_into_every_format(tmp_path: Path) -> None:
    report = build_report(_failing_run(tmp_path))
    jsonschema.Draft202012Validator(SCHEMA).validate(report)
    rate = next(c for c in report["campaign"] if c["requirement_id"] == RATE)
    assert rate["observations"][1]["measurement"] == MEASUREMENT
    assert rate["observations"][0]["measurement"] is None
    shown = "127.5 ± 0.9 ms (limit ≤ 110 ms, fail, k = 2)"
    junit = render(report, "junit")
    assert shown in junit
    assert shown in render(report, "md")
    assert shown in render(report, "html")


def test_a_bad_measurement_decision_is_rejected_by_the_schema(tmp_path: Path) -> None:
    report = build_report(_failing_run(tmp_path))
    rate = next(c for c in report["campaign"] if c["requirement_id"] == RATE)
    rate["observations"][1]["measurement"]["decision"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(report)


def test_uncertainty_budget_and_decision_rule_appear_in_every_format(tmp_path: Path) -> None:
    folder = _failing_run(tmp_path, timing=TIMING)
    report = write_reports(folder)
    assert report["measurement_uncertainty"] == {"measured": True, "timing": TIMING}
    saved = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert saved["measurement_uncertainty"]["timing"]["budget"]["loopback_jitter_ms"] == 0.42
    properties = {
        p.get("name"): p.get("value") for p in ET.fromstring((folder / "report.junit.xml").read_text()).iter("property")
    }
    assert properties["measurement_uncertainty"] == "measured"
    assert properties["timing.clock"] == TIMING["clock"]
    assert properties["timing.decision_rule"] == "ILAC-G8 guarded acceptance"
    assert properties["timing.coverage_factor"] == "2"
    assert properties["timing.budget.loopback_jitter_ms"] == "0.42"
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert "### Measurement uncertainty and decision rule" in markdown
    assert "**budget.loopback_jitter_ms**: 0.42" in markdown and "ILAC-G8 guarded acceptance" in markdown
    html = (folder / "report.html").read_text(encoding="utf-8")
    section = html[html.index('id="measurement-uncertainty"') :]
    assert "测量不确定度与判定规则" in html and "Measurement uncertainty and decision rule" in html
    assert "budget.timestamp_resolution_ms" in section and "SO_TIMESTAMPNS" in section


def test_without_timing_every_format_says_not_measured(tmp_path: Path) -> None:
    folder = _failing_run(tmp_path)
    report = write_reports(folder)
    assert report["measurement_uncertainty"] == {"measured": False, "timing": None}
    properties = {
        p.get("name"): p.get("value") for p in ET.fromstring((folder / "report.junit.xml").read_text()).iter("property")
    }
    assert properties["measurement_uncertainty"] == "not measured"
    assert not any(name.startswith("timing.") for name in properties)
    assert "Not measured" in (folder / "report.md").read_text(encoding="utf-8")
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert "未测量" in html and 'id="uncertainty-budget"' not in html


def test_timing_values_from_run_json_are_escaped_in_html(tmp_path: Path) -> None:
    folder = _failing_run(tmp_path, timing={**TIMING, "clock": "<script>alert(1)</script>"})
    html = render(build_report(folder), "html")
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize(
    ("measurement", "shown"),
    [
        (
            {
                **MEASUREMENT,
                "limit": [9.0, 11.0],
                "limit_kind": "range",
                "value": 8.2,
                "quantity": "rate",
                "unit": "Hz",
            },
            "rate 8.2 ± 0.9 Hz (limit [9, 11] Hz, fail, k = 2)",
        ),
        (
            {**MEASUREMENT, "limit": 0.0, "limit_kind": "min", "value": 0.4, "decision": "inconclusive"},
            "longest interval 0.4 ± 0.9 ms (limit ≥ 0 ms, inconclusive, k = 2)",
        ),
    ],
)
def test_measurement_text_reads_ranges_and_lower_limits(measurement: dict[str, Any], shown: str) -> None:
    from conformance.reports.model import measurement_text

    assert measurement_text(measurement) == shown
