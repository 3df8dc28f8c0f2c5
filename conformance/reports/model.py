"""The canonical JSON report: format identity, fixed bilingual texts, loading and schema validation.

The JSON report (``report.json``) is the one record every other format is rendered from. Its shape is defined by the
bundled JSON Schema ``conformance/standards/data/schemas/report.schema.json``; :func:`load_report` refuses a file
that is not JSON, not a v2xc report, of another format version, or not valid against the schema — with one paragraph
saying what and where, never a traceback."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from ..errors import ConfigurationError, SourceLocation
from ..standards import SCHEMA_DIR

REPORT_FORMAT = "v2xc-report"
REPORT_FORMAT_VERSION = 1
SCHEMA_FILE = SCHEMA_DIR / "report.schema.json"

#: The JSON report's file name in a run folder (every format's file: ``conformance.reports.FORMATS``).
REPORT_JSON = "report.json"

#: Verdicts that count as "the requirement was exercised" (tested).
EXECUTED = ("pass", "fail", "inconc", "error")
#: Verdicts that are a failure for the CI gate unless waived.
GATING = ("fail", "inconc", "error")

NOT_PROVIDED = {"zh": "未提供", "en": "not provided"}

DECISION_RULE = {
    "en": (
        "Simple acceptance (no guard band): the device under test conforms to the profile when every requirement "
        "the profile makes applicable to it (selected by its PICS) was executed and passed. One failed requirement "
        "means it does not conform. When nothing failed but an applicable requirement was not tested, deselected, "
        "inconclusive or ended in a harness error, no conformity statement is made. Waivers change only the exit "
        "code a CI pipeline sees; they never turn a failed requirement into a conforming one and are listed in the "
        "report."
    ),
    "zh": (
        "简单接受规则（无保护带）：当配置文件对被测设备适用（由其PICS选中）的每一项要求均已执行且通过时，判定被测设备"
        "符合该配置文件。任一项要求不通过即判定不符合。若无不通过项，但有适用要求未测试、被排除、结果不确定或因测试系统"
        "错误而终止，则不作符合性声明。豁免仅影响持续集成所见的退出码，不会把不通过的要求视为符合，并在报告中列出。"
    ),
}

ITEM_ONLY = {
    "en": (
        "The results relate only to the item tested, as identified in this report, in the configuration and at the "
        "time of testing stated. This report shall not be reproduced except in full without the approval of the "
        "laboratory."
    ),
    "zh": "本报告结果仅对所标识的被测样品在所述配置和测试时间下有效。未经实验室批准，不得部分复制本报告。",
}

SAMPLING = {
    "en": "Not applicable: the laboratory did not sample; one item was tested as submitted.",
    "zh": "不适用：实验室未进行抽样，仅对送检的一台样品进行测试。",
}

EXTERNAL = {
    "en": "No result in this report was provided by an external provider.",
    "zh": "本报告中无外部供方提供的结果。",
}

END_OF_REPORT = {"en": "End of report", "zh": "报告结束"}


def _bad(path: Path, message: str, hint: str, line: int = 0, column: int = 0) -> ConfigurationError:
    return ConfigurationError(message, source=SourceLocation(str(path), line, column), hint=hint)


@cache
def report_schema() -> dict[str, Any]:
    """Return the bundled JSON Schema of the report (parsed once)."""
    schema: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return schema


def validate_report(report: dict[str, Any], path: Path | None = None) -> None:
    """Raise :class:`ConfigurationError` naming the first schema violation (JSON path and reason)."""
    validator = jsonschema.Draft202012Validator(report_schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ConfigurationError(
            f"The report does not match the v2xc report schema at {where}: {first.message}"
            + (f" ({len(errors) - 1} more problem(s))" if len(errors) > 1 else ""),
            source=SourceLocation(str(path)) if path else None,
            hint="Was report.json edited by hand? Re-create it with `v2xc report render RUN_DIR --format json`.",
        )


def load_report(path: Path) -> dict[str, Any]:
    """Read and check a ``report.json`` (a run folder is accepted too and means its ``report.json``)."""
    if path.is_dir():
        path = path / REPORT_JSON
    if not path.is_file():
        raise _bad(
            path,
            f"No report at {path}.",
            "Give a report.json written by `v2xc run`, or a run folder that holds one.",
        )
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except RecursionError:
        raise _bad(path, f"{path} is nested too deeply to be a v2xc report.", "Give a report.json.") from None
    except UnicodeDecodeError:
        raise _bad(path, f"{path} is not a UTF-8 text file, so not a v2xc report.", "Give a report.json.") from None
    except json.JSONDecodeError as exc:
        raise _bad(
            path,
            f"{path} is not valid JSON: {exc.msg}.",
            "The file is damaged or was edited by hand; re-create it from its run folder.",
            exc.lineno,
            exc.colno,
        ) from None
    if not isinstance(report, dict) or report.get("format") != REPORT_FORMAT:
        raise _bad(
            path,
            f'{path} is JSON but not a v2xc report (no "format": "{REPORT_FORMAT}").',
            "Give the report.json of a run folder.",
        )
    version = report.get("format_version")
    if version != REPORT_FORMAT_VERSION:
        raise _bad(
            path,
            f"{path} is a v2xc report of format version {version!r}; this toolkit reads version "
            f"{REPORT_FORMAT_VERSION}.",
            "Render it with the toolkit version that wrote it, or re-create it from its run folder with this one.",
        )
    validate_report(report, path)
    return report


def findings_first(case: dict[str, Any]) -> list[dict[str, Any]]:
    """The case's observations with those that decided its verdict first, then the rest in check order.

    For a failed case the failing observations lead, for an inconclusive one the inconclusive ones, for an error the
    errors; any other fail/inconc/error observation comes next, passing ones last. A failure message built from the
    first of this list therefore says what failed, never a passing check's text.
    """
    verdict = case.get("verdict")

    def rank(obs: dict[str, Any]) -> int:
        if obs.get("verdict") == verdict:
            return 0
        return 1 if obs.get("verdict") in GATING else 2

    return sorted(case.get("observations") or [], key=rank)


def _observation_line(obs: dict[str, Any]) -> str:
    shown = measurement_text(obs.get("measurement"))
    return f"{obs['message']} [measured: {shown}]" if shown else str(obs["message"])


def finding_text(case: dict[str, Any], *, everything: bool = False) -> str:
    """One line saying why a case ended as it did, else the case's reason.

    By default the observations that decided the verdict (the failing ones of a failed case, and so on; the first
    observation when none matches), each with its measurement when it has one; with ``everything`` all observations,
    deciding ones first.
    """
    ordered = findings_first(case)
    if not ordered:
        return str(case.get("reason") or "")
    if not everything:
        deciding = [o for o in ordered if o.get("verdict") == case.get("verdict")]
        ordered = deciding or ordered[:1]
    return "; ".join(_observation_line(o) for o in ordered)


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:.6g}"


def measurement_text(measurement: dict[str, Any] | None) -> str:
    """A measured value as "quantity value ± U unit (limit L, decision)", or "" when there is none.

    ``limit_kind`` says how to read the limit: ``max`` (≤ L), ``min`` (≥ L) or ``range`` ([a, b]); the uncertainty is
    the expanded uncertainty with its coverage factor k.
    """
    if not measurement:
        return ""
    unit = str(measurement.get("unit") or "")
    suffix = f" {unit}" if unit else ""
    value = f"{_number(measurement.get('value'))}"
    uncertainty = measurement.get("uncertainty")
    if uncertainty is not None:
        value += f" ± {_number(uncertainty)}"
    limit = measurement.get("limit")
    kind = measurement.get("limit_kind")
    if isinstance(limit, dict) and {"min", "max"} <= set(limit):
        limit = [limit["min"], limit["max"]]
    if isinstance(limit, list | tuple) and len(limit) == 2:
        limit_text = f"[{_number(limit[0])}, {_number(limit[1])}]{suffix}"
    elif kind == "max":
        limit_text = f"≤ {_number(limit)}{suffix}"
    elif kind == "min":
        limit_text = f"≥ {_number(limit)}{suffix}"
    else:
        limit_text = f"{_number(limit)}{suffix}"
    quantity = str(measurement.get("quantity") or "")
    k = measurement.get("coverage_factor")
    k_text = f", k = {_number(k)}" if k is not None and uncertainty is not None else ""
    decision = measurement.get("decision") or "?"
    return f"{quantity + ' ' if quantity else ''}{value}{suffix} (limit {limit_text}, {decision}{k_text})"


def reference_status(ref: dict[str, Any]) -> str:
    """Whether a clause reference is verified, and by whom: the catalogue, a laboratory's clause map, or nobody."""
    lab = ""
    if ref.get("verified_by"):
        confirmed = f": {ref['confirmed_clause']}" if ref.get("confirmed_clause") else ""
        lab = f"by {ref['verified_by']} on {ref.get('verified_on') or '?'} (laboratory clause map{confirmed})"
    if ref.get("verified_source") == "clause-map":
        return f"verified {lab}"
    if ref.get("verified"):
        return "verified (catalogue)" + (f", confirmed {lab}" if lab else "")
    return "clause not verified"


def reference_text(ref: dict[str, Any]) -> str:
    """A clause reference as one line: document, clause and its verification status."""
    return f"{ref['document']} {ref['clause']} [{reference_status(ref)}]"


def clause_map_text(report: dict[str, Any]) -> str:
    """One line on the laboratory clause map applied to the report, or that none was."""
    used = report.get("clause_map")
    if not used:
        return "none: clause verification as in the bundled catalogue"
    lab = f" of {used['laboratory']}" if used.get("laboratory") else ""
    people = ", ".join(used.get("verified_by") or []) or "?"
    return (
        f"{used['source']}{lab} (sha256 {used['sha256'][:16]}…): {used['references']} reference(s) verified by {people}"
    )


UNCERTAINTY_TITLE = {"en": "Measurement uncertainty and decision rule", "zh": "测量不确定度与判定规则"}
NOT_MEASURED = {
    "en": "Not measured: this run recorded no timing uncertainty budget.",
    "zh": "未测量：本次测试未记录计时不确定度预算。",
}


def flatten(value: Any, prefix: str = "") -> list[tuple[str, str]]:
    """Nested mappings as ``(dotted.key, text)`` pairs in their order, for generic "key: value" display."""
    if isinstance(value, dict):
        pairs: list[tuple[str, str]] = []
        for key, item in value.items():
            pairs += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return pairs
    if isinstance(value, list):
        text = ", ".join(json.dumps(v, ensure_ascii=False) if isinstance(v, dict | list) else str(v) for v in value)
        return [(prefix, text)]
    return [(prefix, "" if value is None else str(value))]


def uncertainty_items(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The run's timing uncertainty budget and decision rule as "key: value" pairs; empty when not measured."""
    section = report.get("measurement_uncertainty") or {}
    if not section.get("measured"):
        return []
    return flatten(section.get("timing") or {})


def device_label(report: dict[str, Any]) -> str:
    """A short name for the device under test: vendor and model where known, else the target."""
    item = report["item_tested"]
    parts = [item[key]["value"] for key in ("vendor", "model") if item[key]["value"]]
    return " ".join(str(p) for p in parts) or str(item["target"])
