"""Field-level differences between two values in the project's JSON form (for receive tests and reports)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldDifference:
    """One differing field: dotted path (with [i] for list items), expected and observed JSON values."""

    path: str
    expected: Any
    observed: Any

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping (``"<absent>"`` marks a missing field)."""
        return {"path": self.path, "expected": self.expected, "observed": self.observed}


ABSENT = "<absent>"


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def diff(expected: Any, observed: Any, path: str = "") -> list[FieldDifference]:
    """Return every leaf where ``observed`` differs from ``expected`` (both in the JSON form), in document order.

    A ``{"$choice"}`` object with a different alternative is one difference at the CHOICE, not one per member.
    """
    if isinstance(expected, dict) and isinstance(observed, dict):
        if "$choice" in expected and expected.get("$choice") != observed.get("$choice"):
            return [FieldDifference(path, expected.get("$choice"), observed.get("$choice", ABSENT))]
        found: list[FieldDifference] = []
        for key in list(expected) + [k for k in observed if k not in expected]:
            if key in ("$choice",):
                continue
            sub = _join(path, expected["$choice"]) if key == "value" and "$choice" in expected else _join(path, key)
            if key not in observed:
                found.append(FieldDifference(_join(path, key), expected[key], ABSENT))
            elif key not in expected:
                found.append(FieldDifference(_join(path, key), ABSENT, observed[key]))
            else:
                found.extend(diff(expected[key], observed[key], sub))
        return found
    if isinstance(expected, list) and isinstance(observed, list):
        found = []
        for index in range(max(len(expected), len(observed))):
            if index >= len(observed):
                found.append(FieldDifference(_join(path, index), expected[index], ABSENT))
            elif index >= len(expected):
                found.append(FieldDifference(_join(path, index), ABSENT, observed[index]))
            else:
                found.extend(diff(expected[index], observed[index], _join(path, index)))
        return found
    if expected != observed or type(expected) is not type(observed):
        return [FieldDifference(path or "(value)", expected, observed)]
    return []
