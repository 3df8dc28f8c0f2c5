"""The ``v2xc`` command line (click + rich).

Exit codes (:class:`conformance.errors.ExitCode`): 0 success; 1 the input is not a valid message (or a frame
failed); 2 usage or configuration error; 3 internal error (a bug: please report it with the input). Errors are
printed as one paragraph, never a traceback (set ``V2XC_DEBUG=1`` to see one).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from .. import __version__
from ..catalogue.yamlsrc import MAX_FILE_BYTES, read_data_file
from ..codec import jsonvalue
from ..codec.identify import MatchStatus, identify, preferred_edition
from ..codec.strict import Decoded, codec_for
from ..engine.console import cell, markup
from ..errors import (
    AutoEditionError,
    ConformanceError,
    ExitCode,
    InputError,
    SourceLocation,
    UsageError,
    long_decimals,
)
from ..network import framing
from ..standards import editions
from ..transports.offline import Frame
from .inputs import read_frames
from .util import err, guard, out, report_error, write_output

F = TypeVar("F", bound=Callable[..., Any])


def _resolve_edition(edition: str | None, asn1_dir: Path | None) -> str:
    if asn1_dir is not None:
        return f"{editions.CUSTOM_PREFIX}{asn1_dir}"
    if edition is None:
        raise UsageError("No edition given.", hint=f"Give --edition, one of {', '.join(editions.edition_ids())}.")
    return edition


def _encode_edition(label: str, recorded: object) -> str | None:
    """The edition a `v2xc decode` document records (its 'edition' member), checked to be a string."""
    if recorded is None:
        return None
    if not isinstance(recorded, str) or not recorded:
        raise UsageError(
            f"{label}: the document's 'edition' is {json.dumps(recorded)}, not an edition id.",
            hint=f"Give --edition, one of {', '.join(editions.edition_ids())}.",
        )
    return recorded


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="v2xc")
def main() -> None:
    """v2x-conformance: conformance tests for C-V2X (T/CSAE 53, T/CSAE 157, YD/T 3707-3710).

    Exit codes: 0 success, 1 invalid message / failed check, 2 usage or configuration error, 3 internal error.
    """


# --------------------------------------------------------------------------------------------------- decode
def _tree(label: str, value: Any) -> Tree:
    tree = Tree(cell(label))

    def add(node: Tree, name: str, item: Any) -> None:
        if isinstance(item, dict):
            if jsonvalue.CHOICE in item:
                add(node, f"{name} ⟨{item[jsonvalue.CHOICE]}⟩", item[jsonvalue.VALUE])
                return
            if jsonvalue.OPEN in item:
                add(node, f"{name} ⟪open type {item[jsonvalue.OPEN]}⟫", item[jsonvalue.VALUE])
                return
            if jsonvalue.HEX in item:
                node.add(cell(f"{name}: {item[jsonvalue.HEX]} (OCTET STRING, {len(item[jsonvalue.HEX]) // 2} bytes)"))
                return
            if jsonvalue.BITS in item:
                bits = bin(int(item[jsonvalue.BITS] or "0", 16))[2:].zfill(len(item[jsonvalue.BITS]) * 4)
                length = item[jsonvalue.BITS_LEN]
                node.add(cell(f"{name}: {bits[:length]} (BIT STRING, {length} bits)"))
                return
            branch = node.add(cell(name))
            for key, sub in item.items():
                add(branch, key, sub)
        elif isinstance(item, list):
            branch = node.add(cell(f"{name} [{len(item)}]"))
            for index, sub in enumerate(item):
                add(branch, f"[{index}]", sub)
        else:
            node.add(cell(f"{name}: {json.dumps(item, ensure_ascii=False)}"))

    if isinstance(value, dict) and jsonvalue.CHOICE in value:
        add(tree, f"⟨{value[jsonvalue.CHOICE]}⟩", value[jsonvalue.VALUE])
    else:
        add(tree, "value", value)
    return tree


def _decode_frame(
    frame: Frame, edition: str, type_name: str | None, frame_framing: framing.Framing
) -> tuple[Decoded, dict[str, Any]]:
    unwrapped = framing.unwrap(frame.data, frame_framing)
    extra: dict[str, Any] = {}
    if edition == "auto":
        results = identify(unwrapped.payload, type_name=type_name)
        matches = [r.edition for r in results if r.status is MatchStatus.MATCH]
        if not matches:
            details = "; ".join(f"{r.edition}: {r.detail}" for r in results)
            raise AutoEditionError(
                f"The frame does not decode and re-encode byte-identically under any edition ({details})",
                hint="Run `v2xc identify` for the full picture, or give --edition to see one edition's error.",
            )
        chosen = preferred_edition(matches) or matches[-1]  # the most specific, then the newest, matching edition
        extra["matching_editions"] = matches
        extra["also_matches"] = [match for match in matches if match != chosen]
    else:
        chosen = edition
    decoded = codec_for(chosen).decode(unwrapped.payload, type_name)
    if unwrapped.header is not None:
        if isinstance(decoded.value, tuple):
            framing.check_aid(unwrapped.header, decoded.value[0])
        header = unwrapped.header.as_dict()
        header.pop("payload", None)
        extra["dsmp"] = header
    return decoded, extra


def _edition_option(default: str | None) -> Callable[[F], F]:
    def decorate(func: F) -> F:
        func = click.option(
            "--asn1-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=None,
            help="Use the ASN.1 files in this folder (e.g. a lab's licensed copy) instead of a bundled edition.",
        )(func)
        # No `required=True` for encode: click 8.2+ counts an explicit default of None as given, and encode can take
        # the edition from a `v2xc decode` document instead (see _encode_edition).
        return click.option(
            "--edition",
            "-e",
            default=default,
            show_default=default is not None,
            help="Edition id (see `v2xc editions`)"
            + (
                ", or 'auto' to identify it."
                if default == "auto"
                else "; default: the 'edition' recorded in a `v2xc decode` document."
            ),
        )(func)

    return decorate


def _framing_option(func: F) -> F:
    return click.option(
        "--framing",
        "framing_name",
        type=click.Choice([f.value for f in framing.Framing]),
        default="none",
        show_default=True,
        help="Network-layer header around each MessageFrame.",
    )(func)


@main.command()
@_edition_option("auto")
@_framing_option
@click.option("--type", "type_name", default=None, help="Decode as this type instead of the MessageFrame.")
@click.option("--format", "output_format", type=click.Choice(["json", "tree"]), default="json", show_default=True)
@click.argument("input_arg", metavar="INPUT")
def decode(
    edition: str, asn1_dir: Path | None, framing_name: str, type_name: str | None, output_format: str, input_arg: str
) -> None:
    """Decode frames strictly and print them as JSON (the project's JSON form) or as a tree.

    INPUT is a file of bytes, a file of hex lines (one frame per line), a hex string, or '-' for stdin.
    Every frame is decoded; the exit code is 1 if any frame is invalid.
    """
    with guard():
        chosen = _resolve_edition(edition, asn1_dir)
        frames = read_frames(input_arg)
        failures = 0
        for frame in frames:
            try:
                decoded, extra = _decode_frame(frame, chosen, type_name, framing.Framing(framing_name))
            except ConformanceError as exc:
                if len(frames) == 1:
                    if frame.source != "argument":  # a file: name it (a frame given as hex needs no name)
                        exc.message = f"{frame.source}: {exc.message}"
                    raise
                failures += 1
                report_error(exc, prefix=f"{frame.source}: ")
                continue
            document = {
                "source": frame.source,
                "edition": decoded.edition,
                "type": decoded.type_name,
                "bytes": len(decoded.data),
                "bits": decoded.bit_length,
                **extra,
                "value": jsonvalue.to_json(decoded.value),
            }
            with long_decimals():  # an INTEGER without an upper bound may have thousands of digits
                if output_format == "json":
                    out.print_json(data=document, indent=2 if len(frames) == 1 else None, ensure_ascii=False)
                else:
                    label = f"{frame.source}: {decoded.type_name} ({decoded.edition}, {len(decoded.data)} bytes)"
                    out.print(_tree(label, document["value"]))
                    if extra.get("also_matches"):
                        out.print(f"{frame.source}: also matches: {', '.join(extra['also_matches'])}")
        if failures:
            err.print(f"{failures} of {len(frames)} frames are invalid.")
            sys.exit(ExitCode.INVALID)


# --------------------------------------------------------------------------------------------------- encode
def _load_values(path: str) -> list[tuple[str, Any]]:
    """Read INPUT.json: one JSON document, or JSON Lines; each a bare value or a `v2xc decode` document."""
    try:
        text = sys.stdin.read(MAX_FILE_BYTES + 1) if path == "-" else read_data_file(Path(path), "JSON input")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"Cannot read {path}: {exc}.", hint="Give a JSON file written in the project's JSON form."
        ) from None
    except ConformanceError as exc:
        raise UsageError(exc.message, hint="Give a JSON file written in the project's JSON form.") from None
    label = "stdin" if path == "-" else path
    try:
        return [(label, json.loads(text))]
    except RecursionError:
        raise InputError(
            f"{label} is nested too deeply to be a message value.",
            source=SourceLocation(label),
            hint="A message value is a few dozen levels deep at most; check the file.",
        ) from None
    except json.JSONDecodeError as whole_exc:
        documents: list[tuple[str, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                documents.append((f"{label}:{number}", json.loads(line)))
            except json.JSONDecodeError as exc:
                first = whole_exc if number == 1 else exc
                raise InputError(
                    f"{label} is not valid JSON (nor JSON Lines): {first.msg}.",
                    source=SourceLocation(label, first.lineno if number == 1 else number, first.colno),
                    hint="Give one JSON document, or one JSON document per line.",
                ) from None
        if not documents:
            raise InputError(f"{label} is empty.", source=SourceLocation(label)) from None
        return documents


@main.command()
@_edition_option(None)
@_framing_option
@click.option(
    "--type",
    "type_name",
    default=None,
    help="Type of the value (default: the edition's MessageFrame, or the 'type' of a `v2xc decode` document).",
)
@click.option("--aid", type=int, default=None, help="DSMP AID (default: the first registered for the message).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write here instead of stdout: hex lines, or raw bytes with --binary.",
)
@click.option("--binary", is_flag=True, help="Write raw bytes (one frame only) instead of hex.")
@click.argument("input_arg", metavar="INPUT.json")
def encode(
    edition: str | None,
    asn1_dir: Path | None,
    framing_name: str,
    type_name: str | None,
    aid: int | None,
    output: Path | None,
    binary: bool,
    input_arg: str,
) -> None:
    """Encode values in the project's JSON form to UPER (hex lines on stdout by default).

    INPUT.json holds one JSON document or JSON Lines; each is a bare value or a document written by
    `v2xc decode` (its 'value' and 'type' are used, and its 'edition' when --edition is not given).
    """
    with guard():
        given = _resolve_edition(edition, asn1_dir) if edition is not None or asn1_dir is not None else None
        encoded: list[bytes] = []
        for label, document in _load_values(input_arg):
            this_type = type_name
            this_edition = given
            if isinstance(document, dict) and "value" in document and "type" in document and "$choice" not in document:
                this_type = this_type or document["type"]
                this_edition = this_edition or _encode_edition(label, document.get("edition"))
                document = document["value"]
            if this_edition is None:
                raise UsageError(
                    f"{label}: no edition to encode under: give --edition (one of {', '.join(editions.edition_ids())}) "
                    "or --asn1-dir DIR.",
                    hint="Only a document written by `v2xc decode` records its edition; a bare value needs --edition.",
                )
            codec = codec_for(this_edition)
            try:
                value = jsonvalue.from_json(document)
                payload = codec.encode(value, this_type)
                if framing_name == framing.Framing.DSMP.value:
                    alternative = value[0] if isinstance(value, tuple) else ""
                    payload = framing.wrap(
                        payload, framing.Framing.DSMP, aid=aid if aid is not None else framing.default_aid(alternative)
                    )
            except ConformanceError as exc:
                exc.message = f"{label}: {exc.message}"
                raise
            encoded.append(payload)
        if binary:
            if len(encoded) != 1:
                raise UsageError(
                    f"--binary writes one frame, but {len(encoded)} were given.",
                    hint="Drop --binary to write hex lines.",
                )
            if output is None:
                sys.stdout.buffer.write(encoded[0])
            else:
                write_output(output, encoded[0])
            return
        text = "".join(f"{item.hex()}\n" for item in encoded)
        if output is None:
            sys.stdout.write(text)
        else:
            write_output(output, text)


# ------------------------------------------------------------------------------------------------- identify
@main.command(name="identify")
@_framing_option
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.argument("input_arg", metavar="INPUT")
def identify_command(framing_name: str, output_format: str, input_arg: str) -> None:
    """Say under which editions each frame decodes AND re-encodes byte-identically.

    A frame that decodes but re-encodes differently is reported as 'decodes, not canonical' — never as a match.
    Exit 1 when some frame matches no edition.
    """
    with guard():
        frames = read_frames(input_arg)
        unmatched = 0
        for frame in frames:
            payload = framing.unwrap(frame.data, framing.Framing(framing_name)).payload
            results = identify(payload)
            matches = [r.edition for r in results if r.status is MatchStatus.MATCH]
            unmatched += not matches
            preferred = preferred_edition(matches)
            if output_format == "json":
                out.print_json(
                    data={
                        "source": frame.source,
                        "matches": matches,
                        "preferred": preferred,
                        "editions": [r.as_dict() for r in results],
                    },
                    indent=2 if len(frames) == 1 else None,
                )
                continue
            others = [match for match in matches if match != preferred]
            summary = f"{preferred}" + (f" (also matches: {', '.join(others)})" if others else "")
            table = Table(
                title=cell(f"{frame.source} ({len(payload)} bytes): {summary if matches else 'no matching edition'}"),
                title_justify="left",
            )
            table.add_column("edition")
            table.add_column("result")
            table.add_column("detail", overflow="fold")
            style = {MatchStatus.MATCH: "green", MatchStatus.NOT_CANONICAL: "yellow", MatchStatus.NO_DECODE: "red"}
            for result in results:
                table.add_row(
                    cell(result.edition), Text(result.status.value, style=style[result.status]), cell(result.detail)
                )
            out.print(table)
        if unmatched:
            sys.exit(ExitCode.INVALID)


# ------------------------------------------------------------------------------------------------- editions
@main.command(name="editions")
@click.option("--types", "show_types", is_flag=True, help="Also list every type of each edition.")
@click.option("--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True)
def editions_command(show_types: bool, output_format: str) -> None:
    """List the bundled editions, oldest first, their standards, and how each differs from the previous one.

    The differences are computed from the ASN.1 itself, not kept by hand.
    """
    from ..standards.editiondiff import diff_editions

    with guard():
        rows: list[dict[str, Any]] = []
        previous: str | None = None
        for ident in editions.edition_ids():
            edition = editions.load_edition(ident)
            info = edition.info
            changes = diff_editions(editions.load_edition(previous), edition) if previous else []
            rows.append(
                {
                    "id": ident,
                    "title": info.title,
                    "standard": info.standard,
                    "extends": info.extends,
                    "previous": previous,
                    "types": len(edition.type_names()),
                    "sha256": edition.sha256,
                    "differences": [change.as_dict() for change in changes],
                    **({"type_names": edition.type_names()} if show_types else {}),
                }
            )
            previous = ident
        if output_format == "json":
            out.print_json(data=rows, ensure_ascii=False)
            return
        for row in rows:
            out.print(markup("[bold]{}[/]  {}  ({} types)", row["id"], row["title"], row["types"]))
            out.print(f"  standard: {row['standard']}")
            if row["extends"]:
                out.print(f"  defined as: {row['extends']} + overlays")
            if row["previous"]:
                out.print(
                    f"  differs from the previous edition {row['previous']} in {len(row['differences'])} type(s):"
                )
                for change in row["differences"]:
                    out.print(f"    - {change['summary']}")
            if show_types:
                out.print("  types: " + ", ".join(row["type_names"]))


def _register_plugins() -> None:
    """Add the command groups that live in their own modules."""
    from .profiles import register as register_profiles
    from .reports import register as register_reports
    from .run import register as register_run
    from .selftest import register as register_selftest
    from .sim import register as register_sim
    from .vectors import register as register_vectors

    register_run(main)
    register_profiles(main)
    register_reports(main)
    register_vectors(main)
    register_sim(main)
    register_selftest(main)


_register_plugins()
