"""The test system's own timing uncertainty, and the decision rule every timing verdict follows.

A timing value (an interval between two frames, a rate, a warning latency) is only worth what the clock and the
host behind it are worth. This module measures that and judges with it, in the way ISO/IEC 17025:2017 asks
(§7.6: evaluate measurement uncertainty; §7.8.6: when conformity is stated, report the decision rule) and as
ILAC-G8:09/2019 describes for guard bands.

**What is measured** (:func:`measure_budget`, at the start of every run, and ``v2xc selftest``):

* the resolution of the clock the kernel stamps with (``CLOCK_REALTIME``);
* loopback send → kernel receive delay and its spread: a datagram sent on 127.0.0.1 with the send call
  bracketed, received with the kernel's timestamp (``conformance.transports.kerneltime``);
* scheduler wake-up latency (how late a sleeping process wakes up) and the host's load average.

And during **every observation window** (:meth:`TimingMonitor.window`): the scheduler wake-up latency sampled
by a probe process (:mod:`conformance.engine.hostprobe`), datagrams the kernel dropped because the judge did not
read them in time, whether received frames carried kernel timestamps, and whether the wall clock was stepped.

**Uncertainty of one timing value** (expanded, coverage factor k = 2, about 95 %; GUM, JCGM 100:2008):

* one timestamp: ``u_t² = (resolution/√3)² + s_path²`` — rectangular resolution, ``s_path`` the standard
  deviation of the loopback path (without kernel stamps: plus the window's wake-up p99/√3, since the stamp was
  then read by the judge);
* a difference of two timestamps (an interval, a latency): ``u² = 2·u_t² + (w/√3)²`` where ``w`` is the
  window's 99th-percentile wake-up latency (a busy host delays a co-hosted sender's transmissions and the kernel's
  receive processing by up to that much, rectangular), plus, for a latency, ``(d/√3)²`` with ``d`` the duration
  of the send call (the frame left at an unknown instant inside it);
* ``U = 2·u``.

**Decision rule** (guarded acceptance and guarded rejection, ILAC-G8:09/2019 §4.2.3; stated in every report):
for an upper limit L, PASS when ``value + U <= L``, FAIL when ``value - U > L``, otherwise INCONCLUSIVE with the
value, the limit and U (lower limits and ranges alike). A window in which the host could not keep up — the probe
saw a wake-up latency above ``overload_wakeup_ms``, the kernel dropped datagrams, or the clock was stepped — makes
that window's timing verdicts INCONCLUSIVE with the reason. Value checks (contents, encodings) are unaffected.
"""

from __future__ import annotations

import math
import os
import socket
import statistics
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .hostprobe import HostProbe, summarise
from .model import Verdict

COVERAGE_FACTOR = 2.0
DEFAULT_OVERLOAD_WAKEUP_MS = 20.0
CLOCK_DESCRIPTION = (
    "CLOCK_REALTIME (UTC). Receive times: the kernel's timestamp of each datagram (SO_TIMESTAMPNS via recvmsg) "
    "where the transport has one (udp://, sim://), else the time the toolkit read the message (mqtt://: the "
    "broker's latency is then part of every latency; file://, pcap://: the recording's times). Send times: read "
    "just before and just after the send call. Intervals and latencies are differences of these readings, in ms."
)
DECISION_RULE = (
    "Guarded acceptance and guarded rejection (ILAC-G8:09/2019 §4.2.3): with U the expanded uncertainty (k = 2) of "
    "the measured value, a timing value passes when it is inside its limit by at least U, fails when it is outside "
    "its limit by more than U, and is inconclusive otherwise (value, limit and U are reported). A timing verdict "
    "from a window in which the test host could not keep up (scheduler wake-up latency above the overload "
    "threshold, datagrams dropped by the kernel, clock stepped) is inconclusive with the reason. Value checks are "
    "not affected by this rule."
)


@dataclass(frozen=True)
class TimingBudget:
    """What this machine's timing is worth, measured at the start of a run (all times in ms)."""

    clock: str
    resolution_ms: float
    kernel_timestamps: bool
    loopback_ms: dict[str, float]  # samples, p50, p99, max, stdev of loopback send -> kernel receive
    wakeup_ms: dict[str, Any]  # samples, p50, p99, max of scheduler wake-up latency at start
    load_average: tuple[float, float, float]
    cpus: int
    overload_wakeup_ms: float = DEFAULT_OVERLOAD_WAKEUP_MS
    coverage_factor: float = COVERAGE_FACTOR

    def timestamp_u_ms(self) -> float:
        """Standard uncertainty of one receive timestamp (ms), before the window's own contribution."""
        return math.hypot(self.resolution_ms / math.sqrt(3), float(self.loopback_ms.get("stdev", 0.0)))

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (written to run.json and every report)."""
        data = asdict(self)
        data["load_average"] = list(self.load_average)
        return data


def _loopback(samples: int) -> tuple[bool, dict[str, float]]:
    """Send ``samples`` datagrams over 127.0.0.1 and measure send (before the call) → kernel receive, in ms."""
    from ..transports.kerneltime import enable_timestamps, receive

    delays: list[float] = []
    kernel = False
    receiver = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        receiver.bind(("127.0.0.1", 0))
        kernel = enable_timestamps(receiver)
        receiver.settimeout(1.0)
        address = receiver.getsockname()
        for _ in range(samples):
            before = time.time()
            sender.sendto(b"v2xc-selftest", address)
            try:
                datagram = receive(receiver, 64)
            except TimeoutError:
                continue
            kernel = kernel and datagram.stamped_by == "kernel"
            delays.append((datagram.wall - before) * 1000.0)
            time.sleep(0.001)
    finally:
        receiver.close()
        sender.close()
    if not delays:
        return kernel, {"samples": 0, "p50": 0.0, "p99": 0.0, "max": 0.0, "stdev": 0.0}
    ordered = sorted(delays)
    return kernel, {
        "samples": len(ordered),
        "p50": round(statistics.median(ordered), 4),
        "p99": round(ordered[min(len(ordered) - 1, int(0.99 * (len(ordered) - 1) + 0.5))], 4),
        "max": round(ordered[-1], 4),
        "stdev": round(statistics.pstdev(ordered), 4),
    }


def _wakeups(samples: int, period_s: float = 0.001) -> dict[str, Any]:
    """Sleep ``samples`` times for ``period_s`` and summarise how late each wake-up was (ms)."""
    late: list[float] = []
    for _ in range(samples):
        asked = time.monotonic()
        time.sleep(period_s)
        late.append(max(0.0, (time.monotonic() - asked - period_s) * 1000.0))
    return summarise(late)


def measure_budget(
    *, loopback_samples: int = 200, wakeup_samples: int = 200, overload_wakeup_ms: float | None = None
) -> TimingBudget:
    """Measure this machine's timing budget (about half a second)."""
    from ..transports.kerneltime import clock_resolution

    kernel, loopback = _loopback(loopback_samples)
    try:
        load = os.getloadavg()
    except OSError:
        load = (0.0, 0.0, 0.0)
    return TimingBudget(
        clock=CLOCK_DESCRIPTION,
        resolution_ms=round(clock_resolution() * 1000.0, 9),
        kernel_timestamps=kernel,
        loopback_ms=loopback,
        wakeup_ms=_wakeups(wakeup_samples),
        load_average=(round(load[0], 2), round(load[1], 2), round(load[2], 2)),
        cpus=os.cpu_count() or 1,
        overload_wakeup_ms=DEFAULT_OVERLOAD_WAKEUP_MS if overload_wakeup_ms is None else float(overload_wakeup_ms),
    )


@dataclass(frozen=True)
class WindowTiming:
    """The timing conditions of one observation window."""

    start: float  # monotonic
    end: float
    wakeup: dict[str, Any]  # the probe's samples, p50_ms, p99_ms, max_ms in the window
    kernel_drops: int  # datagrams the kernel dropped on the receive socket during the window
    application_stamps: int  # frames in the window without a kernel timestamp
    clock_step_ms: float  # change of (wall - monotonic) across the window
    load_average: float
    overloaded: bool
    reasons: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (part of every timing measurement)."""
        data = asdict(self)
        data["reasons"] = list(self.reasons)
        data["start"], data["end"] = round(self.start, 6), round(self.end, 6)
        return data


@dataclass
class TimingMonitor:
    """The run's timing: its budget, the host probe, and the conditions of each window (shared by all checks)."""

    budget: TimingBudget | None = None
    probe: HostProbe | None = None
    _drops_seen: int | None = None
    _drops: list[tuple[float, int]] = field(default_factory=list)
    _application_stamps: list[float] = field(default_factory=list)
    _offsets: list[tuple[float, float]] = field(default_factory=list)

    @classmethod
    def start(cls, *, overload_wakeup_ms: float | None = None, probe: bool = True) -> TimingMonitor:
        """Measure the budget and start the probe."""
        monitor = cls(budget=measure_budget(overload_wakeup_ms=overload_wakeup_ms))
        if probe:
            monitor.probe = HostProbe()
            if not monitor.probe.start():
                monitor.probe = None
        return monitor

    def stop(self) -> None:
        """Stop the probe process."""
        if self.probe is not None:
            self.probe.stop()

    def note_received(self, received: Any) -> None:
        """Account for one received frame: kernel drops since the previous one, and how it was stamped."""
        drops = getattr(received, "drops", None)
        stamped_by = getattr(received, "stamped_by", "kernel")
        if drops is None and stamped_by == "kernel":
            drops = 0  # Linux attaches the drop counter only once it is non-zero
        now = float(getattr(received, "monotonic", time.monotonic()))
        if drops is not None:
            if self._drops_seen is not None and drops > self._drops_seen:
                self._drops.append((now, drops - self._drops_seen))
            self._drops_seen = drops
        if stamped_by != "kernel":
            self._application_stamps.append(now)

    def mark(self) -> None:
        """Record the wall-minus-monotonic offset now (window start and end), to detect a stepped clock."""
        self._offsets.append((time.monotonic(), time.time() - time.monotonic()))

    def window(self, start: float, end: float, *, live: bool = True) -> WindowTiming:
        """The timing conditions between monotonic ``start`` and ``end``."""
        wakeup = self.probe.window(start, end) if self.probe is not None else summarise([])
        drops = sum(count for when, count in self._drops if start <= when <= end)
        app = sum(1 for when in self._application_stamps if start <= when <= end)
        offsets = [offset for when, offset in self._offsets if start - 1.0 <= when <= end + 1.0]
        step = (max(offsets) - min(offsets)) * 1000.0 if len(offsets) >= 2 else 0.0
        try:
            load = os.getloadavg()[0]
        except OSError:
            load = 0.0
        threshold = self.budget.overload_wakeup_ms if self.budget else DEFAULT_OVERLOAD_WAKEUP_MS
        reasons: list[str] = []
        if live and float(wakeup.get("max_ms", 0.0)) > threshold:
            reasons.append(
                f"the test host could not keep up: a scheduler wake-up came {float(wakeup['max_ms']):.1f} ms late "
                f"(threshold {threshold:g} ms)"
            )
        if live and drops:
            reasons.append(f"the kernel dropped {drops} datagram(s) the toolkit did not read in time")
        if live and step > 1.0:
            reasons.append(f"the wall clock was stepped by {step:.1f} ms during the window")
        return WindowTiming(
            start=start,
            end=end,
            wakeup=wakeup,
            kernel_drops=drops,
            application_stamps=app,
            clock_step_ms=round(step, 3),
            load_average=round(load, 2),
            overloaded=bool(reasons),
            reasons=tuple(reasons),
        )

    # -- uncertainty ---------------------------------------------------------------------------------------------
    def difference_u_ms(self, window: WindowTiming, *, send_call_ms: float = 0.0) -> float:
        """Expanded uncertainty (ms, k = 2) of a difference of two time readings taken in ``window``."""
        budget = self.budget
        stamp = budget.timestamp_u_ms() if budget else 0.0
        wake = float(window.wakeup.get("p99_ms", 0.0))
        if window.application_stamps or (budget is not None and not budget.kernel_timestamps):
            stamp = math.hypot(stamp, wake / math.sqrt(3))
        u = math.sqrt(2 * stamp**2 + (wake / math.sqrt(3)) ** 2 + (send_call_ms / math.sqrt(3)) ** 2)
        factor = budget.coverage_factor if budget else COVERAGE_FACTOR
        return round(factor * u, 3)


def decide(
    value: float,
    *,
    upper: float | None = None,
    lower: float | None = None,
    uncertainty: float,
) -> Verdict:
    """Apply the decision rule: PASS inside the limit(s) by at least ``uncertainty``, FAIL outside by more than it,
    otherwise INCONC."""
    if upper is not None and value - uncertainty > upper:
        return Verdict.FAIL
    if lower is not None and value + uncertainty < lower:
        return Verdict.FAIL
    if upper is not None and value + uncertainty > upper:
        return Verdict.INCONC
    if lower is not None and value - uncertainty < lower:
        return Verdict.INCONC
    return Verdict.PASS


def measurement(
    quantity: str,
    value: float,
    *,
    unit: str,
    uncertainty: float,
    decision: Verdict,
    upper: float | None = None,
    lower: float | None = None,
    window: WindowTiming | None = None,
) -> dict[str, Any]:
    """The record of a judged timing value (``Observation.measurement``)."""
    kind = "range" if upper is not None and lower is not None else ("max" if upper is not None else "min")
    upper = None if upper is None else round(upper, 6)
    lower = None if lower is None else round(lower, 6)
    limit: Any = [lower, upper] if kind == "range" else (upper if upper is not None else lower)
    return {
        "quantity": quantity,
        "value": round(value, 3) if abs(value) >= 1 else float(f"{value:.4g}"),
        "unit": unit,
        "limit": limit,
        "limit_kind": kind,
        "uncertainty": float(f"{uncertainty:.4g}"),  # significant digits: a rate's U is a few µHz
        "coverage_factor": COVERAGE_FACTOR,
        "decision": {Verdict.PASS: "pass", Verdict.FAIL: "fail"}.get(decision, "inconclusive"),
        "window": window.as_dict() if window is not None else None,
    }


def describe_uncertain(value: float, limit: str, uncertainty: float, unit: str) -> str:
    """Text for an inconclusive timing value: value, limit and uncertainty."""
    return (
        f"{value:.3f} {unit} is within the measurement uncertainty U = {uncertainty:.3g} {unit} (k = 2) of its limit "
        f"{limit}: neither conformity nor non-conformity can be stated"
    )


def budget_summary(budget: Mapping[str, Any]) -> str:
    """One line describing a budget (for the console and ``v2xc selftest``)."""
    loop = budget.get("loopback_ms", {})
    wake = budget.get("wakeup_ms", {})
    return (
        f"kernel timestamps {'yes' if budget.get('kernel_timestamps') else 'NO'}; clock resolution "
        f"{float(budget.get('resolution_ms', 0.0)) * 1000:.3g} µs; loopback send→receive p50 {loop.get('p50', 0):.3f} "
        f"ms, p99 {loop.get('p99', 0):.3f} ms (σ {loop.get('stdev', 0):.3f} ms); wake-up latency p50 "
        f"{wake.get('p50_ms', 0):.3f} ms, p99 {wake.get('p99_ms', 0):.3f} ms, max {wake.get('max_ms', 0):.3f} ms; "
        f"load {budget.get('load_average', [0])[0]} on {budget.get('cpus', '?')} CPU(s)"
    )

