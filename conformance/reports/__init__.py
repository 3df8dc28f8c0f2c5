"""Compliance reports: the canonical JSON report of a run and everything rendered from it.

* :func:`build_report` — run folder → JSON report (schema ``conformance/standards/data/schemas/report.schema.json``);
* :data:`FORMATS` — the report formats (``json``, ``html``, ``junit``, ``md``), each with the file it is written
  to and its renderer; :func:`render` — JSON report → one format's text;
* :func:`write_reports` — what ``v2xc run`` calls at the end: every format into the run folder;
* a laboratory's clause map (:func:`apply_clause_map`; references it confirms are shown verified, by whom);
* waivers (:func:`load_waivers`, :func:`apply_waivers`), tamper evidence (:func:`sign_bundle`,
  :func:`verify_bundle`), :func:`diff_reports` and the interoperability matrix (:func:`build_matrix`).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import UsageError
from .build import apply_clause_map, build_report, gate
from .diff import diff_reports
from .matrix import build_matrix, render_matrix_html, render_matrix_md
from .model import REPORT_JSON, load_report, validate_report
from .render_html import render_html
from .render_junit import render_junit
from .render_md import render_md
from .signing import generate_keys, sign_bundle, verify_bundle
from .waivers import apply_waivers, load_waivers


@dataclass(frozen=True)
class ReportFormat:
    """One report format: its name (``v2xc report render --format``), the file it is written to in a run folder,
    and the function that renders a JSON report as its text."""

    name: str
    file_name: str
    render: Callable[[dict[str, Any]], str]


def render_json(report: dict[str, Any]) -> str:
    """The JSON report itself, indented (``report.json``): strict JSON — a number that is not finite (which no
    parser in the toolkit lets in) is written as a string rather than as the bare ``NaN`` strict parsers reject."""
    return json.dumps(_finite(report), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _finite(value: Any) -> Any:
    """``value`` with every non-finite float replaced by its text."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(item) for item in value]
    return value


#: Every report format, by name, in the order they are written. A new format is a renderer module and one line here.
FORMATS: dict[str, ReportFormat] = {
    fmt.name: fmt
    for fmt in (
        ReportFormat("json", REPORT_JSON, render_json),
        ReportFormat("html", "report.html", render_html),
        ReportFormat("junit", "report.junit.xml", render_junit),
        ReportFormat("md", "report.md", render_md),
    )
}

__all__ = [
    "FORMATS",
    "ReportFormat",
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
    "write_formats",
    "write_reports",
]


def render(report: dict[str, Any], fmt: str) -> str:
    """Render a JSON report as the text of format ``fmt`` (a name of :data:`FORMATS`)."""
    if fmt not in FORMATS:
        raise UsageError(f"Unknown report format {fmt!r}.", hint=f"Use one of {', '.join(FORMATS)}.")
    return FORMATS[fmt].render(report)


def write_formats(report: dict[str, Any], folder: Path) -> list[Path]:
    """Write ``report`` in every format of :data:`FORMATS` into ``folder``; return the files written."""
    written = []
    for fmt in FORMATS.values():
        path = folder / fmt.file_name
        path.write_text(fmt.render(report), encoding="utf-8")
        written.append(path)
    return written


def write_reports(out_dir: Path, *, waivers: Path | None = None, today: date | None = None) -> dict[str, Any]:
    """Build the report of a run folder, apply ``waivers`` (a waivers file) if given, write every format.

    Returns the report; its ``gate["exit_code"]`` is the exit code a CI should see once waivers are honoured
    (``v2xc run --waivers`` can exit with it).
    """
    report = build_report(out_dir)
    if waivers is not None:
        apply_waivers(report, load_waivers(waivers), source=str(waivers), today=today)
    validate_report(report)
    write_formats(report, out_dir)
    return report
