"""The vector corpus: JSON Lines records under ``<root>/<edition>/<message>.jsonl``, generation and re-checking.

One record per line (keys in this order)::

    id          "v1-" + 20 hex digits of SHA-256 over edition, type, class, framing, hex and violation
    edition     e.g. "csae53-2020"
    type        the ASN.1 type the bytes are (normally "MessageFrame")
    message     bsm / map / spat / rsi / rsm (the MessageFrame alternative), the file name
    class       valid / boundary / invalid
    framing     none / dsmp
    hex         the exact bytes
    decoded     the value in the project's JSON form: strictly decoded for valid/boundary; for invalid vectors what a
                lenient decoder (asn1tools, constraint checks off) reads, or null where nothing decodes
    violation   null, or {kind, path, constraint, value}: kind range/size/enumerated (path = the field the strict
                codec must name) or mutation:<name> (see conformance.vectors.mutations)
    generator   {name, mode, seed, index, ...}: how the vector was made
    provenance  {tool, asn1_sha256, hypothesis, regenerate}: versions and the command that regenerates the file

The id is a content hash, so changing one byte of ``hex`` (or the label) breaks it; :func:`check` re-verifies ids,
decoded values and the oracle's verdict for every record.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from ..codec import jsonvalue
from ..errors import ConfigurationError, FramingError, SourceLocation, VectorArgumentError
from ..network import dsmp
from ..standards import CORPUS_DIR
from ..standards import messages as message_table
from ..standards.editions import edition_ids, load_edition
from . import mutations, traffic
from .model import Vector, VectorClass, Violation
from .oracle import verify
from .schema import schema_for

__all__ = [
    "DEFAULT_SEED",
    "Problem",
    "build_corpus",
    "check",
    "find_record",
    "generate",
    "iter_records",
    "record_for",
    "vector_from_record",
    "vector_id",
    "write_records",
]

DEFAULT_SEED = 20260520
RECORD_KEYS = (
    "id",
    "edition",
    "type",
    "message",
    "class",
    "framing",
    "hex",
    "decoded",
    "violation",
    "generator",
    "provenance",
)
REGENERATE = "v2xc vectors generate --edition {edition} --type {message} --mode {mode} --count {count} --seed {seed}"
CORPUS_REGENERATE = "python -m conformance.vectors.corpus vectors"


# --------------------------------------------------------------------------------------------- records
def vector_id(vector: Vector) -> str:
    """The content hash of a vector: what it is (edition, type, class, framing, bytes, label), not how it was made."""
    content = {
        "edition": vector.edition,
        "type": vector.type_name,
        "class": vector.vclass.value,
        "framing": vector.framing,
        "hex": vector.hex,
        "violation": vector.violation.as_dict() if vector.violation else None,
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=True).encode()).hexdigest()
    return f"v1-{digest[:20]}"


def _message_of(vector: Vector, decoded: Any) -> str:
    alternative = None
    if isinstance(vector.value, tuple):
        alternative = vector.value[0]
    elif isinstance(decoded, dict) and jsonvalue.CHOICE in decoded:
        alternative = decoded[jsonvalue.CHOICE]
    elif vector.params.get("message"):
        return str(vector.params["message"])
    for kind in message_table.frame_kinds_in_choice_order():
        if alternative == kind.alternative or vector.type_name == kind.type_name:
            return kind.short
    return str(alternative or vector.type_name)


def decoded_json(vector: Vector) -> Any:
    """The record's ``decoded`` value: strict decode for valid/boundary, lenient decode (or None) for invalid."""
    payload = vector.data
    if vector.framing == "dsmp":
        try:
            payload = dsmp.parse(payload).payload
        except FramingError:
            return None
    edition = load_edition(vector.edition)
    if vector.vclass is not VectorClass.INVALID:
        from ..codec.strict import codec_for

        return jsonvalue.to_json(codec_for(vector.edition).decode(payload, vector.type_name).value)
    try:
        return jsonvalue.to_json(edition.spec.decode(vector.type_name, payload, check_constraints=False))
    except Exception:  # noqa: BLE001 - asn1tools raises many types on malformed bytes; null is the answer
        return None


def record_for(
    vector: Vector, *, generator: dict[str, Any], regenerate: str = "", message: str | None = None
) -> dict[str, Any]:
    """Build the corpus record of a vector (see the module docstring for the keys).

    ``message`` names the file the record belongs in (bsm, map, ...); by default it is read from the value.
    """
    decoded = decoded_json(vector)
    edition = load_edition(vector.edition)
    record = {
        "id": vector_id(vector),
        "edition": vector.edition,
        "type": vector.type_name,
        "message": message or _message_of(vector, decoded),
        "class": vector.vclass.value,
        "framing": vector.framing,
        "hex": vector.hex,
        "decoded": decoded,
        "violation": vector.violation.as_dict() if vector.violation else None,
        "generator": {"name": vector.generator, **generator},
        "provenance": {
            "tool": f"v2x-conformance {__version__}",
            "asn1_sha256": edition.sha256,
            "hypothesis": _hypothesis_version() if vector.generator.startswith("strategies") else None,
            "regenerate": regenerate,
        },
    }
    return record


def vector_from_record(record: dict[str, Any]) -> Vector:
    """Rebuild the :class:`Vector` a record describes (bytes, class, label)."""
    violation = record.get("violation")
    return Vector(
        edition=str(record["edition"]),
        type_name=str(record["type"]),
        vclass=VectorClass(record["class"]),
        data=bytes.fromhex(record["hex"]),
        violation=Violation.from_dict(violation) if violation else None,
        generator=str((record.get("generator") or {}).get("name", "")),
        framing=str(record.get("framing", "none")),
    )


def write_records(records: Iterable[dict[str, Any]], path: Path) -> int:
    """Write records as JSON Lines (UTF-8, one record per line); return how many were written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
            count += 1
    return count


# --------------------------------------------------------------------------------------------- generation
def require_hypothesis() -> Any:
    """Import Hypothesis (needed to generate, not to check or show); a clear configuration error if absent."""
    try:
        import hypothesis
    except ImportError:
        raise ConfigurationError(
            "Generating vectors needs the Hypothesis library, which is not installed.",
            hint="pip install hypothesis (or install the toolkit with its dev extra: pip install -e '.[dev]').",
        ) from None
    return hypothesis


def _hypothesis_version() -> str | None:
    try:
        import hypothesis
    except ImportError:  # pragma: no cover
        return None
    return str(hypothesis.__version__)


def generate(
    edition: str,
    type_name: str,
    *,
    mode: str = "valid",
    count: int = 10,
    seed: int = DEFAULT_SEED,
    alternative: str | None = None,
    spread: int = 4,
) -> list[Vector]:
    """Generate up to ``count`` distinct vectors deterministically (Hypothesis with a fixed seed, no database).

    Hypothesis starts from the simplest values and grows richer ones as it goes, so ``spread`` x ``count``
    examples are drawn and ``count`` are taken evenly across them (the simplest one first). The same arguments
    give the same vectors with the same Hypothesis version (recorded in each record's provenance). Fewer than
    ``count`` are returned only when the type has fewer distinct values.
    """
    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise VectorArgumentError(f"generate(count={count!r}): must be a positive integer.")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise VectorArgumentError(f"generate(seed={seed!r}): must be an integer.")
    hypothesis_module = require_hypothesis()
    from hypothesis import HealthCheck, Phase, given, settings

    from .strategies import for_type

    strategy = for_type(edition, type_name, mode=mode, alternative=alternative)
    found: dict[bytes, Vector] = {}

    @hypothesis_module.seed(seed)
    @settings(
        max_examples=count * spread,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(vector: Vector) -> None:
        found.setdefault(vector.data, vector)

    with _no_local_constants():
        collect()
    distinct = list(found.values())
    if len(distinct) <= count:
        return distinct
    if count == 1:
        return distinct[:1]
    return [distinct[round(index * (len(distinct) - 1) / (count - 1))] for index in range(count)]


@contextmanager
def _no_local_constants() -> Iterator[None]:
    """Keep Hypothesis from mixing in constants of whatever modules happen to be imported (determinism).

    Hypothesis (6.13x+) sometimes draws literal constants collected from the *local* modules loaded in the
    process, so the same seed gives different examples depending on what else was imported (a test suite, a CLI).
    The corpus must not depend on that: during generation the local pool is empty and the pool cache is cleared
    before and after. This touches a Hypothesis internal; where it is absent (other versions) nothing is patched.
    """
    try:
        from hypothesis.internal.conjecture import providers
    except ImportError:  # pragma: no cover - other Hypothesis layouts
        yield
        return
    original = getattr(providers, "_get_local_constants", None)
    cache = getattr(providers, "CONSTANTS_CACHE", None)
    constants_type = getattr(providers, "Constants", None)
    if original is None or cache is None or constants_type is None:  # pragma: no cover
        yield
        return
    empty = constants_type()
    providers._get_local_constants = lambda: empty
    cache.cache.clear()
    try:
        yield
    finally:
        providers._get_local_constants = original
        cache.cache.clear()


#: Messages the realistic traffic generators produce (the message table's kinds with a ``traffic`` generator).
TRAFFIC_MESSAGES = tuple(kind.short for kind in message_table.kinds() if kind.traffic is not None)


def _traffic_values(message: str, edition: str, count: int) -> tuple[str, list[dict[str, Any]]]:
    kind = message_table.get(message)
    if kind is None or kind.traffic is None:
        raise VectorArgumentError(f"traffic(message={message!r}): use one of {', '.join(TRAFFIC_MESSAGES)}.")
    generate_values = getattr(traffic, kind.traffic)
    return kind.alternative, generate_values(count=count, edition=edition)


def traffic_vectors(message: str, *, edition: str, count: int) -> list[Vector]:
    """``count`` consecutive messages of the realistic traffic generator for ``message`` (bsm/map/spat/rsi/rsm)."""
    alternative, values = _traffic_values(message, edition, count)
    return traffic.encode_values(values, alternative=alternative, edition=edition, generator=f"traffic.{message}")


# --------------------------------------------------------------------------------------------- the curated corpus
#: Vectors per (edition, message) in the committed corpus.
PLAN = {"valid": 6, "boundary": 6, "invalid": 6, "traffic": 4, "mutations_per_kind": 1}


def build_corpus(root: Path, *, editions: Sequence[str] | None = None, seed: int = DEFAULT_SEED) -> Counter[str]:
    """(Re)generate the curated corpus under ``root``; return counts by ``edition/message/class``.

    Deterministic: the same seed, toolkit and Hypothesis version give byte-identical files. Every record is
    verified by the oracle before it is written (a failure is a generator bug and raises AssertionError).
    """
    counts: Counter[str] = Counter()
    chosen = list(editions or [e for e in edition_ids() if load_edition(e).has_type("MessageFrame")])
    pending: dict[tuple[str, str], list[dict[str, Any]]] = {}  # frames offered to another edition
    files: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for edition in chosen:
        frame = schema_for(edition).node_for("MessageFrame")
        for kind in message_table.frame_kinds_in_choice_order():
            message, alternative = kind.short, kind.alternative
            if alternative not in {member.name for member in frame.members}:
                continue
            records: list[dict[str, Any]] = []
            sources: list[Vector] = []
            for mode in ("valid", "boundary", "invalid"):
                count = PLAN[mode]
                vectors = generate(edition, "MessageFrame", mode=mode, count=count, seed=seed, alternative=alternative)
                command = REGENERATE.format(edition=edition, message=message, mode=mode, count=count, seed=seed)
                for index, vector in enumerate(vectors):
                    generator = {"mode": mode, "seed": seed, "index": index}
                    records.append(record_for(vector, generator=generator, regenerate=command, message=message))
                if mode == "valid":
                    sources.extend(vectors[:1])
            if edition in traffic.SUPPORTED_EDITIONS and message in TRAFFIC_MESSAGES:
                count = PLAN["traffic"]
                vectors = traffic_vectors(message, edition=edition, count=count)
                command = REGENERATE.format(edition=edition, message=message, mode="traffic", count=count, seed=seed)
                for index, vector in enumerate(vectors):
                    generator = {"mode": "traffic", "index": index}
                    records.append(record_for(vector, generator=generator, regenerate=command, message=message))
                sources[:0] = vectors[:1]
            per_kind: Counter[str] = Counter()
            for source in sources:
                generator = {"mode": "mutation", "seed": seed, "source": source.hex}
                for mutant in mutations.all_mutations(source, seed=seed, other_editions=False):
                    assert mutant.violation is not None
                    if per_kind[mutant.violation.kind] < PLAN["mutations_per_kind"]:
                        per_kind[mutant.violation.kind] += 1
                        records.append(
                            record_for(mutant, generator=generator, regenerate=CORPUS_REGENERATE, message=message)
                        )
                for mutant in mutations.other_edition(source, [e for e in chosen if e != edition]):
                    if verify(mutant).ok:
                        generator = {"mode": "mutation", "source_edition": edition, "source": source.hex}
                        record = record_for(mutant, generator=generator, regenerate=CORPUS_REGENERATE, message=message)
                        pending.setdefault((mutant.edition, message), []).append(record)
            files[(edition, message)] = records
    for key, extra in pending.items():
        files.setdefault(key, []).extend(extra[:2])
    for (edition, message), records in files.items():
        _finish(root, edition, message, records, counts)
    return counts


def _finish(root: Path, edition: str, message: str, records: list[dict[str, Any]], counts: Counter[str]) -> None:
    unique: dict[str, dict[str, Any]] = {}
    for record in records:
        verdict = verify(
            vector_from_record(record), decoded_json=record["decoded"] if record["class"] != "invalid" else None
        )
        if not verdict.ok:
            raise AssertionError(
                f"generator bug: {record['id']} ({record['generator']}) fails the oracle: {verdict.detail}"
            )
        unique.setdefault(record["id"], record)
    for record in unique.values():
        counts[f"{edition}/{message}/{record['class']}"] += 1
    write_records(unique.values(), root / edition / f"{message}.jsonl")


# --------------------------------------------------------------------------------------------- reading and checking
@dataclass(frozen=True, slots=True)
class Problem:
    """A record that does not verify: where it is and why."""

    file: str
    line: int
    record_id: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} record {self.record_id or '(no id)'}: {self.detail}"


def iter_file(path: Path) -> Iterator[dict[str, Any]]:
    """Yield the records of one JSON Lines file (blank lines skipped; a bad line raises ValueError)."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def corpus_files(path: Path) -> list[Path]:
    """The ``*.jsonl`` files of a corpus folder (recursively, sorted), or the file itself."""
    if path.is_dir():
        return sorted(path.rglob("*.jsonl"))
    return [path]


def iter_records(path: Path) -> Iterator[tuple[Path, int, dict[str, Any] | None, str]]:
    """Yield (file, line number, record or None, parse error) for every line of a corpus file or folder."""
    for file in corpus_files(path):
        if not file.is_file():  # a FIFO would block, a device (/dev/zero) never end: refused, not read
            kind = "not a regular file (a folder, FIFO or device)" if file.exists() else "not found"
            raise ConfigurationError(
                f"{file} is {kind}; a corpus is read from *.jsonl files.",
                source=SourceLocation(str(file)),
                hint="Give a corpus file or a folder of them.",
            )
        with file.open("rb") as handle:
            for number, raw in enumerate(handle, start=1):
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError as exc:
                    yield file, number, None, f"not UTF-8 text (byte {exc.start} of the line)"
                    continue
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    yield file, number, None, f"not JSON: {exc.msg} at column {exc.colno}"
                    continue
                except RecursionError:
                    yield file, number, None, "not JSON this toolkit reads: nested too deeply"
                    continue
                if not isinstance(record, dict):
                    yield file, number, None, "a record must be a JSON object"
                    continue
                yield file, number, record, ""


def check_record(record: dict[str, Any]) -> str:
    """Return why a record does not verify ('' when it does)."""
    missing = [key for key in RECORD_KEYS if key not in record]
    if missing:
        return f"missing key(s) {', '.join(missing)}"
    try:
        vector = vector_from_record(record)
    except (ValueError, KeyError, TypeError) as exc:
        return f"malformed record: {exc}"
    if vector.edition not in edition_ids():
        return f"unknown edition {vector.edition!r}"
    expected_id = vector_id(vector)
    if record["id"] != expected_id:
        return f"id {record['id']} does not match the content hash {expected_id} (hex or label changed)"
    verdict = verify(vector, decoded_json=record["decoded"] if vector.vclass is not VectorClass.INVALID else None)
    if not verdict.ok:
        return f"oracle: {verdict.detail}"
    if vector.vclass is VectorClass.INVALID and decoded_json(vector) != record["decoded"]:
        return "the recorded decoded value is not what the bytes decode to (leniently)"
    return ""


def check(path: Path) -> tuple[int, Counter[str], list[Problem]]:
    """Re-verify every record under ``path``; return (records seen, counts by class, problems)."""
    seen = 0
    counts: Counter[str] = Counter()
    problems: list[Problem] = []
    for file, number, record, error in iter_records(path):
        seen += 1
        if record is None:
            problems.append(Problem(str(file), number, "", error))
            continue
        detail = check_record(record)
        record_id = str(record.get("id", ""))
        misfiled = record.get("edition") != file.parent.name or f"{record.get('message')}.jsonl" != file.name
        if not detail and file.parent.name in edition_ids() and misfiled:
            detail = f"filed under {file.parent.name}/{file.name} but is {record['edition']}/{record['message']}"
        if detail:
            problems.append(Problem(str(file), number, record_id, detail))
        else:
            counts[str(record["class"])] += 1
    return seen, counts, problems


def find_record(path: Path, record_id: str) -> list[dict[str, Any]]:
    """Records under ``path`` whose id starts with ``record_id``."""
    return [
        record
        for _file, _number, record, _error in iter_records(path)
        if record is not None and str(record.get("id", "")).startswith(record_id)
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m conformance.vectors.corpus [ROOT]``: regenerate the curated corpus (default ``vectors``)."""
    import sys

    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else CORPUS_DIR
    counts = build_corpus(root)
    for key, value in sorted(counts.items()):
        print(f"{key}: {value}")
    print(f"total: {sum(counts.values())}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
