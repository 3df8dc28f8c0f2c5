"""``v2xc vectors``: generate, re-check and show message vectors (issue 4).

``register(main)`` adds the group to the ``v2xc`` command. Exit codes as everywhere: 0 success; 1 a record does not
verify (``check``) or no record has the id (``show``); 2 usage or configuration error; 3 internal error (a
generator bug: a generated vector that fails the oracle).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import click

from ..engine.console import DataConsole, json_text, markup
from ..errors import ExitCode, UsageError, VectorArgumentError
from ..standards import CORPUS_DIR
from ..standards import messages as message_table
from ..standards.editions import edition_ids
from ..vectors import corpus, mutations
from ..vectors.model import MODES, Vector
from ..vectors.oracle import verify
from .util import guard

out = DataConsole(soft_wrap=True)
err = DataConsole(stderr=True, soft_wrap=True)

GENERATE_MODES = (*MODES, "traffic", "mutation")
DEFAULT_CORPUS = CORPUS_DIR  # the corpus travels inside the package


def _resolve_type(type_arg: str) -> tuple[str, str | None, str]:
    """``--type`` as a message name (bsm, map, ...) or an ASN.1 type name → (type, alternative, message)."""
    frames = message_table.frame_kinds()
    for kind in frames:
        if type_arg.lower() == kind.short:
            return "MessageFrame", kind.alternative, kind.short
    for kind in frames:
        if type_arg == kind.alternative:
            return "MessageFrame", kind.alternative, kind.short
        if type_arg == kind.type_name:
            return kind.type_name, None, kind.short
    return type_arg, None, type_arg


def _generate(
    edition: str, type_name: str, alternative: str | None, message: str, mode: str, count: int, seed: int
) -> list[tuple[Vector, dict[str, Any]]]:
    if mode == "traffic":
        if message not in corpus.TRAFFIC_MESSAGES or type_name != "MessageFrame":
            raise VectorArgumentError(
                f"--mode traffic: --type must be one of {', '.join(corpus.TRAFFIC_MESSAGES)} (got {message!r}).",
            )
        vectors = corpus.traffic_vectors(message, edition=edition, count=count)
        return [(vector, {"mode": mode, "index": index}) for index, vector in enumerate(vectors)]
    if mode == "mutation":
        sources = corpus.generate(
            edition, type_name, mode="valid", count=max(1, count // 8), seed=seed, alternative=alternative
        )
        found: list[tuple[Vector, dict[str, Any]]] = []
        for source in sources:
            for mutant in mutations.all_mutations(source, seed=seed):
                found.append((mutant, {"mode": mode, "seed": seed, "source": source.hex}))
        return found[:count]
    vectors = corpus.generate(edition, type_name, mode=mode, count=count, seed=seed, alternative=alternative)
    return [(vector, {"mode": mode, "seed": seed, "index": index}) for index, vector in enumerate(vectors)]


@click.group(name="vectors")
def vectors_group() -> None:
    """Message vectors: generate (valid / boundary / invalid / traffic / mutation), check a corpus, show a record."""


@vectors_group.command(name="generate")
@click.option("--edition", "-e", required=True, help=f"Edition id ({', '.join(edition_ids())}).")
@click.option(
    "--type",
    "type_arg",
    required=True,
    help=f"Message ({', '.join(kind.short for kind in message_table.frame_kinds())}) as a MessageFrame, or any ASN.1 "
    "type name of the edition.",
)
@click.option("--mode", type=click.Choice(GENERATE_MODES), default="valid", show_default=True)
@click.option("--count", type=click.IntRange(min=1), default=10, show_default=True)
@click.option("--seed", type=int, default=corpus.DEFAULT_SEED, show_default=True)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default="-",
    show_default=True,
    help="JSON Lines file to write ('-' for standard output).",
)
def generate_command(edition: str, type_arg: str, mode: str, count: int, seed: int, output: str) -> None:
    """Generate vectors as corpus records (JSON Lines); every vector is verified by the oracle before it is written.

    The same options give the same records (Hypothesis with a fixed seed; see conformance/standards/corpus/README.md).
    """
    with guard():
        if edition not in edition_ids():
            raise VectorArgumentError(
                f"--edition {edition!r} is not a bundled edition.", hint=f"Valid editions: {', '.join(edition_ids())}."
            )
        type_name, alternative, message = _resolve_type(type_arg)
        generated = _generate(edition, type_name, alternative, message, mode, count, seed)
        command = corpus.REGENERATE.format(edition=edition, message=type_arg, mode=mode, count=count, seed=seed)
        records = []
        for vector, generator in generated:
            verdict = verify(vector)
            if not verdict.ok:
                raise AssertionError(f"generated vector {vector.hex} fails the oracle: {verdict.detail}")
            records.append(corpus.record_for(vector, generator=generator, regenerate=command, message=message))
        lines = [json.dumps(record, ensure_ascii=False, separators=(",", ":")) for record in records]
        if output == "-":
            for line in lines:
                click.echo(line)
        else:
            try:  # creates missing folders; a path under a regular file or a folder is a usage error naming it
                corpus.write_records(records, Path(output))
            except OSError as exc:
                raise UsageError(
                    f"Cannot write {output}: {exc.strerror or exc}.", hint="Give -o a file in a folder you can write."
                ) from None
        classes = Counter(record["class"] for record in records)
        summary = ", ".join(f"{name} {number}" for name, number in sorted(classes.items()))
        err.print(f"{len(records)} vector(s) generated and verified ({summary or 'none'}).")


@vectors_group.command(name="check")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Re-verify corpus files or folders: content-hash ids, decoded values and the oracle's verdict.

    Exit 1, naming each failing record (file:line and id), when any record does not verify.
    """
    with guard():
        total = 0
        classes: Counter[str] = Counter()
        problems: list[corpus.Problem] = []
        for path in paths:
            seen, counts, found = corpus.check(path)
            total += seen
            classes.update(counts)
            problems.extend(found)
        for problem in problems:
            err.print(markup("[bold red]mismatch:[/] {}", problem))
        summary = ", ".join(f"{name} {number}" for name, number in sorted(classes.items()))
        if problems:
            err.print(f"{len(problems)} of {total} record(s) do not verify.")
            sys.exit(ExitCode.FAILED)
        out.print(f"{total} record(s) verified ({summary or 'none'}).")


@vectors_group.command(name="show")
@click.argument("record_id", metavar="ID")
@click.option(
    "--corpus",
    "corpus_dir",
    type=click.Path(exists=True, path_type=Path),
    default=DEFAULT_CORPUS,
    show_default=True,
    help="Corpus folder or file to search.",
)
def show_command(record_id: str, corpus_dir: Path) -> None:
    """Show the record with this id (a unique prefix is enough) and the oracle's verdict on it now."""
    with guard():
        found = corpus.find_record(corpus_dir, record_id)
        if not found:
            err.print(markup("[bold red]error:[/] no record with id {} under {}.", repr(record_id), corpus_dir))
            sys.exit(ExitCode.FAILED)
        if len({record["id"] for record in found}) > 1:
            ids = ", ".join(sorted({record["id"] for record in found})[:10])
            raise VectorArgumentError(f"id prefix {record_id!r} is ambiguous: {ids}.", hint="Give more digits.")
        record = found[0]
        click.echo(json_text(record, indent=2))  # a lab's corpus is external text: control characters escaped
        problem = corpus.check_record(record)
        err.print(f"oracle: {'verified' if not problem else 'MISMATCH: ' + problem}")


def register(main: click.Group) -> None:
    """Add the ``vectors`` command group to the ``v2xc`` command group ``main``."""
    main.add_command(vectors_group)
