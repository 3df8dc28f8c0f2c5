"""``v2xc profiles``, ``v2xc pics``, ``v2xc pixit`` and ``v2xc plan``: the catalogue, profiles and test selection.

``register(main)`` adds the commands to the ``v2xc`` click group. Exit codes follow the toolkit: 0 success;
1 the capability statement is non-conformant (``pics check``); 2 a broken profile, catalogue, PICS or PIXIT file
(the message gives file:line:column, what is wrong and the valid alternatives); 3 internal error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from click.shell_completion import CompletionItem
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from ..catalogue import (
    Catalogue,
    Profile,
    ProfileSource,
    Status,
    load_all,
    load_pics,
    load_pixit,
    load_profile,
    make_plan,
    pics_template,
    pixit_template,
    static_review,
)
from ..catalogue.models import Requirement, Role
from ..catalogue.overlays import CATALOGUE_PATH_ENV, PROFILES_PATH_ENV, catalogue_dirs, catalogue_with, profile_source
from ..catalogue.profiles import PROFILES_DIR
from ..catalogue.views import document_coverage, framework_coverage
from ..engine.console import DataConsole, json_text
from ..errors import ConformanceError, ExitCode
from .util import guard, write_output

F = TypeVar("F", bound=Callable[..., Any])

err = DataConsole(stderr=True, soft_wrap=True)


def _print(renderable: Any) -> None:
    """Print to stdout; when stdout is not a terminal (pipes, CI logs, tests) use a wide fixed width, not 80.

    Strings and table cells here are templates the toolkit wrote, with every piece of data passed through
    ``escape`` (rich.markup): their markup is applied, emoji codes never are."""
    width = None if sys.stdout.isatty() else 180
    if isinstance(renderable, str):
        renderable = Text.from_markup(renderable, emoji=False)
    Console(width=width, file=sys.stdout, highlight=False, emoji=False).print(renderable)


def _sources(func: F) -> F:
    func = overlay_options(func)
    func = click.option(
        "--catalogue-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help="Requirement catalogue directory instead of the bundled catalogue (--catalogue-path adds to it).",
    )(func)
    return click.option(
        "--profiles-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        help=f"Directory of profiles instead of {PROFILES_DIR.name}/ of the toolkit (bundled ones still resolve "
        "extends; --profiles-path adds to them).",
    )(func)


def overlay_options(func: F) -> F:
    """Add ``--profiles-path`` and ``--catalogue-path`` (a lab's own profiles and requirements, repeatable)."""
    func = click.option(
        "--catalogue-path",
        "catalogue_path",
        multiple=True,
        type=click.Path(path_type=Path),
        help=f"A lab's requirement catalogue directory, added to the bundled catalogue (repeatable; also "
        f"{CATALOGUE_PATH_ENV}, {os.pathsep!r}-separated). A requirement id defined twice is an error.",
    )(func)
    return click.option(
        "--profiles-path",
        "profiles_path",
        multiple=True,
        type=click.Path(path_type=Path),
        help=f"A lab's profiles directory, added to the bundled profiles (repeatable; also {PROFILES_PATH_ENV}, "
        f"{os.pathsep!r}-separated). Its profiles may extend bundled ones; a profile id defined twice is an error.",
    )(func)


def _format_option(func: F) -> F:
    return click.option(
        "--format", "output_format", type=click.Choice(["table", "json"]), default="table", show_default=True
    )(func)


def _catalogue(directory: Path | None, overlays: tuple[Path, ...] = ()) -> Catalogue:
    return catalogue_with(catalogue_dirs(overlays), directory)


def _source(directory: Path | None, overlays: tuple[Path, ...] = ()) -> ProfileSource:
    return profile_source(overlays, directory)


def _json(data: Any) -> None:
    click.echo(json_text(data, indent=2))  # a PIXIT or profile value's control characters as JSON escapes


# --------------------------------------------------------------------------------------------------- profiles
@click.group(name="profiles")
def profiles_group() -> None:
    """List, show and validate test profiles (bundled: conformance/standards/profiles/*.yaml)."""


@profiles_group.command(name="list")
@_sources
@_format_option
@click.option("--all", "show_all", is_flag=True, help="Also list abstract building-block profiles.")
def profiles_list(
    profiles_dir: Path | None,
    catalogue_dir: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
    output_format: str,
    show_all: bool,
) -> None:
    """List the profiles with their roles, editions and requirement counts."""
    with guard():
        catalogue = _catalogue(catalogue_dir, catalogue_path)
        profiles = [p for p in load_all(catalogue, _source(profiles_dir, profiles_path)) if show_all or not p.abstract]
        available = _registered_checks()
        rows: list[dict[str, Any]] = []
        for profile in profiles:
            editions = sorted({e for r in profile.requirements if (e := catalogue.requirements[r].edition)})
            tested = sum(1 for r in profile.requirements if _runnable(profile, catalogue.requirements[r], available))
            rows.append(
                {
                    "id": profile.id,
                    "title": {"zh": profile.title.zh, "en": profile.title.en},
                    "roles": [r.value for r in profile.roles],
                    "editions": editions,
                    "requirements": len(profile.requirements),
                    "with_checks": tested,
                    "extends": list(profile.extends),
                    "abstract": profile.abstract,
                }
            )
        if output_format == "json":
            _json(rows)
            return
        table = Table(title=f"{len(rows)} profiles", title_justify="left")
        table.add_column("profile", no_wrap=True)
        table.add_column("roles")
        table.add_column("editions", no_wrap=True)
        table.add_column("requirements", justify="right")
        table.add_column("with checks", justify="right")
        table.add_column("title")
        for row in rows:
            table.add_row(
                escape(row["id"] + (" (abstract)" if row["abstract"] else "")),
                ", ".join(row["roles"]),
                "\n".join(row["editions"]) or "—",
                str(row["requirements"]),
                str(row["with_checks"]),
                escape(row["title"]["en"]),
            )
        _print(table)


@profiles_group.command(name="show")
@_sources
@_format_option
@click.option(
    "--by",
    type=click.Choice(["requirement", "framework", "document"]),
    default="requirement",
    show_default=True,
    help="List requirements, or the framework tree / referenced documents with counts and coverage.",
)
@click.argument("profile_name", metavar="PROFILE")
def profiles_show(
    profiles_dir: Path | None,
    catalogue_dir: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
    output_format: str,
    by: str,
    profile_name: str,
) -> None:
    """Show a profile: its requirements, or its coverage by framework node or by document.

    Coverage counts requirements with a check attached ("tested") against those without ("not tested").
    """
    with guard():
        catalogue = _catalogue(catalogue_dir, catalogue_path)
        profile = load_profile(profile_name, catalogue, _source(profiles_dir, profiles_path))
        if by == "framework":
            _show_framework(catalogue, profile, output_format)
        elif by == "document":
            _show_documents(catalogue, profile, output_format)
        else:
            _show_requirements(catalogue, profile, output_format)


def _show_requirements(catalogue: Catalogue, profile: Profile, output_format: str) -> None:
    requirements = [catalogue.requirements[r] for r in profile.requirements]
    if output_format == "json":
        _json(
            {
                "profile": profile.id,
                "roles": [r.value for r in profile.roles],
                "extends": list(profile.extends),
                "catalogue_sha256": catalogue.digest,
                "parameters": {k: {"value": v.value, "unit": v.unit} for k, v in profile.parameters.items()},
                "pics": {
                    k: (v.level.value if v.condition is None else {"conditional": v.condition})
                    for k, v in profile.pics.items()
                },
                "pixit": list(profile.pixit),
                "requirements": [
                    {
                        "id": r.id,
                        "title": {"zh": r.title.zh, "en": r.title.en},
                        "roles": [x.value for x in r.roles],
                        "level": r.level.value,
                        "condition": r.condition,
                        "clauses": [str(ref) for ref in r.references],
                        "framework": list(r.framework),
                        "checks": [
                            {
                                "id": c.id,
                                "parameters": {p.name: {"value": p.value, "unit": p.unit} for p in c.parameters},
                            }
                            for c in profile.checks_for(r)
                        ],
                        "tested": r.tested,
                    }
                    for r in requirements
                ],
            }
        )
        return
    _print(f"[bold]{escape(profile.id)}[/] — {escape(profile.title.en)} / {escape(profile.title.zh)}")
    if profile.chain:
        _print(f"extends: {escape(' → '.join(profile.chain))}")
    _print(f"roles: {', '.join(r.value for r in profile.roles)}; {len(requirements)} requirements")
    for name, parameter in profile.parameters.items():
        mark = "" if parameter.verified else " (not verified)"
        _print(escape(f"parameter {name} = {parameter.value} {parameter.unit}{mark}".rstrip()))
    table = Table(show_lines=False)
    table.add_column("requirement", no_wrap=True)
    for column in ("roles", "level", "clause", "framework", "checks"):
        table.add_column(column, overflow="fold")
    for r in requirements:
        checks = profile.checks_for(r)
        table.add_row(
            escape(r.id),
            ", ".join(x.value for x in r.roles),
            escape(r.level.value if r.condition is None else f"{r.level.value}: {r.condition}"),
            escape(r.clause),
            escape("\n".join(r.framework)),
            escape(", ".join(c.id for c in checks)) if checks else "[yellow]not tested (no check yet)[/]",
        )
    _print(table)


def _show_framework(catalogue: Catalogue, profile: Profile, output_format: str) -> None:
    parts = framework_coverage(catalogue, profile)
    if output_format == "json":
        _json(
            {
                "profile": profile.id,
                "parts": [
                    {
                        "id": p.part.id,
                        "name": {"zh": p.part.name.zh, "en": p.part.name.en},
                        "document": p.part.document,
                        "requirements": p.total,
                        "tested": p.tested,
                        "nodes": [
                            {
                                "id": n.node.id,
                                "code": n.node.code,
                                "name": {"zh": n.node.name.zh, "en": n.node.name.en},
                                "verified": n.node.verified,
                                "requirements": n.total,
                                "tested": n.tested,
                                "not_tested": n.not_tested,
                            }
                            for n in p.nodes
                        ],
                    }
                    for p in parts
                ],
            }
        )
        return
    lines = [f"[bold]国家车联网产业标准体系建设指南 (national framework)[/] — profile {escape(profile.id)}"]
    for part in parts:
        summary = _counts(part.total, part.tested) if part.total else "no requirements in this profile"
        lines.append(f"[bold]{part.part.id}[/] {escape(part.part.name.zh)} ({escape(part.part.name.en)}) — {summary}")
        for node in part.nodes:
            indent = "    " * (node.depth + 1)
            label = escape(node.node.label())
            lines.append(
                f"{indent}{label} — {_counts(node.total, node.tested)}"
                if node.total
                else f"[dim]{indent}{label} — 0[/]"
            )
    _print("\n".join(lines))


def _counts(total: int, tested: int) -> str:
    share = f"{100 * tested / total:.0f} %" if total else "—"
    return f"{total} requirements: {tested} with checks ({share}), {total - tested} not tested (no check yet)"


def _show_documents(catalogue: Catalogue, profile: Profile, output_format: str) -> None:
    rows = document_coverage(catalogue, profile)
    if output_format == "json":
        _json({doc: {"requirements": a, "verified_clause": b, "tested": c} for doc, (a, b, c) in rows.items()})
        return
    table = Table(title=f"documents referenced by {profile.id}", title_justify="left")
    for column in ("document", "requirements", "clause verified", "with checks"):
        table.add_column(column)
    for document, (total, verified, tested) in rows.items():
        table.add_row(escape(document), str(total), str(verified), str(tested))
    _print(table)


@profiles_group.command(name="validate")
@_sources
@click.argument("names", nargs=-1, metavar="[PROFILE|FILE]...")
def profiles_validate(
    profiles_dir: Path | None,
    catalogue_dir: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
    names: tuple[str, ...],
) -> None:
    """Validate the catalogue, the framework and the given profiles (all profiles when none is given).

    Checks every file against its JSON Schema and cross-checks ids, framework nodes, PICS items, checks and
    parameters. Stops at the first problem with file:line:column (exit 2).
    """
    with guard():
        catalogue = _catalogue(catalogue_dir, catalogue_path)
        _print(
            f"catalogue ok: {len(catalogue.requirements)} requirements in {len(catalogue.files)} files, "
            f"{len(catalogue.framework.nodes)} framework nodes in {len(catalogue.framework.parts)} parts, "
            f"{len(catalogue.pics_items)} PICS items, {len(catalogue.pixit_items)} PIXIT items "
            f"(sha256 {catalogue.digest[:16]}…)"
        )
        source = _source(profiles_dir, profiles_path)
        profiles = [load_profile(n, catalogue, source) for n in names] if names else load_all(catalogue, source)
        for profile in profiles:
            _print(
                f"profile ok: {profile.id} ({len(profile.requirements)} requirements, {len(profile.pics)} PICS items)"
            )


# --------------------------------------------------------------------------------------------------- pics
@click.group(name="pics")
def pics_group() -> None:
    """Capability statements (PICS) of devices under test: templates and static review."""


def complete_profiles(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Shell completion of ``--profile``: the ids of the bundled profiles and of the lab's (``--profiles-path``,
    ``V2XC_PROFILES_PATH``); a broken overlay completes the bundled ids only."""
    try:
        ids = profile_source(ctx.params.get("profiles_path") or ()).available()
    except ConformanceError:
        ids = ProfileSource().available()
    return [CompletionItem(i) for i in ids if i.startswith(incomplete)]


def _profile_option(func: F) -> F:
    return click.option(
        "--profile",
        "-p",
        "profile_name",
        required=True,
        shell_complete=complete_profiles,
        help="Profile id or profile file.",
    )(func)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(output, text)
        err.print(f"wrote {output}")


@pics_group.command(name="template")
@_profile_option
@_sources
@click.option("--role", type=click.Choice([r.value for r in Role]), default=None, help="Only this role's items.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def pics_template_command(
    profile_name: str,
    profiles_dir: Path | None,
    catalogue_dir: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
    role: str | None,
    output: Path | None,
) -> None:
    """Write a commented PICS template for a profile (every item blank, with its status and question)."""
    with guard():
        catalogue = _catalogue(catalogue_dir, catalogue_path)
        profile = load_profile(profile_name, catalogue, _source(profiles_dir, profiles_path))
        _write(pics_template(profile, catalogue, Role(role) if role else None), output)


@pics_group.command(name="check")
@_profile_option
@_sources
@_format_option
@click.argument("pics_file", type=click.Path(dir_okay=False, path_type=Path))
def pics_check(
    profile_name: str,
    profiles_dir: Path | None,
    catalogue_dir: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
    output_format: str,
    pics_file: Path,
) -> None:
    """Static review of a PICS: exit 0 conformant, 1 a required capability is declared absent, 2 a broken file."""
    with guard():
        catalogue = _catalogue(catalogue_dir, catalogue_path)
        profile = load_profile(profile_name, catalogue, _source(profiles_dir, profiles_path))
        pics = load_pics(pics_file, profile, catalogue)
        review = static_review(pics, profile)
        if output_format == "json":
            _json(
                {
                    "profile": profile.id,
                    "role": pics.role.value,
                    "conformant": review.conformant,
                    "findings": [_finding(f) for f in review.findings],
                }
            )
        else:
            table = Table(title=escape(f"static review of {pics_file} against {profile.id} ({pics.role.value})"))
            for column in ("PICS item", "status", "answer", "verdict", "reason"):
                table.add_column(column, overflow="fold")
            for f in review.findings:
                verdict = "[green]ok[/]" if f.verdict == "ok" else "[bold red]non-conformant[/]"
                table.add_row(escape(f.item), escape(f.status), escape(f.answer), verdict, escape(f.reason))
            _print(table)
            if review.conformant:
                _print("[green]The capability statement is consistent with the profile.[/]")
            else:
                _print(
                    f"[bold red]Non-conformant before any test: {len(review.problems())} required capability(ies) "
                    "declared absent.[/]"
                )
        if not review.conformant:
            sys.exit(ExitCode.FAILED)


def _finding(finding: Any) -> dict[str, str]:
    return {k: getattr(finding, k) for k in ("item", "status", "answer", "verdict", "reason")}


# --------------------------------------------------------------------------------------------------- pixit
@click.group(name="pixit")
def pixit_group() -> None:
    """Lab parameters (PIXIT) of a test campaign; sensitive values are never printed."""


@pixit_group.command(name="template")
@_profile_option
@_sources
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None)
def pixit_template_command(
    profile_name: str,
    profiles_dir: Path | None,
    catalogue_dir: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
    output: Path | None,
) -> None:
    """Write a commented PIXIT template for a profile."""
    with guard():
        catalogue = _catalogue(catalogue_dir, catalogue_path)
        profile = load_profile(profile_name, catalogue, _source(profiles_dir, profiles_path))
        _write(pixit_template(profile, catalogue), output)


@pixit_group.command(name="check")
@_profile_option
@_sources
@click.argument("pixit_file", type=click.Path(dir_okay=False, path_type=Path))
def pixit_check(
    profile_name: str,
    profiles_dir: Path | None,
    catalogue_dir: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
    pixit_file: Path,
) -> None:
    """Validate a PIXIT file and print its values as JSON, sensitive ones redacted."""
    with guard():
        catalogue = _catalogue(catalogue_dir, catalogue_path)
        profile = load_profile(profile_name, catalogue, _source(profiles_dir, profiles_path))
        pixit = load_pixit(pixit_file, profile, catalogue)
        _json({"profile": pixit.profile, "values": pixit.redacted(), "defaults_used": sorted(pixit.defaults)})


# --------------------------------------------------------------------------------------------------- plan
@click.command(name="plan")
@_profile_option
@_sources
@_format_option
@click.option("--pics", "pics_file", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("-k", "keyword", default=None, help="Only requirements matching EXPR (words, and / or / not).")
@click.option(
    "--checks",
    "check_source",
    type=click.Choice(["registered", "declared"]),
    default="registered",
    show_default=True,
    help="registered: a requirement whose check the run engine has not registered is 'not tested'; "
    "declared: trust the catalogue's check names (what the plan will be once every check exists).",
)
@click.option(
    "--show",
    type=click.Choice(["all", *[s.value for s in Status]]),
    default="all",
    show_default=True,
    help="Only list requirements with this status.",
)
def plan_command(
    profile_name: str,
    profiles_dir: Path | None,
    catalogue_dir: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
    output_format: str,
    pics_file: Path,
    keyword: str | None,
    check_source: str,
    show: str,
) -> None:
    """Explain the test selection: every requirement of the profile as selected / not tested / not applicable
    (naming the deciding PICS items) / deselected by -k."""
    with guard():
        catalogue = _catalogue(catalogue_dir, catalogue_path)
        profile = load_profile(profile_name, catalogue, _source(profiles_dir, profiles_path))
        pics = load_pics(pics_file, profile, catalogue)
        available = _registered_checks() if check_source == "registered" else None
        plan = make_plan(catalogue, profile, pics, keyword=keyword, available_checks=available)
        entries = [e for e in plan.entries if show == "all" or e.status.value == show]
        if output_format == "json":
            _json(
                {
                    "profile": profile.id,
                    "pics": str(pics_file),
                    "role": pics.role.value,
                    "keyword": keyword,
                    "catalogue_sha256": catalogue.digest,
                    "counts": plan.counts(),
                    "static_review": {
                        "conformant": plan.review.conformant,
                        "problems": [_finding(f) for f in plan.review.problems()],
                    },
                    "requirements": [e.as_dict() for e in entries],
                }
            )
            return
        styles = {
            Status.SELECTED: "green",
            Status.NOT_TESTED: "yellow",
            Status.NOT_APPLICABLE: "dim",
            Status.DESELECTED: "blue",
        }
        table = Table(title=escape(f"plan: {profile.id} for {pics_file} ({pics.role.value})"), title_justify="left")
        table.add_column("requirement", no_wrap=True)
        table.add_column("status", no_wrap=True)
        table.add_column("why", overflow="fold")
        table.add_column("clause", overflow="fold")
        for entry in entries:
            style = styles[entry.status]
            table.add_row(
                escape(entry.requirement.id),
                f"[{style}]{entry.status.value}[/]",
                escape(entry.reason),
                escape(entry.requirement.clause),
            )
        _print(table)
        counts = plan.counts()
        _print(", ".join(f"{n} {s}" for s, n in counts.items()) + f" (of {len(plan.entries)})")
        for problem in plan.review.problems():
            _print(f"[bold red]static review:[/] {escape(problem.item)} {escape(problem.reason)}")


def _runnable(profile: Profile, requirement: Requirement, available: frozenset[str] | None) -> bool:
    """True when the requirement has checks and every one is registered by the engine (what ``plan`` selects)."""
    checks = profile.checks_for(requirement)
    return bool(checks) and (available is None or all(c.id in available for c in checks))


def _registered_checks() -> frozenset[str] | None:
    """The check ids the run engine registers, or None where the engine is not installed."""
    try:
        from ..checks import registered_checks
    except ImportError:  # pragma: no cover - the engine ships with the toolkit; this guards partial installs
        return None
    return frozenset(registered_checks())


def register(main: click.Group) -> None:
    """Add ``profiles``, ``pics``, ``pixit`` and ``plan`` to the ``v2xc`` command group."""
    main.add_command(profiles_group)
    main.add_command(pics_group)
    main.add_command(pixit_group)
    main.add_command(plan_command)


__all__ = ["register"]
