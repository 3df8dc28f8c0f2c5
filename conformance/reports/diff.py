"""Compare two reports of the same device/profile: what a CI gate needs to know about a new run.

Categories (by requirement id; the *result* of a requirement is its verdict, or ``none`` when not run):

* ``new_failures`` — now fail or error, before anything else (pass, inconc, none or absent);
* ``fixed`` — before fail, inconc or error, now pass;
* ``newly_tested`` — before not tested (none or absent), now executed (pass, fail, inconc or error);
* ``no_longer_tested`` — before executed, now not tested (none) — coverage lost;
* ``removed`` / ``added`` — requirement only in the old / only in the new report;
* ``verdict_changes`` — every requirement whose verdict differs (a superset of the above, for the record).

Regressions — what ``v2xc report diff`` exits 1 on — are new failures plus pass → inconc, *excluding* results
waived in the new report. Coverage changes and removals are listed but never fail the gate.
"""

from __future__ import annotations

from typing import Any

from ..errors import ExitCode

EXECUTED = ("pass", "fail", "inconc", "error")


def _results(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["requirement_id"]: c for c in report["campaign"]}


def _row(rid: str, old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    source = new or old or {}
    return {
        "requirement_id": rid,
        "title": source.get("title", {}).get("en", ""),
        "old": old["verdict"] if old else None,
        "new": new["verdict"] if new else None,
        "waived": bool(((new or {}).get("waiver") or {}).get("applied")),
        "message": (new or {}).get("observations", [{}])[0].get("message", "")
        if (new or {}).get("observations")
        else "",
    }


def diff_reports(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Return the categorised differences between two reports and the gate exit code (0, or 1 on regressions)."""
    before, after = _results(old), _results(new)
    ids = list(before) + [rid for rid in after if rid not in before]
    out: dict[str, list[dict[str, Any]]] = {
        k: []
        for k in ("new_failures", "fixed", "newly_tested", "no_longer_tested", "removed", "added", "verdict_changes")
    }
    regressions: list[dict[str, Any]] = []
    for rid in ids:
        o, n = before.get(rid), after.get(rid)
        row = _row(rid, o, n)
        ov, nv = row["old"], row["new"]
        if n is None:
            out["removed"].append(row)
        if o is None:
            out["added"].append(row)
        if n is not None and nv in ("fail", "error") and ov not in ("fail", "error"):
            out["new_failures"].append(row)
            if not row["waived"]:
                regressions.append(row)
        elif n is not None and ov == "pass" and nv == "inconc" and not row["waived"]:
            regressions.append(row)
        if o is not None and ov in ("fail", "inconc", "error") and nv == "pass":
            out["fixed"].append(row)
        if n is not None and nv in EXECUTED and ov not in EXECUTED:
            out["newly_tested"].append(row)
        if o is not None and ov in EXECUTED and nv not in EXECUTED and n is not None:
            out["no_longer_tested"].append(row)
        if o is not None and n is not None and ov != nv:
            out["verdict_changes"].append(row)
    return {
        "old": {"report_id": old["report_id"], "target": old["item_tested"]["target"]},
        "new": {"report_id": new["report_id"], "target": new["item_tested"]["target"]},
        **out,
        "regressions": regressions,
        "exit_code": int(ExitCode.FAILED if regressions else ExitCode.OK),
    }


TITLES = {
    "new_failures": "New failures",
    "fixed": "Fixed",
    "newly_tested": "Newly tested",
    "no_longer_tested": "No longer tested",
    "removed": "Removed requirements",
    "added": "Added requirements",
    "verdict_changes": "All verdict changes",
}


def render_diff_text(result: dict[str, Any], *, markdown: bool = False) -> str:
    """Plain text (or Markdown) listing of a diff, regressions first."""
    lines = [
        ("## " if markdown else "") + f"Report diff {result['old']['report_id']} → {result['new']['report_id']}",
        "",
    ]
    for key, title in TITLES.items():
        rows = result[key]
        lines.append(("### " if markdown else "") + f"{title}: {len(rows)}")
        for row in rows:
            waived = " (waived)" if row["waived"] else ""
            text = f"{row['requirement_id']}: {row['old'] or 'absent'} → {row['new'] or 'absent'}{waived}"
            lines.append(f"- `{text}`" if markdown else f"  {text}")
        lines.append("")
    verdict = (
        f"REGRESSION: {len(result['regressions'])} requirement(s) got worse (exit 1)"
        if result["regressions"]
        else "no regression (exit 0)"
    )
    lines.append(("**" + verdict + "**") if markdown else verdict)
    return "\n".join(lines) + "\n"
