"""Build the canonical JSON report from a run folder (``run.json`` + ``journal.ndjson`` + ``evidence.ndjson``).

Everything a renderer shows is computed here, once: per-requirement results with bilingual titles, the decoded
message and field-level differences of each observation, interval series of rate checks, coverage by clause and by
framework node, the conformity statement and the gate exit code. Renderers read the JSON alone.

Lab-supplied items (laboratory, customer, operator, date received, authoriser, device identification) come from
the PIXIT (``lab.name``, ``lab.address``, ``customer.name``, ``operator.name``, ``dut.*``), or — for vendor and
model only — from the capability statement's ``implementation`` section; where neither gives one the item is
``{"value": null, "provided": false}`` and every format prints "not provided". Nothing is invented.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..catalogue import Catalogue
from ..catalogue.clausemap import CLAUSE_MAP_FILE, ClauseMap, load_clause_map
from ..catalogue.overlays import recorded_catalogue
from ..codec.jsondiff import diff as field_diff
from ..errors import ConfigurationError, ConformanceError, ExitCode, SourceLocation
from . import model
from .model import EXECUTED, GATING, REPORT_FORMAT, REPORT_FORMAT_VERSION

RUN_FILE = "run.json"
JOURNAL_FILE = "journal.ndjson"
EVIDENCE_FILE = "evidence.ndjson"
#: Decoded messages kept per case (the first frames its observations cite; failing observations first).
MESSAGES_PER_CASE = 2


def _item(value: Any, source: str | None) -> dict[str, Any]:
    """A lab-supplied item: its value and where it came from, or visibly not provided."""
    if value is None or value == "":
        return {"value": None, "source": None, "provided": False}
    return {"value": str(value), "source": source, "provided": True}


def _pixit_item(pixit: dict[str, Any], name: str) -> dict[str, Any]:
    return _item(pixit.get(name), f"PIXIT {name}")


def _read_json(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigurationError(
            f"{path.parent} is not a complete run folder: {path.name} is missing.",
            source=SourceLocation(str(path)),
            hint="Give the output folder of `v2xc run` (it holds run.json, journal.ndjson and evidence.ndjson).",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (RecursionError, UnicodeDecodeError) as exc:
        raise ConfigurationError(
            f"{path.name} is not a run record ({type(exc).__name__}).",
            source=SourceLocation(str(path)),
            hint="The run folder is damaged; run the profile again.",
        ) from None
    except json.JSONDecodeError as exc:
        raise ConfigurationError(
            f"{path.name} is not valid JSON: {exc.msg}.",
            source=SourceLocation(str(path), exc.lineno, exc.colno),
            hint="The run folder is damaged; run the profile again.",
        ) from None
    if not isinstance(data, dict) or "plan" not in data or "run_id" not in data:
        raise ConfigurationError(
            f"{path} is not the run.json of a v2xc run (no run_id or plan).", source=SourceLocation(str(path))
        )
    return data


def _read_ndjson(path: Path, *, required: bool) -> list[dict[str, Any]]:
    if not path.is_file():
        if required:
            raise ConfigurationError(
                f"{path.parent} holds no {path.name}: the run did not start or the folder is incomplete.",
                source=SourceLocation(str(path)),
                hint="Give the output folder of `v2xc run`.",
            )
        return []
    records = []
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            if number == len(lines):
                break  # a record cut by a kill mid-write: not decided on disk
            raise ConfigurationError(
                f"{path.name} is corrupt: {exc.msg}.",
                source=SourceLocation(str(path), number, exc.colno),
                hint="Journals and evidence files are only appended to; was the file edited?",
            ) from None
    return records


def _decode(frame: dict[str, Any], edition: str) -> dict[str, Any]:
    """The decoded JSON form of an evidence frame, or why it does not decode."""
    from ..codec.jsonvalue import to_json
    from ..codec.strict import decode

    record: dict[str, Any] = {
        "seq": frame.get("seq"),
        "direction": frame.get("direction", ""),
        "wall_time": frame.get("wall_time"),
        "frame_hex": frame.get("frame_hex") or frame.get("raw_hex") or "",
        "note": frame.get("note", ""),
        "edition": edition,
        "type": None,
        "decoded": None,
        "error": None,
    }
    hex_text = frame.get("frame_hex")
    if not hex_text:
        record["error"] = "the network header could not be removed, so there is no MessageFrame to decode"
        return record
    try:
        data = bytes.fromhex(hex_text)
    except ValueError as exc:
        record["error"] = f"not hexadecimal: {exc}"
        return record
    try:
        decoded = decode(data, edition=edition)
    except ConformanceError as exc:
        record["error"] = exc.describe()
        record["type"], record["decoded"] = _lenient(data, edition)
        return record
    record["type"] = decoded.type_name
    record["decoded"] = to_json(decoded.value)
    return record


def _lenient(data: bytes, edition: str) -> tuple[str | None, Any]:
    """What the frame says when read without constraint checks (for display next to the strict error), if anything.

    A frame with a value out of its range (e.g. heading 30000) still has a structure; showing it lets a reader see
    the offending value in context. The strict error stays the finding.
    """
    from ..codec.jsonvalue import to_json
    from ..standards.editions import load_edition

    try:
        loaded = load_edition(edition)
        name = loaded.info.pdu
        return name, to_json(loaded.spec.decode(name, data, check_constraints=False))
    except Exception:  # noqa: BLE001 - a frame that does not even parse has nothing more to show
        return None, None


def _is_series(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("intervals_ms"), list)


def _observation(raw: dict[str, Any]) -> dict[str, Any]:
    expected, observed = raw.get("expected"), raw.get("observed")
    series = observed if _is_series(observed) else None
    differences: list[dict[str, Any]] = []
    if series is None and raw.get("verdict") in GATING and (expected is not None or observed is not None):
        differences = [d.as_dict() for d in field_diff(expected, observed, raw.get("field_path") or "")]
    return {
        "verdict": raw.get("verdict", "none"),
        "message": raw.get("message", ""),
        "check": raw.get("check", ""),
        "field_path": raw.get("field_path", ""),
        "expected": expected,
        "observed": observed,
        "unit": raw.get("unit", ""),
        "evidence": [int(s) for s in raw.get("evidence", [])],
        "diff": differences,
        "series": series,
        "measurement": raw.get("measurement") if isinstance(raw.get("measurement"), dict) else None,
    }


def _messages(observations: list[dict[str, Any]], frames: dict[int, dict[str, Any]], edition: str) -> list[Any]:
    ordered = sorted(observations, key=lambda o: o["verdict"] not in GATING)
    chosen: list[int] = []
    for obs in ordered:
        for seq in obs["evidence"]:
            if seq in frames and seq not in chosen and frames[seq].get("direction") == "rx":
                chosen.append(seq)
                break
    if not chosen:  # a case on sent frames only (receive tests): show what was sent
        for obs in ordered:
            for seq in obs["evidence"]:
                if seq in frames and seq not in chosen:
                    chosen.append(seq)
                    break
    return [_decode(frames[seq], edition) for seq in chosen[:MESSAGES_PER_CASE]]


def _case(
    entry: dict[str, Any],
    result: dict[str, Any] | None,
    catalogue: Catalogue,
    frames: dict[int, dict[str, Any]],
    edition: str,
) -> dict[str, Any]:
    requirement = catalogue.requirements.get(entry["id"])
    status = entry["status"]
    verdict = result["verdict"] if result else "none"
    observations = [_observation(o) for o in (result or {}).get("observations", [])]
    reason = (result or {}).get("reason") or entry.get("reason", "")
    if status == "selected" and result is None:
        reason = "not run: the run ended before this case (interrupted run)"
    executed = status == "selected" and verdict in EXECUTED
    if status == "not-applicable":
        coverage = "not-applicable"
    elif executed:
        coverage = "tested"
    else:
        coverage = "not-tested"
    return {
        "requirement_id": entry["id"],
        "title": entry["title"],
        "purpose": {"zh": requirement.purpose.zh, "en": requirement.purpose.en} if requirement else None,
        "level": entry.get("level", ""),
        "condition": entry.get("condition"),
        "status": status,
        "reason": reason,
        "selected": status == "selected",
        "run": result is not None and status == "selected",
        "verdict": verdict,
        "coverage": coverage,
        "clauses": [_reference(ref) for ref in entry.get("clause", [])],
        "framework": entry.get("framework", []),
        "checks": [c["id"] for c in entry.get("checks", [])],
        "parameters": {c["id"]: c.get("parameters", {}) for c in entry.get("checks", [])},
        "observations": observations,
        "evidence_count": (result or {}).get("evidence_count", 0),
        "started": (result or {}).get("started") or None,
        "finished": (result or {}).get("finished") or None,
        "duration_s": (result or {}).get("duration_s", 0.0),
        "messages": _messages(observations, frames, edition) if executed else [],
        "waiver": None,
    }


def _reference(ref: dict[str, Any]) -> dict[str, Any]:
    """A clause reference with where its verification comes from: the catalogue, or (later) a lab's clause map."""
    return {
        **ref,
        "verified_source": "catalogue" if ref.get("verified") else None,
        "verified_by": None,
        "verified_on": None,
        "confirmed_clause": None,
    }


def apply_clause_map(report: dict[str, Any], clause_map: ClauseMap) -> None:
    """Mark the references a laboratory's clause map confirms as verified, naming who and when (in place).

    A reference the catalogue already verifies keeps ``verified_source: "catalogue"`` and also records the lab's
    confirmation. Coverage by clause and the limitation about unverified clauses are recomputed.
    """
    before = _limitations(report["campaign"])
    for case in report["campaign"]:
        for ref in case["clauses"]:
            confirmation = clause_map.lookup(case["requirement_id"], ref["document"], ref["clause"])
            if confirmation is None:
                continue
            if not ref.get("verified"):
                ref["verified"] = True
                ref["verified_source"] = "clause-map"
            ref["verified_by"] = confirmation.verified_by
            ref["verified_on"] = confirmation.date
            ref["confirmed_clause"] = confirmation.confirmed_clause
    report["coverage"]["by_clause"] = _clause_coverage(report["campaign"])
    report["limitations"] = [item for item in report["limitations"] if item not in before] + _limitations(
        report["campaign"]
    )
    report["clause_map"] = clause_map.summary()


def _counts(cases: list[dict[str, Any]]) -> dict[str, int]:
    counts = {"tested": 0, "not-tested": 0, "not-applicable": 0, "pass": 0, "fail": 0, "inconc": 0, "error": 0}
    for case in cases:
        counts[case["coverage"]] += 1
        if case["coverage"] == "tested":
            counts[case["verdict"]] += 1
    return counts


def _clause_coverage(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, str], dict[str, Any]] = {}
    members: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for case in cases:
        for ref in case["clauses"]:
            key = (ref["document"], ref["clause"])
            head = groups.setdefault(
                key, {"document": ref["document"], "clause": ref["clause"], "verified": ref["verified"]}
            )
            head["verified"] = head["verified"] and ref["verified"]
            members.setdefault(key, []).append(case)
    rows = []
    for key, head in sorted(groups.items()):
        rows.append({**head, "requirements": [c["requirement_id"] for c in members[key]], **_counts(members[key])})
    return rows


def _framework_coverage(cases: list[dict[str, Any]], catalogue: Catalogue) -> list[dict[str, Any]]:
    framework = catalogue.framework
    under: dict[str, list[dict[str, Any]]] = {}
    for case in cases:
        for node_id in case["framework"]:
            if node_id not in framework.nodes:
                continue
            for node in framework.ancestry(node_id):
                bucket = under.setdefault(node.id, [])
                if case not in bucket:
                    bucket.append(case)
    rows: list[dict[str, Any]] = []
    for part in framework.parts:
        part_cases = [c for c in cases if any(n.split("/", 1)[0] == part.id for n in c["framework"])]
        if not part_cases:
            continue
        rows.append(
            {
                "id": part.id,
                "parent": None,
                "depth": 0,
                "code": None,
                "name": {"zh": part.name.zh, "en": part.name.en},
                "verified": part.verified,
                "direct": [],
                **_counts(part_cases),
            }
        )

        def walk(parent: str | None, depth: int, part_id: str = part.id) -> None:
            for node in framework.children(parent, part_id):
                if node.id not in under:
                    continue
                rows.append(
                    {
                        "id": node.id,
                        "parent": node.parent or part_id,
                        "depth": depth,
                        "code": node.code,
                        "name": {"zh": node.name.zh, "en": node.name.en},
                        "verified": node.verified,
                        "direct": [c["requirement_id"] for c in cases if node.id in c["framework"]],
                        **_counts(under[node.id]),
                    }
                )
                walk(node.id, depth + 1)

        walk(None, 1)
    return rows


def _conformity(cases: list[dict[str, Any]]) -> dict[str, Any]:
    applicable = [c for c in cases if c["status"] != "not-applicable"]
    failed = [c["requirement_id"] for c in applicable if c["verdict"] == "fail"]
    open_ = [
        c["requirement_id"] for c in applicable if c["coverage"] != "tested" or c["verdict"] in ("inconc", "error")
    ]
    passed = sum(1 for c in applicable if c["verdict"] == "pass" and c["coverage"] == "tested")
    if failed:
        status = "does-not-conform"
        text = {
            "en": f"The device under test does NOT conform: {len(failed)} applicable requirement(s) failed.",
            "zh": f"被测设备不符合：{len(failed)}项适用要求不通过。",
        }
    elif open_:
        status = "no-statement"
        text = {
            "en": f"No conformity statement: nothing failed ({passed} requirement(s) passed), but {len(open_)} "
            "applicable requirement(s) were not tested, deselected, inconclusive or ended in error.",
            "zh": f"不作符合性声明：无不通过项（{passed}项通过），"
            f"但有{len(open_)}项适用要求未测试、被排除、结果不确定或出错。",
        }
    else:
        status = "conforms"
        text = {
            "en": f"The device under test conforms: all {passed} applicable requirement(s) passed.",
            "zh": f"被测设备符合：全部{passed}项适用要求通过。",
        }
    return {"status": status, "statement": text, "failed": failed, "open": open_, "passed": passed}


def _deviations(meta: dict[str, Any], runs: list[dict[str, Any]], ended: bool, interrupted: bool) -> list[Any]:
    found: list[dict[str, str]] = []
    if meta.get("keyword"):
        found.append(
            {
                "en": f"Partial campaign: only requirements matching -k '{meta['keyword']}' were selected.",
                "zh": f"部分测试：仅选择了匹配 -k '{meta['keyword']}' 的要求。",
            }
        )
    resume_args = meta.get("resume") or {}
    if resume_args.get("observation_window") is not None:
        found.append(
            {
                "en": f"Observation window set to {resume_args['observation_window']} s on the command line "
                "(overrides the profile's value).",
                "zh": f"观测窗口由命令行设为{resume_args['observation_window']}秒（覆盖配置文件的取值）。",
            }
        )
    if resume_args.get("edition"):
        found.append(
            {
                "en": f"Message edition {resume_args['edition']} chosen on the command line.",
                "zh": f"消息版本{resume_args['edition']}由命令行指定。",
            }
        )
    if len(runs) > 1:
        found.append(
            {
                "en": f"The run was resumed {len(runs) - 1} time(s); finished cases were not repeated.",
                "zh": f"测试中断后续测{len(runs) - 1}次；已完成的用例未重复执行。",
            }
        )
    if interrupted or not ended:
        found.append(
            {
                "en": "The run did not finish (interrupted); cases not reached are reported as not run.",
                "zh": "测试未完成（被中断）；未执行的用例报告为未运行。",
            }
        )
    return found


def _dates(meta: dict[str, Any], runs: list[dict[str, Any]], cases: list[dict[str, Any]]) -> dict[str, Any]:
    started = [c["started"] for c in cases if c["started"]]
    finished = [c["finished"] for c in cases if c["finished"]]
    run_starts = [r.get("metadata", {}).get("started") for r in runs if r.get("metadata", {}).get("started")]
    return {
        "prepared": meta.get("created"),
        "testing_started": min(run_starts + started) if (run_starts or started) else None,
        "testing_finished": max(finished) if finished else None,
    }


def build_report(run_dir: Path, *, catalogue: Catalogue | None = None, issued: datetime | None = None) -> Any:
    """Return the canonical report (a JSON-ready dict, valid against the bundled schema) of a run folder."""
    meta = _read_json(run_dir / RUN_FILE)
    # the catalogue of the run: the bundled one, plus the lab's overlay directories the run recorded
    catalogue = catalogue or recorded_catalogue(run_dir, meta.get("catalogue") or {})
    journal = _read_ndjson(run_dir / JOURNAL_FILE, required=True)
    frames = {int(f["seq"]): f for f in _read_ndjson(run_dir / EVIDENCE_FILE, required=False) if "seq" in f}
    runs = [r for r in journal if r.get("type") == "run"]
    results = {r["case_id"]: r for r in journal if r.get("type") == "case"}
    ends = [r for r in journal if r.get("type") == "end"]
    ended = bool(ends) and (journal[-1].get("type") == "end")
    interrupted = bool(ends and ends[-1].get("interrupted"))
    edition = meta["edition"]["id"]
    cases = [_case(entry, results.get(entry["id"]), catalogue, frames, edition) for entry in meta["plan"]]

    pixit = dict(meta.get("pixit", {}).get("values") or {})
    implementation = dict(meta.get("pics", {}).get("implementation") or {})

    def dut(name: str) -> dict[str, Any]:
        if pixit.get(f"dut.{name}"):
            return _pixit_item(pixit, f"dut.{name}")
        return _item(implementation.get(name), "PICS implementation")

    issued = issued or datetime.now(UTC)
    profile = meta["profile"]
    documents = sorted({ref["document"] for c in cases if c["status"] != "not-applicable" for ref in c["clauses"]})
    report: dict[str, Any] = {
        "format": REPORT_FORMAT,
        "format_version": REPORT_FORMAT_VERSION,
        "report_id": f"V2XC-{meta['run_id']}",
        "title": {
            "en": f"Conformance test report — {profile['title']['en']}",
            "zh": f"一致性测试报告 — {profile['title']['zh']}",
        },
        "issued": issued.isoformat(timespec="seconds"),
        "tool": meta["tool"],
        "laboratory": {
            "name": _pixit_item(pixit, "lab.name"),
            "address": _pixit_item(pixit, "lab.address"),
            "test_location": _pixit_item(pixit, "lab.location"),
        },
        "customer": {"name": _pixit_item(pixit, "customer.name")},
        "operator": {"name": _pixit_item(pixit, "operator.name")},
        "authorisation": {"name": _pixit_item(pixit, "report.authoriser"), "signature": None},
        "item_tested": {
            "vendor": dut("vendor"),
            "model": dut("model"),
            "hardware": dut("hardware"),
            "firmware": dut("firmware"),
            "serial": dut("serial"),
            "device_id": dut("device_id"),
            "date_received": _pixit_item(pixit, "dut.received"),
            "condition": _pixit_item(pixit, "dut.condition"),
            "role": meta.get("pics", {}).get("role", ""),
            "target": meta.get("target", ""),
        },
        "method": {
            "profile": profile,
            "catalogue": {"digest": meta["catalogue"]["digest"]},
            "edition": meta["edition"],
            "standards": documents,
            "parameters": meta.get("parameters", {}),
            "seed": meta.get("seed"),
            "keyword": meta.get("keyword"),
        },
        "dates": {**_dates(meta, runs, cases), "received": _pixit_item(pixit, "dut.received")["value"]},
        "sampling": model.SAMPLING,
        "external_providers": model.EXTERNAL,
        "pics": {k: meta.get("pics", {}).get(k) for k in ("file", "source", "sha256", "role", "review")},
        "pixit": {"source": meta.get("pixit", {}).get("source"), "values": pixit},
        "run": {
            "run_id": meta["run_id"],
            "starts": len(runs),
            "ended": ended,
            "interrupted": interrupted,
            "evidence_frames": len(frames),
        },
        "summary": _summary(cases),
        "campaign": cases,
        "coverage": {"by_clause": _clause_coverage(cases), "by_framework": _framework_coverage(cases, catalogue)},
        "deviations": _deviations(meta, runs, ended, interrupted),
        "limitations": _limitations(cases),
        "decision_rule": model.DECISION_RULE,
        "measurement_uncertainty": _uncertainty(meta),
        "clause_map": None,
        "conformity": _conformity(cases),
        "statement_item_only": model.ITEM_ONLY,
        "waivers": None,
        "gate": {},
        "end_of_report": model.END_OF_REPORT,
    }
    if (run_dir / CLAUSE_MAP_FILE).is_file():
        apply_clause_map(report, load_clause_map(run_dir / CLAUSE_MAP_FILE, catalogue))
        report["clause_map"]["source"] = (meta.get("clause_map") or {}).get("source") or CLAUSE_MAP_FILE
    report["gate"] = gate(report)
    return report


def _uncertainty(meta: dict[str, Any]) -> dict[str, Any]:
    """The run's timing uncertainty budget and decision rule (``run.json`` key ``timing``), kept as written.

    ``{"measured": False, "timing": None}`` when the run recorded none (older runs, offline targets).
    """
    timing = meta.get("timing")
    if not isinstance(timing, dict) or not timing:
        return {"measured": False, "timing": None}
    return {"measured": True, "timing": timing}


def _summary(cases: list[dict[str, Any]]) -> dict[str, Any]:
    verdicts = {v: 0 for v in ("pass", "fail", "inconc", "none", "error")}
    statuses = {s: 0 for s in ("selected", "not-tested", "not-applicable", "deselected")}
    for case in cases:
        verdicts[case["verdict"]] = verdicts.get(case["verdict"], 0) + 1
        statuses[case["status"]] = statuses.get(case["status"], 0) + 1
    return {"total": len(cases), "verdicts": verdicts, "statuses": statuses, "coverage": _counts(cases), "waived": 0}


def _limitations(cases: list[dict[str, Any]]) -> list[dict[str, str]]:
    unverified = sorted({c["requirement_id"] for c in cases for ref in c["clauses"] if not ref["verified"]})
    found = []
    if unverified:
        found.append(
            {
                "en": f"{len(unverified)} requirement(s) cite a clause whose number is not verified against the "
                "published standard (marked 'unverified' in the campaign table).",
                "zh": f"{len(unverified)}项要求引用的条款编号尚未与正式发布的标准核对（在测试项目表中标为“未核实”）。",
            }
        )
    return found


def gate(report: dict[str, Any]) -> dict[str, Any]:
    """The CI exit code of a report, honouring applied waivers: 3 incomplete run or harness error, 1 fail/inconc,
    else 0.

    The same codes as ``v2xc run``; a waived result does not count until its waiver expires.
    """
    counted = [
        c
        for c in report["campaign"]
        if c["status"] == "selected" and c["verdict"] in GATING and not (c.get("waiver") or {}).get("applied")
    ]
    run = report.get("run", {})
    if not run.get("ended", True) or run.get("interrupted"):
        code, why = ExitCode.HARNESS, "the run is incomplete (interrupted or killed): resume it with v2xc run --resume"
    elif any(c["verdict"] == "error" for c in counted):
        code, why = ExitCode.HARNESS, "a case ended in a harness error"
    elif counted:
        code, why = ExitCode.FAILED, f"{len(counted)} case(s) failed or were inconclusive and are not waived"
    else:
        code, why = ExitCode.OK, "no unwaived failed, inconclusive or error case"
    return {"exit_code": int(code), "reason": why, "cases": [c["requirement_id"] for c in counted]}
