"""The engine: execute planned cases, decide verdicts, emit events. A harness failure never stops the run.

Per case: not-applicable and not-tested cases are recorded as verdict *none* with their reason; for a selected
case every check runs in turn (missing capability → none, :class:`NotApplicable` → none, :class:`Inconclusive`
→ inconc, any other exception → error with the exception named); the case verdict is the worst of its
observations. Each verdict reaches the journal (flushed, fsynced) before the next case starts. SIGINT (Ctrl-C)
sets the stop flag: the current case is closed as inconc ("interrupted"), no further case starts, and the run
ends normally with what it has.
"""

from __future__ import annotations

import signal
import time
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from types import FrameType
from typing import Any

from .context import RunContext
from .events import CaseFinished, CaseStarted, Listener, RunFinished, RunStarted
from .model import CaseResult, Observation, Verdict, worst
from .registry import Inconclusive, NotApplicable, NotTested, get_check


@dataclass(frozen=True)
class CheckCall:
    """One check to run for a case, with its merged parameters."""

    check_id: str
    parameters: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedCase:
    """A test case as planned: requirement, traceability, status (selected/not-applicable/not-tested), checks."""

    case_id: str
    requirement_id: str
    title: str
    clause: str
    framework_node: str
    status: str
    reason: str = ""
    checks: tuple[CheckCall, ...] = ()


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def _capabilities(context: RunContext) -> set[str]:
    caps = getattr(context.transport, "capabilities", None)
    return {name for name in ("send", "receive", "upper_tester", "live") if getattr(caps, name, False)}


def run_case(case: PlannedCase, context: RunContext) -> CaseResult:
    """Execute one case and return its result (never raises, except KeyboardInterrupt-free by design)."""
    started, clock = _now(), time.monotonic()
    result = CaseResult(
        case_id=case.case_id,
        requirement_id=case.requirement_id,
        title=case.title,
        clause=case.clause,
        framework_node=case.framework_node,
        verdict=Verdict.NONE,
        status=case.status,
        reason=case.reason,
        started=started,
        parameters={c.check_id: dict(c.parameters) for c in case.checks},
    )
    if case.status != "selected":
        result.finished, result.duration_s = _now(), 0.0
        return result
    observations: list[Observation] = []
    untested: list[str] = []  # checks that exist in the catalogue but cannot judge yet: never a pass
    capabilities = _capabilities(context)
    for call in case.checks:
        registered = get_check(call.check_id)
        if registered is None:
            untested.append(f"check {call.check_id} is not implemented yet")
            continue
        missing = [need for need in registered.needs if need not in capabilities]
        if missing:
            observations.append(
                Observation(
                    Verdict.NONE,
                    f"not applicable: the transport lacks {', '.join(missing)} "
                    f"({getattr(context.transport, 'url', '?')})",
                    check=call.check_id,
                )
            )
            continue
        try:
            found = list(registered.function(context, call.parameters))
        except NotTested as exc:
            untested.append(f"{call.check_id}: {exc}")
            continue
        except NotApplicable as exc:
            found = [Observation(Verdict.NONE, f"not applicable: {exc}", check=call.check_id)]
        except Inconclusive as exc:
            found = [Observation(Verdict.INCONC, str(exc), check=call.check_id)]
        except Exception as exc:  # noqa: BLE001 - a harness failure becomes an error verdict; the run goes on
            where = traceback.extract_tb(exc.__traceback__)[-1] if exc.__traceback__ else None
            location = f" at {where.filename.rsplit('/', 1)[-1]}:{where.lineno}" if where else ""
            found = [
                Observation(
                    Verdict.ERROR,
                    f"harness error in {call.check_id}: {type(exc).__name__}: {exc}{location}",
                    check=call.check_id,
                )
            ]
        if not found:
            found = [Observation(Verdict.INCONC, "the check produced no observation", check=call.check_id)]
        if context.stop.is_set():
            # Interrupted (SIGINT/SIGTERM) while this check ran: what it observed was cut short by the test system,
            # so none of it is judged (a device that "stopped answering" after the signal is not the device's fault).
            observations.append(
                Observation(
                    Verdict.INCONC,
                    "interrupted while this check ran: its observations were cut short by the signal and are not "
                    "judged",
                    check=call.check_id,
                )
            )
            break
        observations.extend(replace(obs, check=obs.check or call.check_id) for obs in found)
    if untested and not observations:
        result.status, result.reason = "not-tested", "; ".join(untested)
        result.finished, result.duration_s = _now(), round(time.monotonic() - clock, 3)
        return result
    observations.extend(Observation(Verdict.NONE, f"not tested: {text}") for text in untested)
    result.observations = observations
    result.verdict = worst([obs.verdict for obs in observations])
    if result.verdict is Verdict.NONE:
        result.status = "not-applicable"
        result.reason = "; ".join(obs.message for obs in observations)
    result.evidence_count = len({seq for obs in observations for seq in obs.evidence})
    result.finished, result.duration_s = _now(), round(time.monotonic() - clock, 3)
    return result


def summarise(results: Iterable[CaseResult]) -> dict[str, int]:
    """Count verdicts (every verdict key present) and statuses."""
    summary = {verdict.value: 0 for verdict in Verdict}
    for result in results:
        summary[result.verdict.value] += 1
        summary[f"status:{result.status}"] = summary.get(f"status:{result.status}", 0) + 1
    return summary


class Engine:
    """Runs planned cases against one context, emitting events to listeners."""

    def __init__(
        self,
        cases: Sequence[PlannedCase],
        context: RunContext,
        listeners: Sequence[Listener],
        *,
        run_id: str,
        out_dir: str,
        metadata: Mapping[str, Any],
        done: Mapping[str, CaseResult] | None = None,
    ) -> None:
        self.cases = list(cases)
        self.context = context
        self.listeners = list(listeners)
        self.run_id = run_id
        self.out_dir = out_dir
        self.metadata = dict(metadata)
        self.done = dict(done or {})
        #: The signal that stopped the run (SIGINT, SIGTERM), if one did.
        self.interrupted_by = ""

    def _emit(self, event: Any) -> None:
        for listener in self.listeners:
            listener(event)

    def run(self) -> RunFinished:
        """Run every case not already done; return the final event (also emitted).

        SIGINT (Ctrl-C) and SIGTERM stop the run cleanly: the case in progress is inconclusive ("interrupted"),
        nothing observed after the signal is judged, no further case starts, and the run ends with what it has."""
        previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}
        for number in (int(signal.SIGINT), int(signal.SIGTERM)):
            try:
                previous[number] = signal.signal(number, self._interrupt)
            except ValueError:  # not in the main thread (e.g. embedded): signal handling is the caller's
                break
        try:
            return self._run()
        finally:
            for number, handler in previous.items():
                if handler is not None:
                    signal.signal(number, handler)

    def _interrupt(self, signum: int, _frame: FrameType | None) -> None:
        self.interrupted_by = signal.Signals(signum).name
        self.context.stop.set()

    def _run(self) -> RunFinished:
        self.begin()
        results: list[CaseResult] = []
        for index, case in enumerate(self.cases, start=1):
            if case.case_id in self.done:
                results.append(self.done[case.case_id])
                continue
            if self.context.stop.is_set():
                break
            results.append(self.run_one(case, index))
        return self.finish(results, interrupted=self.context.stop.is_set() and len(results) < len(self.cases))

    # The steps of a run, for front ends that drive the cases one by one (the pytest plugin: one item per case).
    def begin(self) -> None:
        """Emit :class:`RunStarted` (the journal's run header)."""
        self._emit(RunStarted(self.run_id, self.out_dir, self.metadata, len(self.cases)))

    def run_one(self, case: PlannedCase, index: int) -> CaseResult:
        """Run one case (``index``: its 1-based place in the plan), emitting its started and finished events."""
        total = len(self.cases)
        self._emit(CaseStarted(case.case_id, case.requirement_id, case.title, index, total))
        result = run_case(case, self.context)
        self.context.record_upper_tester_anomalies()
        self._emit(CaseFinished(result, index, total))
        return result

    def finish(self, results: list[CaseResult], *, interrupted: bool) -> RunFinished:
        """Emit and return :class:`RunFinished` for ``results`` (in plan order)."""
        finished = RunFinished(self.run_id, summarise(results), interrupted, results)
        self._emit(finished)
        return finished
