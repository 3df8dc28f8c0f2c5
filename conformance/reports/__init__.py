"""Compliance reports: the canonical JSON report of a run and everything rendered from it.

* :func:`build_report` — run folder → JSON report (schema ``conformance/standards/data/schemas/report.schema.json``);
* :func:`render` — JSON report → ``json`` | ``html`` | ``junit`` | ``md`` text;
* :func:`write_reports` — what ``v2xc run`` calls at the end: all four files into the run folder;
* a laboratory's clause map (:func:`apply_clause_map`; references it confirms are shown verified, by whom);
* waivers (:func:`load_waivers`, :func:`apply_waivers`), tamper evidence (:func:`sign_bundle`,
  :func:`verify_bundle`), :func:`diff_reports` and the interoperability matrix (:func:`build_matrix`).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .build import apply_clause_map, build_report, gate
from .diff import diff_reports
from .matrix import build_matrix, render_matrix_html, render_matrix_md
from .model import (
    REPORT_HTML,
    REPORT_JSON,
    REPORT_JUNIT,
    REPORT_MD,
    load_report,
    validate_report,
)
from .render_html import render_html
from .render_junit import render_junit
from .render_md import render_md
from .signing import VerificationError, generate_keys, sign_bundle, verify_bundle
from .waivers import apply_waivers, load_waivers

FORMATS = ("json", "html", "junit", "md")
FILE_NAMES = {"json": REPORT_JSON, "html": REPORT_HTML, "junit": REPORT_JUNIT, "md": REPORT_MD}

__all__ = [
    "FILE_NAMES",
    "FORMATS",
    "VerificationError",
    "apply_clause_map",
    "apply_waivers",
    "build_matrix",
    "build_report",
    "diff_reports",
    "gate",
    "generate_keys",
    "load_report",
    "load_waivers",
    "render",
    "render_matrix_html",
    "render_matrix_md",
    "sign_bundle",
    "validate_report",
    "verify_bundle",
    "write_reports",
]


def render(report: dict[str, Any], fmt: str) -> str:
    """Render a JSON report as ``json``, ``html``, ``junit`` or ``md`` text."""
    if fmt == "json":
        return json.dumps(report, indent=2, ensure_ascii=False) + "\n"
    if fmt == "html":
        return render_html(report)
    if fmt == "junit":
        return render_junit(report)
    if fmt == "md":
        return render_md(report)
    raise UsageError(f"Unknown report format {fmt!r}.", hint=f"Use one of {', '.join(FORMATS)}.")


def write_reports(out_dir: Path, *, waivers: Path | None = None, today: date | None = None) -> dict[str, Any]:
    """Build the report of a run folder, apply ``waivers`` (a waivers file) if given, write all four formats.

    Returns the report; its ``gate["exit_code"]`` is the exit code a CI should see once waivers are honoured
    (``v2xc run --waivers`` can exit with it).
    """
    report = build_report(out_dir)
    if waivers is not None:
        apply_waivers(report, load_waivers(waivers), source=str(waivers), today=today)
    validate_report(report)
    for fmt in FORMATS:
        (out_dir / FILE_NAMES[fmt]).write_text(render(report, fmt), encoding="utf-8")
    return report
