"""What every ``v2xc`` command shares: the error consoles and the guard that turns errors into exit codes.

Exit codes (README.md, :class:`~conformance.errors.ExitCode`): a :class:`~conformance.errors.ConformanceError`
exits with its own ``exit_code`` after a one-paragraph message; any other exception is a bug in v2xc and exits
``ExitCode.INTERNAL`` (3) without a traceback (``V2XC_DEBUG=1`` shows one).
"""

from __future__ import annotations

import math
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from ..engine.console import DataConsole, markup
from ..errors import MAX_DECIMAL_DIGITS, ConformanceError, ExitCode, UsageError

#: Every command prints through these: strings are data, printed literally (``engine.console``).
out = DataConsole(soft_wrap=True)
err = DataConsole(stderr=True, soft_wrap=True)


def report_error(exc: ConformanceError, prefix: str = "") -> None:
    """Print one error paragraph to stderr."""
    err.print(markup("[bold red]error:[/] {}{}", prefix, exc.describe()))


def write_output(path: Path, data: str | bytes, *, parents: bool = False) -> None:
    """Write a command's output file (``-o``); a path that cannot be written (its folder missing, a folder, under a
    regular file, no permission) is a :class:`UsageError` (exit 2) naming it. ``parents``: create missing folders."""
    try:
        if parents:
            path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, bytes):
            path.write_bytes(data)
        else:
            path.write_text(data, encoding="utf-8")
    except OSError as exc:
        raise UsageError(
            f"Cannot write {path}: {exc.strerror or exc}.",
            hint="Give -o a file in a folder you can write (not a folder, not a path under a file).",
        ) from None


def make_folder(path: Path) -> None:
    """Create an output folder (and its parents); one that cannot be created is a :class:`UsageError` naming it."""
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(
            f"Cannot create the folder {path}: {exc.strerror or exc}.",
            hint="Give a folder you can write (not under /proc, not inside a file).",
        ) from None


@contextmanager
def guard() -> Iterator[None]:
    """Turn project errors into their exit code and any other exception into exit 3, without a traceback."""
    try:
        yield
    except ConformanceError as exc:
        report_error(exc)
        sys.exit(exc.exit_code)
    except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
        raise
    except Exception as exc:
        if isinstance(exc, ValueError) and "integer string conversion" in str(exc):  # Python's decimal digit limit
            report_error(
                UsageError(
                    f"The input holds a whole number of more than {MAX_DECIMAL_DIGITS:,} decimal digits, more than "
                    "v2xc writes out; nothing was printed for it.",
                    hint="Such a number needs a frame of over 64 KiB: check that the input is one frame.",
                )
            )
            sys.exit(ExitCode.USAGE)
        if os.environ.get("V2XC_DEBUG"):
            raise
        err.print(
            markup(
                "[bold red]internal error:[/] {}: {}. This is a bug in v2xc; please report it with the command line "
                "and input (set V2XC_DEBUG=1 for a traceback).",
                type(exc).__name__,
                exc,
            )
        )
        sys.exit(ExitCode.INTERNAL)


class FiniteFloat(click.ParamType):
    """A number option that must be finite and inside ``[low, high]`` (``low_open``: above ``low``): click's own
    ``float`` and ``FloatRange`` let ``nan`` and ``inf`` through, and a window of ``nan`` seconds never ends."""

    name = "number"

    def __init__(self, low: float, high: float, *, low_open: bool = False) -> None:
        self.low, self.high, self.low_open = low, high, low_open

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        """Parse and check one value (click calls this)."""
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number.", param, ctx)
        below = number <= self.low if self.low_open else number < self.low
        if not math.isfinite(number) or below or number > self.high:
            bound = f"above {self.low:g}" if self.low_open else f"at least {self.low:g}"
            self.fail(f"{value!r} is not a finite number {bound} and at most {self.high:g}.", param, ctx)
        return number
