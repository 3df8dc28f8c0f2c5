"""Capability statements (PICS) and lab parameters (PIXIT): loading, static review, templates, redaction.

A PICS file answers the profile's capability questions for one device under test; ``load_pics`` refuses unknown
items (listing the valid ones), wrong types, unanswered questions, an empty statement and one that declares no
capability at all. ``static_review`` then flags capabilities the profile makes mandatory (or conditional, with the
condition true) that the statement declares absent: the device is non-conformant before any test runs.

A PIXIT file gives the lab parameters of a campaign; values of items marked ``sensitive`` are never shown: use
:meth:`Pixit.redacted` for anything that is printed, logged or written to a report.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ..errors import CatalogueError, SourceLocation
from . import expr
from .models import Catalogue, Level, PicsItem, PicsStatus, PixitItem, Profile, Role, Value
from .yamlsrc import Document, listing, load_yaml, out_of_bounds, suggest, validate

REDACTED = "***redacted***"


@dataclass(frozen=True, slots=True)
class Answer:
    """One answered PICS item: its value and where it was given."""

    item: str
    value: bool | int | str
    source: SourceLocation

    def render(self) -> str:
        """Return the value as the statement says it (yes/no for booleans)."""
        if isinstance(self.value, bool):
            return "yes" if self.value else "no"
        return str(self.value)


@dataclass(frozen=True, slots=True)
class Pics:
    """A validated capability statement for one profile and role."""

    profile: str
    role: Role
    answers: Mapping[str, Answer]
    implementation: Mapping[str, str]
    source: str

    def applies(self, catalogue: Catalogue, item: str) -> bool:
        """True when ``item`` concerns this statement's role (items without roles concern every role)."""
        roles = catalogue.pics_items[item].roles
        return not roles or self.role in roles

    def truth(self, atom: expr.Atom) -> bool:
        """Evaluate one condition operand; an unanswered item (other role, optional enum) is false."""
        answer = self.answers.get(atom.name)
        if answer is None:
            return False
        if not atom.op:
            return answer.value is True
        equal = str(answer.value) == atom.literal
        return equal if atom.op == "==" else not equal

    def evaluate(self, node: expr.Expr) -> bool:
        """Evaluate a PICS condition against this statement."""
        return expr.evaluate(node, self.truth)

    def explain(self, node: expr.Expr, outcome: bool) -> list[str]:
        """Return the items that decide ``node``'s ``outcome``, e.g. ``["RSU.TX.RSI = no (pics.yaml:7:15)"]``."""
        names = deciding_items(node, outcome, self)
        return [self.describe(name) for name in names]

    def describe(self, name: str) -> str:
        """Return ``ITEM = value (file:line:col)`` or why the item has no answer."""
        answer = self.answers.get(name)
        if answer is None:
            return f"{name} not answered (does not concern role {self.role.value} or was left out)"
        return f"{name} = {answer.render()} ({answer.source})"


def deciding_items(node: expr.Expr, outcome: bool, pics: Pics) -> list[str]:
    """Return the PICS items that make ``node`` evaluate to ``outcome`` (a minimal, readable explanation)."""
    if isinstance(node, expr.Atom):
        return [node.name]
    if isinstance(node, expr.Not):
        return deciding_items(node.operand, not outcome, pics)
    deciding: list[str] = []
    # For 'and' the result is False because of any false operand (first one suffices) and True because of all;
    # for 'or' it is True because of any true operand and False because of all.
    want_all = (node.op == "and") == outcome
    for operand in node.operands:
        value = pics.evaluate(operand)
        if value == outcome:
            deciding.extend(n for n in deciding_items(operand, outcome, pics) if n not in deciding)
            if not want_all:
                break
    return deciding


@dataclass(frozen=True, slots=True)
class Finding:
    """A static-review result for one PICS item."""

    item: str
    status: str
    answer: str
    verdict: str  # "ok" | "non-conformant"
    reason: str


@dataclass(frozen=True, slots=True)
class Review:
    """Static conformance review (ISO/IEC 9646 "capability statement review") of a PICS against a profile."""

    profile: str
    role: Role
    findings: tuple[Finding, ...]

    @property
    def conformant(self) -> bool:
        """True when no mandatory (or conditionally required) capability is declared absent."""
        return all(f.verdict == "ok" for f in self.findings)

    def problems(self) -> list[Finding]:
        """Return the non-conformant findings."""
        return [f for f in self.findings if f.verdict != "ok"]


def _check_type(item: PicsItem, value: Any, where: SourceLocation) -> bool | int | str:
    if item.type == "boolean":
        if not isinstance(value, bool):
            raise CatalogueError(
                f"PICS item {item.id!r} is a yes/no question, found {value!r}",
                source=where,
                hint="Answer yes or no (unquoted).",
            )
        return value
    if item.type == "enum":
        if not isinstance(value, str) or value not in item.choices:
            raise CatalogueError(
                f"PICS item {item.id!r}: {value!r} is not one of its choices.{suggest(str(value), item.choices)}",
                source=where,
                hint=f"Valid values: {listing(item.choices)}.",
            )
        return value
    if item.type == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            raise CatalogueError(f"PICS item {item.id!r} needs an integer, found {value!r}", source=where)
        if out_of_bounds(value, item.minimum, item.maximum):
            raise CatalogueError(
                f"PICS item {item.id!r} = {value} is outside [{item.minimum}, {item.maximum}]", source=where
            )
        return value
    if not isinstance(value, str):
        raise CatalogueError(f"PICS item {item.id!r} needs a text answer, found {value!r}", source=where)
    return value


def _required(status: PicsStatus, answers: Mapping[str, Answer], role: Role) -> bool | None:
    """Whether the profile requires the capability: True / False, or None when the condition cannot be judged."""
    if status.level is Level.MANDATORY:
        return True
    if status.level is Level.OPTIONAL:
        return False
    assert status.condition_expr is not None
    probe = Pics("", role, answers, {}, "")
    return probe.evaluate(status.condition_expr)


def load_pics(path: Path, profile: Profile, catalogue: Catalogue, *, label: str | None = None) -> Pics:
    """Load and validate a PICS file for ``profile``; every problem is a CatalogueError at file:line:column
    (``label`` names the file in those positions and in the plan's reasons; default: the path)."""
    document = load_yaml(path, label=label)
    return parse_pics(document, profile, catalogue)


def parse_pics(document: Document, profile: Profile, catalogue: Catalogue) -> Pics:
    """Validate an already parsed PICS document (see :func:`load_pics`)."""
    validate(document, "pics", "PICS")
    raw = document.data["pics"]
    if raw["profile"] != profile.id:
        raise CatalogueError(
            f"This PICS is for profile {raw['profile']!r}, not {profile.id!r}",
            source=document.at(("pics", "profile")),
            hint=f"Check it with --profile {raw['profile']}, or write one for {profile.id} with `v2xc pics template`.",
        )
    role = Role(raw["role"])
    if role not in profile.roles:
        raise CatalogueError(
            f"Role {role.value!r} is not a role of profile {profile.id!r}",
            source=document.at(("pics", "role")),
            hint=f"Valid roles: {listing(r.value for r in profile.roles)}.",
        )
    given = raw.get("items") or {}
    if not given:
        raise CatalogueError(
            "The capability statement is empty: it answers no PICS item",
            source=document.at(("pics", "items")),
            hint="An empty statement would select nothing and test nothing. Start from `v2xc pics template`.",
        )
    concerned = [name for name in profile.pics if _concerns(catalogue.pics_items[name], role)]
    answers: dict[str, Answer] = {}
    for name, value in given.items():
        where = document.at(("pics", "items", name), key=True)
        if name not in profile.pics:
            known = name in catalogue.pics_items
            raise CatalogueError(
                f"Unknown PICS item {name!r}"
                + (f" (it exists, but profile {profile.id!r} does not use it)" if known else "")
                + f".{suggest(name, concerned)}",
                source=where,
                hint=f"Valid items for {profile.id} ({role.value}): {listing(concerned, limit=80)}.",
            )
        item = catalogue.pics_items[name]
        if not _concerns(item, role):
            raise CatalogueError(
                f"PICS item {name!r} concerns {', '.join(r.value for r in item.roles)}, but this statement is for "
                f"role {role.value}",
                source=where,
                hint="Remove it; items of other roles are not answered.",
            )
        if value is None:
            continue  # unanswered: judged below
        value_where = document.at(("pics", "items", name))
        answers[name] = Answer(name, _check_type(item, value, value_where), value_where)
    missing = []
    for name in concerned:
        if name in answers:
            continue
        item = catalogue.pics_items[name]
        if item.type == "boolean" or _required(profile.pics[name], answers, role):
            missing.append(name)
    if missing:
        raise CatalogueError(
            f"The statement leaves {len(missing)} PICS item(s) unanswered: {listing(missing)}",
            source=document.at(("pics", "items")),
            hint="Answer every yes/no question, and every other item the profile requires; "
            "`v2xc pics template` lists them all.",
        )
    booleans = [a for a in answers.values() if isinstance(a.value, bool)]
    if booleans and not any(a.value for a in booleans):
        raise CatalogueError(
            "The capability statement declares no capability at all (every yes/no item is 'no')",
            source=document.at(("pics", "items")),
            hint="A device that supports nothing cannot be tested; check the statement with the vendor.",
        )
    implementation = {k: str(v) for k, v in (raw.get("implementation") or {}).items()}
    return Pics(profile.id, role, answers, implementation, document.path)


def _concerns(item: PicsItem, role: Role) -> bool:
    return not item.roles or role in item.roles


def static_review(pics: Pics, profile: Profile) -> Review:
    """Compare the statement with the profile's PICS statuses (M / O / C:expr) item by item."""
    findings = []
    for name, status in profile.pics.items():
        answer = pics.answers.get(name)
        required = _required(status, pics.answers, pics.role)
        label = f"conditional ({status.condition})" if status.level is Level.CONDITIONAL else status.level.value
        if answer is None:
            findings.append(Finding(name, label, "—", "ok", "not answered: does not concern this role or not required"))
            continue
        if required and answer.value is False:
            why = "mandatory in this profile"
            if status.level is Level.CONDITIONAL and status.condition_expr is not None:
                why = f"required because {status.condition} holds: " + "; ".join(
                    pics.explain(status.condition_expr, True)
                )
            findings.append(
                Finding(name, label, answer.render(), "non-conformant", f"declared absent ({answer.source}) but {why}")
            )
        else:
            findings.append(Finding(name, label, answer.render(), "ok", ""))
    return Review(profile.id, pics.role, tuple(findings))


def pics_template(profile: Profile, catalogue: Catalogue, role: Role | None = None) -> str:
    """Return a commented PICS template for ``profile`` (every item blank: the vendor must answer each one)."""
    roles = [role] if role else list(profile.roles)
    lines = [
        f"# Capability statement (PICS) for profile {profile.id}: {profile.title.en} / {profile.title.zh}",
        "# Answer every item: yes / no for questions, one of the listed values otherwise.",
        "# Status: M = mandatory in this profile (answering 'no' makes the device non-conformant),",
        "#         O = optional, C = required when its condition holds.",
        f"# Check it with: v2xc pics check --profile {profile.id} THIS-FILE",
        "pics:",
        f"  profile: {profile.id}",
        f"  role: {roles[0].value}" + (f"   # one of: {', '.join(r.value for r in roles)}" if len(roles) > 1 else ""),
        "  implementation:",
        '    vendor: ""',
        '    model: ""',
        '    hardware: ""',
        '    firmware: ""',
        '    serial: ""',
        "  items:",
    ]
    for role_name in roles:
        if len(roles) > 1:
            lines.append(f"    # --- items for role {role_name.value} (delete the other roles' items)")
        for name, status in profile.pics.items():
            item = catalogue.pics_items[name]
            if not _concerns(item, role_name):
                continue
            code = {"mandatory": "M", "optional": "O"}.get(status.level.value, f"C: {status.condition}")
            kind = (
                "yes/no" if item.type == "boolean" else (" | ".join(item.choices) if item.type == "enum" else item.type)
            )
            lines.append(f"    # [{code}] {item.question.en} / {item.question.zh} ({kind})")
            lines.append(f"    {name}:")
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------------------------------- PIXIT
@dataclass(frozen=True, slots=True, repr=False)
class Pixit:
    """Lab parameters of a campaign. ``repr``/``str`` and :meth:`redacted` never show sensitive values."""

    profile: str
    values: Mapping[str, Value]
    sensitive: frozenset[str]
    source: str
    defaults: frozenset[str] = field(default_factory=frozenset)
    #: Where each value given in the file stands (file:line:column); defaults have none.
    locations: Mapping[str, SourceLocation] = field(default_factory=dict)

    def redacted(self) -> dict[str, Value]:
        """Return the values with every sensitive one replaced by ``***redacted***`` (safe to print or store)."""
        return {k: (REDACTED if k in self.sensitive and v is not None else v) for k, v in self.values.items()}

    def secret(self, name: str) -> Value:
        """Return a sensitive value for the transport that needs it (never for output)."""
        return self.values[name]

    def __repr__(self) -> str:
        return f"Pixit(profile={self.profile!r}, values={self.redacted()!r}, source={self.source!r})"

    __str__ = __repr__


_PIXIT_TYPES: dict[str, type | tuple[type, ...]] = {
    "string": str,
    "integer": int,
    "number": (int, float),
    "boolean": bool,
    "enum": str,
}


def _check_pixit_value(item: PixitItem, value: Any, where: SourceLocation) -> Value:
    expected = _PIXIT_TYPES[item.type]
    if (isinstance(value, bool) and item.type != "boolean") or not isinstance(value, expected):
        raise CatalogueError(
            f"PIXIT item {item.id!r} needs a {item.type} value, found {type(value).__name__} "
            + ("(value hidden: sensitive)" if item.sensitive else repr(value)),
            source=where,
            hint="Quote text values; write numbers without units.",
        )
    shown = "(value hidden: sensitive)" if item.sensitive else repr(value)
    if item.type == "enum" and value not in item.choices:
        raise CatalogueError(
            f"PIXIT item {item.id!r}: {shown} is not one of its choices."
            + ("" if item.sensitive else suggest(str(value), item.choices)),
            source=where,
            hint=f"Valid values: {listing(item.choices)}.",
        )
    if isinstance(value, float) and not math.isfinite(value):
        raise CatalogueError(
            f"PIXIT item {item.id!r} must be a finite number, not {shown}", source=where, hint="Give a number."
        )
    if out_of_bounds(value, item.minimum, item.maximum):
        raise CatalogueError(
            f"PIXIT item {item.id!r} = {shown} is outside [{item.minimum}, {item.maximum}] {item.unit}".rstrip(),
            source=where,
        )
    return cast(Value, value)


def load_pixit(path: Path, profile: Profile, catalogue: Catalogue) -> Pixit:
    """Load a PIXIT file for ``profile``: unknown items, wrong types and missing required items are errors."""
    document = load_yaml(path)
    validate(document, "pixit", "PIXIT")
    raw = document.data["pixit"]
    if raw["profile"] != profile.id:
        raise CatalogueError(
            f"This PIXIT is for profile {raw['profile']!r}, not {profile.id!r}",
            source=document.at(("pixit", "profile")),
        )
    given = raw.get("values") or {}
    values: dict[str, Value] = {}
    locations: dict[str, SourceLocation] = {}
    for name, value in given.items():
        where = document.at(("pixit", "values", name), key=True)
        locations[name] = document.at(("pixit", "values", name))
        if name not in catalogue.pixit_items:
            raise CatalogueError(
                f"Unknown PIXIT item {name!r}.{suggest(name, catalogue.pixit_items)}",
                source=where,
                hint=f"Valid PIXIT items: {listing(catalogue.pixit_items)}.",
            )
        if value is None:
            continue
        values[name] = _check_pixit_value(catalogue.pixit_items[name], value, document.at(("pixit", "values", name)))
    defaults = set()
    missing = []
    for name in profile.pixit:
        if name in values:
            continue
        default = catalogue.pixit_items[name].default
        if default is not None:
            values[name] = default
            defaults.add(name)
        else:
            missing.append(name)
    if missing:
        raise CatalogueError(
            f"The PIXIT leaves {len(missing)} required lab parameter(s) without a value: {listing(missing)}",
            source=document.at(("pixit", "values")),
            hint=f"Profile {profile.id} needs them; `v2xc pixit template --profile {profile.id}` lists them.",
        )
    sensitive = frozenset(n for n in values if catalogue.pixit_items[n].sensitive)
    return Pixit(profile.id, values, sensitive, document.path, frozenset(defaults), locations)


#: Lab parameters every template offers besides the profile's own: what the report shows about the laboratory,
#: customer, operator, authoriser and item tested, and what tunes the run (timeouts, timing, msgCnt); addresses and
#: framing, which come from the target URL (a PIXIT copy must agree with it: ``conformance.targetcheck``).
OPTIONAL_PIXIT_GROUPS = (
    "lab", "customer", "operator", "report", "dut", "timeouts", "timing", "msgcnt",
    "target", "listen", "framing", "upper_tester",
)  # fmt: skip


def pixit_template(profile: Profile, catalogue: Catalogue) -> str:
    """Return a commented PIXIT template listing the profile's lab parameters (defaults filled in)."""
    lines = [
        f"# Lab parameters (PIXIT) for profile {profile.id}. Items marked SENSITIVE are never written to output.",
        "pixit:",
        f"  profile: {profile.id}",
        "  values:",
    ]
    for name in profile.pixit:
        item = catalogue.pixit_items[name]
        extra = []
        if item.unit:
            extra.append(f"unit {item.unit}")
        if item.choices:
            extra.append("one of " + " | ".join(item.choices))
        if item.sensitive:
            extra.append("SENSITIVE")
        suffix = f" ({'; '.join(extra)})" if extra else ""
        lines.append(f"    # {item.description.en} / {item.description.zh}{suffix}")
        default = "" if item.default is None or item.sensitive else f" {_yaml_scalar(item.default)}"
        lines.append(f"    {name}:{default}")
    optional = [
        name
        for name in catalogue.pixit_items
        if name not in profile.pixit and name.split(".", 1)[0] in OPTIONAL_PIXIT_GROUPS
    ]
    if optional:
        lines.append("    # --- optional: shown in the report (ISO/IEC 17025 §7.8.2.1) or used by the run; empty: none")
    for name in optional:
        item = catalogue.pixit_items[name]
        known = item.unit and item.default is not None
        unit = f" (unit {item.unit}; default {_yaml_scalar(item.default)})" if known else ""
        lines.append(f"    # {item.description.en} / {item.description.zh}{unit}")
        lines.append(f"    {name}:")
    return "\n".join(lines) + "\n"


def _yaml_scalar(value: Value) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
