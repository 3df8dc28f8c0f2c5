"""``v2xc report render|sign|verify|diff|matrix|gate`` and ``v2xc keys generate``.

Exit codes (also in docs/reports.md): 0 success; 1 ``verify`` found a changed, missing or added file or a bad
signature / ``diff`` found a regression / ``gate`` found an unwaived fail or inconclusive result; 2 usage or
configuration error (missing file, broken or wrong-version report.json, bad key, bad waivers file); 3 ``gate``: a
harness error, or an internal error (a bug).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ..engine.console import json_text
from ..errors import ExitCode, UsageError
from ..reports import FORMATS
from .util import err, guard, make_folder, out, write_output


def _load(source: Path, waivers: Path | None, clause_map: Path | None = None) -> dict[str, Any]:
    """A report from a report.json, or from a run folder (its report.json, else built from the run records), with
    a laboratory's clause map and waivers applied when given."""
    from ..catalogue import bundled_catalogue
    from ..catalogue.clausemap import load_clause_map
    from ..reports import apply_clause_map, apply_waivers, build_report, load_report, load_waivers, validate_report

    confirmed = load_clause_map(clause_map, bundled_catalogue()) if clause_map is not None else None
    rebuild = source.is_dir() and not (source / "report.json").is_file()
    report = build_report(source) if rebuild else load_report(source)
    if confirmed is not None:
        apply_clause_map(report, confirmed)
        validate_report(report)
    if waivers is not None:
        apply_waivers(report, load_waivers(waivers), source=str(waivers))
        validate_report(report)
    return report


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text, parents=True)
        err.print(f"wrote {output}")


_WAIVERS = click.option(
    "--waivers",
    type=click.Path(path_type=Path),
    default=None,
    help="Waivers file (YAML): waived results are shown as such and do not count for the exit code until expiry.",
)


@click.group(name="report")
def report_group() -> None:
    """Render, sign, verify, compare and combine compliance reports (see docs/reports.md)."""


@report_group.command(name="render")
@click.argument("source", type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice([*FORMATS, "all"]),
    default="html",
    show_default=True,
    help="Output format; 'all' writes every format's file ("
    + ", ".join(fmt.file_name for fmt in FORMATS.values())
    + ") into the folder given by -o (or SOURCE).",
)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Output file (default stdout).")
@_WAIVERS
@click.option(
    "--clause-map",
    "clause_map",
    type=click.Path(path_type=Path),
    default=None,
    help="The laboratory's clause map (YAML): references it confirmed are shown verified, with who and when.",
)
def render_command(source: Path, fmt: str, output: Path | None, waivers: Path | None, clause_map: Path | None) -> None:
    """Render SOURCE (a report.json, or a run folder) as HTML, JUnit XML, Markdown or JSON."""
    from ..reports import render, write_formats

    with guard():
        report = _load(source, waivers, clause_map)
        if fmt == "all":
            folder = output or (source if source.is_dir() else source.parent)
            make_folder(folder)
            written = write_formats(report, folder)
            err.print(f"wrote {', '.join(path.name for path in written)} into {folder}")
        else:
            _emit(render(report, fmt), output)


@report_group.command(name="sign")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--key", "key_path", type=click.Path(path_type=Path), required=True, help="Ed25519 private key (PEM).")
def sign_command(run_dir: Path, key_path: Path) -> None:
    """Write manifest.json (SHA-256 of every file of RUN_DIR) and manifest.sig (its Ed25519 signature)."""
    from ..reports import sign_bundle
    from ..reports.signing import fingerprint, load_private_key

    with guard():
        manifest = sign_bundle(run_dir, key_path)
        count = len(json.loads(manifest.read_text(encoding="utf-8"))["files"])
        key = fingerprint(load_private_key(key_path).public_key())
        out.print(f"signed {count} file(s) in {run_dir}; key fingerprint {key}")


@report_group.command(name="verify")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option(
    "--public-key",
    type=click.Path(path_type=Path),
    default=None,
    help="The signer's public key (PEM). Without it the key stored in the bundle is used: compare its fingerprint.",
)
def verify_command(run_dir: Path, public_key: Path | None) -> None:
    """Check RUN_DIR against its signed manifest. Exit 0 verified, 1 tampered or bad signature, 2 usage error."""
    from ..reports import verify_bundle

    with guard():
        result = verify_bundle(run_dir, public_key)
        origin = (
            "key stored in the bundle — compare this fingerprint with the laboratory's published one"
            if result.key_from_bundle
            else f"key {public_key}"
        )
        out.print(
            f"verified: {result.files} file(s) of report {result.report_id} unchanged; signature by {origin}: "
            f"{result.fingerprint}"
        )


@report_group.command(name="diff")
@click.argument("old", type=click.Path(path_type=Path))
@click.argument("new", type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "md", "json"]), default="text", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Output file (default stdout).")
@_WAIVERS
def diff_command(old: Path, new: Path, fmt: str, output: Path | None, waivers: Path | None) -> None:
    """Compare two reports: new failures, fixed, newly tested, removed, verdict changes.

    Exit 0 when NEW has no regression against OLD, 1 when it has (a new fail or error, or pass → inconc, not
    waived in NEW), 2 usage error.
    """
    from ..reports import diff_reports
    from ..reports.diff import render_diff_text

    with guard():
        result = diff_reports(_load(old, None), _load(new, waivers))
        # JSON: the reports' texts with their control characters as JSON escapes
        text = json_text(result, indent=2) + "\n" if fmt == "json" else render_diff_text(result, markdown=fmt == "md")
        _emit(text, output)
        sys.exit(ExitCode(result["exit_code"]))


@report_group.command(name="matrix")
@click.argument("reports", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["html", "md"]), default="html", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="Output file (default stdout).")
def matrix_command(reports: tuple[Path, ...], fmt: str, output: Path | None) -> None:
    """Interoperability matrix of REPORT... (report.json files or run folders): requirements × devices."""
    from ..reports import build_matrix, render_matrix_html, render_matrix_md

    with guard():
        if not reports:
            raise UsageError("Give at least one report.", hint="e.g. v2xc report matrix runs/*/report.json")
        matrix = build_matrix([_load(path, None) for path in reports])
        _emit(render_matrix_html(matrix) if fmt == "html" else render_matrix_md(matrix), output)


@report_group.command(name="gate")
@click.argument("source", type=click.Path(path_type=Path))
@_WAIVERS
def gate_command(source: Path, waivers: Path | None) -> None:
    """Exit with the CI code of SOURCE, honouring waivers: 0 pass, 1 unwaived fail/inconc, 3 harness error.

    Expired and unused waivers are listed on standard error.
    """
    from ..reports import gate

    with guard():
        report = _load(source, waivers)
        result = gate(report)
        for entry in (report.get("waivers") or {}).get("entries", []):
            if entry["state"] != "applied":
                err.print(f"waiver {entry['requirement']} ({entry['expected']}): {entry['state']} — {entry['note']}")
        out.print(f"{report['report_id']}: exit {result['exit_code']} — {result['reason']}")
        sys.exit(ExitCode(result["exit_code"]))


@click.group(name="keys")
def keys_group() -> None:
    """Signing keys for tamper-evident report bundles."""


@keys_group.command(name="generate")
@click.option("--out", "prefix", type=click.Path(path_type=Path), required=True, help="Writes OUT.key and OUT.pub.")
@click.option("--force", is_flag=True, help="Overwrite existing files.")
@click.option(
    "--encrypt",
    is_flag=True,
    help="Encrypt the private key with the passphrase in the V2XC_KEY_PASSPHRASE environment variable.",
)
def generate_command(prefix: Path, force: bool, encrypt: bool) -> None:
    """Create an Ed25519 key pair: OUT.key (private, mode 0600 — keep it out of run folders) and OUT.pub."""
    from ..reports import generate_keys
    from ..reports.signing import PASSPHRASE_ENV, fingerprint, load_public_key

    with guard():
        passphrase = os.environ.get(PASSPHRASE_ENV) if encrypt else None
        if encrypt and not passphrase:
            raise UsageError(f"--encrypt needs the passphrase in {PASSPHRASE_ENV}.", hint="Set it and run again.")
        private, public = generate_keys(prefix, passphrase=passphrase.encode() if passphrase else None, force=force)
        out.print(f"private key {private}, public key {public}; fingerprint {fingerprint(load_public_key(public))}")


def register(main: click.Group) -> None:
    """Add ``report`` and ``keys`` to the ``v2xc`` command group."""
    main.add_command(report_group)
    main.add_command(keys_group)
