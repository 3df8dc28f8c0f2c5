"""Codec paths side by side, one run, one core: asn1c (C from the project's own ASN.1) against the Python paths.

Usage:  .venv/bin/python benchmarks/bench_codec_peers.py [--seconds 1] [--json out.json] [--no-asn1c]

Frames: the six real field captures (interop/field-captures.json of the development workspace, csae53-2019: two
BSM, SPAT, MAP, RSM, RSI) plus a full BSM built from the bundled samples (csae53-2020). Without the captures the
bundled sample frames of every message kind (csae53-2020) are used instead, and the run says so.

Invalid frames, per valid frame: ``cut5`` (the last 5 bytes removed) and ``flip`` (one bit inverted: the first bit
from the middle of the frame onward whose flip the strict path rejects, so every path is timed on a frame the
project calls invalid; each path's own verdict is shown).

Paths (``PATHS``; one entry each, a native path is added by one entry when ``conformance.codec.native`` is there):

  asn1c decode / asn1c check / asn1c encode   asn1c 0.9.28 -gen-PER at -O2 (benchmarks/peers/asn1c_peer.py):
                                              uper_decode of MessageFrame (freed every time); + asn_check_constraints;
                                              uper_encode_to_buffer of the decoded structure
  asn1tools decode / asn1tools encode         plain asn1tools, freshly compiled from the edition's parsed ASN.1, no
                                              constraint check
  asn1tools encode+check                      the same, encode with check_constraints=True
  strict decode / strict encode               conformance.codec.strict.StrictCodec (the project's Python path)
  native validate / decode / encode           conformance.codec.native, when it imports and available() is true

Verdicts (accepted?): ``asn1c`` = uper_decode returns RC_OK and consumes every byte; ``asn1c+check`` = that, and
asn_check_constraints passes, and the padding bits are zero (the peer build keeps asn1c 0.9.28's constraint checks
alive, see ``patch_constraint_checks``; 0.9.28 still never checks SIZE of a *named* SEQUENCE OF type, and does not
decode open types); ``asn1tools`` = plain decode raises nothing; ``strict`` = StrictCodec.decode raises nothing.

Everything runs on one core, 0 unless --cpu says otherwise (this process via sched_setaffinity, the asn1c peer via
taskset -c). Rates are calls
per second, best of 3 rounds of about --seconds/3 each; for an invalid frame the rate is how fast the path gets
through the frame (rejecting it, or accepting it: see the verdict columns).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asn1tools

from conformance.codec.strict import codec_for
from conformance.errors import CodecError
from conformance.standards.editions import load_edition

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peers.asn1c_peer import PeerError, asn1c_version, build_asn1c_peer, ensure_asn1c, run_peer

ROOT = Path(__file__).resolve().parents[1]
CAPTURES = ROOT.parent / "shared" / "interop" / "field-captures.json"
PDU = "MessageFrame"
CAPTURE_LABELS = {
    "zyjohn-bsm-0": "BSM capture",
    "zyjohn-bsm-1": "BSM capture 2",
    "zyjohn-spat": "SPAT capture",
    "zyjohn-map": "MAP capture",
    "zyjohn-rsm": "RSM capture",
    "zyjohn-rsi": "RSI capture",
}


# -- frames -------------------------------------------------------------------------------------------------------
@dataclass
class Frame:
    """One row: a frame, its edition, and (for an invalid frame) the valid frame it was made from."""

    label: str
    edition: str
    data: bytes
    variant: str = "valid"  # valid | cut5 | flip
    note: str = ""


def _flip(data: bytes, bit: int) -> bytes:
    out = bytearray(data)
    out[bit // 8] ^= 0x80 >> (bit % 8)
    return bytes(out)


def valid_frames() -> tuple[list[Frame], str]:
    """The valid frames of the run and a sentence saying where they came from."""
    from conformance.vectors.samples import sample_frames

    samples = sample_frames()
    frames: list[Frame] = []
    if CAPTURES.is_file():
        captures = {c["id"]: c for c in json.loads(CAPTURES.read_text(encoding="utf-8"))["captures"]}
        for ident, label in CAPTURE_LABELS.items():
            if ident in captures:
                data = bytes.fromhex(captures[ident]["hex"])
                frames.append(Frame(f"{label} ({len(data)} B)", "csae53-2019", data))
        source = f"field captures from {CAPTURES} (csae53-2019) and the sample BSM (csae53-2020)"
        frames.insert(0, Frame(f"BSM full sample ({len(samples['bsm'])} B)", "csae53-2020", samples["bsm"]))
    else:
        for name, data in samples.items():
            frames.append(Frame(f"{name.upper()} sample ({len(data)} B)", "csae53-2020", data))
        source = (
            f"NO FIELD CAPTURES: {CAPTURES} is not present, so the bundled sample frames (csae53-2020) stand in "
            "for them; the figures are not comparable with runs on the real captures"
        )
    return frames, source


def invalid_frames(frame: Frame) -> list[Frame]:
    """The frame cut short by 5 bytes, and one rejected bit flip (see the module docstring)."""
    codec = codec_for(frame.edition)
    result = [Frame(f"{frame.label} cut5", frame.edition, frame.data[:-5], "cut5", "last 5 bytes removed")]
    total = len(frame.data) * 8
    for bit in [*range(total // 2, total), *range(total // 2)]:
        mutated = _flip(frame.data, bit)
        try:
            codec.decode(mutated)
        except CodecError as exc:
            reason = str(exc).splitlines()[0][:90]
            note = f"bit {bit} inverted; strict: {exc.field_path or '-'}: {reason}"
            result.append(Frame(f"{frame.label} flip", frame.edition, mutated, "flip", note))
            break
    return result


# -- paths --------------------------------------------------------------------------------------------------------
@dataclass
class PythonPath:
    """A codec path in this process. ``prepare(edition)`` returns ``(decode, encode)``, each ``None`` or a function:

    ``decode(data) -> bool`` (True when the frame is accepted; must not raise), ``encode(value) -> bytes`` where
    ``value`` is asn1tools' value of the frame (from the strict decode)."""

    name: str
    prepare: Callable[[str], tuple[Callable[[bytes], bool] | None, Callable[[Any], Any] | None]]
    kind: str = "python"
    _cache: dict[str, Any] = field(default_factory=dict)

    def functions(self, edition: str) -> tuple[Callable[[bytes], bool] | None, Callable[[Any], Any] | None]:
        if edition not in self._cache:
            self._cache[edition] = self.prepare(edition)
        return self._cache[edition]


def _accepts(decode: Callable[[bytes], Any], errors: tuple[type[BaseException], ...]) -> Callable[[bytes], bool]:
    def call(data: bytes) -> bool:
        try:
            decode(data)
        except errors:
            return False
        return True

    return call


def _plain_spec(edition: str) -> Any:
    """asn1tools compiled afresh from the edition's parsed ASN.1 (not the strict codec's hardened copy)."""
    return asn1tools.compile_dict(copy.deepcopy(load_edition(edition).parsed), "uper")


_PLAIN: dict[str, Any] = {}


def _plain(edition: str) -> Any:
    if edition not in _PLAIN:
        _PLAIN[edition] = _plain_spec(edition)
    return _PLAIN[edition]


def _asn1tools_path(edition: str) -> tuple[Callable[[bytes], bool], Callable[[Any], Any]]:
    spec = _plain(edition)
    decode = _accepts(lambda data: spec.decode(PDU, data), (Exception,))
    return decode, lambda value: spec.encode(PDU, value)


def _asn1tools_checked_path(edition: str) -> tuple[None, Callable[[Any], Any]]:
    spec = _plain(edition)
    return None, lambda value: spec.encode(PDU, value, check_constraints=True)


def _strict_path(edition: str) -> tuple[Callable[[bytes], bool], Callable[[Any], Any]]:
    codec = codec_for(edition)
    return _accepts(codec.decode, (CodecError,)), codec.encode


def _native_paths() -> list[PythonPath]:
    """The native codec's paths, when ``conformance.codec.native`` imports and says it is available.

    Expected interface (nothing here depends on it): ``available() -> bool``; ``NativeCodec(edition_id)`` with
    ``decode(data)`` (raises on an invalid frame), optionally ``validate(data)`` (a verdict: bool or an object
    with ``.ok``) and ``encode(value) -> bytes``.
    """
    try:
        from conformance.codec import native  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - not built, not written yet, or broken: the benchmark runs without it
        return []
    if not getattr(native, "available", lambda: False)():
        return []

    def codec(edition: str) -> Any:
        return native.NativeCodec(edition)

    def validate(edition: str) -> tuple[Callable[[bytes], bool] | None, None]:
        method = getattr(codec(edition), "validate", None)
        if method is None:
            return None, None

        def call(data: bytes) -> bool:
            verdict = method(data)
            return bool(getattr(verdict, "ok", verdict))

        return call, None

    def full(edition: str) -> tuple[Callable[[bytes], bool], Callable[[Any], Any] | None]:
        instance = codec(edition)
        return _accepts(instance.decode, (Exception,)), getattr(instance, "encode", None)

    return [PythonPath("native validate", validate, "native"), PythonPath("native", full, "native")]


#: Python-side paths by name. The asn1c peer is measured separately (one process per edition and operation).
PATHS: dict[str, PythonPath] = {
    "asn1tools": PythonPath("asn1tools", _asn1tools_path),
    "asn1tools+check": PythonPath("asn1tools+check", _asn1tools_checked_path),
    "strict": PythonPath("strict", _strict_path),
    **{path.name: path for path in _native_paths()},
}


# -- measurement --------------------------------------------------------------------------------------------------
def rate(func: Callable[[], Any], seconds: float) -> float:
    """Call ``func`` repeatedly for about ``seconds``; calls per second, best of 3 rounds (as bench_codec.py)."""
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        deadline = start + seconds / 3
        while True:
            for _ in range(5):
                func()
            count += 5
            now = time.perf_counter()
            if now >= deadline:
                break
        best = max(best, count / (now - start))
    return best


def measure_asn1c(
    frames: list[Frame], seconds: float, results: dict[int, dict[str, Any]], cpu: int = 0
) -> dict[str, Any]:
    """asn1c verdicts and rates for every frame, one peer process per edition and mode, pinned to ``cpu``."""
    info: dict[str, Any] = {}
    try:
        info["asn1c"] = asn1c_version(ensure_asn1c())
    except PeerError as exc:
        info["error"] = str(exc)
        return info
    editions = sorted({frame.edition for frame in frames})
    for edition in editions:
        indices = [i for i, frame in enumerate(frames) if frame.edition == edition]
        data = [frames[i].data for i in indices]
        try:
            binary = build_asn1c_peer(edition)
        except PeerError as exc:
            info[f"error {edition}"] = str(exc)
            continue
        info[f"binary {edition}"] = str(binary.relative_to(ROOT))
        once = run_peer(binary, data, 0, "once", cpu=cpu)["frames"]
        for index, answer in zip(indices, once, strict=True):
            results[index]["verdict"]["asn1c"] = answer["ok"]
            results[index]["verdict"]["asn1c+check"] = bool(
                answer["ok"] and answer["constraints_ok"] and answer["padding_zero"]
            )
            results[index]["asn1c_once"] = answer
        for mode, column in (("decode", "asn1c decode"), ("validate", "asn1c check"), ("encode", "asn1c encode")):
            answers = run_peer(binary, data, seconds, mode, cpu=cpu)["frames"]
            for index, answer in zip(indices, answers, strict=True):
                results[index]["rates"][column] = answer.get("per_s")
    return info


def measure_python(frames: list[Frame], seconds: float, results: dict[int, dict[str, Any]]) -> None:
    """Verdicts and rates of every Python-side path."""
    for index, frame in enumerate(frames):
        row = results[index]
        value = None
        if frame.variant == "valid":
            value = codec_for(frame.edition).decode(frame.data).value
        for path in PATHS.values():
            decode, encode = path.functions(frame.edition)
            if decode is not None:
                row["verdict"][path.name] = decode(frame.data)
                data = frame.data
                row["rates"][f"{path.name} decode" if path.name != "native validate" else path.name] = rate(
                    lambda decode=decode, data=data: decode(data), seconds
                )
            if encode is not None and value is not None:
                row["rates"][f"{path.name} encode"] = rate(lambda encode=encode, value=value: encode(value), seconds)


#: The verdict that goes with each decode column.
VERDICT_OF = {
    "asn1c decode": "asn1c",
    "asn1c check": "asn1c+check",
    "asn1tools decode": "asn1tools",
    "strict decode": "strict",
    "native decode": "native",
}
DECODE_COLUMNS = [
    "asn1c decode",
    "asn1c check",
    "asn1tools decode",
    "strict decode",
    "native validate",
    "native decode",
]
ENCODE_COLUMNS = ["asn1c encode", "asn1tools encode", "asn1tools+check encode", "strict encode", "native encode"]


def _cell(value: float | None, reference: float | None) -> str:
    if value is None:
        return "-"
    text = f"{value / 1000:.1f}k" if value >= 1000 else f"{value:.0f}"
    if reference:
        text += f" ({value / reference:.3f}x)" if value / reference < 0.1 else f" ({value / reference:.2f}x)"
    return text


def print_table(
    title: str,
    frames: list[Frame],
    results: dict[int, dict[str, Any]],
    columns: list[str],
    reference: str,
    with_verdicts: bool,
) -> None:
    columns = [c for c in columns if any(results[i]["rates"].get(c) is not None for i in results)]
    if not columns:
        return
    print(f"\n{title} — calls/s on one core (ratio to {reference})")
    header = f"{'frame':30}" + "".join(f"{c:>24}" for c in columns)
    if with_verdicts:
        header += "   verdicts (accepted?)"
    print(header)
    for index, frame in enumerate(frames):
        row = results[index]
        if not any(row["rates"].get(c) is not None for c in columns):
            continue
        ref = row["rates"].get(reference)
        line = f"{frame.label[:30]:30}" + "".join(f"{_cell(row['rates'].get(c), ref):>24}" for c in columns)
        if with_verdicts:
            line += "   " + " ".join(f"{name}={'yes' if ok else 'NO'}" for name, ok in row["verdict"].items())
        print(line)


def main() -> None:
    """Run the benchmark, print the tables, optionally write JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0, help="time per measurement (per frame and path)")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    parser.add_argument("--no-asn1c", action="store_true", help="skip the asn1c peer")
    parser.add_argument("--no-invalid", action="store_true", help="only the valid frames")
    parser.add_argument("--cpu", type=int, default=0, help="the one core everything runs on (default 0)")
    args = parser.parse_args()

    valid, source = valid_frames()
    print(f"frames: {source}")
    if not args.no_asn1c:  # build before pinning, so the compile may use every core
        for edition in sorted({frame.edition for frame in valid}):
            try:
                build_asn1c_peer(edition, verbose=True)
            except PeerError as exc:
                print(f"asn1c peer for {edition} not built: {exc}")
    os.sched_setaffinity(0, {args.cpu})
    frames = list(valid)
    if not args.no_invalid:
        for frame in valid:
            frames.extend(invalid_frames(frame))
    results: dict[int, dict[str, Any]] = {
        i: {
            "frame": f.label,
            "edition": f.edition,
            "variant": f.variant,
            "bytes": len(f.data),
            "hex": f.data.hex(),
            "note": f.note,
            "verdict": {},
            "rates": {},
        }
        for i, f in enumerate(frames)
    }
    asn1c_info: dict[str, Any] = {"skipped": True}
    if not args.no_asn1c:
        asn1c_info = measure_asn1c(frames, args.seconds, results, args.cpu)
        for key, message in asn1c_info.items():
            if key.startswith("error"):
                print(f"asn1c peer: {key}: {message}")
    measure_python(frames, args.seconds, results)

    valid_idx = [i for i, f in enumerate(frames) if f.variant == "valid"]
    invalid_idx = [i for i, f in enumerate(frames) if f.variant != "valid"]
    valid_frames_only = [frames[i] for i in valid_idx]
    print_table(
        "Decode, valid frames",
        valid_frames_only,
        {n: results[i] for n, i in enumerate(valid_idx)},
        DECODE_COLUMNS,
        "asn1c decode",
        with_verdicts=True,
    )
    print_table(
        "Encode, valid frames",
        valid_frames_only,
        {n: results[i] for n, i in enumerate(valid_idx)},
        ENCODE_COLUMNS,
        "asn1c encode",
        with_verdicts=False,
    )
    if invalid_idx:
        print_table(
            "Decode, invalid frames",
            [frames[i] for i in invalid_idx],
            {n: results[i] for n, i in enumerate(invalid_idx)},
            DECODE_COLUMNS,
            "asn1c decode",
            with_verdicts=True,
        )
        print(
            "\nCost of rejecting: decode time of the invalid frame / decode time of its valid frame (goal <= 2); "
            "* = this path accepted the invalid frame"
        )
        by_label = {frames[i].label: results[i] for i in valid_idx}
        names = [c for c in DECODE_COLUMNS if any(results[i]["rates"].get(c) for i in invalid_idx)]
        print(f"{'frame':30}" + "".join(f"{c:>18}" for c in names))
        for i in invalid_idx:
            base = by_label[frames[i].label.rsplit(" ", 1)[0]]
            cells = []
            for c in names:
                ok, bad = base["rates"].get(c), results[i]["rates"].get(c)
                accepted = results[i]["verdict"].get(VERDICT_OF.get(c, c))
                mark = "*" if accepted else " "
                cells.append(f"{ok / bad:16.2f}x{mark}" if ok and bad else f"{'-':>18}")
            results[i]["reject_cost"] = {
                c: round(base["rates"][c] / results[i]["rates"][c], 3)
                for c in names
                if base["rates"].get(c) and results[i]["rates"].get(c)
            }
            print(f"{frames[i].label[:30]:30}" + "".join(cells))
        for i in invalid_idx:
            if frames[i].note:
                print(f"  {frames[i].label}: {frames[i].note}")
    disagree = [
        (frames[i].label, results[i]["verdict"])
        for i in results
        if len({bool(v) for v in results[i]["verdict"].values()}) > 1
    ]
    if disagree:
        print("\nVerdicts differ between paths:")
        for label, verdict in disagree:
            print(f"  {label}: {verdict}")
    print(f"\nframes: {source}")
    if args.json:
        report = {
            "source": source,
            "seconds": args.seconds,
            "cpu": args.cpu,
            "machine": {
                "platform": platform.platform(),
                "python": sys.version.split()[0],
                "asn1tools": asn1tools.__version__,
                "cpus": os.cpu_count(),
            },
            "asn1c": asn1c_info,
            "paths": ["asn1c", *PATHS],
            "rows": [results[i] for i in sorted(results)],
        }
        args.json.write_text(json.dumps(report, indent=2), encoding="utf-8")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
