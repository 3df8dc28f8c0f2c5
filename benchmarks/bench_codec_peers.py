"""Codec paths side by side, one run, one core: asn1c (C from the project's own ASN.1) against the Python paths.

Usage:  .venv/bin/python benchmarks/bench_codec_peers.py [--seconds 1] [--json out.json] [--no-asn1c]

Frames: the six real field captures (interop/field-captures.json of the development workspace, csae53-2019: two
BSM, SPAT, MAP, RSM, RSI) plus a full BSM built from the bundled samples (csae53-2020). Without the captures the
bundled sample frames of every message kind (csae53-2020) are used instead, and the run says so.

Invalid frames, per valid frame: ``cut5`` (the last 5 bytes removed), ``flip`` (one bit inverted: the first bit
from the middle of the frame onward whose flip the strict path rejects, so every path is timed on a frame the
project calls invalid; each path's own verdict is shown) and ``late`` (the last bit of the frame whose flip the
strict path rejects as a constraint violation: the fault farthest in, where finding its place costs most).

Paths (``PATHS``; one entry each, a native path is added by one entry when ``conformance.codec.native`` is there):

  asn1c decode / asn1c check / asn1c encode   asn1c 0.9.28 -gen-PER at -O2 (benchmarks/peers/asn1c_peer.py):
                                              uper_decode of MessageFrame (freed every time); + asn_check_constraints;
                                              uper_encode_to_buffer of the decoded structure
  asn1tools decode / asn1tools encode         plain asn1tools, freshly compiled from the edition's parsed ASN.1, no
                                              constraint check
  asn1tools encode+check                      the same, encode with check_constraints=True
  strict decode / strict encode               conformance.codec.strict.StrictCodec, its Python path alone
  strict+native decode / encode               StrictCodec as the toolkit builds it, when it uses the native engine
  ... decode+describe                         the same decode, and a rejection's CodecError read in full
                                              (describe(): message, field path, bit offset, hint), which the codec
                                              otherwise works out only when first read
  native validate / decode / encode           conformance.codec.native, when it imports and available() is true

Verdicts (accepted?): ``asn1c`` = uper_decode returns RC_OK and consumes every byte; ``asn1c check`` = that, and
asn_check_constraints passes, and the padding bits are zero (the peer build keeps asn1c 0.9.28's constraint checks
alive, see ``patch_constraint_checks``; 0.9.28 still never checks SIZE of a *named* SEQUENCE OF type, and does not
decode open types); ``asn1tools`` = plain decode raises nothing; ``strict`` / ``strict+native`` = StrictCodec.decode
raises nothing; ``native validate`` / ``native`` = the native verdict is ok. Encoders must give back the frame's
own bytes (a path that does not is listed under errors).

V2XC_NATIVE=0 switches the native engine off for the whole run (the native columns are then absent).

Everything runs on one core, 0 unless --cpu says otherwise (this process via sched_setaffinity, the asn1c peer via
taskset -c). Rates are calls per second, best of 3 rounds of about --seconds/3 each; for an invalid frame the rate
is how fast the path gets through the frame (rejecting it, or accepting it: see the verdict columns).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asn1tools

from conformance.codec.strict import StrictCodec, codec_for
from conformance.errors import CodecError
from conformance.standards.editions import load_edition

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_codec
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
    """The frame cut short by 5 bytes, one rejected bit flip, and the latest constraint violation (see the module
    docstring)."""
    codec = python_strict(frame.edition)
    result = [Frame(f"{frame.label} cut5", frame.edition, frame.data[:-5], "cut5", "last 5 bytes removed")]
    total = len(frame.data) * 8

    def first_rejected(bits: list[int], variant: str, wanted: str = "") -> None:
        for bit in bits:
            mutated = _flip(frame.data, bit)
            try:
                codec.decode(mutated)
            except CodecError as exc:
                if not exc.message.startswith(wanted):
                    continue
                reason = str(exc).splitlines()[0][:90]
                note = f"bit {bit} inverted; strict: {exc.field_path or '-'}: {reason}"
                result.append(Frame(f"{frame.label} {variant}", frame.edition, mutated, variant, note))
                return

    first_rejected([*range(total // 2, total), *range(total // 2)], "flip")
    first_rejected(list(range(total - 1, -1, -1)), "late", "Constraint violated")
    return result


# -- paths --------------------------------------------------------------------------------------------------------
@dataclass
class Functions:
    """What a path can do for one edition, by table column.

    ``decoders``: ``data -> bool`` (True when the frame is accepted; must not raise); the verdict of a column is
    named like the column without `` decode``. ``encoders``: ``value -> bytes`` where ``value`` is asn1tools' value
    of the frame (from the strict decode); the first result must equal the frame's bytes. ``batches``: judge a list
    of frames in one call (rates are given per frame)."""

    decoders: dict[str, Callable[[bytes], bool]] = field(default_factory=dict)
    encoders: dict[str, Callable[[Any], Any]] = field(default_factory=dict)
    batches: dict[str, Callable[[list[bytes]], Any]] = field(default_factory=dict)


@dataclass
class PythonPath:
    """A codec path in this process: ``prepare(edition)`` gives its :class:`Functions` (built once per edition)."""

    name: str
    prepare: Callable[[str], Functions]
    _cache: dict[str, Functions] = field(default_factory=dict)

    def functions(self, edition: str) -> Functions:
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


def _asn1tools_path(edition: str) -> Functions:
    spec = _plain(edition)
    return Functions(
        decoders={"asn1tools decode": _accepts(lambda data: spec.decode(PDU, data), (Exception,))},
        encoders={
            "asn1tools encode": lambda value: spec.encode(PDU, value),
            "asn1tools+check encode": lambda value: spec.encode(PDU, value, check_constraints=True),
        },
    )


_PYTHON_STRICT: dict[str, StrictCodec] = {}


def python_strict(edition: str) -> StrictCodec:
    """A StrictCodec of ``edition`` on its Python path alone, whether or not the native engine is built."""
    if edition not in _PYTHON_STRICT:
        codec = StrictCodec(load_edition(edition))
        if getattr(codec, "native", None) is not None:
            object.__setattr__(codec, "native", None)  # this instance only
        _PYTHON_STRICT[edition] = codec
    return _PYTHON_STRICT[edition]


def _strict_path(edition: str) -> Functions:
    """The project's strict codec. ``strict``: its Python path alone (asn1tools + checks, bittrace on failure);
    ``strict+native``: the codec as the toolkit uses it, when it hands frames to the native engine (``.native``)."""
    default = codec_for(edition)
    python = python_strict(edition)
    functions = Functions()
    if getattr(default, "native", None) is not None:
        functions.decoders["strict+native decode"] = _accepts(default.decode, (CodecError,))
        functions.decoders["strict+native decode+describe"] = _described(default.decode)
        functions.encoders["strict+native encode"] = default.encode
    functions.decoders["strict decode"] = _accepts(python.decode, (CodecError,))
    functions.decoders["strict decode+describe"] = _described(python.decode)
    functions.encoders["strict encode"] = python.encode
    return functions


def _described(decode: Callable[[bytes], Any]) -> Callable[[bytes], bool]:
    """``decode``, reading a rejection's error in full (the words and place a person or a report would see)."""

    def call(data: bytes) -> bool:
        try:
            decode(data)
        except CodecError as exc:
            exc.describe()
            return False
        return True

    return call


def _native_paths() -> list[PythonPath]:
    """The native codec's path, when ``conformance.codec.native`` imports and its ``available()`` is true.

    Nothing here depends on it: every method is looked up by name (``codec_for(edition_id)`` or
    ``NativeCodec(edition)``; ``validate(data)`` -> verdict with ``.ok``; ``validate_many(frames)``;
    ``count_valid(frames)``; ``decode_raw(data)`` -> ``(verdict, value)``; ``encode_raw(value)`` -> bytes), and a
    method that fails is reported in the run's errors instead of stopping it.
    """
    try:
        from conformance.codec import native  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001 - not built, not written yet, or broken: the benchmark runs without it
        return []
    if not getattr(native, "available", lambda: False)():
        return []

    def prepare(edition: str) -> Functions:
        make = getattr(native, "codec_for", None) or (lambda ident: native.NativeCodec(load_edition(ident)))
        codec = make(edition)
        functions = Functions()
        if hasattr(codec, "validate"):
            functions.decoders["native validate"] = lambda data: bool(codec.validate(data).ok)
        if hasattr(codec, "decode_raw"):
            functions.decoders["native decode"] = lambda data: bool(codec.decode_raw(data)[0].ok)
        if hasattr(codec, "validate_many"):
            functions.batches["native validate_many"] = codec.validate_many
        if hasattr(codec, "count_valid"):
            functions.batches["native count_valid"] = codec.count_valid
        encode = getattr(codec, "encode_raw", None) or getattr(codec, "encode", None)
        if encode is not None:
            functions.encoders["native encode"] = encode
        return functions

    return [PythonPath("native", prepare)]


#: Python-side paths by name. The asn1c peer is measured separately (one process per edition and operation).
PATHS: dict[str, PythonPath] = {
    "asn1tools": PythonPath("asn1tools", _asn1tools_path),
    "strict": PythonPath("strict", _strict_path),
    **{path.name: path for path in _native_paths()},
}
#: Frames per call of a batch column.
BATCH = 100


# -- measurement --------------------------------------------------------------------------------------------------
def rate(func: Callable[[], Any], seconds: float) -> float:
    """bench_codec.rate with the clock read every 5 calls (some paths here take milliseconds a call)."""
    return bench_codec.rate(func, seconds, batch=5)


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
            results[index]["verdict"]["asn1c check"] = bool(
                answer["ok"] and answer["constraints_ok"] and answer["padding_zero"]
            )
            results[index]["asn1c_once"] = answer
        for mode, column in (("decode", "asn1c decode"), ("validate", "asn1c check"), ("encode", "asn1c encode")):
            answers = run_peer(binary, data, seconds, mode, cpu=cpu)["frames"]
            for index, answer in zip(indices, answers, strict=True):
                results[index]["rates"][column] = answer.get("per_s")
    return info


def verdict_name(column: str) -> str:
    """The verdict that goes with a decode column (``strict decode`` -> ``strict``)."""
    return column.removesuffix("+describe").removesuffix(" decode")


def measure_python(frames: list[Frame], seconds: float, results: dict[int, dict[str, Any]]) -> None:
    """Verdicts and rates of every Python-side path; a failing path is recorded in the row's ``errors``."""
    for index, frame in enumerate(frames):
        row = results[index]
        value = None
        if frame.variant == "valid":
            value = python_strict(frame.edition).decode(frame.data).value
        for path in PATHS.values():
            try:
                functions = path.functions(frame.edition)
            except Exception as exc:  # noqa: BLE001 - one broken path must not stop the run
                row["errors"][path.name] = f"{type(exc).__name__}: {exc}"
                continue
            data = frame.data
            for column, decode in functions.decoders.items():
                try:
                    row["verdict"][verdict_name(column)] = decode(data)
                except Exception as exc:  # noqa: BLE001
                    row["errors"][column] = f"{type(exc).__name__}: {exc}"
                    continue
                row["rates"][column] = rate(lambda decode=decode, data=data: decode(data), seconds)
            for column, judge in functions.batches.items():
                batch = [data] * BATCH
                try:
                    judge(batch)
                except Exception as exc:  # noqa: BLE001
                    row["errors"][column] = f"{type(exc).__name__}: {exc}"
                    continue
                row["rates"][column] = BATCH * rate(lambda judge=judge, batch=batch: judge(batch), seconds)
            if value is None:
                continue
            for column, encode in functions.encoders.items():
                try:
                    encoded = encode(value)
                except Exception as exc:  # noqa: BLE001
                    row["errors"][column] = f"{type(exc).__name__}: {exc}"
                    continue
                if not isinstance(encoded, bytes | bytearray):
                    row["errors"][column] = f"encode gave {encoded!r}, not bytes"
                    continue
                if bytes(encoded) != data:
                    row["errors"][column] = "encoded bytes differ from the frame (timed anyway)"
                row["rates"][column] = rate(lambda encode=encode, value=value: encode(value), seconds)


DECODE_COLUMNS = [
    "asn1c decode",
    "asn1c check",
    "asn1tools decode",
    "strict decode",
    "strict decode+describe",
    "strict+native decode",
    "strict+native decode+describe",
    "native validate",
    "native validate_many",
    "native count_valid",
    "native decode",
]
ENCODE_COLUMNS = [
    "asn1c encode",
    "asn1tools encode",
    "asn1tools+check encode",
    "strict encode",
    "strict+native encode",
    "native encode",
]


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
    widths = [max(24, len(c) + 2) for c in columns]
    header = f"{'frame':30}" + "".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True))
    if with_verdicts:
        header += "   verdicts (accepted?)"
    print(header)
    for index, frame in enumerate(frames):
        row = results[index]
        if not any(row["rates"].get(c) is not None for c in columns):
            continue
        ref = row["rates"].get(reference)
        cells = (f"{_cell(row['rates'].get(c), ref):>{w}}" for c, w in zip(columns, widths, strict=True))
        line = f"{frame.label[:30]:30}" + "".join(cells)
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
            "errors": {},
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
        widths = [max(18, len(c) + 2) for c in names]
        print(f"{'frame':30}" + "".join(f"{c:>{w}}" for c, w in zip(names, widths, strict=True)))
        for i in invalid_idx:
            base = by_label[frames[i].label.rsplit(" ", 1)[0]]
            cells = []
            for c, w in zip(names, widths, strict=True):
                ok, bad = base["rates"].get(c), results[i]["rates"].get(c)
                accepted = results[i]["verdict"].get(verdict_name(c))
                mark = "*" if accepted else " "
                cells.append(f"{ok / bad:{w - 2}.2f}x{mark}" if ok and bad else f"{'-':>{w}}")
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
    errors = [(frames[i].label, column, message) for i in results for column, message in results[i]["errors"].items()]
    if errors:
        print("\nErrors (these cells are empty or flagged):")
        for label, column, message in errors:
            print(f"  {label}: {column}: {message[:200]}")
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
