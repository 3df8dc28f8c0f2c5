"""pytest plugin: a profile run as pytest items, for vendors' CI (registered as the ``pytest11`` entry point ``v2xc``).

``pytest --v2xc-profile P --v2xc-target URL --v2xc-pics F [--v2xc-pixit F] [--v2xc-out DIR] [--v2xc-keyword EXPR]
[--v2xc-observation-window S]`` collects one item per case of the profile's plan, named by requirement id
(``v2xc::CSAE53-2020/MAP/TX/RATE``), in plan order. Cases deselected by ``--v2xc-keyword`` are reported as pytest
deselections; pytest's own ``-k``/``-m`` also work on the items.

The run is the one ``v2xc run`` makes (:func:`conformance.cli.runsetup.prepare`, :func:`conformance.cli.run.start_run`,
the :class:`~conformance.engine.runner.Engine` driven one case per item): the run folder holds ``run.json``,
``pics.yaml``, ``journal.ndjson`` (every case in plan order, also those pytest did not run: recorded as deselected)
and ``evidence.ndjson``, and the four reports are written when the session ends. The transport is opened and the
device's reachability checked when the first item runs. Cases run in plan order: an item reordered by another
plugin gets its case's verdict, computed when its turn in the plan came.

Verdicts become outcomes:

=================  ===================================================================================================
pass               passed
fail               failed; the failure text starts with the observations that decided the verdict
inconc             failed, the text starting with ``INCONCLUSIVE:`` (never passed: the device was not shown to conform)
error              pytest ERROR (an error at setup: the test system, not the device, failed), text ``HARNESS ERROR:``
none               skipped with the reason (not applicable, naming the PICS item; not tested; capability missing)
=================  ===================================================================================================

Every item carries the user properties ``requirement``, ``verdict`` and ``clause`` (written by ``--junitxml``).
A bad profile, PICS, PIXIT or target URL is a pytest usage error (exit 4); a device that cannot be reached makes
every item an ERROR naming what was tried. Without ``--v2xc-profile`` the plugin does nothing (no import of the
toolkit, no item, no hook beyond its options).
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Generator, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .cli.run import LiveRun
    from .cli.runsetup import RunSetup
    from .engine.model import CaseResult
    from .engine.runner import PlannedCase

#: Name of the collector holding the items: node ids are ``v2xc::<requirement id>``.
COLLECTOR_NAME = "v2xc"
#: Reason recorded in the journal for a planned case whose pytest item did not run.
NOT_RUN_BY_PYTEST = "deselected in pytest: its item was not run (-k, -m, or another plugin)"


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the ``--v2xc-*`` options."""
    group = parser.getgroup("v2xc", "v2x-conformance: a profile run against a device, one item per requirement")
    group.addoption("--v2xc-profile", default=None, metavar="P", help="Profile id or profile file; enables the plugin.")
    group.addoption(
        "--v2xc-target", default=None, metavar="URL", help="Device under test (udp://, mqtt://, file://, sim://...)."
    )
    group.addoption(
        "--v2xc-pics", default=None, metavar="FILE", help="Capability statement (optional for sim:// targets)."
    )
    group.addoption("--v2xc-pixit", default=None, metavar="FILE", help="Lab parameters.")
    group.addoption(
        "--v2xc-out", default=None, metavar="DIR", help="Run folder (default reports/run-<time>-<profile>)."
    )
    group.addoption(
        "--v2xc-keyword",
        default=None,
        metavar="EXPR",
        help="Only requirements matching EXPR (as `v2xc run -k`: id, tag, title); the rest are deselected.",
    )
    group.addoption(
        "--v2xc-observation-window",
        default=None,
        type=float,
        metavar="S",
        help="Seconds of passive observation (overrides the profile's observation_window_s).",
    )
    group.addoption("--v2xc-seed", default=1, type=int, metavar="N", help="Seed of generated vectors (default 1).")
    group.addoption(
        "--v2xc-profiles-path",
        action="append",
        default=[],
        metavar="DIR",
        help="A lab's profiles directory, added to the bundled ones (repeatable; also V2XC_PROFILES_PATH).",
    )
    group.addoption(
        "--v2xc-catalogue-path",
        action="append",
        default=[],
        metavar="DIR",
        help="A lab's requirement catalogue directory, added to the bundled one (repeatable; also "
        "V2XC_CATALOGUE_PATH).",
    )
    group.addoption("--v2xc-edition", default=None, metavar="ID", help="Message edition the device speaks.")


def pytest_configure(config: pytest.Config) -> None:
    """Set up the run when ``--v2xc-profile`` is given (configuration errors: :class:`pytest.UsageError`)."""
    if not config.getoption("v2xc_profile"):
        names = ("target", "pics", "pixit", "out", "keyword", "profiles_path", "catalogue_path")
        given = [name.replace("_", "-") for name in names if config.getoption(f"v2xc_{name}")]
        if given:
            raise pytest.UsageError(
                f"v2xc: --v2xc-{given[0]} needs --v2xc-profile (the profile to run against the device)."
            )
        return
    config.pluginmanager.register(V2xcPlugin(config), "v2xc-run")


class HarnessError(Exception):
    """A case ended in *error*, or the device could not be reached: shown by pytest as an ERROR."""


class CaseFailed(Exception):
    """A case failed or was inconclusive: shown by pytest as FAILED with the deciding observations first."""


def _usage(message: str) -> pytest.UsageError:
    return pytest.UsageError(f"v2xc: {message}")


class V2xcPlugin:
    """The session's run: its setup (plan, run folder), the collector, the case driver, the reports."""

    def __init__(self, config: pytest.Config) -> None:
        from .errors import ConformanceError

        self.config = config
        option = config.getoption
        if hasattr(config, "workerinput") or option("dist", "no") != "no":
            raise _usage("the cases of a profile run one after another in one process; do not combine with -n/--dist.")
        self.target: str | None = option("v2xc_target")
        if not self.target:
            raise _usage("--v2xc-target URL is required with --v2xc-profile (e.g. sim://rsu, udp://HOST:PORT?listen=N).")
        paths: dict[str, Path | None] = {}
        for name in ("pics", "pixit"):
            value = option(f"v2xc_{name}")
            paths[name] = Path(value) if value else None
            if value and not Path(value).is_file():
                raise _usage(f"--v2xc-{name} {value}: no such file.")
        self.collect_only = bool(config.option.collectonly)
        self._scratch: Path | None = None
        if self.collect_only:  # only the plan is needed: no run folder is left behind
            self._scratch = Path(tempfile.mkdtemp(prefix="v2xc-plan-"))
            out_dir = self._scratch / "run"
        else:
            profile_id = str(option("v2xc_profile"))
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            given = option("v2xc_out")
            out_dir = Path(given) if given else Path("reports") / f"run-{stamp}-{Path(profile_id).stem}"
        from .cli.runsetup import prepare

        try:
            self.setup: RunSetup = prepare(
                profile_id=str(option("v2xc_profile")),
                target=self.target,
                pics_path=paths["pics"],
                pixit_path=paths["pixit"],
                out_dir=out_dir,
                keyword=option("v2xc_keyword"),
                seed=int(option("v2xc_seed")),
                edition=option("v2xc_edition"),
                observation_window=option("v2xc_observation_window"),
                profiles_path=[Path(p) for p in option("v2xc_profiles_path")],
                catalogue_path=[Path(p) for p in option("v2xc_catalogue_path")],
            )
        except ConformanceError as exc:
            self._remove_scratch()
            raise _usage(exc.describe()) from None
        self.live: LiveRun | None = None
        self.failure: str | None = None
        self.results: dict[str, CaseResult] = {}
        self.next_index = 0  # the next case of the plan to record
        self.item_cases: set[str] = set()  # case ids of the items pytest will run
        self.reports_written = False
        self.report_error = ""

    # ------------------------------------------------------------------------------------------------ collection
    def pytest_report_header(self) -> str:
        """One header line: what is run against what, and where the run folder is."""
        where = "no run folder (--collect-only)" if self.collect_only else str(self.setup.out_dir)
        return f"v2xc: {self.setup.profile.id} against {self.target} ({len(self.setup.cases)} cases) -> {where}"

    @pytest.hookimpl(wrapper=True)
    def pytest_make_collect_report(
        self, collector: pytest.Collector
    ) -> Generator[None, pytest.CollectReport, pytest.CollectReport]:
        """Add the run's collector to the session's top-level collectors."""
        report = yield
        if isinstance(collector, pytest.Session) and report.outcome == "passed":
            report.result.append(
                V2xcRun.from_parent(collector, name=COLLECTOR_NAME, nodeid=COLLECTOR_NAME, plugin=self)
            )
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Deselect the items of cases ``--v2xc-keyword`` deselected from the plan."""
        deselected = [item for item in items if isinstance(item, V2xcCase) and item.case.status == "deselected"]
        if deselected:
            items[:] = [item for item in items if item not in deselected]
            config.hook.pytest_deselected(items=deselected)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        """Remember which cases pytest will run as items (the others are recorded as deselected)."""
        self.item_cases = {item.case.case_id for item in session.items if isinstance(item, V2xcCase)}

    # ------------------------------------------------------------------------------------------------ running
    def result_for(self, case_id: str) -> CaseResult:
        """The result of case ``case_id``, running the plan up to it (opening the run on first use)."""
        if case_id in self.results:
            return self.results[case_id]
        live = self._start()
        cases = self.setup.cases
        while self.next_index < len(cases):
            case = cases[self.next_index]
            self.next_index += 1
            if case.case_id not in self.item_cases and case.status == "selected":
                case = replace(case, status="deselected", reason=NOT_RUN_BY_PYTEST)
            self.results[case.case_id] = live.engine.run_one(case, self.next_index)
            if case.case_id == case_id:
                break
        return self.results[case_id]

    def _start(self) -> LiveRun:
        from .cli.run import start_run
        from .errors import ConformanceError

        if self.failure is not None:
            raise HarnessError(self.failure)
        if self.live is None:
            try:
                self.live = start_run(self.setup, str(self.target), [])
            except ConformanceError as exc:
                self.failure = f"HARNESS ERROR: the run could not start: {exc.describe()}"
                raise HarnessError(self.failure) from None
            self.live.engine.begin()
        return self.live

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """Show a case's verdict as its text alone (no traceback of the plugin)."""
        report = yield
        excinfo = call.excinfo
        if isinstance(item, V2xcCase) and excinfo is not None and isinstance(excinfo.value, HarnessError | CaseFailed):
            report.longrepr = str(excinfo.value)
        return report

    # ------------------------------------------------------------------------------------------------ the end
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Record the cases pytest did not run, end the journal, close the device, write the reports."""
        if self.live is None:
            return
        live, self.live = self.live, None
        stopped = bool(session.shouldstop or session.shouldfail) or exitstatus == pytest.ExitCode.INTERRUPTED
        try:
            if not stopped:
                cases = self.setup.cases
                while self.next_index < len(cases):
                    case = cases[self.next_index]
                    self.next_index += 1
                    if case.status == "selected":
                        case = replace(case, status="deselected", reason=NOT_RUN_BY_PYTEST)
                    self.results[case.case_id] = live.engine.run_one(case, self.next_index)
            ordered = [self.results[c.case_id] for c in self.setup.cases if c.case_id in self.results]
            live.engine.finish(ordered, interrupted=len(ordered) < len(self.setup.cases))
        finally:
            live.close()
        from .errors import ConformanceError
        from .reports import write_reports

        try:
            write_reports(self.setup.out_dir)
            self.reports_written = True
        except ConformanceError as exc:
            self.report_error = exc.describe()

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """Say where the run folder and its reports are."""
        if self.collect_only:
            return
        terminalreporter.section("v2xc")
        folder = self.setup.out_dir
        if self.reports_written:
            terminalreporter.write_line(f"run folder: {folder} (report.html, report.json, report.junit.xml, report.md)")
        elif self.report_error:
            terminalreporter.write_line(f"run folder: {folder}; the reports could not be written: {self.report_error}")
        else:
            terminalreporter.write_line(f"run folder: {folder} (run.json only: no case ran)")

    def pytest_unconfigure(self) -> None:
        """Close a run left open (an aborted session) and remove the scratch folder of ``--collect-only``."""
        if self.live is not None:
            self.live.close()
            self.live = None
        self._remove_scratch()

    def _remove_scratch(self) -> None:
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None


class V2xcRun(pytest.Collector):
    """The profile's plan as a collector: one :class:`V2xcCase` per planned case, in plan order."""

    def __init__(self, *, plugin: V2xcPlugin, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.plugin = plugin

    def collect(self) -> Iterable[pytest.Item]:
        """One item per planned case."""
        return [V2xcCase.from_parent(self, name=case.case_id, case=case) for case in self.plugin.setup.cases]

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the items come from: the profile file."""
        return Path(self.plugin.setup.profile.source), None, f"v2xc {self.plugin.setup.profile.id}"


class V2xcCase(pytest.Item):
    """One planned case; its verdict is decided at setup (so that an *error* verdict is a pytest ERROR)."""

    def __init__(self, *, case: PlannedCase, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.case = case
        self.result: CaseResult | None = None
        self.user_properties.extend([("requirement", case.requirement_id), ("clause", case.clause)])

    @property
    def plugin(self) -> V2xcPlugin:
        """The session's run."""
        assert isinstance(self.parent, V2xcRun)
        return self.parent.plugin

    def setup(self) -> None:
        """Run the case (and, on first use, open the run); an *error* verdict is raised here."""
        result = self.plugin.result_for(self.case.case_id)
        self.result = result
        self.user_properties.append(("verdict", result.verdict.value))
        if result.verdict.value == "error":
            raise HarnessError(outcome_text(result))

    def runtest(self) -> None:
        """Turn the verdict into pytest's outcome."""
        assert self.result is not None
        verdict = self.result.verdict.value
        if verdict in ("fail", "inconc"):
            raise CaseFailed(outcome_text(self.result))
        if verdict == "none":  # reported at the item (the profile), not at this line of the plugin
            raise pytest.skip.Exception(f"{self.result.status}: {self.result.reason}", _use_item_location=True)

    def reportinfo(self) -> tuple[Path, int, str]:
        """The profile file and the requirement id."""
        return Path(self.plugin.setup.profile.source), 0, f"v2xc {self.case.requirement_id}"


def outcome_text(result: CaseResult) -> str:
    """The text of a failed, inconclusive or error case: the observations that decided its verdict first (one line,
    prefixed ``INCONCLUSIVE:`` or ``HARNESS ERROR:`` where that is the verdict), then every observation with its
    check, field, expected and observed values and evidence frames, then the requirement and clause."""
    from .reports.model import finding_text, findings_first, measurement_text

    case = result.as_dict()
    prefix = {"inconc": "INCONCLUSIVE: ", "error": "HARNESS ERROR: "}.get(result.verdict.value, "")
    lines = [prefix + (finding_text(case) or result.reason or result.verdict.value), ""]
    for obs in findings_first(case):
        line = f"[{obs['verdict']}] {obs.get('check') or '-'}: {obs['message']}"
        details = []
        if obs.get("field_path"):
            details.append(f"field {obs['field_path']}")
        if obs.get("expected") is not None:
            details.append(f"expected {obs['expected']!r}")
        if obs.get("observed") is not None:
            details.append(f"observed {obs['observed']!r}")
        measured = measurement_text(obs.get("measurement"))
        if measured:
            details.append(f"measured {measured}")
        if obs.get("evidence"):
            seqs = list(dict.fromkeys(obs["evidence"]))
            frames = ", ".join(str(seq) for seq in seqs[:10])
            more = f" (+{len(seqs) - 10})" if len(seqs) > 10 else ""
            details.append(f"evidence.ndjson seq {frames}{more}")
        lines.append(line + (f" ({'; '.join(details)})" if details else ""))
    lines += ["", f"requirement {result.requirement_id}: {result.title}", f"clause: {result.clause}"]
    return "\n".join(lines)
