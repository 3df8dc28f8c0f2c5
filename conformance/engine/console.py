"""Console listener: a live progress line while the run goes, and the verdict table at the end (rich)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from .events import CaseFinished, CaseStarted, Event, RunFinished, RunStarted
from .model import CaseResult, Verdict

STYLE = {
    Verdict.PASS: "green",
    Verdict.FAIL: "bold red",
    Verdict.INCONC: "yellow",
    Verdict.NONE: "dim",
    Verdict.ERROR: "bold magenta",
}


class ConsoleListener:
    """Shows progress (when the console is a terminal) and prints the verdict table and summary at the end."""

    def __init__(self, console: Console | None = None, *, show_all: bool = True) -> None:
        self.console = console or Console(highlight=False)
        self.show_all = show_all
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, event: Event) -> None:
        """Handle one engine event."""
        if isinstance(event, RunStarted):
            self.console.print(
                f"[bold]run {event.run_id}[/] — {event.metadata.get('profile', '?')} against "
                f"{event.metadata.get('target', '?')} ({event.total_cases} cases) → {event.out_dir}"
            )
            if self.console.is_terminal:
                self._progress = Progress(
                    TextColumn("{task.description}"),
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=self.console,
                    transient=True,
                )
                self._progress.start()
                self._task = self._progress.add_task("starting", total=event.total_cases)
        elif isinstance(event, CaseStarted):
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, description=event.requirement_id)
        elif isinstance(event, CaseFinished):
            if self._progress is not None and self._task is not None:
                self._progress.update(self._task, completed=event.index)
        elif isinstance(event, RunFinished):
            if self._progress is not None:
                self._progress.stop()
                self._progress = None
            self._table(event.results)
            counts = ", ".join(f"{event.summary[v.value]} {v.value}" for v in Verdict)
            note = " (interrupted: results so far are saved)" if event.interrupted else ""
            self.console.print(f"[bold]summary:[/] {counts}{note}")

    def _table(self, results: list[CaseResult]) -> None:
        table = Table(title="verdicts", title_justify="left", show_lines=False)
        for column in ("requirement", "verdict", "observation"):
            table.add_column(column, overflow="fold")
        for result in results:
            if not self.show_all and result.verdict is Verdict.NONE:
                continue
            text = "; ".join(obs.message for obs in result.observations if obs.verdict is result.verdict)
            text = text or result.reason or result.status
            table.add_row(
                result.requirement_id,
                f"[{STYLE[result.verdict]}]{result.verdict.value}[/]",
                text if len(text) <= 300 else text[:297] + "...",
            )
        self.console.print(table)
