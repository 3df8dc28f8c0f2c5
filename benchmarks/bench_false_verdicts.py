"""False verdicts under load: the clean reference RSU judged again and again while K busy loops load the host.

For each K in ``--loads`` (default 0, 1, 2) this starts K processes spinning ``while True: pass``, runs
``v2xc run --profile P --target sim://rsu`` ``--runs`` times, and counts the verdicts: passes, fails (each a false
verdict: the device is correct) and inconclusives with their reasons. Then, at K = ``--fault-load``, every fault
switch of the reference RSU is run once: each must still be caught (exit 1 with at least one fail verdict), and
the cases it fails are listed.

Goal (issue 10): zero fail verdicts on the clean device at any K; every run passes at K = 1; every fault caught
at K = 2. Exit status: 0 when the goal is met, 1 otherwise.

    .venv/bin/python benchmarks/bench_false_verdicts.py --runs 5 --loads 0,1,2 --fault-load 2
"""

from __future__ import annotations

import argparse
import collections
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

FAULTS = (
    "skip-msgcnt",
    "skip-msgcnt:SPAT",
    "wrong-rate",
    "out-of-range-field",
    "spat-timing-jump",
    "map-spat-mismatch",
    "wrong-edition",
    "no-response:6",
    "crash-on-malformed",
    "ut-silent",
)


def busy_loops(count: int) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` processes that keep a core busy."""
    return [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(count)]


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    """Kill the busy loops."""
    for process in processes:
        process.kill()
        process.wait()


def run_once(profile: str, target: str, folder: Path, window: float | None) -> dict[str, Any]:
    """One ``v2xc run``: exit code, seconds, and the verdict records of its journal."""
    command = [sys.executable, "-m", "conformance", "run", "--profile", profile, "--target", target]
    command += ["--out", str(folder)]
    if window is not None:
        command += ["--observation-window", str(window)]
    began = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=900)
    seconds = time.monotonic() - began
    cases = []
    journal = folder / "journal.ndjson"
    if journal.exists():
        for line in journal.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("type") == "case":
                cases.append(record)
    return {"exit": done.returncode, "seconds": seconds, "cases": cases, "stderr": done.stderr[-2000:]}


def _messages(case: dict[str, Any], verdict: str) -> list[str]:
    return [str(o.get("message", "")) for o in case.get("observations", []) if o.get("verdict") == verdict]


def clean_runs(profile: str, load: int, runs: int, window: float | None, scratch: Path) -> dict[str, Any]:
    """``runs`` runs of the clean reference RSU under ``load`` busy loops."""
    hogs = busy_loops(load)
    try:
        results = [run_once(profile, "sim://rsu", scratch / f"clean-k{load}-{n}", window) for n in range(runs)]
    finally:
        stop(hogs)
    fails: list[str] = []
    inconclusive: collections.Counter[str] = collections.Counter()
    passed_runs = 0
    for result in results:
        verdicts = [case["verdict"] for case in result["cases"]]
        if result["exit"] == 0 and "fail" not in verdicts and "inconc" not in verdicts:
            passed_runs += 1
        for case in result["cases"]:
            if case["verdict"] == "fail":
                fails.append(f"{case['case_id']}: {'; '.join(_messages(case, 'fail'))}")
            elif case["verdict"] == "inconc":
                for message in _messages(case, "inconc"):
                    inconclusive[f"{case['case_id']}: {message[:160]}"] += 1
    return {
        "load": load,
        "runs": runs,
        "passed_runs": passed_runs,
        "fail_verdicts": fails,
        "inconclusive": dict(inconclusive),
        "exit_codes": [r["exit"] for r in results],
        "seconds": [round(r["seconds"], 1) for r in results],
    }


def fault_runs(profile: str, load: int, window: float | None, scratch: Path) -> list[dict[str, Any]]:
    """Every fault switch once under ``load`` busy loops: caught or not, and which cases failed."""
    hogs = busy_loops(load)
    try:
        outcomes = []
        for fault in FAULTS:
            name = fault.replace(":", "-")
            result = run_once(profile, f"sim://rsu?fault={fault}", scratch / f"fault-{name}", window)
            failed = sorted(case["case_id"] for case in result["cases"] if case["verdict"] == "fail")
            outcomes.append(
                {
                    "fault": fault,
                    "exit": result["exit"],
                    "caught": result["exit"] == 1 and bool(failed),
                    "failed_cases": failed,
                    "inconclusive_cases": sorted(c["case_id"] for c in result["cases"] if c["verdict"] == "inconc"),
                }
            )
    finally:
        stop(hogs)
    return outcomes


def main() -> int:
    """Run the benchmark and print its tables; exit 0 when the goal is met."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profile", default="csae53-2020-rsu")
    parser.add_argument("--runs", type=int, default=5, help="clean runs per load level")
    parser.add_argument("--loads", default="0,1,2", help="numbers of busy loops, comma-separated")
    parser.add_argument("--fault-load", type=int, default=2, help="busy loops while the faults run (-1: skip)")
    parser.add_argument("--observation-window", type=float, default=None, help="seconds (default: the profile's)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results to this file")
    args = parser.parse_args()
    loads = [int(k) for k in args.loads.split(",") if k.strip()]
    with tempfile.TemporaryDirectory(prefix="v2xc-bench-") as temporary:
        scratch = Path(temporary)
        clean = [clean_runs(args.profile, k, args.runs, args.observation_window, scratch) for k in loads]
        faults = (
            fault_runs(args.profile, args.fault_load, args.observation_window, scratch) if args.fault_load >= 0 else []
        )
    print(f"## Clean reference RSU, profile {args.profile}, {args.runs} runs per load\n")
    print("| busy loops K | runs all pass | fail verdicts | inconclusive verdicts | exit codes | seconds per run |")
    print("|---|---|---|---|---|---|")
    for row in clean:
        print(
            f"| {row['load']} | {row['passed_runs']} of {row['runs']} | {len(row['fail_verdicts'])} | "
            f"{sum(row['inconclusive'].values())} | {row['exit_codes']} | {row['seconds']} |"
        )
    for row in clean:
        for text in row["fail_verdicts"]:
            print(f"- K={row['load']} FALSE FAIL: {text}")
        for text, count in row["inconclusive"].items():
            print(f"- K={row['load']} inconclusive ×{count}: {text}")
    if faults:
        print(f"\n## Fault switches at K = {args.fault_load}\n")
        print("| fault | exit | caught | failed cases | inconclusive cases |")
        print("|---|---|---|---|---|")
        for row in faults:
            print(
                f"| {row['fault']} | {row['exit']} | {'yes' if row['caught'] else 'NO'} | "
                f"{', '.join(row['failed_cases']) or '-'} | {', '.join(row['inconclusive_cases']) or '-'} |"
            )
    if args.json is not None:
        args.json.write_text(json.dumps({"clean": clean, "faults": faults}, indent=2), encoding="utf-8")
    goal = (
        all(not row["fail_verdicts"] for row in clean)
        and all(row["passed_runs"] == row["runs"] for row in clean if row["load"] <= 1)
        and all(row["caught"] for row in faults)
    )
    print(f"\ngoal (0 false fails at any K, all pass at K<=1, every fault caught): {'MET' if goal else 'NOT MET'}")
    return 0 if goal else 1


if __name__ == "__main__":
    sys.exit(main())
