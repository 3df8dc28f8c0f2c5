"""ASN.1 text from asn1tools' parsed dictionary form: the merged modules of an edition, for other compilers.

The project's editions exist only as *parsed* dictionaries once overlays are merged
(``conformance.standards.editions``: ``_resolve`` gives ``{module: {"imports", "types", "values", ...}}``). A
compiler such as asn1c needs text, so this prints that dictionary back as ASN.1: one module per file, IMPORTS,
type assignments with their constraints (value ranges, SIZE, extension markers), named bits and numbers,
ENUMERATED items with their numbers, OPTIONAL and DEFAULT members, extension additions, and value assignments.

It prints only the constructs the parsed dictionary can hold for the project's modules; anything else raises
:class:`UnsupportedConstruct` (nothing is silently dropped). :func:`check_round_trip` parses the printed text with
asn1tools again and compares it with the input dictionary, so the text handed to another compiler is provably the
same ASN.1 the Python path compiles.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import asn1tools

#: Keys of a parsed type this printer understands; any other key is an error.
KNOWN_KEYS = frozenset(
    {
        "type",
        "name",
        "members",
        "element",
        "optional",
        "default",
        "values",
        "named-bits",
        "named-numbers",
        "size",
        "restricted-to",
    }
)
#: Module-level keys that must be empty (classes and sets are not printed).
EMPTY_MODULE_KEYS = ("object-classes", "object-sets")


class UnsupportedConstruct(ValueError):
    """The parsed dictionary holds something this printer does not know how to write."""


def _bound(value: Any) -> str:
    """One end of a range: an integer, MIN or MAX."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise UnsupportedConstruct(f"range bound {value!r}")
    return str(value)


def _constraint_items(items: list[Any], where: str) -> str:
    """A list of ranges/values with ``None`` as the extension marker: ``0..7, ...`` or ``13, ...``."""
    parts = []
    for item in items:
        if item is None:
            parts.append("...")
        elif isinstance(item, tuple) and len(item) == 2:
            parts.append(f"{_bound(item[0])}..{_bound(item[1])}")
        elif isinstance(item, int) and not isinstance(item, bool):
            parts.append(str(item))
        else:
            raise UnsupportedConstruct(f"{where}: constraint item {item!r}")
    return ", ".join(parts)


def _value(value: Any, where: str) -> str:
    """A DEFAULT or assigned value."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value  # an identifier (ENUMERATED item or value reference)
    raise UnsupportedConstruct(f"{where}: value {value!r}")


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line if line else line for line in text.splitlines())


def type_text(definition: Mapping[str, Any], where: str = "?") -> str:
    """The ASN.1 text of one parsed type (without name, OPTIONAL or DEFAULT)."""
    unknown = set(definition) - KNOWN_KEYS
    if unknown:
        raise UnsupportedConstruct(f"{where}: keys {sorted(unknown)} in {dict(definition)!r}")
    kind = definition["type"]
    size = definition.get("size")
    restricted = definition.get("restricted-to")
    if kind in ("SEQUENCE", "CHOICE", "SET"):
        if size is not None or restricted is not None:
            raise UnsupportedConstruct(f"{where}: constraint on {kind}")
        return f"{kind} {{\n{_members(definition.get('members', []), kind, where)}\n}}"
    if kind in ("SEQUENCE OF", "SET OF"):
        if restricted is not None:
            raise UnsupportedConstruct(f"{where}: value constraint on {kind}")
        element = type_text(definition["element"], f"{where}.<element>")
        keyword = kind.split()[0]
        sized = f" (SIZE({_constraint_items(size, where)}))" if size is not None else ""
        return f"{keyword}{sized} OF {element}"
    if kind == "ENUMERATED":
        items = []
        for item in definition["values"]:
            if item is None:
                items.append("...")
            elif isinstance(item, tuple) and len(item) == 2:
                items.append(f"{item[0]}({item[1]})")
            else:
                raise UnsupportedConstruct(f"{where}: ENUMERATED item {item!r}")
        body = ",\n".join(items)
        text = f"ENUMERATED {{\n{_indent(body)}\n}}"
    elif kind == "BIT STRING" and definition.get("named-bits"):
        bits = ",\n".join(f"{name}({number})" for name, number in definition["named-bits"])
        text = f"BIT STRING {{\n{_indent(bits)}\n}}"
    elif kind == "INTEGER" and definition.get("named-numbers"):
        numbers = ",\n".join(f"{name}({number})" for name, number in definition["named-numbers"].items())
        text = f"INTEGER {{\n{_indent(numbers)}\n}}"
    else:
        text = kind  # a built-in type name or a reference to a defined type
    if definition.get("values") is not None and kind != "ENUMERATED":
        raise UnsupportedConstruct(f"{where}: 'values' on {kind}")
    if restricted is not None:
        text += f" ({_constraint_items(restricted, where)})"
    if size is not None:
        text += f" (SIZE({_constraint_items(size, where)}))"
    return text


def _member_text(member: Mapping[str, Any], where: str) -> str:
    name = member["name"]
    bare = {key: value for key, value in member.items() if key not in ("name", "optional", "default")}
    text = f"{name} {type_text(bare, f'{where}.{name}')}"
    if "default" in member:
        text += f" DEFAULT {_value(member['default'], f'{where}.{name}')}"
    elif member.get("optional"):
        text += " OPTIONAL"
    return text


def _members(members: list[Any], kind: str, where: str) -> str:
    """Members of a SEQUENCE/SET/CHOICE; ``None`` is the extension marker, a list an extension addition group."""
    lines = []
    for member in members:
        if member is None:
            lines.append("...")
        elif isinstance(member, list):
            group = ",\n".join(_member_text(m, where) for m in member)
            lines.append(f"[[\n{_indent(group)}\n]]")
        else:
            lines.append(_member_text(member, where))
    return _indent(",\n".join(lines))


def module_text(name: str, module: Mapping[str, Any]) -> str:
    """The ASN.1 text of one parsed module."""
    for key in EMPTY_MODULE_KEYS:
        if module.get(key):
            raise UnsupportedConstruct(f"module {name}: {key} are not printed")
    if module.get("extensibility-implied"):
        raise UnsupportedConstruct(f"module {name}: EXTENSIBILITY IMPLIED")
    tags = module.get("tags") or "AUTOMATIC"
    out = [f"{name} DEFINITIONS {tags} TAGS ::= BEGIN", ""]
    imports = module.get("imports") or {}
    if imports:
        clauses = [f"    {', '.join(names)} FROM {source}" for source, names in imports.items() if names]
        out += ["IMPORTS", "\n".join(clauses) + ";", ""]
    for type_name, definition in module.get("types", {}).items():
        out += [f"{type_name} ::= {type_text(definition, f'{name}.{type_name}')}", ""]
    for value_name, value in (module.get("values") or {}).items():
        out += [f"{value_name} {value['type']} ::= {_value(value['value'], f'{name}.{value_name}')}", ""]
    out.append("END")
    return "\n".join(out) + "\n"


def write_modules(parsed: Mapping[str, Mapping[str, Any]], folder: Path) -> list[Path]:
    """Write every module of ``parsed`` to ``folder/<module>.asn``; return the paths, in module order."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, module in parsed.items():
        path = folder / f"{name}.asn"
        path.write_text(module_text(name, module), encoding="utf-8")
        paths.append(path)
    return paths


def _normalise(parsed: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The parts of a parsed dictionary the printer writes (imports as sets: their order carries no meaning)."""
    return {
        name: {
            "imports": {source: sorted(names) for source, names in (module.get("imports") or {}).items() if names},
            "types": module.get("types", {}),
            "values": module.get("values", {}),
            "tags": module.get("tags"),
        }
        for name, module in parsed.items()
    }


def check_round_trip(parsed: Mapping[str, Mapping[str, Any]], paths: list[Path]) -> None:
    """Parse the printed files with asn1tools and require the same dictionary as ``parsed``; raise otherwise."""
    reparsed = asn1tools.parse_files([str(path) for path in paths])
    want, got = _normalise(parsed), _normalise(reparsed)
    if want != got:
        for name in sorted(set(want) | set(got)):
            if want.get(name) != got.get(name):
                for part in ("imports", "types", "values", "tags"):
                    a, b = (want.get(name) or {}).get(part), (got.get(name) or {}).get(part)
                    if a != b:
                        if isinstance(a, dict) and isinstance(b, dict):
                            keys = [k for k in sorted(set(a) | set(b)) if a.get(k) != b.get(k)]
                            raise UnsupportedConstruct(
                                f"round trip differs in {name}.{part}: {keys[:5]}: "
                                f"{a.get(keys[0])!r} != {b.get(keys[0])!r}"
                            )
                        raise UnsupportedConstruct(f"round trip differs in {name}.{part}")
        raise UnsupportedConstruct("round trip differs")
