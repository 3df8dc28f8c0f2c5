"""Verdict agreement with an independent decoder: the strict codec against asn1c on mutated real frames.

Usage:  .venv/bin/python benchmarks/bench_peer_agreement.py [--per-frame 3000] [--seed 1] [--json out.json]

Issue 15: "verdict agreement with independent decoders on mutated real frames and on frames from other projects:
100 %, and the extensible-BIT-STRING frame accepted". The frames are the six field captures (interop/
field-captures.json of the development workspace: equipment and projects other than this one, csae53-2019) and the
full BSM sample (csae53-2020); without the captures the bundled samples of every message kind stand in, and the run
says so. Each frame is judged as it is, and ``--per-frame`` seeded mutations of it: one to three bits inverted,
one byte replaced, the frame cut short by 1-8 bytes, 1-2 bytes appended.

Verdicts: **ours** is ``StrictCodec.decode`` as the toolkit builds it (native engine when built, else the Python
path; ``V2XC_NATIVE=0`` forces the Python path) accepting the frame. **asn1c** is asn1c 0.9.28 (Debian package, C
generated from the project's own ASN.1 of the edition, benchmarks/peers/) accepting it: ``uper_decode`` returns
RC_OK and consumes every byte, ``asn_check_constraints`` passes, and the padding bits are zero (X.691 §11.1) — the
same verdict ``bench_codec_peers.py`` calls ``asn1c check``.

Every disagreement is listed by class, with one example per class:

* ``extended size`` — we accept, asn1c decodes the frame but its constraint check refuses it, and the Python path
  names an extensible SIZE beyond its root (a BIT STRING ``SIZE(13, ...)`` carrying more bits): legal per X.691
  §16 and X.680 (an extensible constraint admits sizes outside its root), and the frame the issue asks to be
  accepted; asn1c 0.9.28 checks the root only;
* anything else is ``unexplained`` and makes the run exit 1.

The asn1c peer is built on first use (apt-get installs asn1c when missing; the build is cached in
benchmarks/.build/). This is a benchmark job, not a test: it needs asn1c and takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from conformance.codec import native
from conformance.codec.strict import CANNOT_DECODE, codec_for
from conformance.errors import CodecError

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_codec_peers import Frame, python_strict, valid_frames
from peers.asn1c_peer import PeerError, build_asn1c_peer, run_peer

EXTENDED = "extended size"
UNEXPLAINED = "unexplained"


@dataclass
class Judged:
    """One frame with both verdicts."""

    edition: str
    origin: str
    mutation: str
    data: bytes
    ours: bool
    our_reason: str
    asn1c: bool
    asn1c_detail: dict[str, Any]


def mutate(data: bytes, rng: random.Random) -> tuple[str, bytes]:
    """One seeded mutation of ``data``: bits inverted, a byte replaced, cut short or lengthened."""
    kind = rng.choice(["flip1", "flip1", "flip2", "flip3", "byte", "cut", "append"])
    out = bytearray(data)
    if kind.startswith("flip"):
        bits = rng.sample(range(len(data) * 8), min(int(kind[-1]), len(data) * 8))
        for bit in bits:
            out[bit // 8] ^= 0x80 >> (bit % 8)
        return f"bits {sorted(bits)} inverted", bytes(out)
    if kind == "byte":
        at = rng.randrange(len(data))
        out[at] = rng.choice([b for b in range(256) if b != data[at]])
        return f"byte {at} set to 0x{out[at]:02x}", bytes(out)
    if kind == "cut":
        cut = rng.randint(1, min(8, len(data) - 1))
        return f"last {cut} byte(s) removed", bytes(out[:-cut])
    extra = bytes(rng.randrange(256) for _ in range(rng.randint(1, 2)))
    return f"{extra.hex()} appended", bytes(out + extra)


def our_verdict(edition: str, data: bytes) -> tuple[bool, str]:
    """(accepted, the first line of the rejection) by the toolkit's strict codec."""
    try:
        codec_for(edition).decode(data)
    except CodecError as exc:
        return False, exc.describe()
    return True, ""


def classify(item: Judged) -> str:
    """The disagreement class of a frame the two decoders judge differently (module docstring)."""
    detail = item.asn1c_detail
    if item.ours and detail.get("ok") and detail.get("constraints_ok") is False and detail.get("padding_zero"):
        try:
            python_strict(item.edition).decode(item.data)
        except CodecError as exc:
            if exc.message.startswith(CANNOT_DECODE):
                item.our_reason = f"Python path: {exc.describe()}"
                return EXTENDED
    return UNEXPLAINED


def judge(frames: list[Frame], per_frame: int, seed: int) -> list[Judged]:
    """Both verdicts for every frame and its mutations (asn1c: one peer process per edition)."""
    rng = random.Random(seed)
    items: list[Judged] = []
    for frame in frames:
        variants = [("as captured", frame.data)] + [mutate(frame.data, rng) for _ in range(per_frame)]
        for mutation, data in variants:
            ours, reason = our_verdict(frame.edition, data)
            items.append(Judged(frame.edition, frame.label, mutation, data, ours, reason, False, {}))
    for edition in sorted({item.edition for item in items}):
        chosen = [item for item in items if item.edition == edition]
        answers = run_peer(build_asn1c_peer(edition), [item.data for item in chosen], 0.0, "once", cpu=None)
        for item, answer in zip(chosen, answers["frames"], strict=True):
            item.asn1c_detail = answer
            item.asn1c = bool(answer["ok"] and answer.get("constraints_ok") and answer.get("padding_zero"))
    return items


def main() -> int:
    """Run the comparison, print the summary and the disagreements; exit 1 on an unexplained one."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-frame", type=int, default=3000, help="mutations per frame (default 3000)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="also write every disagreement here")
    args = parser.parse_args()

    frames, source = valid_frames()
    print(f"frames: {source}")
    print(f"our codec: {native.status()}")
    try:
        items = judge(frames, args.per_frame, args.seed)
    except PeerError as exc:
        print(f"asn1c peer not available: {exc}")
        return 2
    classes: Counter[str] = Counter()
    examples: dict[str, Judged] = {}
    disagreements = []
    for item in items:
        if item.ours == item.asn1c:
            continue
        kind = classify(item)
        classes[kind] += 1
        examples.setdefault(kind, item)
        disagreements.append((kind, item))
    total = len(items)
    accepted = Counter((item.ours, item.asn1c) for item in items)
    agree = total - len(disagreements)
    print(
        f"\n{total} frames ({len(frames)} real frames and {total - len(frames)} mutations, seed {args.seed}): "
        f"both accept {accepted[(True, True)]}, both reject {accepted[(False, False)]}, "
        f"only we accept {accepted[(True, False)]}, only asn1c accepts {accepted[(False, True)]}"
    )
    print(f"agreement: {agree}/{total} = {100 * agree / total:.3f} %")
    explained = sum(count for kind, count in classes.items() if kind != UNEXPLAINED)
    if total:
        print(
            f"agreement counting the explained classes as agreeing: {agree + explained}/{total} = "
            f"{100 * (agree + explained) / total:.3f} %"
        )
    for kind, count in classes.most_common():
        example = examples[kind]
        print(f"\n{kind}: {count}")
        print(f"  e.g. {example.origin}, {example.mutation} ({example.edition}): {example.data.hex()}")
        print(f"  ours: {'accepted' if example.ours else 'rejected'}; {example.our_reason[:300]}")
        print(f"  asn1c: {json.dumps(example.asn1c_detail)}")
    if args.json:
        rows = [
            {
                "class": kind,
                "edition": item.edition,
                "origin": item.origin,
                "mutation": item.mutation,
                "hex": item.data.hex(),
                "ours": item.ours,
                "our_reason": item.our_reason,
                "asn1c": item.asn1c_detail,
            }
            for kind, item in disagreements
        ]
        args.json.write_text(json.dumps({"source": source, "frames": total, "rows": rows}, indent=2), "utf-8")
        print(f"\ndisagreements written to {args.json}")
    return 1 if classes[UNEXPLAINED] else 0


if __name__ == "__main__":
    raise SystemExit(main())
