"""The vector data model shared by strategies, mutations, traffic generators, the oracle and the corpus."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from ..errors import format_path


class VectorClass(StrEnum):
    """What a vector is expected to be: accepted as is (valid, boundary) or rejected (invalid)."""

    VALID = "valid"
    BOUNDARY = "boundary"
    INVALID = "invalid"


#: Generation modes of :func:`conformance.vectors.strategies.for_type`.
MODES: tuple[str, ...] = ("valid", "boundary", "invalid")


@dataclass(frozen=True, slots=True)
class Violation:
    """Why an invalid vector must be rejected.

    ``kind`` is ``range``, ``size`` or ``enumerated`` for a violated ASN.1 constraint (``path`` is the field path
    the strict codec must report), or ``mutation:<name>`` for a byte mutation (``path`` is the field path the
    mutation was observed to break, or empty when any rejection of that sort is correct; see the oracle).
    """

    kind: str
    path: str
    constraint: str
    value: Any = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (for corpus records)."""
        return {"kind": self.kind, "path": self.path, "constraint": self.constraint, "value": self.value}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Violation:
        """Inverse of :meth:`as_dict`."""
        return cls(str(data["kind"]), str(data.get("path", "")), str(data.get("constraint", "")), data.get("value"))


@dataclass(frozen=True)
class Vector:
    """One test vector: the exact bytes, what they are expected to be, and how they were made.

    ``value`` is the asn1tools value the bytes were encoded from (for an invalid vector: the value carrying the
    violation, which the strict codec would refuse to encode); ``framing`` is ``none`` or ``dsmp``.
    """

    edition: str
    type_name: str
    vclass: VectorClass
    data: bytes
    value: Any = None
    violation: Violation | None = None
    generator: str = ""
    framing: str = "none"
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def hex(self) -> str:
        """The bytes as lower-case hex."""
        return self.data.hex()


#: Render a value path like the codec does: ``spatFrame.intersections[0].phases[2].id``.
path_text = format_path
