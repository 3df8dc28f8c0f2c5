"""Message-set editions: which ASN.1 makes up each one, and the compiled, cached specification.

The registry lives in ``conformance/standards/asn1/editions.toml`` (package data). One edition (``csae53-2020``)
lists its files; every other edition ``extends`` a parent and applies *overlays*: ASN.1 files whose modules, when
named like a module of the parent, replace or add the types they define (and merge their IMPORTS); modules with new
names are added whole. This keeps one source of truth for the ~160 shared Day-1 types (see ARCHITECTURE.md).

A user may instead point the toolkit at a folder of their own (licensed, official) ASN.1 files with
:func:`custom_edition`; every ``*.asn`` file in it is compiled as one complete set.

Compilation costs about a second per edition, so compiled specifications are cached per process
(:func:`load_edition`); nothing is compiled at import time."""

from __future__ import annotations

import copy
import functools
import hashlib
import os
import pickle
import re
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import asn1tools

from ..errors import EditionError, SourceLocation

ASN1_PACKAGE_DIR = "asn1"
REGISTRY_FILE = "editions.toml"
CUSTOM_PREFIX = "custom:"
CACHE_FORMAT = "1"  # bump when Edition or the compile step changes shape

#: A parsed ASN.1 specification in asn1tools' dictionary form: {module name: {"types": ..., "imports": ...}}.
ParsedSpec = dict[str, dict[str, Any]]


@dataclass(frozen=True)
class OpenTypeBinding:
    """Where an edition carries an open type, and which type each key value selects.

    ``path`` leads from the ``pdu`` to the SEQUENCE of type ``container_type`` (member or CHOICE alternative names);
    its ``key_field`` selects, through ``types``, the type of the octets held in ``value_field``.
    """

    pdu: str
    path: tuple[str, ...]
    container_type: str
    key_field: str
    value_field: str
    types: Mapping[int, str]


@dataclass(frozen=True)
class EditionInfo:
    """One entry of the edition registry (or a user's custom ASN.1 folder)."""

    id: str
    title: str
    standard: str
    year: int
    pdu: str
    files: tuple[Path, ...]
    overlays: tuple[Path, ...] = ()
    extends: str | None = None
    notes: str = ""
    open_types: tuple[OpenTypeBinding, ...] = ()


@dataclass
class Edition:
    """A compiled edition: registry entry, parsed module dictionary, compiled UPER spec, and content hash."""

    info: EditionInfo
    parsed: ParsedSpec
    spec: Any  # asn1tools.compiler.Specification (untyped library)
    sha256: str
    source_files: tuple[Path, ...]
    _type_modules: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        """The edition id, e.g. ``csae53-2020``."""
        return self.info.id

    def type_names(self) -> list[str]:
        """Return every type name defined by this edition, sorted."""
        return sorted(self.spec.types)

    def has_type(self, name: str) -> bool:
        """Return True when ``name`` is a type of this edition."""
        return name in self.spec.types

    def module_of(self, type_name: str) -> str:
        """Return the ASN.1 module that defines ``type_name``."""
        if not self._type_modules:
            for module_name, module in self.parsed.items():
                for tname in module.get("types", {}):
                    self._type_modules.setdefault(tname, module_name)
        return self._type_modules[type_name]

    def type_definition(self, type_name: str) -> dict[str, Any]:
        """Return the parsed (asn1tools dictionary) definition of ``type_name``."""
        return dict(self.parsed[self.module_of(type_name)]["types"][type_name])


def _asn1_root() -> Path:
    """Return the folder holding the bundled ASN.1 modules and the edition registry."""
    return Path(str(resources.files("conformance.standards") / ASN1_PACKAGE_DIR))


@functools.cache
def registry() -> dict[str, EditionInfo]:
    """Load and validate ``editions.toml``; return editions by id, in file order."""
    root = _asn1_root()
    path = root / REGISTRY_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise EditionError(
            f"Cannot read the edition registry: {exc}",
            source=SourceLocation(str(path)),
            hint="Reinstall the package; the registry is package data.",
        ) from exc
    result: dict[str, EditionInfo] = {}
    for entry in data.get("edition", []):
        ident = entry.get("id", "?")
        missing = [k for k in ("id", "title", "standard", "year", "pdu") if k not in entry]
        if missing:
            raise EditionError(
                f"Edition '{ident}' in the registry lacks {', '.join(missing)}.", source=SourceLocation(str(path))
            )
        extends = entry.get("extends")
        if extends is not None and extends not in result:
            raise EditionError(
                f"Edition '{ident}' extends '{extends}', which is not defined before it.",
                source=SourceLocation(str(path)),
                hint=f"Known editions so far: {', '.join(result) or 'none'}.",
            )
        files: list[Path] = []
        for pattern in entry.get("files", []):
            matched = sorted(root.glob(pattern))
            if not matched:
                raise EditionError(
                    f"Edition '{ident}': no ASN.1 file matches '{pattern}'.", source=SourceLocation(str(path))
                )
            files.extend(matched)
        overlays: list[Path] = []
        for pattern in entry.get("overlays", []):
            matched = sorted(root.glob(pattern))
            if not matched:
                raise EditionError(
                    f"Edition '{ident}': no overlay file matches '{pattern}'.", source=SourceLocation(str(path))
                )
            overlays.extend(matched)
        result[ident] = EditionInfo(
            id=ident,
            title=entry["title"],
            standard=entry["standard"],
            year=int(entry["year"]),
            pdu=entry["pdu"],
            files=tuple(files),
            overlays=tuple(overlays),
            extends=extends,
            notes=entry.get("notes", ""),
            open_types=_open_types(entry, result.get(extends) if extends else None, path),
        )
    return result


def _open_types(entry: Mapping[str, Any], parent: EditionInfo | None, path: Path) -> tuple[OpenTypeBinding, ...]:
    """Read an edition's ``[[edition.open_type]]`` tables (inheriting the parent's)."""
    bindings = list(parent.open_types) if parent else []
    for table in entry.get("open_type", []):
        try:
            types = {int(key): str(name) for key, name in table["types"].items()}
            bindings.append(
                OpenTypeBinding(
                    pdu=str(table.get("pdu", entry.get("pdu", "MessageFrame"))),
                    path=tuple(table["path"]),
                    container_type=str(table["container_type"]),
                    key_field=str(table["key_field"]),
                    value_field=str(table["value_field"]),
                    types=types,
                )
            )
        except (KeyError, ValueError, TypeError) as exc:
            raise EditionError(
                f"Edition '{entry.get('id')}': malformed open_type table ({exc}).",
                source=SourceLocation(str(path)),
                hint="An open_type needs path, container_type, key_field, value_field and types {id = type}.",
            ) from exc
    return tuple(bindings)


def _depth(ident: str) -> int:
    """Number of `extends` steps from an edition to the registry's root edition."""
    info = registry()[ident]
    return 0 if info.extends is None else 1 + _depth(info.extends)


def edition_ids() -> list[str]:
    """Return the ids of the bundled editions, oldest first (within a year, a parent before what extends it)."""
    return sorted(registry(), key=lambda ident: (registry()[ident].year, _depth(ident), ident))


def _parse_file(path: Path) -> ParsedSpec:
    """Parse one ASN.1 file, turning parser failures into an error with file, line and column."""
    try:
        raw = path.read_bytes()
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise EditionError(
            f"The ASN.1 file is not UTF-8: byte {raw[exc.start:exc.start + 1]!r} cannot be decoded.",
            source=SourceLocation(str(path), line, column),
            hint="Save the module as UTF-8 (e.g. iconv -f GBK -t UTF-8); ASN.1 comments in Chinese are fine in UTF-8.",
        ) from None
    except OSError as exc:
        raise EditionError(
            f"Cannot read the ASN.1 file: {exc.strerror or exc}.", source=SourceLocation(str(path))
        ) from None
    try:
        parsed: ParsedSpec = asn1tools.parse_string(text)
        return parsed
    except asn1tools.ParseError as exc:
        line, column = _parse_error_position(str(exc))
        raise EditionError(
            f"ASN.1 syntax error: {exc}",
            source=SourceLocation(str(path), line, column),
            hint="Fix the module text at that position; the toolkit compiles only complete, valid modules.",
        ) from exc


def _parse_error_position(message: str) -> tuple[int, int]:
    """Extract line and column from an asn1tools parse error message ('... line 3, column 7 ...')."""
    match = re.search(r"line (\d+)[^\d]+column (\d+)", message)
    if match:
        return int(match.group(1)), int(match.group(2))
    return 0, 0


def merge_overlay(
    base: ParsedSpec, overlay: ParsedSpec, *, overlay_name: str = "overlay", check: bool = True
) -> ParsedSpec:
    """Return ``base`` with ``overlay`` applied (the inputs are not modified).

    A module of the overlay named like a base module replaces or adds the types and values it defines and merges
    its imports; a module with a new name is added whole. ``check=False`` defers the IMPORTS check, for overlays
    that import from each other (the Day-2 modules do) and are checked once all are merged.
    """
    merged = copy.deepcopy(base)
    for module_name, module in overlay.items():
        if module_name not in merged:
            merged[module_name] = copy.deepcopy(module)
            continue
        target = merged[module_name]
        target["types"].update(copy.deepcopy(module.get("types", {})))
        target["values"].update(copy.deepcopy(module.get("values", {})))
        for source_module, names in module.get("imports", {}).items():
            existing = target["imports"].setdefault(source_module, [])
            existing.extend(name for name in names if name not in existing)
    if check:
        _check_imports(merged, overlay_name)
    return merged


def _check_imports(parsed: ParsedSpec, context: str) -> None:
    """Reject a module set whose IMPORTS name a module or type that is not there."""
    for module_name, module in parsed.items():
        for source_module, names in module.get("imports", {}).items():
            if source_module not in parsed:
                raise EditionError(
                    f"{context}: module {module_name} imports from {source_module}, which is not in the set.",
                    hint="Add the missing module file or fix the IMPORTS clause.",
                )
            defined = set(parsed[source_module].get("types", {})) | set(parsed[source_module].get("values", {}))
            unknown = [name for name in names if name not in defined]
            if unknown:
                raise EditionError(
                    f"{context}: module {module_name} imports {', '.join(unknown)} from {source_module}, "
                    "which does not define them.",
                    hint="Fix the IMPORTS clause or the module that should define those types.",
                )


def _check_open_types(info: EditionInfo, parsed: ParsedSpec) -> None:
    """Every type an open-type table names must exist in the edition."""
    defined = set(all_type_definitions(parsed))
    for binding in info.open_types:
        missing = sorted({binding.container_type, *binding.types.values()} - defined)
        if missing:
            raise EditionError(
                f"Edition {info.id}: its open_type table names types the ASN.1 does not define: {', '.join(missing)}.",
                hint="Fix the type names in editions.toml or add the modules that define them.",
            )


def _parse_files(paths: Iterable[Path]) -> ParsedSpec:
    """Parse several files into one module dictionary; a module defined twice is an error."""
    result: ParsedSpec = {}
    for path in paths:
        for module_name, module in _parse_file(path).items():
            if module_name in result:
                raise EditionError(
                    f"ASN.1 module {module_name} is defined twice.",
                    source=SourceLocation(str(path)),
                    hint="Each module may appear in one file only; use an overlay to change types of an edition.",
                )
            result[module_name] = module
    return result


def _resolve(info: EditionInfo) -> tuple[ParsedSpec, tuple[Path, ...]]:
    """Return the parsed module dictionary of an edition and every file it was built from."""
    if info.extends is None:
        parsed = _parse_files(info.files)
        _check_imports(parsed, info.id)
        return parsed, info.files
    parent_parsed, parent_files = _resolve(registry()[info.extends])
    parsed = parent_parsed
    for overlay_path in info.overlays:
        parsed = merge_overlay(parsed, _parse_file(overlay_path), overlay_name=overlay_path.name, check=False)
    _check_imports(parsed, info.id)
    _check_open_types(info, parsed)
    return parsed, parent_files + info.overlays


def _content_hash(paths: Iterable[Path]) -> str:
    """SHA-256 over the file names and contents, in build order."""
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def _compile(info: EditionInfo, parsed: ParsedSpec, files: tuple[Path, ...]) -> Edition:
    """Compile a parsed module dictionary for UPER, mapping compiler failures to :class:`EditionError`."""
    try:
        spec = asn1tools.compile_dict(copy.deepcopy(parsed), "uper")
    except asn1tools.CompileError as exc:
        raise EditionError(
            f"ASN.1 of edition {info.id} does not compile: {exc}",
            hint="A type is referenced but not defined or imported; check the module named in the message.",
        ) from exc
    if info.pdu not in spec.types:
        raise EditionError(
            f"Edition {info.id} has no top-level type {info.pdu}.",
            hint="The ASN.1 set must define the message frame type named in the registry.",
        )
    return Edition(info=info, parsed=parsed, spec=spec, sha256=_content_hash(files), source_files=files)


@functools.cache
def load_edition(edition_id: str) -> Edition:
    """Return the compiled edition ``edition_id`` (compiled once per process, then cached).

    ``edition_id`` is a registry id such as ``csae53-2020`` or ``custom:/path/to/asn1-dir``.
    """
    if edition_id.startswith(CUSTOM_PREFIX):
        return custom_edition(Path(edition_id[len(CUSTOM_PREFIX) :]))
    known = registry()
    if edition_id not in known:
        raise EditionError(
            f"Unknown edition '{edition_id}'.",
            hint=f"Valid editions: {', '.join(edition_ids())} (or point --asn1-dir at your own ASN.1 files).",
        )
    info = known[edition_id]
    files = _files_of(info)
    cached = _cache_load(info, files)
    if cached is not None:
        return cached
    parsed, files = _resolve(info)
    edition = _compile(info, parsed, files)
    _cache_store(edition)
    return edition


def _files_of(info: EditionInfo) -> tuple[Path, ...]:
    """Every ASN.1 file an edition is built from, in build order (without parsing them)."""
    if info.extends is None:
        return info.files
    return _files_of(registry()[info.extends]) + info.overlays


def _cache_dir() -> Path | None:
    """Folder of the compiled-edition cache, or None when disabled (``V2XC_NO_CACHE=1``)."""
    if os.environ.get("V2XC_NO_CACHE"):
        return None
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "v2x-conformance" / "editions"


def _cache_path(info: EditionInfo, files: tuple[Path, ...]) -> Path | None:
    folder = _cache_dir()
    if folder is None:
        return None
    key = hashlib.sha256(
        "\0".join(
            [CACHE_FORMAT, info.id, repr(info), _content_hash(files), asn1tools.__version__, sys.version]
        ).encode()
    ).hexdigest()[:32]
    return folder / f"{info.id}-{key}.pickle"


def _cache_load(info: EditionInfo, files: tuple[Path, ...]) -> Edition | None:
    """Return the cached compiled edition, or None (missing, stale or unreadable: the caller recompiles).

    The cache only ever holds what this toolkit compiled from the files hashed into the key, in the user's own
    cache folder; a compile takes about a second per edition, loading the cache a few milliseconds.
    """
    path = _cache_path(info, files)
    if path is None or not path.is_file():
        return None
    try:
        with path.open("rb") as handle:
            edition = pickle.load(handle)
    except Exception:  # noqa: BLE001 - a broken cache entry is simply rebuilt
        return None
    return edition if isinstance(edition, Edition) and edition.info == info else None


def _cache_store(edition: Edition) -> None:
    """Write the compiled edition to the cache atomically; failures (read-only home, full disk) are ignored."""
    path = _cache_path(edition.info, edition.source_files)
    if path is None:
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False) as handle:
            pickle.dump(edition, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(handle.name, path)
    except (OSError, pickle.PicklingError, RecursionError):
        return


def custom_edition(folder: Path, *, pdu: str = "MessageFrame") -> Edition:
    """Compile every ``*.asn`` file in ``folder`` as one complete edition (for labs' own licensed ASN.1)."""
    files = tuple(sorted(folder.glob("*.asn")))
    if not folder.is_dir() or not files:
        raise EditionError(
            f"No ASN.1 files (*.asn) found in '{folder}'.",
            hint="Point --asn1-dir at a folder holding the complete module set of one edition.",
        )
    info = EditionInfo(
        id=f"{CUSTOM_PREFIX}{folder}",
        title=f"ASN.1 from {folder}",
        standard="user-supplied ASN.1",
        year=0,
        pdu=pdu,
        files=files,
    )
    parsed = _parse_files(files)
    _check_imports(parsed, info.id)
    return _compile(info, parsed, files)


def all_type_definitions(parsed: Mapping[str, Mapping[str, Any]]) -> dict[str, tuple[str, Any]]:
    """Return {type name: (module name, parsed definition)} for every type of a parsed module dictionary."""
    result: dict[str, tuple[str, Any]] = {}
    for module_name, module in parsed.items():
        for type_name, definition in module.get("types", {}).items():
            result.setdefault(type_name, (module_name, definition))
    return result
