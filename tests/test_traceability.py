"""Nothing in the product cites a document outside it: an auditor must be able to open every source cited."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: Citations of notes that are not part of the product (development notes, sibling folders).
OUTSIDE = re.compile(r"STANDARDS-FACTS|ARCHITECTURE-GUIDE|\.\./shared|/work/shared")
#: Files still being reworked elsewhere; each entry must still cite (else remove it), so the list only shrinks.
PENDING: set[str] = set()


def _product_files() -> list[Path]:
    files = [ROOT / "README.md", ROOT / "ARCHITECTURE.md"]
    for folder in ("conformance", "docs"):
        files += [p for p in (ROOT / folder).rglob("*") if p.is_file() and p.suffix != ".pyc"]
    return files


def test_no_product_file_cites_a_document_outside_the_product() -> None:
    citing = set()
    for path in _product_files():
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        if OUTSIDE.search(text):
            citing.add(path.relative_to(ROOT).as_posix())
    assert citing <= PENDING, f"cite a document outside the product: {sorted(citing - PENDING)}"
    assert not PENDING - citing, f"no longer cite outside documents; remove from PENDING: {sorted(PENDING - citing)}"


def test_catalogue_references_and_parameter_sources_name_no_outside_document() -> None:
    from conformance.catalogue import bundled_catalogue

    for requirement in bundled_catalogue().requirements.values():
        for reference in requirement.references:
            assert not OUTSIDE.search(f"{reference.document} {reference.clause} {reference.note}"), requirement.id
            for check in requirement.checks:
                for parameter in check.parameters:
                    assert not OUTSIDE.search(str(parameter.source or "")), (requirement.id, parameter.name)
