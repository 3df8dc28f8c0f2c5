"""``v2xc run``: a profile against a device, verdicts to the console, the journal and the reports.

Exit codes: 0 every executed case passed (not-applicable and not-tested cases are reported, not failed);
1 a case failed or was inconclusive; 2 usage or configuration error; 3 harness error (a case ended in error, or
the transport could not be opened).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from ..engine.console import ConsoleListener
from ..engine.context import EvidenceLog, RunContext
from ..engine.events import Listener, RunFinished
from ..engine.journal import Journal, read_journal
from ..engine.model import Verdict
from ..engine.preflight import DEFAULT_CONNECT_S, check_reachable
from ..engine.runner import Engine
from ..engine.timing import TimingMonitor
from ..errors import ExitCode, UsageError
from ..network.decoder import frame_decoder
from ..reports import FORMATS
from .profiles import complete_profiles, overlay_options
from .runsetup import RunSetup, prepare, record_timing, resume
from .util import FiniteFloat, guard, out


def exit_code(finished: RunFinished) -> ExitCode:
    """The documented exit code for a finished run: 3 when a case ended in error or the run was interrupted before
    every case ran (the device's conformance was not fully judged: resume it), else 1 for a fail or an inconclusive
    case, else 0."""
    if finished.summary.get(Verdict.ERROR.value, 0) or finished.interrupted:
        return ExitCode.HARNESS
    if finished.summary.get(Verdict.FAIL.value, 0) or finished.summary.get(Verdict.INCONC.value, 0):
        return ExitCode.FAILED
    return ExitCode.OK


def _settle_memory() -> None:
    """Compile every edition now and freeze the heap, so that no compile or full garbage collection pauses the
    process during timed observation windows (the compiled ASN.1 graphs are large; a full collection over them takes
    tens of milliseconds, enough to distort a measured 100 ms interval)."""
    from ..codec.strict import codec_for
    from ..standards.editions import edition_ids

    for edition in edition_ids():
        codec_for(edition)
    gc.collect()
    gc.freeze()
    # Hand the interpreter lock over sooner (default 5 ms): the upper tester's reader thread should not wait behind
    # the receive loop's decoding (receive times themselves come from the kernel and do not depend on it).
    sys.setswitchinterval(0.0005)


def _start_timing(setup: RunSetup, pixit_values: Mapping[str, object]) -> TimingMonitor:
    """Measure this machine's timing budget, start the host probe and record the budget in ``run.json``."""
    threshold = pixit_values.get("timing.overload_wakeup_ms")
    monitor = TimingMonitor.start(overload_wakeup_ms=float(threshold) if isinstance(threshold, (int, float)) else None)
    assert monitor.budget is not None
    record_timing(setup.out_dir, monitor.budget)
    return monitor


@dataclass
class LiveRun:
    """A run whose device is reached: transport open, timing monitored, evidence logged, engine ready.

    :func:`execute` runs every case through ``engine.run()``; the pytest plugin drives ``engine`` one case per item.
    :meth:`close` must be called whatever happens.
    """

    engine: Engine
    transport: Any
    timing: TimingMonitor
    evidence: EvidenceLog

    def close(self) -> None:
        """Close the transport (stopping a ``sim://`` device), stop the host probe, close the evidence log."""
        _close(self.transport, self.timing, self.evidence)


def _close(transport: Any, timing: TimingMonitor, evidence: EvidenceLog) -> None:
    try:
        transport.close()
    finally:
        timing.stop()
        evidence.close()


def start_run(setup: RunSetup, target: str, listeners: Sequence[Listener]) -> LiveRun:
    """The steps before the first case: settle memory, open the transport, measure the timing budget, build the
    :class:`RunContext`, check the device is reachable (else :class:`TransportError`, exit 3, everything closed).

    The journal is always the first listener, then ``listeners``; cases already in the journal (``--resume``) are
    not run again."""
    from ..transports import open_transport

    done = read_journal(setup.out_dir).cases if (setup.out_dir / "journal.ndjson").exists() else {}
    _settle_memory()
    pixit_values = dict(setup.pixit.values) if setup.pixit else {}
    transport = open_transport(target, pixit=pixit_values)
    timing = _start_timing(setup, pixit_values)
    try:
        transport.open()
    except BaseException:
        timing.stop()
        raise
    evidence = EvidenceLog(setup.out_dir / "evidence.ndjson")
    context = RunContext(
        edition=setup.edition,
        decoder=frame_decoder(setup.edition),
        transport=transport,
        evidence=evidence,
        parameters=setup.parameters,
        pixit=pixit_values,
        timing=timing,
    )
    metadata = {**setup.metadata, "profile": setup.profile.id, "started": datetime.now(UTC).isoformat()}
    metadata.pop("plan", None)  # the plan is in run.json; the journal header stays small
    try:
        connect = pixit_values.get("timeouts.connect_s")
        metadata["reachability"] = check_reachable(
            context,
            setup.cases,
            timeout_s=float(connect) if isinstance(connect, (int, float)) else DEFAULT_CONNECT_S,
            done=set(done),
        )
        engine = Engine(
            setup.cases,
            context,
            [Journal(setup.out_dir), *listeners],
            run_id=setup.run_id,
            out_dir=str(setup.out_dir),
            metadata=metadata,
            done=done,
        )
    except BaseException:
        _close(transport, timing, evidence)
        raise
    return LiveRun(engine, transport, timing, evidence)


def execute(
    setup: RunSetup,
    target: str,
    *,
    extra_listeners: list[Listener] | None = None,
    console: ConsoleListener | None = None,
) -> RunFinished:
    """Open the transport, run every case not yet in the journal, close everything; return the final event."""
    live = start_run(setup, target, [console or ConsoleListener(), *(extra_listeners or [])])
    try:
        return live.engine.run()
    finally:
        live.close()


def _write_reports(out_dir: Path, waivers: Path | None) -> ExitCode:
    """Render every report format (:data:`conformance.reports.FORMATS`) into the run folder; return the CI gate's
    exit code (the run's exit code with unexpired waivers honoured)."""
    from ..reports import write_reports

    report = write_reports(out_dir, waivers=waivers)
    return ExitCode(report["gate"]["exit_code"])


@click.command(name="run")
@click.option(
    "--profile",
    "profile_id",
    shell_complete=complete_profiles,
    help="Profile id (see `v2xc profiles list`) or a profile file.",
)
@click.option(
    "--target",
    help="Device under test: udp://HOST:PORT?listen=LPORT, mqtt://..., file://..., pcap://..., "
    "sim://rsu, sim://obu (see README).",
)
@click.option(
    "--pics",
    "pics_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Capability statement of the device (required except for sim:// targets).",
)
@click.option(
    "--pixit",
    "pixit_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Lab parameters (addresses, ids, timeouts, credentials). With --resume: the PIXIT the run started with, "
    "for the sensitive values its folder does not keep.",
)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Run folder (default reports/run-<time>-<profile>).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="Seed of generated vectors.")
@click.option("-k", "keyword", default=None, help="Only requirements matching this expression (id, tag, title).")
@click.option("--edition", default=None, help="Message edition the device speaks (default: the profile's).")
@click.option(
    "--observation-window",
    type=FiniteFloat(0.0, 3600.0, low_open=True),
    default=None,
    help="Seconds of passive observation (overrides the profile's observation_window_s).",
)
@click.option(
    "--resume",
    "resume_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Continue a killed or interrupted run in this folder without redoing finished cases.",
)
@click.option(
    "--waivers",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Waivers file: waived results are shown as such and do not fail the exit code until they expire.",
)
@click.option(
    "--clause-map",
    "clause_map",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="The laboratory's clause map (YAML): clauses it confirmed in the standards, by whom and when; the "
    "reports mark those references verified (see docs/reports.md). Kept in the run folder.",
)
@overlay_options
def run_command(
    profile_id: str | None,
    target: str | None,
    pics_path: Path | None,
    pixit_path: Path | None,
    out_dir: Path | None,
    seed: int,
    keyword: str | None,
    edition: str | None,
    observation_window: float | None,
    resume_dir: Path | None,
    waivers: Path | None,
    clause_map: Path | None,
    profiles_path: tuple[Path, ...],
    catalogue_path: tuple[Path, ...],
) -> None:
    """Run a profile against a device under test and write verdicts, evidence and reports.

    Exit: 0 all executed cases pass, 1 a fail or inconclusive, 2 usage/configuration error, 3 harness error.
    """
    with guard():
        if resume_dir is not None:
            if clause_map is not None:
                raise UsageError(
                    "--clause-map cannot be combined with --resume: the run folder keeps the map it started with.",
                    hint=f"Apply another map with `v2xc report render {resume_dir} --clause-map FILE`.",
                )
            _refuse_options_with_resume(resume_dir)
            setup, args = resume(resume_dir, pixit_path)  # --pixit: the secrets the folder's copy does not keep
            target = str(args["target"])
        else:
            if not profile_id or not target:
                raise UsageError(
                    "--profile and --target are required (or --resume DIR).",
                    hint="e.g. v2xc run --profile csae53-2020-rsu --target sim://rsu",
                )
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            folder = out_dir or Path("reports") / f"run-{stamp}-{Path(profile_id).stem}"
            setup = prepare(
                profile_id=profile_id,
                target=target,
                pics_path=pics_path,
                pixit_path=pixit_path,
                out_dir=folder,
                keyword=keyword,
                seed=seed,
                edition=edition,
                observation_window=observation_window,
                clause_map=clause_map,
                profiles_path=profiles_path,
                catalogue_path=catalogue_path,
            )
        finished = execute(setup, target)
        gate = _write_reports(setup.out_dir, waivers)
        out.print(f"results: {setup.out_dir} ({', '.join(fmt.file_name for fmt in FORMATS.values())})")
        sys.exit(gate if waivers is not None else exit_code(finished))


#: what a resumed run takes from its folder, never from the command line (a run judges one device, one plan)
KEPT_BY_THE_FOLDER = {
    "profile_id": "--profile",
    "target": "--target",
    "pics_path": "--pics",
    "out_dir": "--out",
    "seed": "--seed",
    "keyword": "-k",
    "edition": "--edition",
    "observation_window": "--observation-window",
    "profiles_path": "--profiles-path",
    "catalogue_path": "--catalogue-path",
}


def _refuse_options_with_resume(resume_dir: Path) -> None:
    """Exit 2 when --resume is given with an option the run folder already fixes (it would be silently ignored)."""
    context = click.get_current_context()
    given = [
        option
        for name, option in KEPT_BY_THE_FOLDER.items()
        if context.get_parameter_source(name) is ParameterSource.COMMANDLINE
    ]
    if given:
        raise UsageError(
            f"{', '.join(given)} cannot be combined with --resume: a resumed run continues with the profile, target, "
            "capability statement, plan and seed its folder recorded, so that one report covers one device and "
            "one plan.",
            hint=f"Resume with `v2xc run --resume {resume_dir}` (and --pixit for its secrets), or start a new run "
            "in a new --out folder.",
        )


def register(main: click.Group) -> None:
    """Add ``run`` to the ``v2xc`` command group."""
    main.add_command(run_command)
