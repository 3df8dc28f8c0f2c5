"""A laboratory's clause map: clauses confirmed against the published standards, by whom and when.

The bundled catalogue marks a reference ``verified: false`` wherever its clause number could not be confirmed
from public material. A laboratory that holds the standards can confirm them and supply a clause map
(``v2xc run --clause-map FILE``, ``v2xc report render --clause-map FILE``)::

    clause_map:
      laboratory: Tianjin V2X Test Lab        # optional
      verified_by: Li Si                      # default for the entries below
      date: 2026-11-30                        # default for the entries below
      entries:
        - requirement: CSAE53-2020/SPAT/TX/RATE   # its first reference (add `document:` to pick another)
          confirmed_clause: "§8.1"
        - document: YD/T 3710-2020                # every reference citing this document and clause text
          clause: "§9 (RSI)"
          confirmed_clause: "§9.2"
          verified_by: Wang Wu
          date: 2026-12-01

The file is checked against ``conformance/standards/data/schemas/clause-map.schema.json``; an unknown requirement id, a
document the requirement does not cite, or a document + clause no requirement cites is an error naming the entry's
file:line:column and the closest names.
"""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ..errors import CatalogueError
from .models import Catalogue
from .yamlsrc import Document, load_yaml, validate

#: File name of the clause map's copy in a run folder.
CLAUSE_MAP_FILE = "clause-map.yaml"


@dataclass(frozen=True)
class Confirmation:
    """One reference confirmed by the laboratory: the clause it confirmed, who, when, and where the entry is."""

    requirement_id: str
    document: str
    clause: str
    confirmed_clause: str
    verified_by: str
    date: str
    note: str
    entry: str  # file:line of the map entry

    def as_dict(self) -> dict[str, str]:
        """Return the JSON-ready form shown in reports."""
        return {
            "confirmed_clause": self.confirmed_clause,
            "verified_by": self.verified_by,
            "date": self.date,
            "note": self.note,
            "entry": self.entry,
        }


@dataclass(frozen=True)
class ClauseMap:
    """A validated clause map: confirmations keyed by (requirement id, document, catalogue clause text)."""

    path: str
    sha256: str
    laboratory: str | None
    confirmations: dict[tuple[str, str, str], Confirmation]

    def lookup(self, requirement_id: str, document: str, clause: str) -> Confirmation | None:
        """The laboratory's confirmation of one reference of a requirement, if the map has one."""
        return self.confirmations.get((requirement_id, document, clause))

    def summary(self) -> dict[str, Any]:
        """Where the map came from and what it covers (for ``run.json`` and reports)."""
        people = sorted({c.verified_by for c in self.confirmations.values()})
        return {
            "source": self.path,
            "sha256": self.sha256,
            "laboratory": self.laboratory,
            "verified_by": people,
            "references": len(self.confirmations),
        }


def _close(word: str, choices: Iterable[str], n: int = 5) -> str:
    names = difflib.get_close_matches(word, sorted(set(choices)), n=n, cutoff=0.5)
    return f" Closest: {', '.join(names)}." if names else ""


def _date(value: Any, document: Document, path: tuple[str | int, ...]) -> str:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise CatalogueError(
        f"Invalid clause map: {'.'.join(map(str, path))}: {value!r} is not a date",
        source=document.at(path),
        hint="Write the date as YYYY-MM-DD, e.g. 2026-11-30.",
    )


def load_clause_map(path: Path, catalogue: Catalogue) -> ClauseMap:
    """Load and check a clause map against ``catalogue``; every problem is a :class:`CatalogueError` (exit 2)."""
    document = load_yaml(path)
    validate(document, "clause-map", "clause map")
    raw = document.data["clause_map"]
    default_by = raw.get("verified_by")
    default_date = _date(raw["date"], document, ("clause_map", "date")) if "date" in raw else None
    confirmations: dict[tuple[str, str, str], Confirmation] = {}
    citing: dict[tuple[str, str], list[str]] = {}
    for known in catalogue.requirements.values():
        for reference in known.references:
            citing.setdefault((reference.document, reference.clause), []).append(known.id)
    for index, entry in enumerate(raw["entries"]):
        at = ("clause_map", "entries", index)
        where = document.at(at)
        if ("requirement" in entry) == ("clause" in entry):
            raise CatalogueError(
                "Invalid clause map: each entry names either a requirement (optionally with its document) or a "
                "document and the clause text as the catalogue writes it",
                source=where,
                hint="Use `requirement: ID` or `document: DOC` + `clause: TEXT`, with `confirmed_clause`.",
            )
        verified_by = entry.get("verified_by", default_by)
        if not verified_by:
            raise CatalogueError(
                "Invalid clause map: this entry does not say who verified it",
                source=where,
                hint="Add `verified_by:` to the entry, or once under `clause_map:` for all entries.",
            )
        when = _date(entry["date"], document, (*at, "date")) if "date" in entry else default_date
        if when is None:
            raise CatalogueError(
                "Invalid clause map: this entry has no verification date",
                source=where,
                hint="Add `date: YYYY-MM-DD` to the entry, or once under `clause_map:` for all entries.",
            )
        targets: list[tuple[str, str, str]] = []
        if "requirement" in entry:
            rid = entry["requirement"]
            requirement = catalogue.requirements.get(rid)
            if requirement is None:
                raise CatalogueError(
                    f"Invalid clause map: unknown requirement id {rid!r}.{_close(rid, catalogue.requirements)}",
                    source=document.at((*at, "requirement")),
                    hint="Use the ids `v2xc profiles show PROFILE` or `v2xc plan` print (edition prefix included).",
                )
            references = requirement.references
            if "document" in entry:
                references = tuple(r for r in references if r.document == entry["document"])
                if not references:
                    cited = [r.document for r in requirement.references]
                    raise CatalogueError(
                        f"Invalid clause map: requirement {rid} does not cite {entry['document']!r}; "
                        f"it cites {'; '.join(cited)}",
                        source=document.at((*at, "document")),
                        hint="Write the document exactly as the catalogue does, or leave it out for the first one.",
                    )
            targets = [(rid, references[0].document, references[0].clause)]
        else:
            key = (entry["document"], entry["clause"])
            if key not in citing:
                documents = {d for d, _ in citing}
                if entry["document"] not in documents:
                    problem = (
                        f"no requirement cites document {entry['document']!r}.{_close(entry['document'], documents)}"
                    )
                    field = "document"
                else:
                    clauses = [c for d, c in citing if d == entry["document"]]
                    problem = (
                        f"no requirement cites clause {entry['clause']!r} of {entry['document']}."
                        f"{_close(entry['clause'], clauses)}"
                    )
                    field = "clause"
                raise CatalogueError(
                    f"Invalid clause map: {problem}",
                    source=document.at((*at, field)),
                    hint="Write document and clause exactly as the catalogue does (`v2xc profiles show PROFILE`).",
                )
            targets = [(rid, key[0], key[1]) for rid in citing[key]]
        line = where.line
        for target in targets:
            confirmations[target] = Confirmation(
                requirement_id=target[0],
                document=target[1],
                clause=target[2],
                confirmed_clause=str(entry["confirmed_clause"]),
                verified_by=str(verified_by),
                date=when,
                note=str(entry.get("note", "")),
                entry=f"{path.name}:{line}",
            )
    sha256 = hashlib.sha256(path.read_bytes()).hexdigest()
    return ClauseMap(str(path), sha256, raw.get("laboratory"), confirmations)
