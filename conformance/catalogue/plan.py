"""Test selection: profile + PICS + ``-k`` filter -> one explained decision per requirement.

Every requirement of the profile appears in the plan exactly once, with a status and the reason for it:

* ``selected`` — applicable and has checks: the run engine will execute it;
* ``not-tested`` — applicable but no check exists yet (or a named check is not registered): reported as *not tested*,
  never as passed;
* ``not-applicable`` — the device's role or its capability statement rules it out; the reason names the PICS items
  (with their values and file:line:column) that decided it;
* ``deselected`` — applicable, but excluded by the ``-k`` expression of this run.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from . import expr
from .models import Catalogue, CheckRef, Profile, Requirement
from .pics import Pics, Review, deciding_items, static_review


class Status(StrEnum):
    """Selection status of one requirement in a plan."""

    SELECTED = "selected"
    NOT_TESTED = "not-tested"
    NOT_APPLICABLE = "not-applicable"
    DESELECTED = "deselected"


@dataclass(frozen=True, slots=True)
class PlanEntry:
    """The decision for one requirement."""

    requirement: Requirement
    status: Status
    reason: str
    pics_items: tuple[str, ...]
    checks: tuple[CheckRef, ...]

    def as_dict(self) -> dict[str, object]:
        """Return a JSON-ready mapping (for ``v2xc plan --format json`` and the run engine's journal)."""
        req = self.requirement
        return {
            "id": req.id,
            "status": self.status.value,
            "reason": self.reason,
            "pics_items": list(self.pics_items),
            "title": {"zh": req.title.zh, "en": req.title.en},
            "clause": [
                {"document": r.document, "clause": r.clause, "verified": r.verified, "note": r.note}
                for r in req.references
            ],
            "framework": list(req.framework),
            "level": req.level.value,
            "condition": req.condition,
            "checks": [
                {"id": c.id, "parameters": {p.name: {"value": p.value, "unit": p.unit} for p in c.parameters}}
                for c in self.checks
            ],
        }


@dataclass(frozen=True, slots=True)
class Plan:
    """The explained selection for one profile and one capability statement."""

    profile: Profile
    pics: Pics
    review: Review
    keyword: str | None
    entries: tuple[PlanEntry, ...]

    def counts(self) -> dict[str, int]:
        """Return the number of requirements per status (every status present, possibly 0)."""
        counter = Counter(e.status.value for e in self.entries)
        return {s.value: counter.get(s.value, 0) for s in Status}

    def by_status(self, status: Status) -> list[PlanEntry]:
        """Return the entries with ``status``."""
        return [e for e in self.entries if e.status is status]


def _keyword_hit(node: expr.Expr, requirement: Requirement) -> bool:
    haystack = " ".join([requirement.id, *requirement.tags, requirement.title.en, requirement.title.zh]).lower()

    def atom(item: expr.Atom) -> bool:
        word = item.name if not item.op else f"{item.name}{item.op}{item.literal}"
        return word.lower() in haystack

    return expr.evaluate(node, atom)


def make_plan(
    catalogue: Catalogue,
    profile: Profile,
    pics: Pics,
    *,
    keyword: str | None = None,
    available_checks: Collection[str] | None = None,
) -> Plan:
    """Decide every requirement of ``profile`` for the device described by ``pics``.

    ``available_checks`` is the set of check ids the run engine has registered; ``None`` trusts the catalogue (each
    named check is assumed to exist). A requirement whose check is not available is *not tested*, never selected.
    """
    keyword_node = expr.parse(keyword, what="-k expression") if keyword else None
    entries = []
    for requirement_id in profile.requirements:
        requirement = catalogue.requirements[requirement_id]
        checks = profile.checks_for(requirement)
        entries.append(_decide(catalogue, requirement, checks, pics, keyword, keyword_node, available_checks))
    return Plan(profile, pics, static_review(pics, profile), keyword, tuple(entries))


def _decide(
    catalogue: Catalogue,
    requirement: Requirement,
    checks: tuple[CheckRef, ...],
    pics: Pics,
    keyword: str | None,
    keyword_node: expr.Expr | None,
    available: Collection[str] | None,
) -> PlanEntry:
    if pics.role not in requirement.roles:
        roles = ", ".join(r.value for r in requirement.roles)
        return PlanEntry(
            requirement,
            Status.NOT_APPLICABLE,
            f"applies to {roles}; the PICS declares role {pics.role.value} ({pics.source})",
            (),
            checks,
        )
    if requirement.condition_expr is not None and not pics.evaluate(requirement.condition_expr):
        deciding = deciding_items(requirement.condition_expr, False, pics)
        details = "; ".join(pics.describe(n) for n in deciding)
        return PlanEntry(
            requirement,
            Status.NOT_APPLICABLE,
            f"condition '{requirement.condition}' is false: {details}",
            tuple(deciding),
            checks,
        )
    if keyword_node is not None and not _keyword_hit(keyword_node, requirement):
        return PlanEntry(requirement, Status.DESELECTED, f"not matched by -k '{keyword}'", (), checks)
    if not checks:
        note = f" ({requirement.note.rstrip('.')})" if requirement.note else ""
        return PlanEntry(requirement, Status.NOT_TESTED, f"no check attached yet{note}", (), checks)
    if available is not None:
        missing = [c.id for c in checks if c.id not in available]
        if missing:
            return PlanEntry(
                requirement,
                Status.NOT_TESTED,
                f"check(s) not registered by this toolkit: {', '.join(missing)}",
                (),
                checks,
            )
    why = "mandatory" if requirement.condition is None else f"condition '{requirement.condition}' holds"
    items = tuple(expr.names(requirement.condition_expr)) if requirement.condition_expr is not None else ()
    return PlanEntry(requirement, Status.SELECTED, why, items, checks)
