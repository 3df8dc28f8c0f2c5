"""Coverage-guided fuzzing of the native UPER engine (issue 15): atheris (libFuzzer) over an ASan + UBSan build.

Usage:  .venv/bin/python benchmarks/fuzz/fuzz_native.py [--seconds 60] [--timeout 10] [--leak-rounds 20]
        [--json out.json] [--no-install]

What it does:

1. builds an instrumented copy of ``conformance/codec/native/_uper.c`` into ``benchmarks/.build/fuzz/`` (git-ignored):
   clang ``-fsanitize=address,undefined,fuzzer-no-link -fno-sanitize-recover=undefined -g -O1``. Debian ``clang``
   and ``libclang-rt-<v>-dev`` are installed with apt-get (sudo when not root) when missing, and atheris is
   installed into the running interpreter's environment from source against that clang (``pip install
   --no-binary atheris``), which is what produces ``asan_with_fuzzer.so`` (the ASan runtime, UBSan handlers
   included, with libFuzzer linked in; see atheris' native_extension_fuzzing.md: preloading clang's plain
   ``libclang_rt.asan-x86_64.so`` would send the extension's coverage counters to ASan's weak stubs instead of
   libFuzzer). Without that file the plain ASan runtime (``clang -print-file-name=libclang_rt.asan-x86_64.so``) is
   preloaded and the summary says coverage of the C code is not fed back.
2. runs the campaign in a child process (``LD_PRELOAD`` of the runtime, ``PYTHONMALLOC=malloc`` so ASan sees every
   Python object too), which loads the instrumented module under its own name
   (``conformance.codec.native._uper``) before the package imports it, so ``codec_for(edition)`` builds its programs
   with it. Each input goes through, for every edition's PDU: ``validate`` (and ``validate_many``/``count_valid``
   of the one frame, which must agree with it); ``decode`` strict and with ``allow_trailing``/``allow_padding``;
   ``encode`` of every value a decode gives back, whose bytes must decode (strictly) to the same value. Every call
   must return the documented tuple shape and raise nothing but MemoryError; ``validate`` and the strict ``decode``
   must give the same verdict. One outcome is by design and only counted: a named BIT STRING comes back without
   its trailing 0 bits (or padded to its lower bound), an equal value under X.680 22.7. (An ENUMERATED extension
   value the edition lacks, which decoded to None and could not be encoded, is refused by decode since
   2026-12-06.) Seeds: the corpus frames
   (framing ``none``, type ``MessageFrame``), the field captures when present and ``tests/data/native_fuzz/``.
3. a crash (ASan, UBSan, a signal, a hang beyond ``--timeout`` seconds, an out-of-memory) stops libFuzzer; the
   input is kept in ``benchmarks/fuzz/findings/`` (git-ignored) with the sanitizer's report, removed from the
   working corpus, and the campaign starts again until ``--seconds`` are spent. A contract finding is written
   there as ``contract-<sha1>`` plus a line in ``findings.jsonl`` and the campaign goes on.
4. a leak pass (``--leak-rounds``) replays the campaign's corpus through the same harness under the same ASan
   build and compares ASan's live heap bytes (``__sanitizer_get_current_allocated_bytes``; with
   ``PYTHONMALLOC=malloc`` every Python object counts) after a warm-up and after two equal stretches: a leak
   grows in both. libFuzzer's own leak check is off (``-detect_leaks=0``): the interpreter keeps memory until exit
   that LeakSanitizer reports, as atheris' documentation says.

The corpus frames are all far below 16K octets, so seeds with fragmented open types are built too (see
``fragmented_seeds``; csae157-2020's ``msgFrameExt``). Not called: ``extract``.

Every crashing input becomes a regression vector: copy it to ``tests/data/native_fuzz/`` (the summary prints the
command), where ``tests/test_native_fuzz_regressions.py`` feeds it through every edition.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCE = ROOT / "conformance" / "codec" / "native" / "_uper.c"
BUILD = ROOT / "benchmarks" / ".build" / "fuzz"
FINDINGS = Path(__file__).resolve().parent / "findings"
REGRESSIONS = ROOT / "tests" / "data" / "native_fuzz"
CORPUS_DIR = ROOT / "conformance" / "standards" / "corpus"
CAPTURES = ROOT.parent / "shared" / "interop" / "field-captures.json"
MODULE = "conformance.codec.native._uper"
LEAK_BYTES = 256 * 1024  # live-heap growth in both measured stretches above this is a leak (one PyObject a call is MBs)
CFLAGS = [
    "-fsanitize=address,undefined,fuzzer-no-link",
    "-fno-sanitize-recover=undefined",
    "-fno-omit-frame-pointer",
    "-g",
    "-O1",
]


# -- toolchain ----------------------------------------------------------------------------------------------------
def _sudo() -> list[str]:
    return [] if os.geteuid() == 0 else ["sudo"]


def ensure_clang(install: bool) -> str:
    """The clang to build with (apt-get install clang and its runtime when missing and allowed)."""
    clang = shutil.which("clang")
    runtime = _clang_file(clang, "libclang_rt.asan-x86_64.so") if clang else None
    if clang and runtime:
        return clang
    if not install:
        raise SystemExit("clang with its sanitizer runtime is missing (run without --no-install to apt-get it)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*_sudo(), "apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run([*_sudo(), "apt-get", "install", "-y", "-qq", "clang"], check=True, env=env)
    clang = shutil.which("clang")
    if not clang:
        raise SystemExit("apt-get installed no clang")
    major = re.search(r"version (\d+)", subprocess.run([clang, "--version"], capture_output=True, text=True).stdout)
    if major and not _clang_file(clang, "libclang_rt.asan-x86_64.so"):
        pkg = f"libclang-rt-{major.group(1)}-dev"
        subprocess.run([*_sudo(), "apt-get", "install", "-y", "-qq", pkg], check=True, env=env)
    if not _clang_file(clang, "libclang_rt.asan-x86_64.so"):
        raise SystemExit("clang has no ASan runtime (libclang_rt.asan-x86_64.so) after apt-get")
    return clang


def _clang_file(clang: str | None, name: str) -> str | None:
    if not clang:
        return None
    found = subprocess.run([clang, f"-print-file-name={name}"], capture_output=True, text=True).stdout.strip()
    return found if found and os.path.isabs(found) and os.path.exists(found) else None


def _atheris_dir() -> Path | None:
    spec = importlib.util.find_spec("atheris")
    if spec is None or not spec.origin:
        return None
    return Path(spec.origin).resolve().parent.parent  # atheris.path(): where the merged runtimes are deployed


def ensure_atheris(clang: str, install: bool) -> Path | None:
    """atheris built from source against ``clang`` (so asan_with_fuzzer.so exists); its deploy directory."""
    where = _atheris_dir()
    if where is not None and (where / "asan_with_fuzzer.so").exists():
        return where
    if not install:
        return where
    clangxx = shutil.which("clang++") or clang
    env = dict(os.environ, CLANG_BIN=clang, CC=clang, CXX=clangxx)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--force-reinstall",
            "--no-deps",
            "--no-binary",
            "atheris",
            "atheris",
        ],
        check=True,
        env=env,
    )
    importlib.invalidate_caches()
    return _atheris_dir()


def build(clang: str) -> Path:
    """Compile the instrumented extension; the path of the shared object."""
    BUILD.mkdir(parents=True, exist_ok=True)
    suffix = sysconfig.get_config_var("EXT_SUFFIX") or ".so"
    target = BUILD / f"_uper{suffix}"
    source_copy = BUILD / "_uper.c"  # the exact source fuzzed (others may edit the tree meanwhile)
    shutil.copyfile(SOURCE, source_copy)
    includes = {sysconfig.get_paths()["include"], sysconfig.get_paths()["platinclude"]}
    cmd = [
        clang,
        *CFLAGS,
        "-fPIC",
        "-shared",
        *[f"-I{d}" for d in sorted(includes)],
        str(source_copy),
        "-o",
        str(target),
    ]
    subprocess.run(cmd, check=True)
    symbols = subprocess.run(["nm", "-D", "--undefined-only", str(target)], capture_output=True, text=True).stdout
    if "__sanitizer_cov_8bit_counters_init" not in symbols or "__asan_" not in symbols:
        raise SystemExit(f"{target} lacks sancov or ASan symbols: the instrumentation did not take")
    (BUILD / "build.json").write_text(
        json.dumps({"command": cmd, "sha256": hashlib.sha256(source_copy.read_bytes()).hexdigest()}, indent=1)
    )
    return target


def source_state() -> dict[str, Any]:
    """Which _uper.c was fuzzed (the build's copy): its sha256, HEAD, and whether HEAD has that same file."""
    state: dict[str, Any] = {"sha256": hashlib.sha256((BUILD / "_uper.c").read_bytes()).hexdigest()}
    git = ["git", "-C", str(ROOT)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    if head.returncode == 0:
        state["commit"] = head.stdout.strip()
        committed = subprocess.run([*git, "show", f"HEAD:{SOURCE.relative_to(ROOT)}"], capture_output=True)
        state["same_as_commit"] = hashlib.sha256(committed.stdout).hexdigest() == state["sha256"]
    return state


# -- seeds --------------------------------------------------------------------------------------------------------
def seed_frames() -> list[bytes]:
    """The corpus frames (framing none, MessageFrame), the field captures when present, the regression vectors."""
    frames: list[bytes] = []
    for path in sorted(CORPUS_DIR.glob("*/*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            record = json.loads(line)
            if record.get("framing") == "none" and record.get("type") == "MessageFrame" and record.get("hex"):
                frames.append(bytes.fromhex(record["hex"]))
    if CAPTURES.exists():
        frames += [bytes.fromhex(c["hex"]) for c in json.loads(CAPTURES.read_text(encoding="utf-8"))["captures"]]
    if REGRESSIONS.is_dir():
        frames += [p.read_bytes() for p in sorted(REGRESSIONS.iterdir()) if p.is_file() and p.name != "README.md"]
    return frames + fragmented_seeds()


# (messageId, octets of the value): bound to TestMsg / RTCMcorrections (the inner decode then fails somewhere in
# the joined fragments), and a key bound to nothing; 16383 is the last unfragmented length
FRAGMENTED = ((0, 16384), (10, 20000), (32767, 16383), (12, 16385))


def fragmented_seeds() -> list[bytes]:
    """Frames whose open types come in fragments (X.691 11.9.3.8): the corpus has none (every frame is far below
    16K octets), so the fragment paths of the engine (rd_joined, dec_joined, seg_map) would go unfuzzed. Built with
    the engine's own encoder, for each edition whose MessageFrame has the ``msgFrameExt`` alternative (its value is
    the registry's open type, inside the CHOICE's own open type: fragments within fragments), plus a small valid
    one. Needs the regular build of the extension; without it there are none."""
    try:
        from conformance.codec import native
        from conformance.codec.jsonvalue import OpenValue
        from conformance.standards.editions import edition_ids
    except ImportError:
        return []
    if not native.available():
        return []
    frames: list[bytes] = []
    for edition in edition_ids():
        codec = native.codec_for(edition)
        values: list[Any] = [
            {"messageId": key, "value": bytes((i * 7 + key) % 256 for i in range(n))} for key, n in FRAGMENTED
        ]
        values.append({"messageId": 0, "value": OpenValue("TestMsg", {"msgCnt": 1, "userData": b"V2X" * 40})})
        for value in values:
            try:
                out = codec.encode_raw(("msgFrameExt", value))
            except (LookupError, RuntimeError):
                break
            if type(out) is bytes and out not in frames:
                frames.append(out)
    return frames


def write_seeds(corpus: Path) -> int:
    corpus.mkdir(parents=True, exist_ok=True)
    frames = seed_frames()
    for frame in frames:
        (corpus / hashlib.sha1(frame).hexdigest()).write_bytes(frame)
    return len(frames)




def value_at(value: Any, path: tuple[str | int, ...]) -> Any:
    """The part of a decoded value a path names (CHOICE values are (alternative, value); open values have theirs
    in ``.value``); ``...`` when there is no such part."""
    for key in path:
        if hasattr(value, "type_name") and hasattr(value, "value"):  # an OpenValue: its decoded value
            value = value.value
        in_list = isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value)
        if isinstance(value, tuple) and len(value) == 2 and value[0] == key:
            value = value[1]
        elif (isinstance(value, dict) and key in value) or in_list:
            value = value[key]
        else:
            return ...  # not found: never equal to None
    return value


def bits_normalised(value: Any) -> Any:
    """The value with every BIT STRING (bytes, bit count) cut after its last 1 bit (X.680 22.7 equivalence)."""
    if isinstance(value, tuple) and len(value) == 2 and type(value[0]) is bytes and type(value[1]) is int:
        data, n = value
        return ("bits", "".join(f"{b:08b}" for b in data).ljust(n, "0")[:n].rstrip("0"))
    if hasattr(value, "type_name") and hasattr(value, "value"):  # an OpenValue: its raw octets follow the value
        return ("open", value.type_name, bits_normalised(value.value))
    if isinstance(value, tuple):
        return tuple(bits_normalised(v) for v in value)
    if isinstance(value, list):
        return [bits_normalised(v) for v in value]
    if isinstance(value, dict):
        return {k: bits_normalised(v) for k, v in value.items()}
    return value


# -- the harness (child process) ----------------------------------------------------------------------------------
class Harness:
    """Everything one input goes through; contract findings are recorded, never raised."""

    def __init__(self, so_path: Path, findings: Path) -> None:
        spec = importlib.util.spec_from_file_location(MODULE, so_path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[MODULE] = module
        from conformance.codec import native
        from conformance.standards.editions import edition_ids

        if native._uper is not module:  # the point: which engine is loaded
            raise SystemExit("conformance.codec.native did not take the instrumented module")
        self.module_file = module.__file__
        self.read_verdict = native._verdict  # how the wrapper reads a result: the documented layout
        self.programs: list[tuple[str, Any, int]] = []
        self.masks: dict[str, tuple[bytes, bytes]] = {}
        for edition in edition_ids():
            codec = native.codec_for(edition)
            found = codec.program()
            if found is None:
                raise SystemExit(f"the native engine cannot take the PDU of {edition}")
            self.programs.append((edition, found[0], found[1]))
            compiled = getattr(codec, "_compiled", {}).get(codec.edition.info.pdu)
            edges = getattr(compiled, "edges", None)
            if edges and hasattr(found[0], "extract"):  # extract(root, data, mask): one byte per edge
                self.masks[edition] = (b"\x01" * len(edges), bytes(i % 3 == 0 for i in range(len(edges))))
        self.findings = findings
        self.seen: set[tuple[str, str]] = set()
        self.contract = 0
        self.round_trips = 0
        self.reencoded_differently = 0
        self.inputs = 0
        self.extract_checked = 0
        self.engine_calls = 0
        self.trailing_zero_bits = 0

    # shapes -----------------------------------------------------------------------------------------------------
    def verdict_problem(self, raw: Any, *, with_value: bool) -> str | None:
        """What is wrong with a validate/decode result, read as the wrapper reads it (``native._verdict``, the
        value last): the tuple's layout is the wrapper's business, the types and invariants are the contract."""
        if type(raw) is not tuple or len(raw) < 2:
            return f"not a tuple: {type(raw).__name__} {raw!r:.200}"
        try:
            verdict = self.read_verdict(raw)
        except Exception as exc:  # noqa: BLE001 - the wrapper cannot read it: that is the finding
            return f"the wrapper cannot read it ({type(exc).__name__}: {exc}): {raw[:-1]!r:.200}"
        value = raw[-1]
        code, bit, path, detail, bits = verdict.code, verdict.bit_offset, verdict.path, verdict.detail, verdict.bits
        inner = getattr(verdict, "inner", getattr(verdict, "inner_type", None))
        if type(code) is not int or type(bits) is not int or (bit is not None and type(bit) is not int):
            return f"code/bit/bits not int: {raw[:-1]!r:.200}"
        if type(detail) is not tuple or not all(type(x) is int for x in detail):
            return f"detail is not a tuple of int: {detail!r:.200}"
        if type(path) is not tuple or not all(type(p) in (str, int) for p in path):
            return f"path is not a tuple of str/int: {path!r:.200}"
        inner_ok = type(inner) is str or (type(inner) is tuple and len(inner) == 2 and type(inner[0]) is str)
        if inner is not None and not inner_ok:
            return f"inner type is not a name, (name, octets) or None: {inner!r:.200}"
        if not with_value and value is not None:
            return "validate returned a value"
        if code == 0 and (path != () or inner is not None):
            return f"ok verdict with a path or inner type: {raw[:-1]!r:.200}"
        if code != 0 and value is not None:
            return f"rejection with a value (code {code})"
        if bits < 0 or (code != 0 and (bit is None or bit < 0)):
            return f"negative bit count/offset: {raw[:-1]!r:.200}"
        return None

    @staticmethod
    def encode_problem(out: Any) -> str | None:
        if type(out) is bytes:
            return None
        shaped = type(out) is tuple and len(out) == 3 and type(out[0]) is int and type(out[2]) is int
        if shaped and type(out[1]) is tuple and all(type(p) in (str, int) for p in out[1]):
            return None
        return f"encode returned {type(out).__name__} {out!r:.200}"

    def record(self, kind: str, edition: str, data: bytes, detail: str) -> None:
        self.contract += 1
        key = (kind, edition)
        if key in self.seen:
            return
        self.seen.add(key)
        self.findings.mkdir(parents=True, exist_ok=True)
        name = f"contract-{hashlib.sha1(data).hexdigest()}"
        (self.findings / name).write_bytes(data)
        line = {"file": name, "kind": kind, "edition": edition, "detail": detail, "hex": data.hex()[:400]}
        with (self.findings / "findings.jsonl").open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(line) + "\n")
        print(f"FINDING {kind} {edition}: {detail}", file=sys.stderr, flush=True)

    def calls_per_input_checked(self, frames: list[bytes]) -> int:
        """Engine calls one pass over ``frames`` makes (counted on one extra pass)."""
        before = self.engine_calls
        for frame in frames:
            self(frame)
        return self.engine_calls - before

    def call(self, kind: str, edition: str, data: bytes, fn: Any, *args: Any) -> tuple[bool, Any]:
        self.engine_calls += 1
        try:
            return True, fn(*args)
        except MemoryError:
            return False, None
        except Exception as exc:  # noqa: BLE001 - any exception but MemoryError is a finding
            self.record(f"{kind} raised", edition, data, f"{type(exc).__name__}: {exc}"[:300])
            return False, None

    # one input --------------------------------------------------------------------------------------------------
    def __call__(self, data: bytes) -> None:
        self.inputs += 1
        for edition, prog, root in self.programs:
            ok, v = self.call("validate", edition, data, prog.validate, root, data)
            if ok and (problem := self.verdict_problem(v, with_value=False)):
                self.record("validate shape", edition, data, problem)
                v = None
            if v is not None:
                self.batch_calls(edition, prog, root, data, v)
            ok, d = self.call("decode", edition, data, prog.decode, root, data)
            if ok and (problem := self.verdict_problem(d, with_value=True)):
                self.record("decode shape", edition, data, problem)
                d = None
            if ok and v is not None and d is not None and v[:-1] != d[:-1]:
                self.record(
                    "validate/decode disagree", edition, data, f"validate {v[:-1]!r:.150} decode {d[:-1]!r:.150}"
                )
            if v is not None:
                self.extract_call(edition, prog, root, data, v, d)
            ok, lenient = self.call("decode lenient", edition, data, prog.decode, root, data, True, True)
            if ok and (problem := self.verdict_problem(lenient, with_value=True)):
                self.record("decode lenient shape", edition, data, problem)
                lenient = None
            for label, res in (("strict", d), ("lenient", lenient)):
                if res is not None and res[0] == 0:
                    self.round_trip(label, edition, prog, root, data, res[-1], strict=label == "strict")

    def extract_call(self, edition: str, prog: Any, root: int, data: bytes, v: tuple[Any, ...], d: Any) -> None:
        """extract with every edge selected (odd-length inputs) or every third: same verdict as validate, and each
        capture (path, value) equal to that part of the full decode when the frame is valid."""
        masks = self.masks.get(edition)
        if masks is None:
            return
        ok, out = self.call("extract", edition, data, prog.extract, root, data, masks[len(data) % 2])
        if not ok:
            return
        if type(out) is not tuple or len(out) != 2 or type(out[1]) is not list:
            self.record("extract shape", edition, data, f"{out!r:.200}")
            return
        raw, captures = out
        if (problem := self.verdict_problem(raw, with_value=False)) or raw[:-1] != v[:-1]:
            detail = problem or f"extract {raw[:-1]!r:.150} validate {v[:-1]!r:.150}"
            self.record("extract verdict", edition, data, detail)
            return
        if v[0] != 0:
            return
        for capture in captures:
            if type(capture) is not tuple or len(capture) != 2 or type(capture[0]) is not tuple:
                self.record("extract capture shape", edition, data, f"{capture!r:.200}")
                return
        if d is None or d[0] != 0:  # d: the strict decode of the same frame
            return
        for path, value in captures:
            if value_at(d[-1], path) != value:
                self.record("extract differs from decode", edition, data, f"{path!r:.150}: {value!r:.100}")
                return
        self.extract_checked += 1

    def batch_calls(self, edition: str, prog: Any, root: int, data: bytes, v: tuple[Any, ...]) -> None:
        """validate_many and count_valid on this frame agree with validate."""
        ok, many = self.call("validate_many", edition, data, prog.validate_many, root, [data])
        if ok and (type(many) is not list or len(many) != 1 or many[0] != v):
            self.record("validate_many disagrees with validate", edition, data, f"{many!r:.200}")
        ok, count = self.call("count_valid", edition, data, prog.count_valid, root, [data])
        if ok and (type(count) is not int or count != (1 if v[0] == 0 else 0)):
            self.record("count_valid disagrees with validate", edition, data, f"{count!r:.100} for code {v[0]}")

    def round_trip(
        self, label: str, edition: str, prog: Any, root: int, data: bytes, value: Any, *, strict: bool
    ) -> None:
        ok, out = self.call(f"encode ({label} value)", edition, data, prog.encode, root, value)
        if not ok:
            return
        if problem := self.encode_problem(out):
            self.record(f"encode shape ({label} value)", edition, data, problem)
            return
        if type(out) is not bytes:
            self.record(f"encode refused a decoded value ({label})", edition, data, f"{out!r:.200}")
            return
        ok, again = self.call("decode of re-encoded", edition, data, prog.decode, root, out)
        if not ok:
            return
        if (problem := self.verdict_problem(again, with_value=True)) or again[0] != 0:
            self.record(f"re-encoded bytes rejected ({label})", edition, data, problem or f"{again[:-1]!r:.200}")
            return
        self.round_trips += 1
        if again[-1] != value:
            if bits_normalised(again[-1]) == bits_normalised(value):
                self.trailing_zero_bits += 1  # X.680 22.7: a named BIT STRING's trailing 0 bits may come and go
                return
            self.record(f"round trip changed the value ({label})", edition, data, f"{out.hex()[:200]}")
        elif strict and out != data:
            self.reencoded_differently += 1  # a valid frame re-encoded to other bytes: counted, not a finding


def child(args: argparse.Namespace) -> int:
    import atheris

    harness = Harness(Path(args.module), Path(args.findings))
    print(f"instrumented engine: {harness.module_file}; editions: {[e for e, _, _ in harness.programs]}", flush=True)
    stats = Path(args.stats)

    last = [0.0]

    def one_input(data: bytes) -> None:
        harness(data)
        now = time.monotonic()
        if now - last[0] > 1.0:  # libFuzzer leaves with exit() or a signal: keep the counts on disk as we go
            last[0] = now
            stats.write_text(
                json.dumps(
                    {
                        "contract_findings": harness.contract,
                        "round_trips": harness.round_trips,
                        "reencoded_differently": harness.reencoded_differently,
                        "extract_checked": harness.extract_checked,
                        "trailing_zero_bits": harness.trailing_zero_bits,
                        "inputs": harness.inputs,
                        "engine_calls": harness.engine_calls,
                    }
                )
            )

    atheris.Setup([sys.argv[0], *args.libfuzzer], one_input)
    atheris.Fuzz()
    return 0


def leak_child(args: argparse.Namespace) -> int:
    """Replay the corpus through the harness and watch ASan's count of live heap bytes grow (or not).

    With ``PYTHONMALLOC=malloc`` every Python object is a malloc of the ASan allocator too, so a reference the
    engine forgets to drop and a buffer it forgets to free both show here; freed memory in ASan's quarantine does
    not count (``__sanitizer_get_current_allocated_bytes``). Two measured stretches of equal length after a
    warm-up: a leak grows in both.
    """
    import ctypes
    import gc

    live = ctypes.CDLL(None).__sanitizer_get_current_allocated_bytes
    live.restype = ctypes.c_size_t
    harness = Harness(Path(args.module), Path(args.findings))
    frames = [p.read_bytes() for p in sorted(Path(args.corpus).iterdir()) if p.is_file()]

    def rounds(n: int) -> int:
        for _ in range(n):
            for frame in frames:
                harness(frame)
        gc.collect()
        return int(live())

    rounds(2)  # warm-up: caches, interned strings, free lists
    base = rounds(0)
    first = rounds(args.leak_rounds)
    second = rounds(args.leak_rounds)
    calls = 2 * args.leak_rounds * harness.calls_per_input_checked(frames)
    print(
        json.dumps(
            {
                "frames": len(frames),
                "rounds": 2 * args.leak_rounds,
                "engine_calls": calls,
                "live_heap_growth_bytes": [first - base, second - first],
                "contract_findings": harness.contract,
            }
        ),
        flush=True,
    )
    return 0


# -- the driver ---------------------------------------------------------------------------------------------------
STATUS = re.compile(r"#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+.*?exec/s: (\d+)")


def run_campaign(args: argparse.Namespace, so_path: Path, preload: str, corpus: Path) -> dict[str, Any]:
    env = dict(
        os.environ,
        LD_PRELOAD=preload,
        PYTHONMALLOC="malloc",
        ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:abort_on_error=0:symbolize=1",
        UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1",
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    FINDINGS.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + args.seconds
    runs = 0
    execs = 0
    last: dict[str, int] = {}
    crashes: list[str] = []
    counts: dict[str, int] = {}
    log_path = BUILD / "campaign.log"
    log_path.write_text("")
    while (left := int(deadline - time.monotonic())) >= 2:
        runs += 1
        stats = BUILD / f"stats-{runs}.json"
        stats.unlink(missing_ok=True)  # never count an earlier campaign's figures
        libfuzzer = [
            f"-max_total_time={left}",
            f"-timeout={args.timeout}",
            "-rss_limit_mb=4096",
            "-malloc_limit_mb=2048",
            f"-max_len={args.max_len}",
            "-detect_leaks=0",
            "-print_final_stats=1",
            f"-artifact_prefix={FINDINGS}/",
            str(corpus),
        ]
        cmd = [
            sys.executable,
            __file__,
            "--child",
            "--module",
            str(so_path),
            "--findings",
            str(FINDINGS),
            "--stats",
            str(stats),
            "--",
            *libfuzzer,
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=args.seconds + 600)
        with log_path.open("a", encoding="utf-8") as fh:
            fh.write(f"== run {runs}: {' '.join(cmd)}\n{proc.stdout}\n{proc.stderr}\n")
        out = proc.stdout + proc.stderr
        done = re.search(r"Done (\d+) runs in (\d+) second", out)
        number = re.search(r"stat::number_of_executed_units:\s*(\d+)", out)
        run_execs = int(number.group(1)) if number else (int(done.group(1)) if done else 0)
        statuses = STATUS.findall(out)
        if statuses:
            n, cov, ft, corp, eps = map(int, statuses[-1])
            run_execs = max(run_execs, n)
            last = {"cov": cov, "ft": ft, "corpus": corp, "exec_s_last": eps}
        execs += run_execs
        if stats.exists():
            s = json.loads(stats.read_text())
            for key, n in s.items():
                counts[key] = counts.get(key, 0) + n
        written = [Path(m).name for m in re.findall(r"Test unit written to (\S+)", out)]
        for name in written:
            crashes.append(name)
            (FINDINGS / f"{name}.log").write_text(proc.stderr[-20000:])  # keep the report next to the input
            sha = name.rsplit("-", 1)[-1]
            for seed in corpus.iterdir():  # a crashing seed would stop every later run at once
                if hashlib.sha1(seed.read_bytes()).hexdigest() == sha:
                    seed.unlink()
        if proc.returncode == 0:
            break
        if not written:
            crashes.append(f"(exit {proc.returncode} without an artifact; see {log_path})")
            break
    counts.setdefault("contract_findings", 0)
    crashes = sorted(set(crashes))
    return {"libfuzzer_runs": runs, "executions": execs, "crashes": crashes, **counts, **last}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--child" in argv or "--leak-child" in argv:
        extra: list[str] = []
        if "--" in argv:
            i = argv.index("--")
            argv, extra = argv[:i], argv[i + 1 :]
        p = argparse.ArgumentParser()
        p.add_argument("--child", action="store_true")
        p.add_argument("--leak-child", action="store_true")
        p.add_argument("--module", required=True)
        p.add_argument("--findings", required=True)
        p.add_argument("--stats", default=os.devnull)
        p.add_argument("--corpus")
        p.add_argument("--leak-rounds", type=int, default=20)
        a = p.parse_args(argv)
        a.libfuzzer = extra
        return leak_child(a) if a.leak_child else child(a)

    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seconds", type=int, default=60, help="length of the campaign (default 60)")
    p.add_argument("--timeout", type=int, default=10, help="seconds one input may take before it is a hang")
    p.add_argument(
        "--max-len", type=int, default=24576, help="longest input libFuzzer makes (bytes; fragmented seeds: 20 KB)"
    )
    p.add_argument("--leak-rounds", type=int, default=20, help="corpus replays of the leak pass (0: no leak pass)")
    p.add_argument("--no-install", action="store_true", help="never apt-get or pip install; fail instead")
    p.add_argument("--json", help="write the summary here too")
    args = p.parse_args(argv)

    started = time.monotonic()
    clang = ensure_clang(not args.no_install)
    where = ensure_atheris(clang, not args.no_install)
    merged = where / "asan_with_fuzzer.so" if where else None
    if merged is not None and merged.exists():
        preload, feedback = str(merged), "ASan+UBSan runtime with libFuzzer (atheris asan_with_fuzzer.so)"
    else:
        asan = _clang_file(clang, "libclang_rt.asan-x86_64.so")
        if asan is None:
            raise SystemExit("no ASan runtime to preload")
        preload = asan
        feedback = "plain ASan runtime: C coverage NOT fed back to libFuzzer (atheris built from a wheel)"
    so_path = build(clang)
    corpus = BUILD / "corpus"
    seeds = write_seeds(corpus)
    print(f"fuzz_native: {so_path.name} built; {seeds} seed frames; preload {preload}", flush=True)
    summary: dict[str, Any] = {"seconds": args.seconds, "seeds": seeds, "preload": feedback, "cflags": CFLAGS}
    summary["source"] = source_state()
    t0 = time.monotonic()
    summary.update(run_campaign(args, so_path, preload, corpus))
    summary["campaign_seconds"] = round(time.monotonic() - t0, 1)
    summary["exec_per_s"] = round(summary["executions"] / max(summary["campaign_seconds"], 1e-9), 1)
    summary["corpus_files"] = sum(1 for _ in corpus.iterdir())
    if args.leak_rounds > 0:
        env = dict(
            os.environ,
            LD_PRELOAD=preload,
            PYTHONMALLOC="malloc",
            ASAN_OPTIONS="detect_leaks=0",
            PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        )
        cmd = [
            sys.executable,
            __file__,
            "--leak-child",
            "--module",
            str(so_path),
            "--findings",
            str(FINDINGS),
            "--corpus",
            str(corpus),
            "--leak-rounds",
            str(args.leak_rounds),
        ]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            summary["leak_pass"] = f"failed (exit {proc.returncode}): {proc.stderr[-2000:]}"
        else:
            summary["leak_pass"] = json.loads(proc.stdout.strip().splitlines()[-1])
    leak = summary.get("leak_pass")
    leaked = isinstance(leak, dict) and min(leak["live_heap_growth_bytes"]) > LEAK_BYTES
    if isinstance(leak, dict):
        summary["leak_verdict"] = f"LEAK (over {LEAK_BYTES} bytes in both stretches)" if leaked else "no leak"
        summary["contract_findings"] += leak["contract_findings"]
    if summary.get("engine_calls"):
        summary["engine_calls_per_s"] = round(summary["engine_calls"] / max(summary["campaign_seconds"], 1e-9))
    summary["total_seconds"] = round(time.monotonic() - started, 1)
    print(json.dumps(summary, indent=1))
    if summary["crashes"]:
        print(f"crashing inputs in {FINDINGS}; make them regression vectors: cp {FINDINGS}/crash-* {REGRESSIONS}/")
    if summary["contract_findings"]:
        print(f"contract findings: {FINDINGS / 'findings.jsonl'}")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=1))
    return 1 if summary["crashes"] or summary["contract_findings"] or leaked or isinstance(leak, str) else 0


if __name__ == "__main__":
    sys.exit(main())
