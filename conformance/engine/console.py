"""The one output layer, and the console listener (a live progress line, the verdict table at the end).

**External text is data, never markup.** Paths, file contents, PICS/PIXIT values, a device's replies and decoded
strings reach the user through :class:`DataConsole` only: its strings are printed literally — no rich markup
(``[/x]`` stays ``[/x]``), no emoji codes (``:100:`` stays ``:100:``), no highlighting — and control and
bidirectional characters are shown escaped (``\x1b``, ``\u202e``), so a device cannot write terminal escape
sequences or reorder what the user reads. Styling exists only on the toolkit's own words, built with
:func:`markup` (a template the toolkit wrote, with data inserted literally) or :class:`rich.text.Text`.
"""

from __future__ import annotations

import json as _json
import re
from collections.abc import Callable
from typing import Any

from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from .events import CaseFinished, CaseStarted, Event, RunFinished, RunStarted
from .model import CaseResult, Verdict

_FIRST_MARK = 0xE000  # Unicode private-use area: stands in for a value while a template's markup is parsed
#: C0/C1 control characters (but newline and tab) and the Unicode bidirectional controls.
_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def escape_chars(pattern: re.Pattern[str], text: str) -> str:
    """``text`` with every character ``pattern`` matches written as its escape (``\\x1b``, ``\\u202e``)."""
    return pattern.sub(lambda m: f"\\x{ord(m[0]):02x}" if ord(m[0]) < 0x100 else f"\\u{ord(m[0]):04x}", text)


def literal(value: object) -> str:
    """``value`` as text safe to show: control and bidirectional characters escaped (``\x1b``, ``\u202e``)."""
    return escape_chars(_UNSAFE, str(value))


def json_text(value: Any, **options: Any) -> str:
    """``json.dumps(value, ensure_ascii=False, **options)`` with every control and bidirectional character written as
    a JSON escape (``\u202e``, ``\u009b``): the same JSON value, safe to show on a terminal (``json.dumps`` itself
    escapes only the characters below U+0020)."""
    options.setdefault("ensure_ascii", False)
    return _UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", _json.dumps(value, **options))


def markup(template: str, *values: object) -> Text:
    """Styled text from a template the toolkit wrote (rich markup, ``{}`` placeholders) with ``values`` inserted
    literally: no markup or emoji code in a value is interpreted. Each value takes the style around its placeholder.

    The template is parsed with private-use characters standing in for the values, which are put in afterwards, so
    no escaping of the values is involved."""
    marks = [chr(_FIRST_MARK + index) for index in range(len(values))]
    parsed = Text.from_markup(template.format(*marks), emoji=False)
    result = Text()
    start = 0
    for offset, char in enumerate(parsed.plain):
        index = ord(char) - _FIRST_MARK
        if not 0 <= index < len(values):
            continue
        result.append_text(parsed[start:offset])
        styles = [str(span.style) for span in parsed.spans if span.start <= offset < span.end]
        result.append(literal(values[index]), style=" ".join(styles) or None)
        start = offset + 1
    result.append_text(parsed[start:])
    return result


class DataConsole(Console):
    """A rich console that prints every string as data (see module docstring); styled :class:`Text` as given."""

    def __init__(self, **options: Any) -> None:
        options.setdefault("highlight", False)
        super().__init__(markup=False, emoji=False, **options)

    def print(self, *objects: Any, **options: Any) -> None:
        """Print like :meth:`rich.console.Console.print`, with strings taken literally."""
        options.pop("markup", None)
        options.pop("emoji", None)
        super().print(*(Text(literal(o)) if isinstance(o, str) else o for o in objects), **options)

    def print_json(
        self,
        json: str | None = None,
        *,
        data: Any = None,
        indent: int | str | None = 2,
        highlight: bool = True,
        skip_keys: bool = False,
        ensure_ascii: bool = False,
        check_circular: bool = True,
        allow_nan: bool = True,
        default: Callable[[Any], Any] | None = None,
        sort_keys: bool = False,
    ) -> None:
        """Print JSON like :meth:`rich.console.Console.print_json`, written by :func:`json_text`: control and
        bidirectional characters in its strings appear as JSON escapes, never raw."""
        value = data if json is None else _json.loads(json)
        text = json_text(
            value, indent=indent, skipkeys=skip_keys, ensure_ascii=ensure_ascii, check_circular=check_circular,
            allow_nan=allow_nan, default=default, sort_keys=sort_keys,
        )  # fmt: skip
        if not self.is_terminal:  # a pipe or a file: the JSON as it is, without rendering it (fast for batches)
            self.file.write(text + "\n")
            return
        shown = JSONHighlighter()(text) if highlight else Text(text)
        shown.no_wrap, shown.overflow = True, None
        super().print(shown, soft_wrap=True)


def cell(value: object) -> Text:
    """A table cell holding data (literally)."""
    return Text(literal(value))


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
        self.console = console or DataConsole()
        self.show_all = show_all
        self._progress: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, event: Event) -> None:
        """Handle one engine event."""
        if isinstance(event, RunStarted):
            self.console.print(
                markup(
                    "[bold]run {}[/] — {} against {} ({} cases) → {}",
                    event.run_id,
                    event.metadata.get("profile", "?"),
                    event.metadata.get("target", "?"),
                    event.total_cases,
                    event.out_dir,
                )
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
            self.console.print(markup("[bold]summary:[/] {}{}", counts, note))

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
                cell(result.requirement_id),
                Text(result.verdict.value, style=STYLE[result.verdict]),
                cell(text if len(text) <= 300 else text[:297] + "..."),
            )
        self.console.print(table)
