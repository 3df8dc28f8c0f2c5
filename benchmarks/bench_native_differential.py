"""Differential run: the native engine against the Python path on many mutated frames (issue 15, item 4).

Every frame is judged by both paths: the verdict (valid or the fault), the error's wording and hint, the field
path, the bit offset and, for valid frames, the decoded value must be equal. Frames the Python path cannot judge
(asn1tools raises "not yet implemented": an extensible BIT STRING beyond its root, more than 64 extension
additions) are counted apart with the native verdict, as the issue asks: there the native engine follows X.691.

Seeds: the committed corpus of every edition and, when present, the field captures (../shared/interop). Each
mutated frame is decoded under the edition of its seed. Mutations: one flipped bit, a cut, a replaced byte, an
added byte, a run of random bytes (seeded, so a run is reproducible).

    .venv/bin/python benchmarks/bench_native_differential.py --frames 1000000 --seed 1

prints counts per class and every mismatch (at most --show), and exits 1 on any mismatch.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path

from conformance.codec import native
from conformance.codec.strict import CANNOT_DECODE, StrictCodec
from conformance.errors import CodecError
from conformance.standards import CORPUS_DIR
from conformance.standards.editions import load_edition
from conformance.vectors.corpus import corpus_files, iter_file

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT.parent / "shared" / "interop" / "field-captures.json"


def seeds() -> list[tuple[str, bytes]]:
    """(edition, frame) of every corpus MessageFrame, and of the field captures (2019) when present."""
    found = [
        (record["edition"], bytes.fromhex(record["hex"]))
        for path in corpus_files(CORPUS_DIR)
        for record in iter_file(path)
        if record.get("framing") == "none" and record.get("type") == "MessageFrame"
    ]
    if CAPTURES.exists():
        captures = json.loads(CAPTURES.read_text(encoding="utf-8"))["captures"]
        found += [("csae53-2019", bytes.fromhex(c["hex"])) for c in captures]
    else:
        print(f"note: {CAPTURES} not found; seeds are the committed corpus only", file=sys.stderr)
    return found


def mutate(frame: bytes, rng: random.Random) -> bytes:
    data = bytearray(frame)
    kind = rng.random()
    if kind < 0.35 and data:
        bit = rng.randrange(len(data) * 8)
        data[bit // 8] ^= 0x80 >> (bit % 8)
    elif kind < 0.5 and len(data) > 1:
        del data[rng.randrange(1, len(data)) :]
    elif kind < 0.7 and data:
        data[rng.randrange(len(data))] = rng.randrange(256)
    elif kind < 0.85:
        data.append(rng.randrange(256))
    elif data:
        at = rng.randrange(len(data))
        data[at : at + 4] = rng.randbytes(4)
    return bytes(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100_000, help="mutated frames to judge (default 100000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=20, help="mismatches to print")
    args = parser.parse_args()
    if not native.available():
        print(native.status(), file=sys.stderr)
        return 2
    rng = random.Random(args.seed)
    pool = seeds()
    python: dict[str, StrictCodec] = {}
    engines: dict[str, StrictCodec] = {}  # the codec as the toolkit builds it: the native engine in use
    classes: Counter[str] = Counter()
    mismatches: list[str] = []
    started = time.perf_counter()
    for index in range(args.frames):
        edition, seed = pool[index % len(pool)] if index < len(pool) else rng.choice(pool)
        frame = seed if index < len(pool) else mutate(seed, rng)
        if edition not in python:
            python[edition] = StrictCodec(load_edition(edition))
            python[edition].native = None
            engines[edition] = StrictCodec(load_edition(edition))
        try:
            expected = python[edition].decode(frame)
        except CodecError as exc:
            if CANNOT_DECODE in exc.message:
                verdict = engines[edition].native.validate(frame) if engines[edition].native else None
                ok = verdict is not None and verdict.ok
                classes["python cannot judge (native: " + ("valid" if ok else "invalid") + ")"] += 1
                continue
            classes["invalid"] += 1
            try:
                engines[edition].decode(frame)
            except CodecError as got:
                if (got.message, got.hint, got.field_path, got.bit_offset) != (
                    exc.message,
                    exc.hint,
                    exc.field_path,
                    exc.bit_offset,
                ):
                    mismatches.append(f"{edition} {frame.hex()}:\n    python {exc}\n    native {got}")
            else:
                mismatches.append(f"{edition} {frame.hex()}: python rejects ({exc}); native accepts")
            continue
        classes["valid"] += 1
        try:
            decoded = engines[edition].decode(frame)
        except CodecError as got:
            mismatches.append(f"{edition} {frame.hex()}: python accepts; native {got}")
            continue
        if decoded.value != expected.value or decoded.bit_length != expected.bit_length:
            mismatches.append(f"{edition} {frame.hex()}: values differ")
        if index and index % 100_000 == 0:
            elapsed = time.perf_counter() - started
            print(f"... {index} frames, {len(mismatches)} mismatches, {elapsed:.0f} s", flush=True)
    seconds = time.perf_counter() - started
    print(f"{args.frames} frames ({len(pool)} seeds, seed {args.seed}) in {seconds:.0f} s")
    for name, count in sorted(classes.items()):
        print(f"  {name:45} {count:9}")
    print(f"  {'mismatches':45} {len(mismatches):9}")
    for line in mismatches[: args.show]:
        print("  " + line)
    return 1 if mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
