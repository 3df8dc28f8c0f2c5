"""Profiles: which requirements apply to a kind of device, with PICS statuses, PIXIT needs and parameter overrides.

A profile file (``conformance/standards/profiles/<id>.yaml``, schema ``profile.schema.json``) may ``extends`` other
profiles (merged in order, then its own content on top) and ``include`` / ``exclude`` requirement ids or glob
patterns. Resolution is all-or-nothing: a cyclic ``extends``, an unknown requirement, PICS item, check or parameter,
a parameter of the wrong type, or a requirement whose condition names a PICS item the profile does not declare is a
:class:`ConfigurationError` at the offending file:line:column, listing the valid names."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import CatalogueError, SourceLocation
from ..standards import PROFILES_DIR as BUNDLED_PROFILES_DIR
from . import expr
from .loader import check_condition
from .models import Catalogue, Level, PicsStatus, Profile, ProfileParameter, Requirement, Role, Text, Value
from .yamlsrc import Document, listing, load_yaml, out_of_bounds, suggest, validate

#: The bundled profiles, package data (conformance/standards/profiles).
PROFILES_DIR = BUNDLED_PROFILES_DIR
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class ProfileSource:
    """Where profiles are looked up: a directory (default: the bundled one), a laboratory's own profile directories
    (``extra``, searched as well), and the bundled directory as fallback for ``extends``.

    A profile id is defined once across ``directory`` and ``extra``: an id found twice (a lab file named like a
    bundled profile, or the same id in two lab directories) is an error, so a profile id means the same profile in
    every report. A lab builds on a bundled profile with ``extends`` under an id of its own.
    """

    directory: Path = PROFILES_DIR
    extra: tuple[Path, ...] = ()

    def files(self) -> dict[str, Path]:
        """Return each profile id (file stem) with its file, across ``extra`` and ``directory``.

        Raises :class:`CatalogueError` (at the second file's ``id``) when an id is found twice.
        """
        found: dict[str, Path] = {}
        for directory in (self.directory, *self.extra):
            if not directory.is_dir():
                continue
            for path in sorted(directory.iterdir()):
                if path.suffix not in SUFFIXES:
                    continue
                if path.stem in found:
                    raise CatalogueError(
                        f"Profile {path.stem!r} is defined twice: {found[path.stem]} and {path}",
                        source=load_yaml(path).at(("profile", "id")),
                        hint="A laboratory's profiles cannot replace the bundled ones (or each other): give yours "
                        f"an id of its own and name {path.stem} under its extends to build on the other.",
                    )
                found[path.stem] = path
        return found

    def available(self) -> list[str]:
        """Return the profile ids found in the directories (file stems), sorted."""
        return sorted(self.files())

    def locate(self, name: str, *, near: Path | None = None, where: SourceLocation | None = None) -> Path:
        """Return the file of profile ``name`` (an id or a path to a .yaml file)."""
        candidate = Path(name)
        if candidate.suffix in SUFFIXES:
            if _is_file(candidate):
                return candidate
            raise CatalogueError(f"Profile file not found: {name}", source=where or SourceLocation(name))
        if near is not None:
            for suffix in SUFFIXES:
                if _is_file(near / f"{name}{suffix}"):
                    return near / f"{name}{suffix}"
        files = self.files()
        if name in files:
            return files[name]
        for suffix in SUFFIXES:
            path = PROFILES_DIR / f"{name}{suffix}"
            if _is_file(path):
                return path
        known = sorted(files)
        raise CatalogueError(
            f"Unknown profile {name!r}.{suggest(name, known)}",
            source=where,
            hint=f"Available profiles: {listing(known)}." if known else f"No profiles found in {self.directory}.",
        )

    def holds(self, path: Path) -> bool:
        """True when ``path`` is a file directly in ``directory`` or one of the ``extra`` directories."""
        return path.parent in {d.resolve() for d in (self.directory, *self.extra)}


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that takes a name the system refuses (too long, a NUL) as "no such file"."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _matches(pattern: str, requirement_id: str) -> bool:
    return fnmatch.fnmatchcase(requirement_id, pattern)


def _is_glob(pattern: str) -> bool:
    return any(ch in pattern for ch in "*?[")


def _value_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "null"


class _Resolver:
    def __init__(self, catalogue: Catalogue, source: ProfileSource) -> None:
        self.catalogue = catalogue
        self.source = source
        self.done: dict[Path, Profile] = {}

    def resolve(self, path: Path, stack: tuple[tuple[Path, SourceLocation | None], ...]) -> Profile:
        """Resolve the profile file ``path``; ``stack`` holds the files being resolved (to detect cycles)."""
        path = path.resolve()
        if path in self.done:
            return self.done[path]
        document = load_yaml(path)
        validate(document, "profile", "profile")
        raw = document.data["profile"]
        if self.source.holds(path) and raw["id"] != path.stem:
            raise CatalogueError(
                f"Profile id {raw['id']!r} differs from its file name {path.name!r}",
                source=document.at(("profile", "id")),
                hint=f"Rename the file or set id: {path.stem}.",
            )
        parents: list[Profile] = []
        for index, name in enumerate(raw.get("extends", [])):
            where = document.at(("profile", "extends", index))
            parent_path = self.source.locate(name, near=path.parent, where=where).resolve()
            chain = [p for p, _ in stack] + [path]
            if parent_path in chain:
                names = [p.stem for p in chain[chain.index(parent_path) :]] + [parent_path.stem]
                raise CatalogueError(
                    f"Cyclic extends: {' -> '.join(names)}",
                    source=where,
                    hint="A profile cannot extend itself, directly or through other profiles.",
                )
            parents.append(self.resolve(parent_path, (*stack, (path, where))))
        profile = self._merge(document, raw, parents)
        self.done[path] = profile
        return profile

    # ------------------------------------------------------------------ merging
    def _merge(self, document: Document, raw: dict[str, Any], parents: list[Profile]) -> Profile:
        catalogue = self.catalogue
        roles: list[Role] = [Role(r) for r in raw.get("roles", [])]
        if not roles:
            for parent in parents:
                roles.extend(r for r in parent.roles if r not in roles)
        if not roles:
            raise CatalogueError(
                f"Profile {raw['id']!r} has no roles",
                source=document.at(("profile",)),
                hint="Give roles: [RSU], [OBU] or [platform] (or extend a profile that has them).",
            )
        selected: list[str] = []
        for parent in parents:
            selected.extend(r for r in parent.requirements if r not in selected)
        for index, pattern in enumerate(raw.get("include", [])):
            where = document.at(("profile", "include", index))
            found = self._select(pattern, roles, where)
            selected.extend(r for r in found if r not in selected)
        for index, pattern in enumerate(raw.get("exclude", [])):
            where = document.at(("profile", "exclude", index))
            hit = [r for r in selected if _matches(pattern, r)]
            if not hit:
                raise CatalogueError(
                    f"exclude {pattern!r} matches no requirement of the profile.{suggest(pattern, selected)}",
                    source=where,
                    hint="Remove the entry or fix the id; an exclude that excludes nothing hides mistakes.",
                )
            selected = [r for r in selected if r not in hit]
        if not selected:
            raise CatalogueError(
                f"Profile {raw['id']!r} selects no requirement",
                source=document.at(("profile",)),
                hint="Add include entries (requirement ids or patterns such as CSAE53-2020/*) or extend a profile.",
            )
        pics = self._pics(document, raw, parents, roles)
        pixit: list[str] = []
        for parent in parents:
            pixit.extend(p for p in parent.pixit if p not in pixit)
        for index, item in enumerate(raw.get("pixit", [])):
            if item not in catalogue.pixit_items:
                raise CatalogueError(
                    f"Unknown PIXIT item {item!r}.{suggest(item, catalogue.pixit_items)}",
                    source=document.at(("profile", "pixit", index)),
                    hint=f"Valid PIXIT items: {listing(catalogue.pixit_items)}.",
                )
            if item not in pixit:
                pixit.append(item)
        self._conditions_declared(document, raw, selected, pics, set(roles))
        parameters: dict[str, ProfileParameter] = {}
        for parent in parents:
            parameters.update(parent.parameters)
        for name, spec in raw.get("parameters", {}).items():
            inherited = parameters.get(name)
            if inherited is not None and _value_type(inherited.value) != _value_type(spec["value"]):
                raise CatalogueError(
                    f"Parameter {name!r} must be a {_value_type(inherited.value)} like {inherited.value!r} "
                    f"(as in the profile it extends), found {_value_type(spec['value'])} {spec['value']!r}",
                    source=document.at(("profile", "parameters", name, "value")),
                )
            if out_of_bounds(spec["value"], None, None):  # .nan / .inf: a window of nan seconds never ends
                raise CatalogueError(
                    f"Parameter {name!r} must be a finite number, found {spec['value']!r}",
                    source=document.at(("profile", "parameters", name, "value")),
                )
            parameters[name] = ProfileParameter(
                name, spec["value"], spec.get("unit", ""), spec.get("description", ""), spec.get("verified", False)
            )
        overrides = self._overrides(document, raw, parents, selected)
        chain: list[str] = []
        for parent in parents:
            chain.extend(c for c in (*parent.chain, parent.id) if c not in chain)
        return Profile(
            id=raw["id"],
            title=Text(raw["title"]["zh"], raw["title"]["en"]),
            description=raw.get("description", "").strip(),
            roles=tuple(roles),
            extends=tuple(raw.get("extends", [])),
            requirements=tuple(selected),
            pics=pics,
            pixit=tuple(pixit),
            parameters=parameters,
            overrides=overrides,
            source=document.path,
            abstract=raw.get("abstract", False),
            chain=tuple(chain),
        )

    def _select(self, pattern: str, roles: list[Role], where: SourceLocation) -> list[str]:
        requirements = self.catalogue.requirements
        if not _is_glob(pattern):
            if pattern not in requirements:
                raise CatalogueError(
                    f"Unknown requirement {pattern!r}.{suggest(pattern, requirements)}",
                    source=where,
                    hint="Requirement ids are listed by `v2xc profiles show` and in "
                    "conformance/standards/data/requirements/.",
                )
            requirement = requirements[pattern]
            if not set(requirement.roles) & set(roles):
                raise CatalogueError(
                    f"Requirement {pattern!r} applies to {', '.join(requirement.roles)}, not to this profile's roles "
                    f"({', '.join(roles)})",
                    source=where,
                )
            return [pattern]
        matched = [r for r in requirements if _matches(pattern, r)]
        if not matched:
            prefixes = sorted({r.rsplit("/", 2)[0] + "/*" for r in requirements})
            raise CatalogueError(
                f"Pattern {pattern!r} matches no requirement of the catalogue",
                source=where,
                hint=f"Some valid patterns: {listing(prefixes, limit=20)}.",
            )
        fitting = [r for r in matched if set(requirements[r].roles) & set(roles)]
        if not fitting:
            raise CatalogueError(
                f"Pattern {pattern!r} matches {len(matched)} requirement(s), none for the roles {', '.join(roles)}",
                source=where,
            )
        return fitting

    def _pics(
        self, document: Document, raw: dict[str, Any], parents: list[Profile], roles: list[Role]
    ) -> dict[str, PicsStatus]:
        items = self.catalogue.pics_items
        result: dict[str, PicsStatus] = {}
        for parent in parents:
            result.update(parent.pics)
        own = raw.get("pics", {})
        for name in own:
            where = document.at(("profile", "pics", name), key=True)
            if name not in items:
                raise CatalogueError(
                    f"Unknown PICS item {name!r}.{suggest(name, items)}",
                    source=where,
                    hint=f"Valid PICS items: {listing(items, limit=80)}.",
                )
            item_roles = items[name].roles
            if item_roles and not set(item_roles) & set(roles):
                raise CatalogueError(
                    f"PICS item {name!r} concerns {', '.join(item_roles)}, "
                    f"not this profile's roles ({', '.join(roles)})",
                    source=where,
                )
        declared = set(result) | set(own)
        for name, status in own.items():
            if isinstance(status, dict):
                where = document.at(("profile", "pics", name, "conditional"))
                text = status["conditional"]
                node = check_condition(text, items, where, allowed=declared)
                result[name] = PicsStatus(name, Level.CONDITIONAL, text, node)
            else:
                result[name] = PicsStatus(name, Level(status))
        return result

    def _conditions_declared(
        self,
        document: Document,
        raw: dict[str, Any],
        selected: list[str],
        pics: Mapping[str, PicsStatus],
        roles_of: set[Role],
    ) -> None:
        for requirement_id in selected:
            requirement = self.catalogue.requirements[requirement_id]
            if requirement.condition_expr is None:
                continue
            # An item of another role (RSU.RX.BSM in an OBU profile) is simply false there; it need not be declared.
            missing = [
                n
                for n in expr.names(requirement.condition_expr)
                if n not in pics
                and (not self.catalogue.pics_items[n].roles or set(self.catalogue.pics_items[n].roles) & roles_of)
            ]
            if missing:
                raise CatalogueError(
                    f"Requirement {requirement_id!r} (condition {requirement.condition!r}) needs PICS item(s) "
                    f"{', '.join(missing)}, which profile {raw['id']!r} does not declare",
                    source=document.at(("profile", "pics"), key=True)
                    if "pics" in raw
                    else document.at(("profile", "id")),
                    hint=f"Add them under pics: with a status (mandatory / optional / conditional), e.g. "
                    f"{missing[0]}: optional.",
                )

    def _overrides(
        self, document: Document, raw: dict[str, Any], parents: list[Profile], selected: list[str]
    ) -> dict[str, dict[str, dict[str, Value]]]:
        result: dict[str, dict[str, dict[str, Value]]] = {}
        for parent in parents:
            for rid, checks in parent.overrides.items():
                if rid not in selected:
                    continue
                for cid, values in checks.items():
                    result.setdefault(rid, {}).setdefault(cid, {}).update(values)
        for pattern, checks in raw.get("overrides", {}).items():
            where = document.at(("profile", "overrides", pattern), key=True)
            targets = [r for r in selected if _matches(pattern, r)]
            if not targets:
                raise CatalogueError(
                    f"overrides: {pattern!r} matches no requirement of the profile.{suggest(pattern, selected)}",
                    source=where,
                    hint="Override keys are requirement ids (or glob patterns) selected by this profile.",
                )
            for check_id, values in checks.items():
                check_where = document.at(("profile", "overrides", pattern, check_id), key=True)
                with_check = [
                    r for r in targets if any(c.id == check_id for c in self.catalogue.requirements[r].checks)
                ]
                if not with_check:
                    valid = sorted({c.id for r in targets for c in self.catalogue.requirements[r].checks})
                    raise CatalogueError(
                        f"overrides: no requirement matching {pattern!r} has check {check_id!r}."
                        f"{suggest(check_id, valid)}",
                        source=check_where,
                        hint=f"Checks of the matching requirements: {listing(valid) or '(none: not tested yet)'}.",
                    )
                for name, value in values.items():
                    json_path = ("profile", "overrides", pattern, check_id, name)
                    places = (document.at(json_path, key=True), document.at(json_path))
                    for rid in with_check:
                        self._check_value(self.catalogue.requirements[rid], check_id, name, value, places)
                        result.setdefault(rid, {}).setdefault(check_id, {})[name] = value
        return result

    @staticmethod
    def _check_value(
        requirement: Requirement,
        check_id: str,
        name: str,
        value: Any,
        places: tuple[SourceLocation, SourceLocation],
    ) -> None:
        key_where, where = places
        check = next(c for c in requirement.checks if c.id == check_id)
        names = [p.name for p in check.parameters]
        if name not in names:
            raise CatalogueError(
                f"Check {check_id!r} of {requirement.id!r} has no parameter {name!r}.{suggest(name, names)}",
                source=key_where,
                hint=f"Valid parameters: {listing(names) or '(none)'}.",
            )
        parameter = check.parameter(name)
        expected, found = _value_type(parameter.value), _value_type(value)
        if expected != found:
            raise CatalogueError(
                f"Parameter {name!r} of {check_id!r} ({requirement.id}) must be a {expected} like "
                f"{parameter.render()}, found {found} {value!r}",
                source=where,
                hint="Quote strings; write numbers without units (the unit is fixed by the catalogue).",
            )
        if out_of_bounds(value, parameter.minimum, parameter.maximum):
            raise CatalogueError(
                f"Parameter {name!r} of {check_id!r} ({requirement.id}) = {value} is outside "
                f"[{parameter.minimum}, {parameter.maximum}] {parameter.unit}".rstrip(),
                source=where,
            )


def load_profile(name: str, catalogue: Catalogue, source: ProfileSource | None = None) -> Profile:
    """Load and fully resolve profile ``name`` (an id in the profiles directory, or a path to a profile file)."""
    source = source or ProfileSource()
    path = source.locate(name)
    return _Resolver(catalogue, source).resolve(path, ())


def resolved_profile_data(profile: Profile) -> dict[str, Any]:
    """Return ``profile`` as a profile document that stands on its own: no ``extends``, every selected requirement
    named in ``include`` (in plan order), every PICS status, PIXIT item, parameter and override it resolved to.

    Loading the result (as a profile file) gives the same requirements, PICS statuses, PIXIT items, parameters and
    overrides as ``profile``: what a run folder keeps so that ``--resume`` needs neither the lab's profile
    directories nor the profiles it extends."""
    pics: dict[str, Any] = {
        name: {"conditional": status.condition} if status.level is Level.CONDITIONAL else status.level.value
        for name, status in profile.pics.items()
    }
    parameters = {
        name: {"value": p.value, "unit": p.unit, "description": p.description, "verified": p.verified}
        for name, p in profile.parameters.items()
    }
    overrides = {
        rid: {cid: dict(values) for cid, values in checks.items()} for rid, checks in profile.overrides.items()
    }
    body: dict[str, Any] = {
        "id": profile.id,
        "title": {"zh": profile.title.zh, "en": profile.title.en},
        "description": profile.description,
        "roles": [role.value for role in profile.roles],
        "include": list(profile.requirements),
        "pics": pics,
        "pixit": list(profile.pixit),
        "parameters": parameters,
        "overrides": overrides,
    }
    return {"profile": body}


def load_all(catalogue: Catalogue, source: ProfileSource | None = None) -> list[Profile]:
    """Load every profile of the directory (abstract ones included), stopping at the first broken one."""
    source = source or ProfileSource()
    resolver = _Resolver(catalogue, source)
    return [resolver.resolve(source.locate(name), ()) for name in source.available()]
