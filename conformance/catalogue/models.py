"""Frozen models of the requirement catalogue, the national framework, profiles, PICS and PIXIT.

Everything here is immutable and fully validated by the loaders before it is built: a model object exists only if
its whole file (and every file it refers to) is valid — nothing is half-loaded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from ..errors import SourceLocation
from .expr import Expr

#: Parameter and PICS/PIXIT values as they appear in YAML.
Scalar = bool | int | float | str
Value = Scalar | list[Scalar] | None


class Role(StrEnum):
    """Kind of implementation under test."""

    RSU = "RSU"
    OBU = "OBU"
    PLATFORM = "platform"


class Level(StrEnum):
    """Status of a requirement or PICS item (ETSI / ISO 9646 style: M, O, C)."""

    MANDATORY = "mandatory"
    OPTIONAL = "optional"
    CONDITIONAL = "conditional"


@dataclass(frozen=True, slots=True)
class Text:
    """A bilingual text."""

    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.en} / {self.zh}"


@dataclass(frozen=True, slots=True)
class FrameworkPart:
    """One part (guide) of 《国家车联网产业标准体系建设指南》."""

    id: str
    name: Text
    document: str
    verified: bool
    note: str = ""


@dataclass(frozen=True, slots=True)
class FrameworkNode:
    """A node of a framework part; ``code`` only where the guide's numbering is confirmed."""

    id: str
    part: str
    name: Text
    code: str | None
    verified: bool
    parent: str | None
    note: str = ""

    def label(self) -> str:
        """Return ``"300 产品与技术应用 (Products and technology application)"`` or the name without a code."""
        code = f"{self.code} " if self.code else ""
        mark = "" if self.verified else " [unverified]"
        return f"{code}{self.name.zh} ({self.name.en}){mark}"


@dataclass(frozen=True, slots=True)
class Framework:
    """The national framework as data: parts and their node trees."""

    parts: tuple[FrameworkPart, ...]
    nodes: Mapping[str, FrameworkNode]
    source: str

    def ancestry(self, node_id: str) -> list[FrameworkNode]:
        """Return the nodes from the part's top-level node down to ``node_id``."""
        chain: list[FrameworkNode] = []
        current: str | None = node_id
        while current is not None:
            node = self.nodes[current]
            chain.append(node)
            current = node.parent
        return list(reversed(chain))

    def children(self, parent: str | None, part: str) -> list[FrameworkNode]:
        """Return the direct children of ``parent`` (``None``: top-level nodes of ``part``) in file order."""
        return [n for n in self.nodes.values() if n.parent == parent and n.part == part]

    def path_label(self, node_id: str) -> str:
        """Return e.g. ``ICV-2017 / 300 产品与技术应用 / 决策预警``."""
        node = self.nodes[node_id]
        names = [(f"{n.code} " if n.code else "") + n.name.zh for n in self.ancestry(node_id)]
        return " / ".join([node.part, *names])


@dataclass(frozen=True, slots=True)
class Reference:
    """A clause of a standard a requirement is traced to; ``verified`` is False where the clause is not confirmed."""

    document: str
    clause: str
    verified: bool
    note: str = ""

    def __str__(self) -> str:
        text = f"{self.document} {self.clause}"
        if self.note:
            text += f"; {self.note}"
        if not self.verified and "not verified" not in text:
            text += " [clause not verified]"
        return text


@dataclass(frozen=True, slots=True)
class Parameter:
    """A check parameter: default value with unit and bounds; ``verified`` says whether a standard fixes the default."""

    name: str
    value: Value
    unit: str = ""
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""
    verified: bool = False
    source: str = ""

    def render(self) -> str:
        """Return ``value unit`` for display."""
        return f"{self.value} {self.unit}".strip()


@dataclass(frozen=True, slots=True)
class CheckRef:
    """A check the run engine will register under ``id``, with its parameters for this requirement."""

    id: str
    parameters: tuple[Parameter, ...] = ()

    def parameter(self, name: str) -> Parameter:
        """Return the parameter called ``name`` (KeyError if absent)."""
        for item in self.parameters:
            if item.name == name:
                return item
        raise KeyError(name)


@dataclass(frozen=True, slots=True)
class Requirement:
    """One requirement of the catalogue, traceable to clauses and framework nodes."""

    id: str
    title: Text
    purpose: Text
    standard: str
    references: tuple[Reference, ...]
    framework: tuple[str, ...]
    roles: tuple[Role, ...]
    level: Level
    condition: str | None
    condition_expr: Expr | None
    checks: tuple[CheckRef, ...]
    tags: tuple[str, ...]
    edition: str | None
    source: SourceLocation
    note: str = ""

    @property
    def tested(self) -> bool:
        """True when at least one check is attached; otherwise the requirement is reported as *not tested*."""
        return bool(self.checks)

    @property
    def clause(self) -> str:
        """The primary clause reference as text."""
        return str(self.references[0])


@dataclass(frozen=True, slots=True)
class PicsItem:
    """A question of the capability statement."""

    id: str
    type: str  # boolean | enum | integer | string
    question: Text
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    maximum: int | None = None
    roles: tuple[Role, ...] = ()
    note: str = ""


@dataclass(frozen=True, slots=True)
class PixitItem:
    """A lab parameter (address, port, AID, id, timeout, credential); ``sensitive`` values are never output."""

    id: str
    type: str  # string | integer | number | boolean | enum
    description: Text
    sensitive: bool = False
    default: Value = None
    unit: str = ""
    choices: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None


@dataclass(frozen=True, slots=True)
class Catalogue:
    """All requirement files, PICS and PIXIT item definitions, and the framework, cross-checked."""

    requirements: Mapping[str, Requirement]
    pics_items: Mapping[str, PicsItem]
    pixit_items: Mapping[str, PixitItem]
    framework: Framework
    files: tuple[str, ...]
    digest: str


@dataclass(frozen=True, slots=True)
class PicsStatus:
    """The status a profile gives a PICS item (M / O / C:condition)."""

    item: str
    level: Level
    condition: str | None = None
    condition_expr: Expr | None = None


@dataclass(frozen=True, slots=True)
class ProfileParameter:
    """A profile-level parameter (e.g. the pilot zone's geography)."""

    name: str
    value: Value
    unit: str = ""
    description: str = ""
    verified: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    """A resolved profile: its own content merged with everything it extends."""

    id: str
    title: Text
    description: str
    roles: tuple[Role, ...]
    extends: tuple[str, ...]
    requirements: tuple[str, ...]
    pics: Mapping[str, PicsStatus]
    pixit: tuple[str, ...]
    parameters: Mapping[str, ProfileParameter]
    overrides: Mapping[str, Mapping[str, Mapping[str, Value]]]
    source: str
    abstract: bool = False
    chain: tuple[str, ...] = field(default_factory=tuple)

    def checks_for(self, requirement: Requirement) -> tuple[CheckRef, ...]:
        """Return the requirement's checks with this profile's parameter overrides applied."""
        changes = self.overrides.get(requirement.id, {})
        result = []
        for check in requirement.checks:
            values = changes.get(check.id, {})
            params = tuple(
                Parameter(
                    p.name, values[p.name], p.unit, p.minimum, p.maximum, p.description, False, f"profile {self.id}"
                )
                if p.name in values
                else p
                for p in check.parameters
            )
            result.append(CheckRef(check.id, params))
        return tuple(result)
