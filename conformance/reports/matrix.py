"""Interoperability matrix across devices: rows requirements, columns devices (one report each), cells verdicts."""

from __future__ import annotations

from typing import Any

from .model import device_label
from .render_html import render_template


def build_matrix(reports: list[dict[str, Any]]) -> dict[str, Any]:
    """Rows (requirements in first-seen order) × columns (devices) of verdicts; ``None`` where not in a report."""
    labels = [device_label(r) for r in reports]
    columns = []
    for report, label in zip(reports, labels, strict=True):
        name = label if labels.count(label) == 1 else f"{label} ({report['report_id']})"
        columns.append(
            {
                "device": name,
                "report_id": report["report_id"],
                "profile": report["method"]["profile"]["id"],
                "target": report["item_tested"]["target"],
                "firmware": report["item_tested"]["firmware"]["value"],
                "conformity": report["conformity"]["status"],
            }
        )
    order: list[str] = []
    titles: dict[str, dict[str, str]] = {}
    cells: dict[str, list[str | None]] = {}
    for index, report in enumerate(reports):
        for case in report["campaign"]:
            rid = case["requirement_id"]
            if rid not in cells:
                order.append(rid)
                titles[rid] = case["title"]
                cells[rid] = [None] * len(reports)
            waived = (case.get("waiver") or {}).get("applied")
            if case["status"] == "not-applicable":
                value = "n/a"
            elif case["verdict"] == "none":
                value = "not-tested"
            else:
                value = f"{case['verdict']} (waived)" if waived else case["verdict"]
            cells[rid][index] = value
    rows = [{"requirement_id": rid, "title": titles[rid], "cells": cells[rid]} for rid in order]
    return {"columns": columns, "rows": rows}


def render_matrix_md(matrix: dict[str, Any]) -> str:
    """The matrix as a Markdown table."""
    head = ["requirement", *(c["device"].replace("|", "\\|") for c in matrix["columns"])]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in matrix["rows"]:
        lines.append(f"| `{row['requirement_id']}` | " + " | ".join(c or "—" for c in row["cells"]) + " |")
    lines.append("")
    lines += [
        f"- {c['device']}: report `{c['report_id']}`, profile `{c['profile']}`, {c['conformity']}"
        for c in matrix["columns"]
    ]
    return "\n".join(lines) + "\n"


def render_matrix_html(matrix: dict[str, Any]) -> str:
    """The matrix as one self-contained bilingual HTML page."""
    return render_template("matrix.html.j2", m=matrix, page_id="interoperability matrix")
