"""``v2xc selftest``: what this machine's timing is worth, before a lab trusts a timing verdict from it.

Measures the same budget every run measures at its start (``conformance.engine.timing``): clock resolution,
kernel receive timestamps, loopback send → receive delay and spread, scheduler wake-up latency and load; then
samples the wake-up latency for ``--seconds`` with the same probe a run uses during its observation windows, and
prints the expanded uncertainty (k = 2) a 100 ms interval measured now would carry, with the decision rule.

Exit codes: 0 the host can judge timing now; 1 the host is overloaded now (timing verdicts would be
inconclusive); 2 usage error.
"""

from __future__ import annotations

import json
import sys
import time

import click
from rich.table import Table

from ..engine.console import cell, markup
from ..engine.timing import DECISION_RULE, TimingMonitor, budget_summary
from ..errors import ExitCode
from .util import FiniteFloat, guard, out


@click.command(name="selftest")
@click.option(
    "--seconds",
    type=FiniteFloat(0.5, 600.0),
    default=3.0,
    show_default=True,
    help="How long to sample the scheduler wake-up latency (as during an observation window).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table", show_default=True)
@click.option(
    "--overload-wakeup-ms",
    type=FiniteFloat(0.1, 10_000.0),
    default=None,
    help="Wake-up latency above which a window is judged overloaded (PIXIT timing.overload_wakeup_ms).",
)
def selftest_command(seconds: float, fmt: str, overload_wakeup_ms: float | None) -> None:
    """Measure this machine's timing budget and the uncertainty of a timing verdict taken now.

    Exit: 0 the host can judge timing now, 1 overloaded now (timing verdicts would be inconclusive), 2 usage error.
    """
    with guard():
        monitor = TimingMonitor.start(overload_wakeup_ms=overload_wakeup_ms)
        try:
            monitor.mark()
            start = time.monotonic()
            time.sleep(seconds)
            end = time.monotonic()
            monitor.mark()
            window = monitor.window(start, end)
        finally:
            monitor.stop()
        assert monitor.budget is not None
        budget = monitor.budget.as_dict()
        u_ms = monitor.difference_u_ms(window)
        result = {
            "budget": budget,
            "window": window.as_dict(),
            "interval_uncertainty_ms": u_ms,
            "coverage_factor": budget["coverage_factor"],
            "probe": monitor.probe is not None,
            "decision_rule": DECISION_RULE,
            "overloaded": window.overloaded,
        }
        if fmt == "json":
            click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            table = Table(title="v2xc selftest: the timing budget of this machine", show_lines=False)
            table.add_column("what")
            table.add_column("measured")
            loop = budget["loopback_ms"]
            wake = budget["wakeup_ms"]
            rows = [
                ("clock", budget["clock"]),
                ("clock resolution", f"{budget['resolution_ms'] * 1e6:.0f} ns"),
                ("kernel receive timestamps", "yes" if budget["kernel_timestamps"] else "NO (application times)"),
                (
                    "loopback send → kernel receive",
                    f"p50 {loop['p50']:.3f} ms, p99 {loop['p99']:.3f} ms, max {loop['max']:.3f} ms, "
                    f"σ {loop['stdev']:.3f} ms ({loop['samples']} datagrams)",
                ),
                (
                    "wake-up latency at start",
                    f"p50 {wake['p50_ms']:.3f} ms, p99 {wake['p99_ms']:.3f} ms, max {wake['max_ms']:.3f} ms",
                ),
                (
                    f"wake-up latency over {seconds:g} s (probe)",
                    f"p50 {window.wakeup['p50_ms']:.3f} ms, p99 {window.wakeup['p99_ms']:.3f} ms, max "
                    f"{window.wakeup['max_ms']:.3f} ms ({window.wakeup['samples']} samples)",
                ),
                ("load average (1 min)", f"{window.load_average} on {budget['cpus']} CPU(s)"),
                ("overload threshold", f"{budget['overload_wakeup_ms']:g} ms wake-up latency"),
                ("U of an interval measured now", f"{u_ms:.3f} ms (k = {budget['coverage_factor']:g})"),
                ("decision rule", DECISION_RULE),
            ]
            for name, value in rows:
                table.add_row(cell(name), cell(value))
            out.print(table)
            out.print(budget_summary(budget))
            if window.overloaded:
                out.print(markup("[bold yellow]overloaded now:[/] {}", "; ".join(window.reasons)))
            else:
                out.print(markup("[bold green]this host can judge timing now[/]"))
        sys.exit(ExitCode.FAILED if window.overloaded else ExitCode.OK)


def register(main: click.Group) -> None:
    """Add ``selftest`` to the ``v2xc`` command group."""
    main.add_command(selftest_command)
