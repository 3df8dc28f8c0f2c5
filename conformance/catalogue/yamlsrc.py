"""YAML documents that remember where every value came from, and JSON Schema validation that reports file:line:column.

Why PyYAML's composer rather than ``yaml.safe_load``: ``safe_load`` forgets positions and silently keeps the last of
two duplicate keys. We compose the node graph with the *safe* loader (no Python object tags are ever constructed),
build plain Python values ourselves, and record the start mark of every key and value under its JSON path. Duplicate
keys, merge keys (``<<``) and non-string keys are refused: a catalogue an auditor reads must mean one thing.
"""

from __future__ import annotations

import difflib
import json
import math
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema  # type: ignore[import-untyped, unused-ignore]
import yaml

from ..errors import CatalogueError, SourceLocation
from ..standards import SCHEMA_DIR as STANDARDS_SCHEMA_DIR

#: A JSON path into a document: mapping keys (str) and list indices (int).
JsonPath = tuple[str | int, ...]

SCHEMA_DIR = STANDARDS_SCHEMA_DIR


@dataclass(frozen=True)
class Document:
    """A loaded YAML document: its plain value plus the position of every value and mapping key."""

    path: str
    data: Any
    value_marks: Mapping[JsonPath, tuple[int, int]] = field(default_factory=dict)
    key_marks: Mapping[JsonPath, tuple[int, int]] = field(default_factory=dict)

    def at(self, json_path: Sequence[str | int], *, key: bool = False) -> SourceLocation:
        """Return the location of the value (or, with ``key=True``, of the mapping key) at ``json_path``.

        Falls back to the nearest enclosing value that has a position, then to the file itself.
        """
        probe: JsonPath = tuple(json_path)
        if key and probe in self.key_marks:
            line, column = self.key_marks[probe]
            return SourceLocation(self.path, line, column)
        while True:
            if probe in self.value_marks:
                line, column = self.value_marks[probe]
                return SourceLocation(self.path, line, column)
            if not probe:
                return SourceLocation(self.path)
            probe = probe[:-1]


def _mark(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


def _scalar(node: yaml.ScalarNode, loader: yaml.SafeLoader) -> Any:
    return loader.construct_object(node, deep=True)


def _build(
    node: yaml.Node,
    path: JsonPath,
    loader: yaml.SafeLoader,
    source: str,
    values: dict[JsonPath, tuple[int, int]],
    keys: dict[JsonPath, tuple[int, int]],
) -> Any:
    values[path] = _mark(node)
    if isinstance(node, yaml.MappingNode):
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                line, column = _mark(key_node)
                raise CatalogueError(
                    "YAML merge keys ('<<') are not supported in v2x-conformance data files",
                    source=SourceLocation(source, line, column),
                    hint="Write the keys out, or use `extends` (profiles) to share definitions.",
                )
            key = _scalar(key_node, loader) if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str):
                line, column = _mark(key_node)
                raise CatalogueError(
                    f"Mapping keys must be strings, found {key_node.value!r} ({type(key).__name__})",
                    source=SourceLocation(source, line, column),
                    hint='Quote the key, e.g. "on": or "2020":.',
                )
            if key in result:
                line, column = _mark(key_node)
                first_line, _ = keys[(*path, key)]
                raise CatalogueError(
                    f"Duplicate key {key!r} (first defined on line {first_line})",
                    source=SourceLocation(source, line, column),
                    hint="Each key may appear once in a mapping; YAML would otherwise silently keep the last one.",
                )
            keys[(*path, key)] = _mark(key_node)
            result[key] = _build(value_node, (*path, key), loader, source, values, keys)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_build(item, (*path, index), loader, source, values, keys) for index, item in enumerate(node.value)]
    assert isinstance(node, yaml.ScalarNode)
    return _scalar(node, loader)


#: Limits of every data file the toolkit reads (they hold at most a few thousand lines; anything beyond is a mistake
#: or an attack: a YAML alias bomb expands to gigabytes, nesting of 10^5 levels exhausts the interpreter's stack).
MAX_FILE_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64


def _event_location(source: str, event: yaml.Event) -> SourceLocation:
    mark = event.start_mark
    return SourceLocation(source, mark.line + 1, mark.column + 1) if mark is not None else SourceLocation(source)


def check_structure(text: str, source: str) -> None:
    """Refuse YAML aliases and nesting deeper than :data:`MAX_DEPTH`, from the parser's events (no recursion)."""
    depth = 0
    previous: yaml.Event | None = None
    try:
        for event in yaml.parse(text, Loader=yaml.SafeLoader):
            merge_value = isinstance(previous, yaml.ScalarEvent) and previous.value == "<<"
            previous = event
            if isinstance(event, yaml.AliasEvent) and not merge_value:  # '<<: *x' is refused as a merge key
                raise CatalogueError(
                    f"YAML aliases (*{event.anchor}) are not supported in v2x-conformance data files",
                    source=_event_location(source, event),
                    hint="Write the values out (an alias can expand a small file into gigabytes).",
                )
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    raise CatalogueError(
                        f"The data is nested more than {MAX_DEPTH} levels deep",
                        source=_event_location(source, event),
                        hint="Data files of the toolkit are a few levels deep; check the file.",
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # syntax errors are reported with their position by the loader below


def read_data_file(path: Path, what: str = "file") -> str:
    """Read a data file given by the user: a regular file (not a FIFO, device or folder) of at most
    :data:`MAX_FILE_BYTES`, in UTF-8; anything else is a :class:`CatalogueError` naming the file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise CatalogueError(f"File not found: {path}", source=SourceLocation(str(path))) from None
    except OSError as exc:
        raise CatalogueError(f"Cannot read {path}: {exc.strerror or exc}", source=SourceLocation(str(path))) from None
    if not stat.S_ISREG(info.st_mode):
        raise CatalogueError(
            f"{path} is not a regular file (a folder, FIFO or device); the {what} must be a file",
            source=SourceLocation(str(path)),
        )
    if info.st_size > MAX_FILE_BYTES:
        raise CatalogueError(
            f"{path} is {info.st_size} bytes; a {what} may be at most {MAX_FILE_BYTES} bytes",
            source=SourceLocation(str(path)),
        )
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CatalogueError(
            f"{path} is not UTF-8 text (byte {exc.start}: {data[exc.start:exc.start + 1]!r})",
            source=SourceLocation(str(path)),
            hint="Save the file as UTF-8.",
        ) from None
    except OSError as exc:
        raise CatalogueError(f"Cannot read {path}: {exc.strerror or exc}", source=SourceLocation(str(path))) from None


def parse_yaml(text: str, source: str) -> Document:
    """Parse one YAML document from ``text`` (``source`` names it in errors) keeping every position.

    Raises :class:`ConfigurationError` with file:line:column for syntax errors, duplicate keys, merge keys, non-string
    keys, an empty file and a file holding more than one document.
    """
    check_structure(text, source)
    loader = yaml.SafeLoader(text)
    try:
        try:
            node = loader.get_single_node()
        except yaml.MarkedYAMLError as exc:
            mark = exc.problem_mark or exc.context_mark
            where = SourceLocation(source, mark.line + 1, mark.column + 1) if mark else SourceLocation(source)
            problem = exc.problem or "invalid YAML"
            context = f" ({exc.context})" if exc.context else ""
            raise CatalogueError(
                f"Invalid YAML: {problem}{context}",
                source=where,
                hint="Check indentation, quoting and that ':' is followed by a space.",
            ) from None
        except yaml.YAMLError as exc:
            raise CatalogueError(f"Invalid YAML: {exc}", source=SourceLocation(source)) from None
        if node is None:
            raise CatalogueError(
                "The file is empty", source=SourceLocation(source), hint="See the schema and templates in the docs."
            )
        values: dict[JsonPath, tuple[int, int]] = {}
        keys: dict[JsonPath, tuple[int, int]] = {}
        try:
            data = _build(node, (), loader, source, values, keys)
        except yaml.constructor.ConstructorError as exc:
            mark = exc.problem_mark
            where = SourceLocation(source, mark.line + 1, mark.column + 1) if mark else SourceLocation(source)
            raise CatalogueError(f"Invalid YAML value: {exc.problem}", source=where) from None
    finally:
        loader.dispose()
    return Document(source, data, values, keys)


def load_yaml(path: Path, *, label: str | None = None) -> Document:
    """Read and parse a YAML file (UTF-8); a missing or unreadable file is a :class:`ConfigurationError`.

    ``label`` names the file in positions (default: the path), e.g. ``pics.yaml`` for a run folder's own copy."""
    return parse_yaml(read_data_file(path, "YAML file"), label or str(path))


class _PlainDumper(yaml.SafeDumper):
    """A safe dumper that never writes anchors or aliases (which :func:`parse_yaml` refuses)."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


#: characters YAML reads as line breaks: PyYAML writes them raw inside single quotes, where a reader folds them
#: into a space (the PIXIT copy of a run folder would then differ from the lab's file); double quotes escape them
_YAML_BREAKS = ("\x85", "\u2028", "\u2029")


def _represent_text(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    if any(ch in data for ch in _YAML_BREAKS):
        return dumper.represent_scalar("tag:yaml.org,2002:str", data, style='"')
    return dumper.represent_str(data)


_PlainDumper.add_representer(str, _represent_text)


def dump_yaml(data: Any, *, header: str = "") -> str:
    """Return ``data`` (plain values: mappings, lists, strings, numbers, booleans, None) as YAML text that
    :func:`parse_yaml` reads back to the same value: no aliases, keys in their order, any text quoted and escaped as
    YAML requires. ``header`` lines are written first as ``#`` comments."""
    comments = "".join(f"# {line}\n" for line in header.splitlines())
    return comments + yaml.dump(data, Dumper=_PlainDumper, allow_unicode=True, sort_keys=False, width=120)


@cache
def bundled_schema(name: str) -> dict[str, Any]:
    """Return the bundled JSON Schema ``conformance/standards/data/schemas/<name>.schema.json`` (checked once per
    process)."""
    path = SCHEMA_DIR / f"{name}.schema.json"
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def out_of_bounds(value: object, low: float | None, high: float | None) -> bool:
    """True when ``value`` is a number (not a boolean) outside ``[low, high]`` (either bound may be None), or a number
    that is not finite (YAML's ``.nan`` and ``.inf``: never a valid parameter, whatever the bounds)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    if isinstance(value, float) and not math.isfinite(value):
        return True
    return (low is not None and value < low) or (high is not None and value > high)


def suggest(word: str, choices: Iterable[str]) -> str:
    """Return ' Did you mean X?' when ``word`` is close to one of ``choices`` ('' otherwise)."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" Did you mean {close[0]!r}?" if close else ""


def listing(choices: Iterable[str], limit: int = 40) -> str:
    """Return the sorted ``choices`` as a comma-separated list, shortened past ``limit`` entries."""
    items = sorted(choices)
    if len(items) > limit:
        return ", ".join(items[:limit]) + f", … ({len(items) - limit} more)"
    return ", ".join(items)


def _type_name(value: Any) -> str:
    return {dict: "mapping", list: "list", str: "string", bool: "boolean", int: "integer", float: "number"}.get(
        type(value), "null" if value is None else type(value).__name__
    )


def _describe(error: jsonschema.ValidationError, document: Document) -> tuple[str, SourceLocation, str]:
    path = tuple(error.absolute_path)
    dotted = ".".join(str(p) for p in path) or "(top level)"
    validator = error.validator
    expected: Any = error.validator_value
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = set(schema.get("properties", {}))
        extras = sorted(k for k in error.instance if k not in allowed)
        bad = extras[0] if extras else "?"
        return (
            f"Unknown key {bad!r} in {dotted}.{suggest(bad, allowed)}",
            document.at((*path, bad), key=True),
            f"Valid keys: {listing(allowed)}.",
        )
    if validator == "required":
        return f"{dotted}: {error.message}", document.at(path), "Add the missing key (see the schema)."
    if validator == "enum":
        value = str(error.instance)
        return (
            f"{dotted}: {error.instance!r} is not one of the allowed values.{suggest(value, map(str, expected))}",
            document.at(path),
            f"Valid values: {listing(map(str, expected))}.",
        )
    if validator == "const":
        return f"{dotted}: must be {expected!r}, found {error.instance!r}", document.at(path), ""
    if validator == "type":
        return (
            f"{dotted}: expected {expected if isinstance(expected, str) else ' or '.join(expected)},"
            + (
                " found an empty value"
                if error.instance is None
                else f" found {_type_name(error.instance)} "
                f"{json.dumps(error.instance, ensure_ascii=False, default=str)[:60]}"
            ),
            document.at(path),
            "Quote strings that look like numbers or booleans (yes/no/on/off are booleans in YAML).",
        )
    if validator == "pattern":
        return (
            f"{dotted}: {error.instance!r} does not match the required form {expected!r}",
            document.at(path),
            str(schema.get("description", "")),
        )
    if validator == "propertyNames" and error.context:
        # the offending key itself is the instance of the sub-error
        return (
            f"{dotted}: invalid key {error.instance!r}: {error.context[0].message}",
            document.at(path, key=True),
            str(schema.get("description", "")),
        )
    return f"{dotted}: {error.message}", document.at(path), str(schema.get("description", ""))


def validate(document: Document, schema_name: str, what: str) -> None:
    """Validate ``document`` against a bundled schema; the first error (in file order) becomes a ConfigurationError.

    ``what`` names the kind of file in the message ("profile", "requirement catalogue", ...).
    """
    validator = jsonschema.Draft202012Validator(bundled_schema(schema_name))
    errors = list(validator.iter_errors(document.data))
    if not errors:
        return
    described = [_describe(error, document) for error in errors]
    described.sort(key=lambda item: (item[1].line, item[1].column))
    message, where, hint = described[0]
    more = f" ({len(errors) - 1} more schema error(s) after this one.)" if len(errors) > 1 else ""
    stop = "" if message.endswith((".", "?")) else "."
    raise CatalogueError(f"Invalid {what}: {message}{stop}{more}", source=where, hint=hint)
