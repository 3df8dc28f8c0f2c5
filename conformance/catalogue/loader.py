"""Load and cross-check the national framework and the requirement catalogue.

The catalogue is every ``*.yaml`` file under ``conformance/standards/data/requirements/`` (or a directory given by the
caller): each is validated against ``catalogue.schema.json``, then the whole set is cross-checked (unique ids,
framework nodes exist, PICS conditions parse and name defined items of the right type, parameter bounds hold). The
first problem raises :class:`ConfigurationError` with file:line:column and the valid alternatives; a
:class:`Catalogue` is only returned when everything is consistent.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path
from typing import Any

from ..errors import CatalogueError, SourceLocation
from ..standards import DATA_DIR as STANDARDS_DATA_DIR
from . import expr
from .models import (
    Catalogue,
    CheckRef,
    Framework,
    FrameworkNode,
    FrameworkPart,
    Level,
    Parameter,
    PicsItem,
    PixitItem,
    Reference,
    Requirement,
    Role,
    Text,
)
from .yamlsrc import Document, listing, load_yaml, out_of_bounds, read_data_file, suggest, validate

DATA_DIR = STANDARDS_DATA_DIR
FRAMEWORK_FILE = DATA_DIR / "framework.yaml"
REQUIREMENTS_DIR = DATA_DIR / "requirements"


def _text(raw: Mapping[str, str]) -> Text:
    return Text(zh=raw["zh"], en=raw["en"])


def load_framework(path: Path = FRAMEWORK_FILE) -> Framework:
    """Load the framework file; node ids are ``PART/key/key...`` and must be unique."""
    document = load_yaml(path)
    validate(document, "framework", "framework file")
    raw = document.data["framework"]
    parts: list[FrameworkPart] = []
    nodes: dict[str, FrameworkNode] = {}

    def add(items: list[dict[str, Any]], part: str, parent: str | None, json_path: tuple[str | int, ...]) -> None:
        for index, item in enumerate(items):
            node_id = f"{parent or part}/{item['key']}"
            if node_id in nodes:
                raise CatalogueError(
                    f"Duplicate framework node {node_id!r}",
                    source=document.at((*json_path, index, "key")),
                    hint="Keys must be unique among siblings.",
                )
            nodes[node_id] = FrameworkNode(
                id=node_id,
                part=part,
                name=Text(item["zh"], item["en"]),
                code=item.get("code"),
                verified=item["verified"],
                parent=parent,
                note=item.get("note", ""),
            )
            add(item.get("children", []), part, node_id, (*json_path, index, "children"))

    seen_parts: set[str] = set()
    for index, part in enumerate(raw["parts"]):
        if part["id"] in seen_parts:
            raise CatalogueError(
                f"Duplicate framework part {part['id']!r}", source=document.at(("framework", "parts", index, "id"))
            )
        seen_parts.add(part["id"])
        parts.append(
            FrameworkPart(part["id"], _text(part["name"]), part["document"], part["verified"], part.get("note", ""))
        )
        add(part["nodes"], part["id"], None, ("framework", "parts", index, "nodes"))
    return Framework(tuple(parts), nodes, str(path))


def _parameters(raw: Mapping[str, Any], document: Document, json_path: tuple[str | int, ...]) -> tuple[Parameter, ...]:
    result = []
    for name, spec in raw.items():
        value = spec["value"]
        low, high = spec.get("min"), spec.get("max")
        if (low is not None or high is not None) and not (
            isinstance(value, int | float) and not isinstance(value, bool)
        ):
            raise CatalogueError(
                f"Parameter {name!r} has bounds but a non-numeric value {value!r}",
                source=document.at((*json_path, name, "value")),
                hint="Bounds (min/max) apply to numeric parameters only.",
            )
        if out_of_bounds(value, low, high):
            raise CatalogueError(
                f"Parameter {name!r} default {value} is outside its bounds [{low}, {high}]",
                source=document.at((*json_path, name, "value")),
            )
        result.append(
            Parameter(
                name=name,
                value=value,
                unit=spec.get("unit", ""),
                minimum=low,
                maximum=high,
                description=spec.get("description", ""),
                verified=spec.get("verified", False),
                source=spec.get("source", ""),
            )
        )
    return tuple(result)


def check_condition(
    text: str, items: Mapping[str, PicsItem], where: SourceLocation, *, allowed: set[str] | None = None
) -> expr.Expr:
    """Parse a PICS condition and check every operand names a defined item of a fitting type.

    A bare operand must be a boolean item; ``ITEM == value`` needs an enum item with ``value`` among its choices (or
    an integer item with an integer literal). ``allowed`` further restricts the names (a profile's declared items).
    """
    node = expr.parse(text, source=where)

    def check(atom: expr.Atom) -> bool:
        valid = set(items) if allowed is None else allowed
        if atom.name not in valid:
            raise CatalogueError(
                f"Condition {text!r} names unknown PICS item {atom.name!r}.{suggest(atom.name, valid)}",
                source=where,
                hint=f"Valid PICS items: {listing(valid)}.",
            )
        item = items[atom.name]
        if not atom.op and item.type != "boolean":
            raise CatalogueError(
                f"Condition {text!r} uses {item.type} PICS item {atom.name!r} as a boolean",
                source=where,
                hint=f"Compare it, e.g. {atom.name} == {item.choices[0] if item.choices else 1!r}.",
            )
        if atom.op and item.type == "enum" and atom.literal not in item.choices:
            raise CatalogueError(
                f"Condition {text!r} compares {atom.name!r} with {atom.literal!r}, which is not one of its choices",
                source=where,
                hint=f"Valid values: {listing(item.choices)}.",
            )
        if atom.op and item.type == "integer" and not atom.literal.lstrip("-").isdigit():
            raise CatalogueError(f"Condition {text!r} compares integer item {atom.name!r} with a non-integer")
        if atom.op and item.type == "boolean":
            raise CatalogueError(
                f"Condition {text!r} compares boolean item {atom.name!r}", source=where, hint="Use it bare or with not."
            )
        return True

    _walk_atoms(node, check)
    return node


def _walk_atoms(node: expr.Expr, visit: Any) -> None:
    if isinstance(node, expr.Atom):
        visit(node)
    elif isinstance(node, expr.Not):
        _walk_atoms(node.operand, visit)
    else:
        for operand in node.operands:
            _walk_atoms(operand, visit)


def _item_entries(
    document: Document, key: str, kind: str, origin: dict[str, SourceLocation]
) -> Iterator[Mapping[str, Any]]:
    """The raw ``key`` entries of a catalogue file (PICS or PIXIT items), each checked for a duplicate id and for
    an enum without choices; their positions are recorded in ``origin``."""
    for index, raw in enumerate(document.data.get(key, [])):
        where = document.at((key, index, "id"))
        if raw["id"] in origin:
            raise CatalogueError(
                f"Duplicate {kind} item {raw['id']!r} (first defined at {origin[raw['id']]})", source=where
            )
        if raw["type"] == "enum" and not raw.get("choices"):
            raise CatalogueError(f"Enum {kind} item {raw['id']!r} has no choices", source=where)
        origin[raw["id"]] = where
        yield raw


def _pics_items(document: Document, into: dict[str, PicsItem], origin: dict[str, SourceLocation]) -> None:
    for raw in _item_entries(document, "pics_items", "PICS", origin):
        into[raw["id"]] = PicsItem(
            id=raw["id"],
            type=raw["type"],
            question=_text(raw["question"]),
            choices=tuple(raw.get("choices", ())),
            minimum=raw.get("min"),
            maximum=raw.get("max"),
            roles=tuple(Role(r) for r in raw.get("roles", ())),
            note=raw.get("note", ""),
        )


def _pixit_items(document: Document, into: dict[str, PixitItem], origin: dict[str, SourceLocation]) -> None:
    for raw in _item_entries(document, "pixit_items", "PIXIT", origin):
        into[raw["id"]] = PixitItem(
            id=raw["id"],
            type=raw["type"],
            description=_text(raw["description"]),
            sensitive=raw.get("sensitive", False),
            default=raw.get("default"),
            unit=raw.get("unit", ""),
            choices=tuple(raw.get("choices", ())),
            minimum=raw.get("min"),
            maximum=raw.get("max"),
        )


def _requirements(
    document: Document,
    framework: Framework,
    pics: Mapping[str, PicsItem],
    into: dict[str, Requirement],
) -> None:
    header = document.data["catalogue"]
    editions = header.get("editions") or [None]
    declared = {e["edition"] for e in header.get("editions", [])}
    for index, raw in enumerate(document.data.get("requirements", [])):
        at = lambda *keys, i=index: document.at(("requirements", i, *keys))  # noqa: E731
        level = Level(raw["level"])
        condition = raw.get("condition")
        if level is Level.MANDATORY and condition:
            raise CatalogueError(
                f"Requirement {raw['id']!r} is mandatory but has a condition",
                source=at("condition"),
                hint="Use level: conditional (or optional) with a condition, or drop the condition.",
            )
        if level is not Level.MANDATORY and not condition:
            raise CatalogueError(
                f"Requirement {raw['id']!r} is {level.value} but has no condition",
                source=at("level"),
                hint="Name the PICS item that declares the capability, e.g. condition: RSU.TX.RSI.",
            )
        condition_expr = check_condition(condition, pics, at("condition")) if condition else None
        for position, node in enumerate(raw["framework"]):
            if node not in framework.nodes:
                raise CatalogueError(
                    f"Requirement {raw['id']!r} maps to unknown framework node {node!r}."
                    f"{suggest(node, framework.nodes)}",
                    source=at("framework", position),
                    hint=f"Valid nodes: {listing(framework.nodes, limit=80)}.",
                )
        only = raw.get("editions")
        if only is not None:
            for position, name in enumerate(only):
                if name not in declared:
                    raise CatalogueError(
                        f"Requirement {raw['id']!r} restricts to edition {name!r}, not declared by this file",
                        source=at("editions", position),
                        hint=f"Declared editions: {listing(declared) or '(none: the file declares no editions)'}.",
                    )
        if not header.get("editions") and "standard" not in raw:
            raise CatalogueError(
                f"Requirement {raw['id']!r} has no 'standard'",
                source=at("id"),
                hint="Give standard: (the document the requirement comes from), or declare catalogue.editions.",
            )
        checks = tuple(
            CheckRef(
                c["id"],
                _parameters(c.get("parameters", {}), document, ("requirements", index, "checks", n, "parameters")),
            )
            for n, c in enumerate(raw["checks"])
        )
        seen_checks: set[str] = set()
        for n, check_ref in enumerate(checks):
            if check_ref.id in seen_checks:
                raise CatalogueError(
                    f"Requirement {raw['id']!r} lists check {check_ref.id!r} twice",
                    source=at("checks", n, "id"),
                    hint="Give one check entry per check id; put all its parameters there.",
                )
            seen_checks.add(check_ref.id)
        for edition in editions:
            if edition is not None and only is not None and edition["edition"] not in only:
                continue
            full_id = f"{edition['prefix']}/{raw['id']}" if edition else raw["id"]
            if full_id in into:
                raise CatalogueError(
                    f"Duplicate requirement id {full_id!r} (first defined at {into[full_id].source})",
                    source=at("id"),
                    hint="Requirement ids are stable identifiers and must be unique across the catalogue.",
                )
            into[full_id] = Requirement(
                id=full_id,
                title=_text(raw["title"]),
                purpose=_text(raw["purpose"]),
                standard=raw.get("standard") or edition["standard"],
                references=tuple(
                    Reference(r["document"], r["clause"], r["verified"], r.get("note", "")) for r in raw["references"]
                ),
                framework=tuple(raw["framework"]),
                roles=tuple(Role(r) for r in raw["roles"]),
                level=level,
                condition=condition,
                condition_expr=condition_expr,
                checks=_for_edition(checks, edition["edition"]) if edition else checks,
                tags=tuple(raw.get("tags", ())),
                edition=edition["edition"] if edition else None,
                source=at("id"),
                note=raw.get("note", ""),
            )


def _for_edition(checks: tuple[CheckRef, ...], edition: str) -> tuple[CheckRef, ...]:
    """Replace the placeholder ``{edition}`` in string parameter values by the edition id."""
    return tuple(
        CheckRef(
            check.id,
            tuple(
                replace(p, value=p.value.replace("{edition}", edition)) if isinstance(p.value, str) else p
                for p in check.parameters
            ),
        )
        for check in checks
    )


def load_catalogue(
    directory: Path = REQUIREMENTS_DIR, framework_file: Path = FRAMEWORK_FILE, overlays: Sequence[Path] = ()
) -> Catalogue:
    """Load every ``*.yaml`` catalogue file of ``directory`` and the framework, and cross-check them.

    ``overlays`` are a laboratory's own catalogue directories: their ``*.yaml`` files are added to the catalogue
    (new requirements, PICS and PIXIT items); they cannot redefine a bundled id (a duplicate id is an error, at the
    overlay's file:line:column).
    """
    framework = load_framework(framework_file)
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise CatalogueError(
            f"No requirement catalogue files (*.yaml) in {directory}", source=SourceLocation(str(directory))
        )
    for overlay in overlays:
        extra = sorted(overlay.glob("*.yaml"))
        if not extra:
            raise CatalogueError(
                f"No requirement catalogue files (*.yaml) in the catalogue overlay directory {overlay}",
                source=SourceLocation(str(overlay)),
                hint="A catalogue overlay directory holds requirement files like those of "
                "conformance/standards/data/requirements/ (README.md, 'A lab's own profiles and requirements').",
            )
        files.extend(extra)
    documents = []
    digest = hashlib.sha256()
    for path in [framework_file, *files]:
        # only regular UTF-8 files of bounded size (a FIFO named *.yaml would block; the bytes are the file's own)
        digest.update(path.name.encode() + b"\0" + read_data_file(path, "catalogue file").encode() + b"\0")
    catalogue_ids: dict[str, SourceLocation] = {}
    for path in files:
        document = load_yaml(path)
        validate(document, "catalogue", "requirement catalogue")
        cat_id = document.data["catalogue"]["id"]
        if cat_id in catalogue_ids:
            raise CatalogueError(
                f"Duplicate catalogue id {cat_id!r} (also {catalogue_ids[cat_id]})",
                source=document.at(("catalogue", "id")),
            )
        catalogue_ids[cat_id] = document.at(("catalogue", "id"))
        documents.append(document)
    pics: dict[str, PicsItem] = {}
    pixit: dict[str, PixitItem] = {}
    pics_origin: dict[str, SourceLocation] = {}
    pixit_origin: dict[str, SourceLocation] = {}
    for document in documents:
        _pics_items(document, pics, pics_origin)
        _pixit_items(document, pixit, pixit_origin)
    requirements: dict[str, Requirement] = {}
    for document in documents:
        _requirements(document, framework, pics, requirements)
    return Catalogue(
        requirements=requirements,
        pics_items=pics,
        pixit_items=pixit,
        framework=framework,
        files=tuple(str(p) for p in files),
        digest=digest.hexdigest(),
    )


@cache
def bundled_catalogue() -> Catalogue:
    """The bundled catalogue, loaded once per process."""
    return load_catalogue()
