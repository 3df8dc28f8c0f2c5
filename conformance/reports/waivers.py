"""Waivers (expectations): agreed, dated exceptions a CI pipeline must not fail on — until they expire.

A waivers file (YAML)::

    waivers:
      - requirement: CSAE53-2020/SPAT/TX/RATE   # requirement id (exact)
        expected: fail                          # the verdict agreed for now: fail, inconc or error
        justification: Firmware 2.1 sends SPAT at 1 Hz; fixed in 2.2
        approver: Li Wei (test lab)
        expires: 2026-12-31                     # last day the waiver holds (UTC)
        link: https://tracker.example/RSU-142   # ticket or agreement

A waiver *applies* to a result whose requirement and verdict match and whose expiry date is not past: the result is
shown as waived in every format and does not count for the exit code. It never changes the conformity statement.
An *expired* waiver is reported and its result counts again; an *unused* waiver (nothing matched — e.g. the
requirement now passes) is reported so that it can be removed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from ..catalogue.yamlsrc import check_structure, read_data_file
from ..errors import ConfigurationError, SourceLocation
from .build import gate

FIELDS = ("requirement", "expected", "justification", "approver", "expires", "link")
WAIVABLE = ("fail", "inconc", "error")


def _bad(path: Path, message: str, line: int = 0) -> ConfigurationError:
    return ConfigurationError(
        message,
        source=SourceLocation(str(path), line),
        hint="Each waiver needs requirement, expected (fail|inconc|error), justification, approver, "
        "expires (YYYY-MM-DD) and link; see docs/reports.md.",
    )


def load_waivers(path: Path) -> list[dict[str, Any]]:
    """Read and check a waivers file; every problem is one :class:`ConfigurationError` naming file and line."""
    if not path.is_file():
        raise ConfigurationError(
            f"No waivers file at {path}.", source=SourceLocation(str(path)), hint="Check the --waivers path."
        )
    text = read_data_file(path, "waivers file")  # a regular file, size-capped, UTF-8
    check_structure(text, str(path))  # no aliases, bounded nesting
    try:
        document = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise _bad(
            path, f"The waivers file is not valid YAML: {getattr(exc, 'problem', exc)}.", mark.line + 1 if mark else 0
        ) from None
    except ValueError as exc:  # YAML's timestamp constructor: an impossible date such as 2026-02-30
        raise _bad(path, f"The waivers file holds an impossible date ({exc}); write dates as YYYY-MM-DD.") from None
    if not isinstance(data, dict) or not isinstance(data.get("waivers"), list):
        raise _bad(path, "The waivers file must hold a top-level 'waivers:' list.")
    lines: list[int] = []
    if isinstance(document, yaml.MappingNode):
        for key, value in document.value:
            if key.value == "waivers" and isinstance(value, yaml.SequenceNode):
                lines = [item.start_mark.line + 1 for item in value.value]
    waivers = []
    for index, raw in enumerate(data["waivers"]):
        line = lines[index] if index < len(lines) else 0
        if not isinstance(raw, dict):
            raise _bad(path, f"Waiver #{index + 1} is not a mapping.", line)
        missing = [f for f in FIELDS if raw.get(f) in (None, "")]
        unknown = sorted(set(raw) - set(FIELDS))
        if missing:
            raise _bad(path, f"Waiver #{index + 1} ({raw.get('requirement', '?')}) lacks {', '.join(missing)}.", line)
        if unknown:
            raise _bad(path, f"Waiver #{index + 1} has unknown field(s) {', '.join(unknown)}.", line)
        if raw["expected"] not in WAIVABLE:
            raise _bad(
                path,
                f"Waiver #{index + 1} ({raw['requirement']}): expected verdict {raw['expected']!r} is not one of "
                f"{', '.join(WAIVABLE)} (only results that would fail a CI can be waived).",
                line,
            )
        expires = raw["expires"]
        if isinstance(expires, datetime):
            expires = expires.date()
        if not isinstance(expires, date):
            try:
                expires = date.fromisoformat(str(expires))
            except ValueError:
                raise _bad(
                    path, f"Waiver #{index + 1} ({raw['requirement']}): expires {expires!r} is not YYYY-MM-DD.", line
                ) from None
        waivers.append({**{f: str(raw[f]) for f in FIELDS}, "expires": expires.isoformat(), "line": line})
    return waivers


def apply_waivers(
    report: dict[str, Any], waivers: list[dict[str, Any]], *, source: str = "", today: date | None = None
) -> dict[str, Any]:
    """Mark waived results in ``report`` (in place, and returned), record every waiver's state, recompute the gate.

    States: ``applied`` (matched and in force), ``expired`` (matched but past its expiry date; the result counts),
    ``unused`` (no result of that requirement has the expected verdict).
    """
    today = today or datetime.now(UTC).date()
    by_id = {c["requirement_id"]: c for c in report["campaign"]}
    for case in report["campaign"]:
        case["waiver"] = None
    entries = []
    for waiver in waivers:
        case = by_id.get(waiver["requirement"])
        expired = date.fromisoformat(waiver["expires"]) < today
        if case is None:
            state, note = "unused", "the requirement is not in this report"
        elif case["verdict"] != waiver["expected"] or case["status"] != "selected":
            state, note = "unused", f"the result is {case['verdict']}, not {waiver['expected']}"
        elif expired:
            state, note = "expired", f"expired on {waiver['expires']}; the result counts again"
        else:
            state, note = "applied", ""
        entry = {k: waiver[k] for k in FIELDS} | {"state": state, "note": note}
        entries.append(entry)
        if case is not None and state in ("applied", "expired"):
            case["waiver"] = {k: waiver[k] for k in FIELDS} | {"applied": state == "applied", "state": state}
    report["waivers"] = {"source": source, "evaluated_on": today.isoformat(), "entries": entries}
    report["summary"]["waived"] = sum(1 for e in entries if e["state"] == "applied")
    report["gate"] = gate(report)
    return report
