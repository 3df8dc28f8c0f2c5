"""The test system's own timing: the decision rule, the measured uncertainty, overloaded windows, the host probe,
and timing checks that never turn the test system's delays into the device's pass or fail (issue 10 items 1-3)."""

from __future__ import annotations

import copy
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from conformance.checks.applications import DEFAULTS, build_scenario, run_scenario
from conformance.codec.strict import encode
from conformance.engine.context import EvidenceLog, RunContext
from conformance.engine.hostprobe import HostProbe, summarise
from conformance.engine.model import Verdict
from conformance.engine.runner import CheckCall, PlannedCase, run_case
from conformance.engine.timing import TimingBudget, TimingMonitor, decide, measure_budget, measurement
from conformance.network.decoder import frame_decoder
from conformance.standards.samples import sample_values
from conformance.transports.base import Capabilities, Received, Transport
from conformance.transports.kerneltime import SendTime

EDITION = "csae53-2020"


# ------------------------------------------------------------------------------------------------ decision rule
@pytest.mark.parametrize(
    ("value", "upper", "lower", "u", "verdict"),
    [
        (100.0, 110.0, None, 2.0, Verdict.PASS),  # inside by more than U
        (108.0, 110.0, None, 2.0, Verdict.PASS),  # inside by exactly U: guarded acceptance holds
        (109.0, 110.0, None, 2.0, Verdict.INCONC),  # inside, but within U
        (110.2, 110.0, None, 2.0, Verdict.INCONC),  # outside, but within U: never a device fail
        (112.0, 110.0, None, 2.0, Verdict.INCONC),  # outside by exactly U
        (112.5, 110.0, None, 2.0, Verdict.FAIL),  # outside by more than U
        (10.0, 11.0, 9.0, 0.1, Verdict.PASS),
        (9.05, 11.0, 9.0, 0.1, Verdict.INCONC),
        (8.8, 11.0, 9.0, 0.1, Verdict.FAIL),
        (11.5, 11.0, 9.0, 0.1, Verdict.FAIL),
        (5.0, None, 4.0, 0.5, Verdict.PASS),
        (3.4, None, 4.0, 0.5, Verdict.FAIL),
        (110.0, 110.0, None, 0.0, Verdict.PASS),  # no uncertainty: the limit itself conforms
    ],
)
def test_decision_rule(value: float, upper: float | None, lower: float | None, u: float, verdict: Verdict) -> None:
    assert decide(value, upper=upper, lower=lower, uncertainty=u) is verdict


def test_measurement_record_names_value_limit_and_uncertainty() -> None:
    record = measurement("longest RSM interval", 109.0, unit="ms", uncertainty=2.0, decision=Verdict.INCONC, upper=110)
    assert record["value"] == 109.0 and record["limit"] == 110 and record["limit_kind"] == "max"
    assert record["uncertainty"] == 2.0 and record["coverage_factor"] == 2.0 and record["decision"] == "inconclusive"
    ranged = measurement("rate", 10.0, unit="Hz", uncertainty=0.1, decision=Verdict.PASS, upper=11, lower=9)
    assert ranged["limit"] == [9, 11] and ranged["limit_kind"] == "range" and ranged["decision"] == "pass"


# ------------------------------------------------------------------------------------------------ budget, probe
def test_budget_is_measured_on_this_machine() -> None:
    budget = measure_budget(loopback_samples=50, wakeup_samples=50)
    assert budget.loopback_ms["samples"] == 50
    assert 0 <= budget.loopback_ms["p50"] <= budget.loopback_ms["p99"] <= budget.loopback_ms["max"]
    assert budget.wakeup_ms["samples"] == 50 and budget.cpus >= 1
    assert 0 < budget.resolution_ms < 1
    assert set(budget.as_dict()) >= {"clock", "resolution_ms", "kernel_timestamps", "loopback_ms", "wakeup_ms"}


def test_host_probe_samples_wakeups_in_its_own_process() -> None:
    probe = HostProbe(period_ms=1.0)
    assert probe.start() and probe.running
    try:
        start = time.monotonic()
        time.sleep(0.4)
        stats = probe.window(start, time.monotonic())
        assert stats["samples"] > 20  # about 1 sample per 1-2 ms
        assert 0 <= stats["p50_ms"] <= stats["p99_ms"] <= stats["max_ms"]
        assert probe.window(start - 100.0, start - 50.0)["samples"] == 0  # nothing outside the window
    finally:
        probe.stop()
    assert not probe.running and probe.window(0, time.monotonic())["samples"] == 0
    assert summarise([3.0, 1.0, 2.0]) == {"samples": 3, "p50_ms": 2.0, "p99_ms": 3.0, "max_ms": 3.0}


class FakeProbe:
    """A probe reporting fixed wake-up statistics (to put a window into a known state)."""

    def __init__(self, p99: float, maximum: float) -> None:
        self.stats = {"samples": 100, "p50_ms": p99 / 2, "p99_ms": p99, "max_ms": maximum}

    def window(self, start: float, end: float) -> dict[str, Any]:
        return dict(self.stats)

    def stop(self) -> None:
        pass


def _budget(kernel: bool = True) -> TimingBudget:
    return TimingBudget(
        clock="test",
        resolution_ms=1e-6,
        kernel_timestamps=kernel,
        loopback_ms={"samples": 10, "p50": 0.01, "p99": 0.02, "max": 0.03, "stdev": 0.01},
        wakeup_ms=summarise([0.1]),
        load_average=(0.0, 0.0, 0.0),
        cpus=2,
        overload_wakeup_ms=20.0,
    )


def _monitor(p99: float, maximum: float) -> TimingMonitor:
    return TimingMonitor(budget=_budget(), probe=FakeProbe(p99, maximum))  # type: ignore[arg-type]


def test_window_overload_drops_and_clock_steps_are_reasons() -> None:
    calm = _monitor(0.2, 1.0).window(0.0, 10.0)
    assert not calm.overloaded and calm.reasons == ()
    busy = _monitor(5.0, 45.0).window(0.0, 10.0)
    assert busy.overloaded and "45.0 ms late (threshold 20 ms)" in busy.reasons[0]
    assert not _monitor(5.0, 45.0).window(0.0, 10.0, live=False).overloaded  # a recording is not this host's load
    dropping = _monitor(0.2, 1.0)
    for count in (0, 0, 3):
        dropping.note_received(Received(b"", 0.0, 5.0, "p", stamped_by="kernel", drops=count))
    window = dropping.window(0.0, 10.0)
    assert window.overloaded and window.kernel_drops == 3 and "dropped 3 datagram" in window.reasons[0]
    stepped = _monitor(0.2, 1.0)
    stepped._offsets = [(1.0, 1000.0), (9.0, 1000.5)]  # wall - monotonic moved by 500 ms
    window = stepped.window(0.0, 10.0)
    assert window.overloaded and "stepped by 500.0 ms" in window.reasons[0]


def test_uncertainty_grows_with_the_hosts_wakeup_latency_and_the_send_call() -> None:
    calm, busy = _monitor(0.1, 0.5), _monitor(6.0, 9.0)
    u_calm = calm.difference_u_ms(calm.window(0, 1))
    u_busy = busy.difference_u_ms(busy.window(0, 1))
    assert 0 < u_calm < 0.5 < u_busy
    assert u_busy == pytest.approx(2 * 6.0 / 3**0.5, rel=0.01)  # U = k * w / sqrt(3) when w dominates
    assert calm.difference_u_ms(calm.window(0, 1), send_call_ms=3.0) > u_calm + 3.0
    application = TimingMonitor(budget=_budget(kernel=False), probe=FakeProbe(6.0, 9.0))  # type: ignore[arg-type]
    assert application.difference_u_ms(application.window(0, 1)) > u_busy  # no kernel stamps: more uncertain


# ------------------------------------------------------------------------------------------------ rate check
class ScriptedTransport(Transport):
    """A live transport replaying frames at chosen monotonic instants (ending now)."""

    def __init__(self, frames: list[tuple[float, bytes]]) -> None:
        super().__init__("scripted://device")
        self.capabilities = Capabilities(send=True, receive=True, live=True, upper_tester=False)
        self._queue: list[Received] = []
        now_mono, now_wall = time.monotonic(), time.time()
        last = frames[-1][0]
        for at, data in frames:
            offset = at - last - 0.001
            self._queue.append(Received(data, now_wall + offset, now_mono + offset, "dev", stamped_by="kernel"))

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, data: bytes, *, channel: str = "") -> SendTime:
        now = time.time()
        return SendTime(now, now)

    def receive(self, timeout: float) -> Received | None:
        if timeout <= 0 or not self._queue:  # nothing "queued before the window"
            if not self._queue:
                time.sleep(min(timeout, 0.01))
            return None
        return self._queue.pop(0)


def _rsm_stream(intervals_ms: list[float]) -> list[tuple[float, bytes]]:
    alternative, base = sample_values()["rsm"]
    frames, at = [], 0.0
    for index in range(len(intervals_ms) + 1):
        value = copy.deepcopy(base)
        value["msgCnt"] = index % 128
        frames.append((at, encode((alternative, value), edition=EDITION)))
        if index < len(intervals_ms):
            at += intervals_ms[index] / 1000.0
    return frames


def _judge_rate(tmp_path: Path, intervals: list[float], monitor: TimingMonitor) -> Any:
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=ScriptedTransport(_rsm_stream(intervals)),
        evidence=EvidenceLog(tmp_path / f"evidence-{time.monotonic_ns()}.ndjson"),
        parameters={"observation_window_s": 0.05},
        timing=monitor,
    )
    params: Mapping[str, Any] = {"message": "RSM", "max_interval_ms": 100, "tolerance_pct": 10, "min_frames": 3}
    case = PlannedCase("RATE", "RATE", "rate", "", "", "selected", checks=(CheckCall("message.rate", params),))
    try:
        return run_case(case, context)
    finally:
        context.evidence.close()


def test_rate_check_passes_fails_and_is_inconclusive_by_the_rule(tmp_path: Path) -> None:
    calm = _monitor(0.5, 1.0)  # U about 0.6 ms
    passed = _judge_rate(tmp_path, [100.0] * 20, calm)
    assert passed.verdict is Verdict.PASS, [o.message for o in passed.observations]
    (obs,) = passed.observations
    assert obs.measurement is not None and obs.measurement["decision"] == "pass"
    assert obs.measurement["value"] == pytest.approx(100.0, abs=0.01) and obs.measurement["limit"] == 110.0
    assert obs.measurement["window"]["wakeup"]["p99_ms"] == 0.5

    close_call = _judge_rate(tmp_path, [100.0] * 10 + [110.3] + [100.0] * 9, _monitor(3.0, 4.0))  # U about 3.5
    (obs,) = close_call.observations
    assert close_call.verdict is Verdict.INCONC and obs.verdict is Verdict.INCONC
    assert "110.300 ms is within the measurement uncertainty U =" in obs.message and "<= 110 ms" in obs.message

    late = _judge_rate(tmp_path, [100.0] * 10 + [130.0] + [100.0] * 9, calm)
    (obs,) = late.observations
    assert late.verdict is Verdict.FAIL and "1 RSM interval(s) exceed 100 ms" in obs.message
    assert obs.measurement is not None and obs.measurement["decision"] == "fail"

    overloaded = _judge_rate(tmp_path, [100.0] * 10 + [130.0] + [100.0] * 9, _monitor(5.0, 60.0))
    (obs,) = overloaded.observations
    assert overloaded.verdict is Verdict.INCONC  # the host could not keep up: no verdict on the device
    assert "could not keep up" in obs.message and "60.0 ms late" in obs.message


# ------------------------------------------------------------------------------------------------ latency
class FakeUpperTester:
    """An upper tester that reports one warning, stamped ``offset_s`` relative to the time it is first asked."""

    def __init__(self, application: str, offset_s: float) -> None:
        self.application = application
        self.offset_s = offset_s
        self.timeout = 1.0
        self.sent = False

    def drain_events(self) -> list[dict[str, Any]]:
        return []

    def request(self, kind: str, **params: Any) -> dict[str, Any]:
        return {"ok": True}

    def next_event(self, timeout: float) -> dict[str, Any] | None:
        time.sleep(min(timeout, 0.01))
        if self.sent:
            return None
        self.sent = True
        return {
            "type": "warning",
            "application": self.application,
            "state": "raised",
            "target": "x",
            "rx_wall_time": time.time() + self.offset_s,
            "rx_monotonic": time.monotonic() + self.offset_s,
        }


def test_negative_latency_is_a_harness_error_with_both_times(tmp_path: Path) -> None:
    params = {**DEFAULTS, "window_s": 0.3, "grace_s": 0.1, "latency_ms": 100.0}
    scenario = build_scenario("FCW", "do-warn", params, EDITION)
    context = RunContext(
        edition=EDITION,
        decoder=frame_decoder(EDITION),
        transport=ScriptedTransport(_rsm_stream([100.0])),
        evidence=EvidenceLog(tmp_path / "evidence.ndjson"),
        parameters={},
        timing=_monitor(0.1, 0.2),
    )
    try:
        # The warning "arrives" 60 s before anything was sent: impossible for a device, so the harness's fault.
        observation = run_scenario(context, FakeUpperTester("FCW", -60.0), scenario, params)
    finally:
        context.evidence.close()
    assert observation.verdict is Verdict.ERROR
    assert "harness timing error" in observation.message and "before the triggering frame" in observation.message
    assert "send call began" in observation.message
