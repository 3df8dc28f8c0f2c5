"""Engine events. The engine emits them; console output, the journal and reports are listeners."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .model import CaseResult


@dataclass(frozen=True)
class RunStarted:
    """A run begins: its id, output folder, and the run metadata (profile, target, editions, tool version...)."""

    run_id: str
    out_dir: str
    metadata: dict[str, Any]
    total_cases: int


@dataclass(frozen=True)
class CaseStarted:
    """A test case begins."""

    case_id: str
    requirement_id: str
    title: str
    index: int
    total: int


@dataclass(frozen=True)
class CaseFinished:
    """A test case has a verdict (already written to the journal when listeners see this)."""

    result: CaseResult
    index: int
    total: int


@dataclass(frozen=True)
class RunFinished:
    """The run ended: counts per verdict, whether it was interrupted, and the results in plan order."""

    run_id: str
    summary: dict[str, int]
    interrupted: bool
    results: list[CaseResult] = field(default_factory=list)


Event = RunStarted | CaseStarted | CaseFinished | RunFinished
Listener = Callable[[Event], None]
