"""What every ``v2xc`` command shares: the error consoles and the guard that turns errors into exit codes.

Exit codes (README.md, :class:`~conformance.errors.ExitCode`): a :class:`~conformance.errors.ConformanceError`
exits with its own ``exit_code`` after a one-paragraph message; any other exception is a bug in v2xc and exits
``ExitCode.INTERNAL`` (3) without a traceback (``V2XC_DEBUG=1`` shows one).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

import click
from rich.console import Console

from ..errors import ConformanceError, ExitCode

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def report_error(exc: ConformanceError, prefix: str = "") -> None:
    """Print one error paragraph to stderr."""
    err.print(f"[bold red]error:[/] {prefix}{exc.describe()}", markup=True, highlight=False)


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
        if os.environ.get("V2XC_DEBUG"):
            raise
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}. This is a bug in v2xc; please report it "
            "with the command line and input (set V2XC_DEBUG=1 for a traceback).",
            markup=True,
        )
        sys.exit(ExitCode.INTERNAL)
