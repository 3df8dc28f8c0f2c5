"""Shared fixtures: the field captures from ../shared (skipped with a reason where that folder is absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_CAPTURES = PROJECT_ROOT.parent / "shared" / "interop" / "field-captures.json"


def load_captures() -> list[dict[str, Any]]:
    """Return the captures from ../shared/interop, or [] when the folder is absent (users' clones)."""
    if not SHARED_CAPTURES.is_file():
        return []
    return list(json.loads(SHARED_CAPTURES.read_text(encoding="utf-8"))["captures"])


@pytest.fixture(scope="session")
def captures() -> dict[str, dict[str, Any]]:
    """The six real captures by id; skips the test when ../shared/interop is absent."""
    found = load_captures()
    if not found:
        pytest.skip(f"field captures not available: {SHARED_CAPTURES} is absent (it exists only in the dev workspace)")
    return {capture["id"]: capture for capture in found}
