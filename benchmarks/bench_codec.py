"""Strict codec throughput against plain asn1tools, one core, same bytes, same run.

Usage:  make bench            (or  .venv/bin/python benchmarks/bench_codec.py [--seconds 2] [--json out.json])

Rows: a full BSM (the bundled sample, csae53-2020), and the real SPAT and MAP captures (csae53-2019) when the
field captures (interop/field-captures.json of the development workspace) are present. Columns: messages per
second for plain asn1tools decode (no constraint check), strict decode, strict encode, and the ratio
strict/plain decode time (goal: <= 1.5).
"""

from __future__ import annotations

import argparse
import functools
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conformance.codec.strict import codec_for
from conformance.vectors.samples import sample_frames

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT.parent / "shared" / "interop" / "field-captures.json"


def rate(func: Callable[[], Any], seconds: float, batch: int = 20) -> float:
    """Call ``func`` repeatedly for about ``seconds`` and return calls per second (best of 3 rounds); the clock is
    read every ``batch`` calls."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        deadline = start + seconds / 3
        while True:
            for _ in range(batch):
                func()
            count += batch
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


def cases() -> list[tuple[str, str, bytes]]:
    """Return (label, edition, bytes) for every benchmark row available here."""
    rows = [("BSM full (sample)", "csae53-2020", sample_frames()["bsm"])]
    if CAPTURES.is_file():
        captures = {c["id"]: c for c in json.loads(CAPTURES.read_text(encoding="utf-8"))["captures"]}
        rows.append(("SPAT capture (261 B)", "csae53-2019", bytes.fromhex(captures["zyjohn-spat"]["hex"])))
        rows.append(("MAP capture (529 B)", "csae53-2019", bytes.fromhex(captures["zyjohn-map"]["hex"])))
    return rows


def main() -> None:
    """Run the benchmark and print a table (and optionally write JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time per measurement")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args()
    results = []
    print(f"{'case':24} {'plain dec/s':>12} {'strict dec/s':>13} {'strict enc/s':>13} {'strict/plain':>13}")
    for label, edition, data in cases():
        codec = codec_for(edition)
        spec = codec.edition.spec
        value = codec.decode(data).value
        plain = rate(functools.partial(spec.decode, "MessageFrame", data), args.seconds)
        strict = rate(functools.partial(codec.decode, data), args.seconds)
        strict_encode = rate(functools.partial(codec.encode, value), args.seconds)
        ratio = plain / strict
        results.append(
            {
                "case": label,
                "edition": edition,
                "bytes": len(data),
                "plain_decode_per_s": round(plain),
                "strict_decode_per_s": round(strict),
                "strict_encode_per_s": round(strict_encode),
                "strict_over_plain_time": round(ratio, 3),
            }
        )
        print(f"{label:24} {plain:12.0f} {strict:13.0f} {strict_encode:13.0f} {ratio:12.2f}x")
    if not CAPTURES.is_file():
        print(f"(SPAT/MAP capture rows skipped: {CAPTURES} not present)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
