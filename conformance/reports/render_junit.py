"""JUnit XML for CI: one ``<testcase>`` per requirement of the campaign.

pass → passed testcase; fail / inconc → ``<failure>`` (type ``fail`` / ``inconclusive``) with the observations and
the clause; error → ``<error>``; not applicable, not tested, deselected and waived results → ``<skipped>`` with the
reason (a waived result says so, with its justification, approver and expiry). Report id, profile, device and the
conformity statement are suite ``<properties>``, and so is the run's measurement uncertainty budget and decision
rule (``timing.*``; ``measurement_uncertainty`` = ``not measured`` when the run recorded none). Failure messages
lead with the observation that decided the verdict.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from typing import Any

from ..engine.console import escape_chars
from .model import (
    clause_map_text,
    device_label,
    finding_text,
    findings_first,
    measurement_text,
    reference_text,
    uncertainty_items,
)


def _clauses(case: dict[str, Any]) -> str:
    return "; ".join(reference_text(c) for c in case["clauses"])


def _details(case: dict[str, Any]) -> str:
    lines = [f"Requirement: {case['requirement_id']} — {case['title']['en']}", f"Clause: {_clauses(case)}"]
    for obs in findings_first(case):
        lines.append(f"[{obs['verdict']}] {obs['check']}: {obs['message']}")
        if obs.get("measurement"):
            lines.append(f"  measured: {measurement_text(obs['measurement'])}")
        if obs["field_path"]:
            lines.append(f"  field: {obs['field_path']}")
        for change in obs["diff"][:20]:
            lines.append(f"  {change['path']}: expected {change['expected']!r}, observed {change['observed']!r}")
        if obs["evidence"]:
            lines.append(f"  evidence frames: {', '.join(str(s) for s in obs['evidence'][:20])}")
    return "\n".join(lines)


def render_junit(report: dict[str, Any]) -> str:
    """Return the JUnit XML document (UTF-8 text with an XML declaration) of a report."""
    cases = report["campaign"]
    suite = ET.Element(
        "testsuite",
        name=f"{report['method']['profile']['id']} on {device_label(report)}",
        tests=str(len(cases)),
        failures=str(sum(1 for c in cases if c["verdict"] in ("fail", "inconc") and not _waived(c))),
        errors=str(sum(1 for c in cases if c["verdict"] == "error" and not _waived(c))),
        skipped=str(sum(1 for c in cases if c["verdict"] not in ("pass", "fail", "inconc", "error") or _waived(c))),
        timestamp=report["dates"]["testing_started"] or report["issued"],
        time=f"{sum(c.get('duration_s') or 0.0 for c in cases):.3f}",
        id=report["report_id"],
    )
    properties = ET.SubElement(suite, "properties")
    for name, value in (
        ("report_id", report["report_id"]),
        ("profile", report["method"]["profile"]["id"]),
        ("edition", report["method"]["edition"]["id"]),
        ("device", device_label(report)),
        ("target", report["item_tested"]["target"]),
        ("conformity", report["conformity"]["status"]),
        ("conformity_statement", report["conformity"]["statement"]["en"]),
        ("gate_exit_code", str(report["gate"]["exit_code"])),
        ("clause_map", clause_map_text(report)),
    ):
        ET.SubElement(properties, "property", name=name, value=value)
    # Measurement uncertainty and decision rule (ISO/IEC 17025 §7.8.6), one property per recorded item
    budget = uncertainty_items(report)
    ET.SubElement(
        properties, "property", name="measurement_uncertainty", value="measured" if budget else "not measured"
    )
    for key, value in budget:
        ET.SubElement(properties, "property", name=f"timing.{key}", value=value)
    for case in cases:
        group, _, leaf = case["requirement_id"].rpartition("/")
        element = ET.SubElement(
            suite,
            "testcase",
            classname=group.replace("/", ".") or case["requirement_id"],
            name=f"{leaf} — {case['title']['en']}",
            time=f"{case.get('duration_s') or 0.0:.3f}",
        )
        verdict = case["verdict"]
        waiver = case["waiver"] if _waived(case) else None
        first = finding_text(case)
        if waiver is not None:
            ET.SubElement(
                element,
                "skipped",
                message=f"waived ({verdict}, expected {waiver['expected']}) until {waiver['expires']}: "
                f"{waiver['justification']} — approved by {waiver['approver']}, {waiver['link']}",
            ).text = _details(case)
        elif verdict in ("fail", "inconc"):
            failure = ET.SubElement(
                element,
                "failure",
                message=f"{first} [{_clauses(case)}]",
                type="fail" if verdict == "fail" else "inconclusive",
            )
            failure.text = _details(case)
        elif verdict == "error":
            ET.SubElement(element, "error", message=first, type="harness-error").text = _details(case)
        elif verdict != "pass":
            ET.SubElement(element, "skipped", message=f"{case['status']}: {case['reason']}")
        if case["reason"] and verdict == "pass":
            ET.SubElement(element, "system-out").text = case["reason"]
    root = ET.Element("testsuites", name=report["title"]["en"])
    root.append(suite)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + xml_safe(ET.tostring(root, encoding="unicode")) + "\n"


#: Characters XML 1.0 does not allow at all (a device's text may hold them): shown escaped, so the file stays valid.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def xml_safe(text: str) -> str:
    """``text`` with every character that XML 1.0 forbids replaced by its escape (``\\x07``)."""
    return escape_chars(_NOT_XML, text)


def _waived(case: dict[str, Any]) -> bool:
    return bool((case.get("waiver") or {}).get("applied"))
