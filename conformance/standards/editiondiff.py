"""Differences between two editions, computed from their parsed ASN.1 (never kept by hand)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .editions import Edition, all_type_definitions


def render(definition: Mapping[str, Any] | None) -> str:
    """Render a parsed type definition compactly in ASN.1-like notation (for summaries, not for compiling)."""
    if definition is None:
        return "..."
    kind = str(definition.get("type"))
    text = kind
    if kind in ("SEQUENCE", "SET", "CHOICE"):
        parts = []
        for member in definition.get("members", []):
            if member is None:
                parts.append("...")
            elif isinstance(member, list):
                parts.append("[[" + ", ".join(_member(m) for m in member if m) + "]]")
            else:
                parts.append(_member(member))
        text = f"{kind} {{ {', '.join(parts)} }}"
    elif kind in ("SEQUENCE OF", "SET OF"):
        parts = [kind.split()[0], _constraint(definition), "OF", render(definition.get("element"))]
        return " ".join(part for part in parts if part)
    elif kind == "ENUMERATED":
        values = [f"{v[0]}({v[1]})" if v else "..." for v in definition.get("values", [])]
        text = f"ENUMERATED {{ {', '.join(values)} }}"
    constraint = _constraint(definition)
    return f"{text} {constraint}".strip()


def _member(member: Mapping[str, Any]) -> str:
    text = f"{member['name']} {render(member)}"
    if member.get("optional"):
        text += " OPTIONAL"
    if "default" in member:
        text += f" DEFAULT {member['default']}"
    return text


def _range(items: list[Any]) -> str:
    parts = []
    for item in items:
        if item is None:
            parts.append("...")
        elif isinstance(item, tuple):
            parts.append(f"{item[0]}..{item[1]}")
        else:
            parts.append(str(item))
    return ", ".join(parts)


def _constraint(definition: Mapping[str, Any]) -> str:
    if "restricted-to" in definition:
        return f"({_range(definition['restricted-to'])})"
    if "size" in definition:
        return f"(SIZE({_range(definition['size'])}))"
    return ""


@dataclass(frozen=True)
class TypeChange:
    """One type that differs between two editions."""

    type_name: str
    change: str  # "added", "removed", "changed"
    module: str
    before: str
    after: str

    member_changes: tuple[str, ...] = ()

    @property
    def summary(self) -> str:
        """One line for humans: ``DHour (DefTime): INTEGER (0..31) -> INTEGER (0..24)``, or member changes."""
        if self.change == "added":
            return f"{self.type_name} ({self.module}) added: {self.after}"
        if self.change == "removed":
            return f"{self.type_name} ({self.module}) removed"
        if self.member_changes:
            return f"{self.type_name} ({self.module}): {'; '.join(self.member_changes)}"
        return f"{self.type_name} ({self.module}): {self.before}  ->  {self.after}"

    def as_dict(self) -> dict[str, str]:
        """Return a JSON-ready mapping."""
        return {
            "type": self.type_name,
            "change": self.change,
            "module": self.module,
            "before": self.before,
            "after": self.after,
            "summary": self.summary,
        }


def _members(definition: Mapping[str, Any]) -> list[tuple[str, str]]:
    """(name, rendering) of the members of a SEQUENCE/SET/CHOICE in order; '...' entries for extension markers."""
    result: list[tuple[str, str]] = []
    for member in definition.get("members", []):
        if member is None:
            result.append(("...", "..."))
        elif isinstance(member, list):
            result.extend((m["name"], "[[ " + _member(m) + " ]]") for m in member if m)
        else:
            result.append((member["name"], _member(member)))
    return result


def _member_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Describe member-level changes between two versions of a SEQUENCE/SET/CHOICE ([] for other kinds)."""
    kinds = ("SEQUENCE", "SET", "CHOICE")
    if old.get("type") not in kinds or new.get("type") != old.get("type"):
        return []
    before, after = _members(old), _members(new)
    old_by_name, new_by_name = dict(before), dict(after)
    notes = [f"added {text}" for name, text in after if name != "..." and name not in old_by_name]
    notes += [f"removed {name}" for name, _ in before if name != "..." and name not in new_by_name]
    notes += [
        f"{old_by_name[name]} -> {text}"
        for name, text in after
        if name != "..." and name in old_by_name and old_by_name[name] != text
    ]
    shared_old = [name for name, _ in before if name in new_by_name]
    shared_new = [name for name, _ in after if name in old_by_name]
    if shared_old != shared_new:
        notes.append("member order changed")
    if ("...", "...") in before and ("...", "...") not in after:
        notes.append("no longer extensible")
    elif ("...", "...") in after and ("...", "...") not in before:
        notes.append("became extensible")
    return notes


def diff_editions(old: Edition, new: Edition) -> list[TypeChange]:
    """Return the types added, removed or changed from ``old`` to ``new``, sorted by type name."""
    before = all_type_definitions(old.parsed)
    after = all_type_definitions(new.parsed)
    changes: list[TypeChange] = []
    for name in sorted(set(before) | set(after)):
        if name not in before:
            module, definition = after[name]
            changes.append(TypeChange(name, "added", module, "", render(definition)))
        elif name not in after:
            module, definition = before[name]
            changes.append(TypeChange(name, "removed", module, render(definition), ""))
        elif before[name][1] != after[name][1]:
            old_def, new_def = before[name][1], after[name][1]
            changes.append(
                TypeChange(
                    name,
                    "changed",
                    after[name][0],
                    render(old_def),
                    render(new_def),
                    tuple(_member_changes(old_def, new_def)),
                )
            )
    return changes
