"""Self-contained bilingual (zh/en) HTML report, rendered from the JSON report alone.

One file: inline CSS, a few lines of inline JavaScript for the language switch and inline SVG plots; no fonts,
scripts, images or styles are fetched. The language starts from ``#zh`` / ``#en`` in the address (else English)
and is switched by the buttons in the header. Printing repeats the report id on every page (fixed header and
``@page`` margin box) and ends with an explicit end-of-report line.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

import jinja2
import markupsafe

from ..engine.console import literal
from .model import (
    NOT_MEASURED,
    NOT_PROVIDED,
    UNCERTAINTY_TITLE,
    device_label,
    finding_text,
    findings_first,
    measurement_text,
    uncertainty_items,
)

LABELS: dict[str, dict[str, str]] = {
    "report_id": {"en": "Report id", "zh": "报告编号"},
    "issued": {"en": "Date of issue", "zh": "签发日期"},
    "summary": {"en": "Summary", "zh": "摘要"},
    "conformity": {"en": "Conformity statement", "zh": "符合性声明"},
    "decision_rule": {"en": "Decision rule", "zh": "判定规则"},
    "uncertainty": UNCERTAINTY_TITLE,
    "not_measured": NOT_MEASURED,
    "measured": {"en": "Measured", "zh": "测量结果"},
    "lab": {"en": "Laboratory, customer and item tested", "zh": "实验室、委托方和被测样品"},
    "lab_name": {"en": "Laboratory", "zh": "实验室名称"},
    "lab_address": {"en": "Laboratory address", "zh": "实验室地址"},
    "test_location": {"en": "Place of testing", "zh": "测试地点"},
    "customer": {"en": "Customer", "zh": "委托方"},
    "operator": {"en": "Operator", "zh": "测试人员"},
    "authoriser": {"en": "Authorised by", "zh": "批准人"},
    "vendor": {"en": "Vendor", "zh": "厂商"},
    "model": {"en": "Model", "zh": "型号"},
    "hardware": {"en": "Hardware version", "zh": "硬件版本"},
    "firmware": {"en": "Firmware version", "zh": "软件/固件版本"},
    "serial": {"en": "Serial number", "zh": "序列号"},
    "device_id": {"en": "Device id in messages", "zh": "消息中的设备标识"},
    "date_received": {"en": "Date received", "zh": "收样日期"},
    "condition": {"en": "Condition of the item", "zh": "样品状态"},
    "role": {"en": "Role", "zh": "设备角色"},
    "target": {"en": "Test interface", "zh": "测试接口"},
    "method": {"en": "Method and test environment", "zh": "测试方法与测试环境"},
    "profile": {"en": "Profile", "zh": "测试配置"},
    "edition": {"en": "Message edition", "zh": "消息版本"},
    "standards": {"en": "Standards cited", "zh": "引用标准"},
    "tool": {"en": "Test tool", "zh": "测试工具"},
    "catalogue": {"en": "Requirement catalogue digest", "zh": "要求目录摘要值"},
    "parameters": {"en": "Parameters", "zh": "参数"},
    "testing": {"en": "Dates of testing", "zh": "测试日期"},
    "sampling": {"en": "Sampling", "zh": "抽样"},
    "external": {"en": "External providers", "zh": "外部供方"},
    "pics": {"en": "Capability statement (PICS) review", "zh": "能力声明（PICS）静态审查"},
    "pics_ok": {"en": "consistent with the profile", "zh": "与测试配置一致"},
    "pics_bad": {"en": "inconsistent with the profile", "zh": "与测试配置不一致"},
    "coverage_fw": {"en": "Coverage by framework node", "zh": "按标准体系节点的覆盖"},
    "coverage_clause": {"en": "Coverage by clause", "zh": "按条款的覆盖"},
    "campaign": {"en": "Test campaign", "zh": "测试项目"},
    "requirement": {"en": "Requirement", "zh": "要求"},
    "node": {"en": "Framework node", "zh": "标准体系节点"},
    "clause": {"en": "Clause", "zh": "条款"},
    "selected": {"en": "Selected?", "zh": "是否选中"},
    "run": {"en": "Run?", "zh": "是否执行"},
    "verdict": {"en": "Verdict", "zh": "判定"},
    "observation": {"en": "Observation", "zh": "观测结果"},
    "details": {"en": "Details of failed, inconclusive and error results", "zh": "不通过、不确定和错误结果详情"},
    "all_details": {"en": "Details of passed results", "zh": "通过结果详情"},
    "purpose": {"en": "Test purpose", "zh": "测试目的"},
    "field": {"en": "Field", "zh": "字段"},
    "expected": {"en": "Expected", "zh": "期望值"},
    "observed": {"en": "Observed", "zh": "观测值"},
    "diff": {"en": "Field-level differences", "zh": "字段级差异"},
    "decoded": {"en": "Decoded message", "zh": "解码后的消息"},
    "lenient": {
        "en": "Read without constraint checks (for context only; the strict error above is the finding):",
        "zh": "不检查约束时的读取结果（仅供参考；以上严格解码错误为判定依据）：",
    },
    "intervals": {"en": "Message intervals", "zh": "消息间隔"},
    "evidence": {"en": "Evidence frames", "zh": "证据帧"},
    "waivers": {"en": "Waivers", "zh": "豁免"},
    "waived": {"en": "waived", "zh": "已豁免"},
    "deviations": {"en": "Deviations, limits and reservations", "zh": "偏离、限制与保留"},
    "none_found": {"en": "None.", "zh": "无。"},
    "gate": {"en": "CI exit code", "zh": "持续集成退出码"},
    "tested": {"en": "tested", "zh": "已测试"},
    "not_tested": {"en": "not tested", "zh": "未测试"},
    "not_applicable": {"en": "not applicable", "zh": "不适用"},
    "unverified": {"en": "clause not verified", "zh": "条款未核实"},
    "verified_catalogue": {"en": "verified (catalogue)", "zh": "已核实（要求目录）"},
    "verified_lab": {"en": "verified by the laboratory's clause map", "zh": "已由实验室条款对照表核实"},
    "clause_map": {"en": "Clause map", "zh": "条款对照表"},
    "clause_map_none": {
        "en": "none: clause verification as in the bundled catalogue",
        "zh": "无：条款核实状态以内置要求目录为准",
    },
    "verified_refs": {"en": "references verified by", "zh": "项引用，核实人"},
    "node_unverified": {"en": "node not verified", "zh": "节点未核实"},
    "yes": {"en": "yes", "zh": "是"},
    "no": {"en": "no", "zh": "否"},
    "requirements": {"en": "Requirements", "zh": "要求数"},
    "approver": {"en": "Approver", "zh": "批准人"},
    "expires": {"en": "Expires", "zh": "有效期至"},
    "state": {"en": "State", "zh": "状态"},
    "justification": {"en": "Justification", "zh": "理由"},
    "page": {"en": "page", "zh": "页"},
    "signature": {
        "en": "Tamper evidence: verify the signed manifest of the run folder with `v2xc report verify`.",
        "zh": "防篡改：用 `v2xc report verify` 验证运行目录的签名清单。",
    },
}

VERDICT_TEXT = {
    "pass": {"en": "pass", "zh": "通过"},
    "fail": {"en": "fail", "zh": "不通过"},
    "inconc": {"en": "inconclusive", "zh": "不确定"},
    "none": {"en": "none", "zh": "无"},
    "error": {"en": "error", "zh": "错误"},
}
STATUS_TEXT = {
    "selected": {"en": "selected", "zh": "选中"},
    "not-tested": {"en": "not tested (no check)", "zh": "未测试（无检查）"},
    "not-applicable": {"en": "not applicable", "zh": "不适用"},
    "deselected": {"en": "deselected", "zh": "被排除"},
}
CONFORMITY_TEXT = {
    "conforms": {"en": "CONFORMS", "zh": "符合"},
    "does-not-conform": {"en": "DOES NOT CONFORM", "zh": "不符合"},
    "no-statement": {"en": "NO CONFORMITY STATEMENT", "zh": "不作符合性声明"},
}


def interval_svg(series: dict[str, Any], expected: Any, width: int = 560, height: int = 160) -> str:
    """An inline SVG plot of the message intervals of a rate check, with the limit (or rate band) drawn in."""
    values = [float(v) for v in series.get("intervals_ms") or []]
    if not values:
        return ""
    text = str(expected or "")
    limit = re.search(r"<=\s*([\d.]+)\s*ms", text)
    band = re.search(r"\(([\d.]+)\.\.([\d.]+)\s*Hz\)", text)
    lines: list[tuple[float, str]] = []
    if limit:
        lines.append((float(limit.group(1)), f"≤ {limit.group(1)} ms"))
    if band and float(band.group(1)) > 0 and float(band.group(2)) > 0:
        lines.append((1000.0 / float(band.group(1)), f"1/{band.group(1)} Hz"))
        lines.append((1000.0 / float(band.group(2)), f"1/{band.group(2)} Hz"))
    top = max([*values, *(v for v, _ in lines)]) * 1.15 or 1.0
    left, right, upper, lower = 48, 8, 10, 22
    plot_w, plot_h = width - left - right, height - upper - lower
    step = plot_w / max(len(values) - 1, 1)

    def y(value: float) -> float:
        return upper + plot_h - value / top * plot_h

    points = " ".join(f"{left + i * step:.1f},{y(v):.1f}" for i, v in enumerate(values))
    parts = [
        f'<svg class="plot" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="message intervals in ms">',
        f'<line x1="{left}" y1="{upper + plot_h}" x2="{width - right}" y2="{upper + plot_h}" class="axis"/>',
        f'<line x1="{left}" y1="{upper}" x2="{left}" y2="{upper + plot_h}" class="axis"/>',
        f'<text x="{left - 4}" y="{upper + 8}" class="tick" text-anchor="end">{top:.0f}</text>',
        f'<text x="{left - 4}" y="{upper + plot_h}" class="tick" text-anchor="end">0 ms</text>',
        f'<text x="{left}" y="{height - 6}" class="tick">#1</text>',
        f'<text x="{width - right}" y="{height - 6}" class="tick" text-anchor="end">#{len(values)}</text>',
    ]
    for value, label in lines:
        parts.append(
            f'<line x1="{left}" y1="{y(value):.1f}" x2="{width - right}" y2="{y(value):.1f}" class="limit"/>'
            f'<text x="{width - right - 2}" y="{y(value) - 3:.1f}" class="tick limit-label" '
            f'text-anchor="end">{label}</text>'
        )
    parts.append(f'<polyline points="{points}" class="series"/>')
    for i, v in enumerate(values):
        over = bool(limit) and v > float(limit.group(1)) if limit else False
        parts.append(
            f'<circle cx="{left + i * step:.1f}" cy="{y(v):.1f}" r="2.5" class="{"dot over" if over else "dot"}">'
            f"<title>#{i + 1}: {v:.1f} ms</title></circle>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _short(value: Any, limit: int = 160) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _shown(value: Any) -> Any:
    """Every text a template prints (a device's value, a path, a PIXIT value) with its control and bidirectional
    characters escaped (``\x1b``, ``\u202e``), as in every other format; markup the toolkit built is left alone."""
    return literal(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance.reports", "templates"),
        autoescape=True,
        finalize=_shown,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["pretty"] = _json
    env.filters["short"] = _short
    env.globals.update(
        L=LABELS,
        VERDICT=VERDICT_TEXT,
        STATUS=STATUS_TEXT,
        CONFORMITY=CONFORMITY_TEXT,
        NOT_PROVIDED=NOT_PROVIDED,
        interval_svg=interval_svg,
        findings_first=findings_first,
        finding_text=finding_text,
        measurement_text=measurement_text,
        uncertainty_items=uncertainty_items,
    )
    return env


def render_html(report: dict[str, Any]) -> str:
    """Return the self-contained HTML document of a report."""
    return _environment().get_template("report.html.j2").render(r=report, device=device_label(report))


def render_template(name: str, **context: Any) -> str:
    """Render another bundled template (the interoperability matrix) with the shared labels and filters."""
    return _environment().get_template(name).render(**context)
