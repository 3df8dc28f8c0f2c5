"""Markdown summary of a report, short enough for a pull-request comment (English, with the Chinese statement)."""

from __future__ import annotations

from typing import Any

from ..engine.console import literal
from .model import (
    NOT_MEASURED,
    NOT_PROVIDED,
    UNCERTAINTY_TITLE,
    clause_map_text,
    device_label,
    finding_text,
    reference_text,
    uncertainty_items,
)

ICON = {"pass": "✅ pass", "fail": "❌ fail", "inconc": "⚠️ inconc", "error": "💥 error", "none": "— none"}
CONFORMITY = {"conforms": "✅ CONFORMS", "does-not-conform": "❌ DOES NOT CONFORM", "no-statement": "⚠️ NO STATEMENT"}


def _cell(value: Any) -> str:
    text = "" if value is None else literal(value)  # control and bidirectional characters shown escaped
    return text.replace("|", "\\|").replace("\n", " ")


def _verdict(case: dict[str, Any]) -> str:
    waiver = case.get("waiver") or {}
    if waiver.get("applied"):
        return f"🟡 waived ({case['verdict']})"
    return ICON.get(case["verdict"], case["verdict"])


def render_md(report: dict[str, Any]) -> str:
    """Return the Markdown summary of a report."""
    summary, conformity = report["summary"], report["conformity"]
    verdicts = summary["verdicts"]
    lines = [
        f"## {report['title']['en']}",
        "",
        f"**Report** `{report['report_id']}` · **device** {_cell(device_label(report))} · **profile** "
        f"`{report['method']['profile']['id']}` · **edition** `{report['method']['edition']['id']}` · "
        f"**tool** {report['tool']['name']} {report['tool']['version']}"
        + (f" ({_cell(report['tool']['codec'])})" if report["tool"].get("codec") else ""),
        "",
        f"**{CONFORMITY[conformity['status']]}** — {conformity['statement']['en']}  ",
        f"{conformity['statement']['zh']}",
        "",
        "| pass | fail | inconc | error | not tested | not applicable | waived |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        f"| {verdicts['pass']} | {verdicts['fail']} | {verdicts['inconc']} | {verdicts['error']} | "
        f"{summary['coverage']['not-tested']} | {summary['coverage']['not-applicable']} | {summary['waived']} |",
        "",
        f"CI gate: exit code **{report['gate']['exit_code']}** ({report['gate']['reason']}).",
        "",
    ]
    problems = [c for c in report["campaign"] if c["verdict"] in ("fail", "inconc", "error")]
    if problems:
        lines += [
            "### Failed, inconclusive and error results",
            "",
            "| requirement | verdict | clause | finding |",
            "|---|---|---|---|",
        ]
        for case in problems:
            clause = "; ".join(reference_text(c) for c in case["clauses"])
            finding = finding_text(case, everything=True)
            lines.append(
                f"| `{case['requirement_id']}` {_cell(case['title']['en'])} | {_verdict(case)} | {_cell(clause)} | "
                f"{_cell(finding[:300])} |"
            )
        lines.append("")
        for case in problems:
            changes = [d for obs in case["observations"] for d in obs["diff"]]
            if changes:
                lines += [
                    f"<details><summary>{case['requirement_id']}: field-level differences</summary>",
                    "",
                    "| field | expected | observed |",
                    "|---|---|---|",
                ]
                lines += [
                    f"| `{_cell(d['path'])}` | `{_cell(d['expected'])}` | `{_cell(d['observed'])}` |"
                    for d in changes[:50]
                ]
                lines += ["", "</details>", ""]
    lines += [f"Clause map: {_cell(clause_map_text(report))}.", ""]
    lines += [f"### {UNCERTAINTY_TITLE['en']}", ""]
    budget = uncertainty_items(report)
    if budget:
        lines += [f"- **{_cell(key)}**: {_cell(value)}" for key, value in budget]
    else:
        lines.append(NOT_MEASURED["en"])
    lines.append("")
    waivers = report.get("waivers")
    if waivers and waivers["entries"]:
        lines += [
            "### Waivers",
            "",
            "| requirement | expected | state | expires | approver | justification |",
            "|---|---|---|---|---|---|",
        ]
        for entry in waivers["entries"]:
            lines.append(
                f"| `{entry['requirement']}` | {entry['expected']} | **{entry['state']}** {_cell(entry['note'])} | "
                f"{entry['expires']} | {_cell(entry['approver'])} | "
                f"[{_cell(entry['justification'])}]({_cell(entry['link'])}) |"
            )
        lines.append("")
    missing = [name for name, item in _lab_items(report) if not item["provided"]]
    if missing:
        lines += [f"Lab-supplied items {NOT_PROVIDED['en']}: {', '.join(missing)}.", ""]
    lines += [
        f"_{report['statement_item_only']['en']}_",
        "",
        f"— {report['end_of_report']['en']} {report['report_id']} —",
        "",
    ]
    return "\n".join(lines)


def _lab_items(report: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    items = [
        ("laboratory name", report["laboratory"]["name"]),
        ("laboratory address", report["laboratory"]["address"]),
        ("customer", report["customer"]["name"]),
        ("operator", report["operator"]["name"]),
        ("authoriser", report["authorisation"]["name"]),
    ]
    items += [
        (f"device {k.replace('_', ' ')}", report["item_tested"][k])
        for k in ("vendor", "model", "hardware", "firmware", "serial", "date_received")
    ]
    return items
