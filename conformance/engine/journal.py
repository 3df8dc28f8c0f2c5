"""The results journal: NDJSON, one record per decided verdict, flushed and fsynced as it is written.

A run killed at any point (even SIGKILL) keeps every verdict already decided; ``v2xc run --resume DIR`` reads the
journal back and runs only the cases that have no record. Line 1 is the run header; a final ``end`` record marks
a run that finished (interrupted or not).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigurationError, SourceLocation
from .events import CaseFinished, Event, RunFinished, RunStarted
from .model import CaseResult

JOURNAL_NAME = "journal.ndjson"


class Journal:
    """Listener that appends run, case and end records to ``journal.ndjson``."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / JOURNAL_NAME
        self._handle: IO[str] | None = None

    def _write(self, record: dict[str, Any]) -> None:
        if self._handle is None:
            _drop_partial_last_line(self.path)
            self._handle = self.path.open("a", encoding="utf-8")
        self._handle.write(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def __call__(self, event: Event) -> None:
        """Write the record for ``event`` (run header, case verdict, or end)."""
        if isinstance(event, RunStarted):
            self._write(
                {"type": "run", "run_id": event.run_id, "metadata": event.metadata, "total_cases": event.total_cases}
            )
        elif isinstance(event, CaseFinished):
            self._write({"type": "case", **event.result.as_dict()})
        elif isinstance(event, RunFinished):
            self._write(
                {"type": "end", "run_id": event.run_id, "summary": event.summary, "interrupted": event.interrupted}
            )
            if self._handle is not None:
                self._handle.close()
                self._handle = None


def _drop_partial_last_line(path: Path) -> None:
    """Cut a record left half-written by a killed run, so that appending after it keeps the file valid NDJSON."""
    if not path.is_file():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with path.open("r+b") as handle:
            handle.truncate(data.rfind(b"\n") + 1)


@dataclass
class JournalContents:
    """What a journal holds: run headers (one per start or resume), decided cases by id, and whether it ended."""

    runs: list[dict[str, Any]] = field(default_factory=list)
    cases: dict[str, CaseResult] = field(default_factory=dict)
    ended: bool = False
    interrupted: bool = False


def read_journal(out_dir: Path) -> JournalContents:
    """Read a journal back; a last line cut by a kill mid-write is ignored, any other bad line is an error."""
    path = out_dir / JOURNAL_NAME
    if not path.is_file():
        raise ConfigurationError(
            f"No results journal in {out_dir}.",
            source=SourceLocation(str(path)),
            hint="--resume takes the output folder of an earlier `v2xc run`.",
        )
    contents = JournalContents()
    lines = path.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            if number == len(lines):
                break  # the run was killed while writing this line: the verdict was not decided on disk
            raise ConfigurationError(
                f"The results journal is corrupt: {exc.msg}.",
                source=SourceLocation(str(path), number, exc.colno),
                hint="A journal is only ever appended to; was it edited by hand?",
            ) from None
        kind = record.get("type")
        if kind == "run":
            contents.runs.append(record)
            contents.ended = False
        elif kind == "case":
            result = CaseResult.from_dict({k: v for k, v in record.items() if k != "type"})
            contents.cases[result.case_id] = result
        elif kind == "end":
            contents.ended = True
            contents.interrupted = bool(record.get("interrupted"))
    return contents
