"""Vector generation and verification throughput, one core.

Usage:  .venv/bin/python benchmarks/bench_vectors.py [--count 300] [--edition csae53-2020] [--json out.json]

Rows: valid BSM, boundary MAP, invalid SPAT (MessageFrames). Columns: vectors generated per second (Hypothesis
draws + encoding; for invalid vectors also the unchecked encoding and, for ENUMERATED violations, the bit trace),
vectors verified per second by the oracle (strict decode + re-encode, or strict rejection + path comparison),
both together, and the mean frame size. Generation uses a fixed seed, so runs are comparable.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from conformance.codec.strict import codec_for
from conformance.vectors.corpus import generate
from conformance.vectors.oracle import verify
from conformance.vectors.strategies import for_type

ROWS = (
    ("valid BSM", "valid", "bsmFrame"),
    ("boundary MAP", "boundary", "mapFrame"),
    ("invalid SPAT", "invalid", "spatFrame"),
)


def measure(edition: str, mode: str, alternative: str, count: int) -> dict[str, Any]:
    """Generate ``count`` vectors and verify each; return rates (vectors per second) and sizes."""
    for_type(edition, "MessageFrame", mode=mode, alternative=alternative)  # build the constraint tree first
    start = time.perf_counter()
    vectors = generate(edition, "MessageFrame", mode=mode, count=count, seed=1, alternative=alternative, spread=1)
    generated = time.perf_counter() - start
    start = time.perf_counter()
    failures = sum(1 for vector in vectors if not verify(vector).ok)
    verified = time.perf_counter() - start
    n = len(vectors)
    return {
        "vectors": n,
        "failures": failures,
        "generate_per_s": n / generated,
        "verify_per_s": n / verified,
        "both_per_s": n / (generated + verified),
        "mean_bytes": sum(len(vector.data) for vector in vectors) / max(1, n),
    }


def main() -> None:
    """Run the benchmark and print a table (optionally also JSON)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--edition", default="csae53-2020")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    codec_for(args.edition)  # compile outside the timed region
    results = {}
    print(f"{'row':<14} {'n':>5} {'gen/s':>9} {'verify/s':>9} {'both/s':>9} {'bytes':>7} {'fail':>5}")
    for label, mode, alternative in ROWS:
        row = measure(args.edition, mode, alternative, args.count)
        results[label] = row
        print(
            f"{label:<14} {row['vectors']:>5} {row['generate_per_s']:>9.0f} {row['verify_per_s']:>9.0f} "
            f"{row['both_per_s']:>9.0f} {row['mean_bytes']:>7.0f} {row['failures']:>5}"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
