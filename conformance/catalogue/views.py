"""Read-only views of a resolved profile: coverage by framework node and by referenced document."""

from __future__ import annotations

from dataclasses import dataclass

from .models import Catalogue, FrameworkNode, FrameworkPart, Profile


@dataclass(frozen=True, slots=True)
class NodeCoverage:
    """Requirement counts under one framework node (its own and its descendants', each requirement once)."""

    node: FrameworkNode
    depth: int
    total: int
    tested: int

    @property
    def not_tested(self) -> int:
        """Requirements with no check attached yet."""
        return self.total - self.tested

    @property
    def coverage(self) -> float:
        """Share of requirements that have a check (0.0 when there are none)."""
        return self.tested / self.total if self.total else 0.0


@dataclass(frozen=True, slots=True)
class PartCoverage:
    """Coverage of one framework part: its total and its nodes in tree order."""

    part: FrameworkPart
    total: int
    tested: int
    nodes: tuple[NodeCoverage, ...]


def framework_coverage(catalogue: Catalogue, profile: Profile) -> list[PartCoverage]:
    """Return, for every framework part, the profile's requirements mapped under each node (aggregated upward)."""
    framework = catalogue.framework
    under: dict[str, set[str]] = {node_id: set() for node_id in framework.nodes}
    for requirement_id in profile.requirements:
        for node_id in catalogue.requirements[requirement_id].framework:
            for ancestor in framework.ancestry(node_id):
                under[ancestor.id].add(requirement_id)

    def tested(ids: set[str]) -> int:
        return sum(1 for r in ids if catalogue.requirements[r].tested)

    parts = []
    for part in framework.parts:
        rows = _walk(catalogue, under, part.id, None, 0)
        all_ids = set().union(*(under[n.node.id] for n in rows)) if rows else set()
        parts.append(PartCoverage(part, len(all_ids), tested(all_ids), tuple(rows)))
    return parts


def _walk(
    catalogue: Catalogue, under: dict[str, set[str]], part: str, parent: str | None, depth: int
) -> list[NodeCoverage]:
    rows = []
    for node in catalogue.framework.children(parent, part):
        ids = under[node.id]
        rows.append(NodeCoverage(node, depth, len(ids), sum(1 for r in ids if catalogue.requirements[r].tested)))
        rows.extend(_walk(catalogue, under, part, node.id, depth + 1))
    return rows


def document_coverage(catalogue: Catalogue, profile: Profile) -> dict[str, tuple[int, int, int]]:
    """Return ``document -> (requirements, with a verified clause, tested)`` over the profile's requirements."""
    result: dict[str, list[int]] = {}
    for requirement_id in profile.requirements:
        requirement = catalogue.requirements[requirement_id]
        for document in dict.fromkeys(r.document for r in requirement.references):
            row = result.setdefault(document, [0, 0, 0])
            row[0] += 1
            if any(r.verified for r in requirement.references if r.document == document):
                row[1] += 1
            if requirement.tested:
                row[2] += 1
    return {k: (v[0], v[1], v[2]) for k, v in sorted(result.items())}
