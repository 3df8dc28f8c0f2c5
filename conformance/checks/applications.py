"""Application tests: ``app.warning-scenario`` — Do-Warn / Suppress-Warn / No-Warn scenarios for the Day-1
applications (T/CSAE 53 application list; T/CSAE 246-2022 style of evaluation, clauses not verified).

Per case the check

1. feeds the host vehicle's state through the upper tester (``set-state``: ``lat``, ``long``, ``speed``,
   ``heading``, ``elevation`` in BSM units, plus ``brake`` 0/1), moving it along its heading at
   ``host_update_hz``;
2. sends the remote traffic as real UPER MessageFrames built by :mod:`conformance.vectors.traffic` (MAP at
   ``map_rate_hz``, SPAT / BSM / RSI at ``update_rate_hz``) for ``window_s`` seconds;
3. collects the device's ``warning`` events (docs/upper-tester.md) until ``window_s`` + ``grace_s`` after the start.

**do-warn**: a ``raised`` warning of the application must arrive. Its latency is measured on the toolkit's own clock
(``conformance.engine.timing``), from just before the *triggering frame* was handed to the transport (the first
frame after which the warning is due: the first SPAT after the MAP, the first remote BSM, the first RSI) to the
kernel's receive timestamp of the warning event (``rx_wall_time``). It therefore includes the upper-tester report
path and is an upper bound of the device's reaction time; it must not exceed ``latency_ms``, judged with the
measured uncertainty (inconclusive within it); a negative latency is a harness error, never the device's. The
device-clock figure (event ``time`` minus the send time) is recorded beside it for information. **suppress-warn**
and **no-warn**: no ``raised`` warning of the application during the whole case. ``messages``,
``position_accuracy_m`` and ``range_m`` come from the catalogue and are kept with the case's parameters but not
judged here (scenario positions are exact; distances stay far inside ``range_m``).

Every distance, speed and time below is a **lab choice** of this toolkit, chosen far from any plausible decision
boundary; the thresholds of the standards are NOT verified here. Each case runs on its own site of a
``site_spacing_m`` grid north and east of the Tianjin Xiqing reference intersection, with its own intersection id,
vehicle id and RSU id, so what a device remembers from one case (MAP, SPAT, remote vehicles, RSI events) is out of
range in the next and cannot be mistaken for its traffic. Applications without a scenario raise :class:`NotTested`
("no scenario for <APP> yet").
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ..codec.strict import CodecError, codec_for
from ..engine.context import RunContext
from ..engine.model import EvidenceFrame, Observation, Verdict
from ..engine.registry import Inconclusive, NotApplicable, NotTested, check
from ..errors import ConfigurationError, ConformanceError
from ..vectors import traffic
from .common import failed, param, passed, timing_observation, upper_tester

#: Applications with a scenario, in the order the Tianjin Xiqing pilot headlines them (their site grid column).
SCENARIO_APPLICATIONS = ("RLVW", "AVW", "TJW", "EBW", "FCW")
CASES = ("do-warn", "suppress-warn", "no-warn")

#: Scenario geometry and timing (lab choices, not thresholds of any standard). Every one is a check parameter.
DEFAULTS: dict[str, float] = {
    "window_s": 3.0,  # how long traffic is sent per case
    "grace_s": 0.2,  # extra listening time after the traffic stops
    "map_rate_hz": 1.0,
    "host_update_hz": 10.0,
    "site_spacing_m": 2000.0,
    "host_speed_mps": 14.0,  # about 50 km/h
    "rlvw_warn_distance_m": 25.0,  # host to stop line, do-warn / suppress-warn
    "rlvw_far_distance_m": 140.0,  # host to stop line, no-warn (stops comfortably)
    "avw_distance_m": 60.0,  # abnormal vehicle ahead (do-warn, suppress-warn) / behind (no-warn)
    "tjw_distance_m": 200.0,  # congestion event ahead (do-warn, suppress-warn)
    "tjw_behind_m": 50.0,  # congestion event behind the host (no-warn)
    "tjw_slow_speed_mps": 1.5,  # host already crawling in the jam (suppress-warn)
    "ebw_distance_m": 50.0,  # hard-braking vehicle ahead / behind
    "ebw_remote_speed_mps": 12.0,
    "ebw_decel_mps2": 6.0,
    "fcw_gap_m": 30.0,  # slower vehicle ahead: TTC = gap / closing speed
    "fcw_host_speed_mps": 20.0,
    "fcw_remote_speed_mps": 5.0,
    "fcw_lateral_m": 3.5,  # no-warn: the slower vehicle is in the next lane
}
PARAMETERS = (
    "application",
    "messages",
    "cases",
    "update_rate_hz",
    "latency_ms",
    "position_accuracy_m",
    "range_m",
    "site_lat",
    "site_lon",
    *DEFAULTS,
)

# BIT STRING bits (VehicleEventFlags SIZE(13), ExteriorLights SIZE(9)), first bit = most significant.
EVENT_HAZARD_LIGHTS, EVENT_HARD_BRAKING = 0, 7
LIGHT_HAZARD = 4
# Inbound travel of the host in every scenario: north on the south approach's through lane (1.75 m east).
LANE_EAST_M = 1.75
STOP_LINE_NORTH_M = -30.0  # traffic.map_intersection: an approach's last link point is 30 m from the centre


def _bits(indices: Sequence[int], length: int) -> tuple[bytes, int]:
    data = bytearray((length + 7) // 8)
    for index in indices:
        data[index // 8] |= 0x80 >> (index % 8)
    return bytes(data), length


@dataclass(frozen=True, slots=True)
class HostMotion:
    """The host vehicle: start position (east/north metres from the site), speed, heading, brake pedal."""

    east: float
    north: float
    speed_mps: float
    heading_deg: float = 0.0
    brake: int = 0

    def state(self, site: traffic.Site, t: float) -> dict[str, int]:
        """The ``set-state`` host mapping at ``t`` seconds (moving straight along its heading)."""
        h = math.radians(self.heading_deg)
        lat, lon = site.to_latlon(
            self.east + self.speed_mps * t * math.sin(h), self.north + self.speed_mps * t * math.cos(h)
        )
        return {
            "lat": lat,
            "long": lon,
            "elevation": round(site.elevation_m * 10),
            "speed": round(self.speed_mps / 0.02),
            "heading": round(self.heading_deg / 0.0125) % 28800,
            "brake": self.brake,
        }


@dataclass(frozen=True, slots=True)
class Transmission:
    """One remote frame of a scenario: when (s after the start), MessageFrame alternative, value, trigger flag."""

    at_s: float
    alternative: str
    value: dict[str, Any]
    trigger: bool = False


@dataclass(frozen=True, slots=True)
class Scenario:
    """One case: application, case kind, what it shows, where, the host's motion and the remote traffic."""

    application: str
    case: str
    description: str
    site: traffic.Site
    host: HostMotion
    transmissions: tuple[Transmission, ...]


@dataclass(frozen=True, slots=True)
class Settings:
    """The merged parameters one scenario is built from."""

    values: Mapping[str, float]
    rate_hz: float
    edition: str
    start: datetime

    def __getitem__(self, name: str) -> float:
        return float(self.values[name])

    @property
    def count(self) -> int:
        """Frames of one ``rate_hz`` stream during the window."""
        return max(1, math.ceil(self["window_s"] * self.rate_hz))

    @property
    def interval_ms(self) -> int:
        """Interval of one ``rate_hz`` stream."""
        return max(1, round(1000.0 / self.rate_hz))


def _stream(
    alternative: str, values: Sequence[dict[str, Any]], settings: Settings, *, first: float = 0.05
) -> list[Transmission]:
    return [
        Transmission(first + index / settings.rate_hz, alternative, value, trigger=index == 0)
        for index, value in enumerate(values)
    ]


def _vehicle_id(case_site: tuple[int, int]) -> bytes:
    return f"RV{case_site[0]:02d}{case_site[1]:02d}00".encode()


def _remote_bsms(
    settings: Settings,
    site: traffic.Site,
    vehicle_id: bytes,
    *,
    north: float,
    speed: float,
    accel: float = 0.0,
    east: float = LANE_EAST_M,
    events: Sequence[int] = (),
    lights: Sequence[int] = (),
) -> list[dict[str, Any]]:
    """A remote vehicle driving north from (east, north) (local metres of ``site``), with safety flags set."""
    values = traffic.bsm_stream(
        count=settings.count,
        site=site,
        route=((east, north), (east, north + 3000.0)),
        speed_mps=speed,
        accel_mps2=accel,
        interval_ms=settings.interval_ms,
        start=settings.start,
        vehicle_id=vehicle_id,
        edition=settings.edition,
    )
    for value in values:
        safety = value.setdefault("safetyExt", {})
        if events:
            safety["events"] = _bits(events, 13)
        if lights:
            safety["lights"] = _bits(lights, 9)
        if accel < 0 and value["speed"] > 0:
            value["brakes"] = {"brakePadel": "on"}
    return values


# --- scenarios -------------------------------------------------------------------------------------------------
def rlvw_scenario(case: str, settings: Settings, site: traffic.Site, grid: tuple[int, int]) -> Scenario:
    """RLVW: host heading north on the south approach (through phase 5 of the default plan) at ``host_speed_mps``.

    do-warn: phase 5 red with 70 s left, stop line ``rlvw_warn_distance_m`` ahead (cannot stop comfortably);
    suppress-warn: same place, phase 5 green with 30 s left; no-warn: red, but the stop line is
    ``rlvw_far_distance_m`` ahead (the host can stop).
    """
    red, green = traffic.SignalPlan(offset_s=40.0), traffic.SignalPlan(offset_s=0.0)
    plan = green if case == "suppress-warn" else red
    distance = settings["rlvw_far_distance_m"] if case == "no-warn" else settings["rlvw_warn_distance_m"]
    map_value = traffic.map_intersection(site=site, plan=plan, start=settings.start, edition=settings.edition)
    spats = traffic.spat_sequence(
        map_value,
        count=settings.count,
        plan=plan,
        interval_ms=settings.interval_ms,
        start=settings.start,
        edition=settings.edition,
    )
    maps = [
        Transmission(k / settings["map_rate_hz"], "mapFrame", {**map_value, "msgCnt": k % 128})
        for k in range(max(1, math.ceil(settings["window_s"] * settings["map_rate_hz"])))
    ]
    light = "green, 30 s left" if plan is green else "red, 70 s left"
    return Scenario(
        "RLVW",
        case,
        f"host at {settings['host_speed_mps']:g} m/s, stop line {distance:g} m ahead, phase 5 {light}",
        site,
        HostMotion(LANE_EAST_M, STOP_LINE_NORTH_M - distance, settings["host_speed_mps"]),
        tuple(maps + _stream("spatFrame", spats, settings)),
    )


def avw_scenario(case: str, settings: Settings, site: traffic.Site, grid: tuple[int, int]) -> Scenario:
    """AVW: a vehicle stopped in the host's lane with hazard lights on (lights and event flag).

    do-warn: ``avw_distance_m`` ahead; suppress-warn: ahead, but the host brakes (``brake`` 1); no-warn: the same
    vehicle ``avw_distance_m`` behind the host.
    """
    return _lead_vehicle_scenario(
        "AVW",
        case,
        settings,
        site,
        grid,
        distance=settings["avw_distance_m"],
        what="stopped vehicle with hazard lights",
        speed=0.0,
        events=(EVENT_HAZARD_LIGHTS,),
        lights=(LIGHT_HAZARD,),
    )


def _lead_vehicle_scenario(
    application: str,
    case: str,
    settings: Settings,
    site: traffic.Site,
    grid: tuple[int, int],
    *,
    distance: float,
    what: str,
    **remote: Any,
) -> Scenario:
    """A remote vehicle in the host's lane ``distance`` m ahead (do-warn, suppress-warn: the host brakes) or behind
    (no-warn), sending BSMs built by :func:`_remote_bsms` with ``remote`` (speed, accel, events, lights)."""
    host_north = -200.0
    remote_north = host_north - distance if case == "no-warn" else host_north + distance
    bsms = _remote_bsms(settings, site, _vehicle_id(grid), north=remote_north, **remote)
    where = "behind" if case == "no-warn" else "ahead"
    braking = ", host braking" if case == "suppress-warn" else ""
    return Scenario(
        application,
        case,
        f"{what} {distance:g} m {where} in the host's lane{braking}",
        site,
        HostMotion(LANE_EAST_M, host_north, settings["host_speed_mps"], brake=int(case == "suppress-warn")),
        tuple(_stream("bsmFrame", bsms, settings)),
    )


def tjw_scenario(case: str, settings: Settings, site: traffic.Site, grid: tuple[int, int]) -> Scenario:
    """TJW: an RSI congestion event (GB/T 29100 code 707) on the northbound approach, sent at ``update_rate_hz``.

    do-warn: event ``tjw_distance_m`` ahead of the host at ``host_speed_mps``; suppress-warn: same, but the host
    already crawls at ``tjw_slow_speed_mps`` (in the jam); no-warn: the event is ``tjw_behind_m`` behind the host.
    """
    event_at = 100.0  # metres south of the site (rsi_message places events on the northbound approach)
    ahead = case != "no-warn"
    host_north = -event_at - settings["tjw_distance_m"] if ahead else -event_at + settings["tjw_behind_m"]
    speed = settings["tjw_slow_speed_mps"] if case == "suppress-warn" else settings["host_speed_mps"]
    rsis = [
        traffic.rsi_message(
            site=site,
            events=(("congestion", event_at),),
            signs=(),
            msg_cnt=index,
            start=settings.start,
            edition=settings.edition,
        )
        for index in range(settings.count)
    ]
    where = f"{settings['tjw_distance_m']:g} m ahead" if ahead else f"{settings['tjw_behind_m']:g} m behind"
    return Scenario(
        "TJW",
        case,
        f"RSI congestion (707) {where}, host at {speed:g} m/s",
        site,
        HostMotion(LANE_EAST_M, host_north, speed),
        tuple(_stream("rsiFrame", rsis, settings)),
    )


def ebw_scenario(case: str, settings: Settings, site: traffic.Site, grid: tuple[int, int]) -> Scenario:
    """EBW: a vehicle in the host's lane braking at ``ebw_decel_mps2`` from ``ebw_remote_speed_mps`` (accelSet.long,
    brake pedal on, eventHardBraking).

    do-warn: ``ebw_distance_m`` ahead; suppress-warn: ahead, the host brakes too; no-warn: ``ebw_distance_m``
    behind the host.
    """
    return _lead_vehicle_scenario(
        "EBW",
        case,
        settings,
        site,
        grid,
        distance=settings["ebw_distance_m"],
        what=f"vehicle braking at {settings['ebw_decel_mps2']:g} m/s^2",
        speed=settings["ebw_remote_speed_mps"],
        accel=-settings["ebw_decel_mps2"],
        events=(EVENT_HARD_BRAKING,),
    )


def fcw_scenario(case: str, settings: Settings, site: traffic.Site, grid: tuple[int, int]) -> Scenario:
    """FCW: host at ``fcw_host_speed_mps`` closing on a vehicle at ``fcw_remote_speed_mps``, ``fcw_gap_m`` ahead.

    do-warn: same lane (time to collision gap / closing speed, 2 s with the defaults); suppress-warn: same, the host
    brakes; no-warn: the slower vehicle is ``fcw_lateral_m`` to the side, in the next lane.
    """
    host_north = -200.0
    lateral = settings["fcw_lateral_m"] if case == "no-warn" else 0.0
    bsms = _remote_bsms(
        settings,
        site,
        _vehicle_id(grid),
        north=host_north + settings["fcw_gap_m"],
        east=LANE_EAST_M + lateral,
        speed=settings["fcw_remote_speed_mps"],
    )
    closing = settings["fcw_host_speed_mps"] - settings["fcw_remote_speed_mps"]
    lane = f"{lateral:g} m to the side" if lateral else "in the host's lane"
    braking = ", host braking" if case == "suppress-warn" else ""
    return Scenario(
        "FCW",
        case,
        f"vehicle {settings['fcw_gap_m']:g} m ahead {lane}, closing at {closing:g} m/s{braking}",
        site,
        HostMotion(LANE_EAST_M, host_north, settings["fcw_host_speed_mps"], brake=int(case == "suppress-warn")),
        tuple(_stream("bsmFrame", bsms, settings)),
    )


SCENARIOS: dict[str, Callable[[str, Settings, traffic.Site, tuple[int, int]], Scenario]] = {
    "RLVW": rlvw_scenario,
    "AVW": avw_scenario,
    "TJW": tjw_scenario,
    "EBW": ebw_scenario,
    "FCW": fcw_scenario,
}


def build_scenario(application: str, case: str, params: Mapping[str, Any], edition: str) -> Scenario:
    """The scenario of ``case`` for ``application`` with the given parameters (defaults: :data:`DEFAULTS`)."""
    builder = SCENARIOS.get(application)
    if builder is None:
        raise NotTested(f"no scenario for {application} yet")
    if case not in CASES:
        raise ConfigurationError(
            f"app.warning-scenario: unknown case {case!r} for {application}.", hint=f"Cases: {', '.join(CASES)}."
        )
    if edition not in traffic.SUPPORTED_EDITIONS:
        raise NotApplicable(
            f"application scenarios are built with the traffic generators, which produce "
            f"{', '.join(traffic.SUPPORTED_EDITIONS)} frames, not {edition}"
        )
    values = {name: float(param(params, name, default)) for name, default in DEFAULTS.items()}
    rate = float(param(params, "update_rate_hz", 10.0))
    if rate <= 0 or values["window_s"] <= 0 or values["host_update_hz"] <= 0 or values["map_rate_hz"] <= 0:
        raise ConfigurationError("app.warning-scenario: rates and window_s must be positive.")
    settings = Settings(values, rate, edition, datetime.now(UTC))
    grid = (SCENARIO_APPLICATIONS.index(application), CASES.index(case))
    home = traffic.Site()
    home = replace(home, lat=float(param(params, "site_lat", home.lat)), lon=float(param(params, "site_lon", home.lon)))
    lat, lon = home.to_latlon(grid[0] * values["site_spacing_m"], grid[1] * values["site_spacing_m"])
    # Own intersection id and RSU id per case too: a SPAT remembered from the previous case must not match this MAP.
    site = replace(
        home,
        lat=lat / 1e7,
        lon=lon / 1e7,
        node_id=home.node_id + 10 * (1 + 3 * grid[0] + grid[1]),
        rsu_id=f"RSU-XQ{grid[0]}{grid[1]}".encode(),
    )
    return builder(case, settings, site, grid)


# --- running a scenario ----------------------------------------------------------------------------------------
def _listen(context: RunContext, tester: Any, until: float, events: list[dict[str, Any]]) -> None:
    """Collect upper-tester events until monotonic time ``until``."""
    while (remaining := until - time.monotonic()) > 0:
        if context.stop.is_set():
            raise Inconclusive("interrupted during the scenario")
        found = tester.next_event(min(remaining, 0.25))
        if found is not None:
            events.append(found)


def _set_host(tester: Any, host: dict[str, int]) -> None:
    try:
        answer = tester.request("set-state", host=host)
    except ConformanceError as exc:
        raise Inconclusive(f"the upper tester did not answer set-state: {exc}") from None
    if not answer.get("ok", False):
        raise Inconclusive(f"the device refused set-state ({answer.get('error', 'no reason given')})")


def _warning_record(found: Mapping[str, Any], sent_wall: float | None) -> dict[str, Any]:
    record = {
        key: found[key]
        for key in ("application", "target", "state", "level", "detail", "time", "rx_wall_time")
        if key in found
    }
    if sent_wall is not None:
        record["latency_ms"] = round((float(found["rx_wall_time"]) - sent_wall) * 1000.0, 3)
    return record


def run_scenario(context: RunContext, tester: Any, scenario: Scenario, params: Mapping[str, Any]) -> Observation:
    """Play ``scenario`` against the device and judge its warnings (one observation)."""
    codec = codec_for(context.edition)
    try:
        frames = [(tx, codec.encode((tx.alternative, tx.value))) for tx in scenario.transmissions]
    except CodecError as exc:
        raise NotApplicable(
            f"the {scenario.application} scenario does not encode under {context.edition}: {exc}"
        ) from None
    window = float(param(params, "window_s", DEFAULTS["window_s"]))
    grace = float(param(params, "grace_s", DEFAULTS["grace_s"]))
    latency_bound = float(param(params, "latency_ms", 100.0))
    host_period = 1.0 / float(param(params, "host_update_hz", DEFAULTS["host_update_hz"]))
    actions: list[tuple[float, int, Any]] = [(k * host_period, 0, k) for k in range(math.ceil(window / host_period))]
    actions += [(tx.at_s, 1, (tx, frame)) for tx, frame in frames if tx.at_s < window]
    actions.sort(key=lambda item: (item[0], item[1]))
    tester.drain_events()
    events: list[dict[str, Any]] = []
    sent: list[EvidenceFrame] = []
    trigger: EvidenceFrame | None = None
    counts: dict[str, int] = {}
    start = time.monotonic()
    for at, kind, item in actions:
        _listen(context, tester, start + at, events)
        if kind == 0:
            _set_host(tester, scenario.host.state(scenario.site, item * host_period))
            continue
        tx, frame = item
        entry = context.send(frame, note=f"{scenario.application} {scenario.case}: {tx.alternative}")
        sent.append(entry)
        counts[tx.alternative] = counts.get(tx.alternative, 0) + 1
        if tx.trigger and trigger is None:
            trigger = entry
    _listen(context, tester, start + window + grace, events)
    raised = [
        found
        for found in events
        if found.get("type") == "warning"
        and found.get("application") == scenario.application
        and found.get("state", "raised") == "raised"
    ]
    evidence = [entry.seq for entry in sent]
    what = (
        f"{scenario.application} {scenario.case} ({scenario.description}; sent "
        + ", ".join(f"{n} {alt.removesuffix('Frame').upper()}" for alt, n in counts.items())
        + f" in {window:g} s)"
    )
    if scenario.case != "do-warn":
        records = [_warning_record(found, None) for found in raised]
        if raised:
            return failed(
                f"{what}: {len(raised)} {scenario.application} warning(s) raised where none is due, first about "
                f"{raised[0].get('target')!r}",
                evidence,
                check="app.warning-scenario",
                field_path=f"{scenario.case}/warning",
                expected=f"no {scenario.application} warning",
                observed={"warnings": records},
            )
        return passed(
            f"{what}: no {scenario.application} warning, as expected",
            evidence,
            check="app.warning-scenario",
            field_path=f"{scenario.case}/warning",
            expected=f"no {scenario.application} warning",
            observed={"warnings": []},
        )
    sent_wall = trigger.wall_time if trigger is not None else None
    expected = f"{scenario.application} warning within {window + grace:g} s, latency <= {latency_bound:g} ms"
    if not raised or sent_wall is None:
        return failed(
            f"{what}: no {scenario.application} warning raised",
            evidence,
            check="app.warning-scenario",
            field_path="do-warn/warning",
            expected=expected,
            observed={"warnings": []},
        )
    first = _warning_record(raised[0], sent_wall)
    latency = float(first["latency_ms"])
    observed = {
        "warnings": [_warning_record(found, sent_wall) for found in raised],
        "latency_ms": latency,
        "device_clock_latency_ms": (
            round((float(raised[0]["time"]) - sent_wall) * 1000.0, 1) if "time" in raised[0] else None
        ),
        "trigger_frame": trigger.seq if trigger is not None else None,
    }
    if latency < 0:
        # The warning's receive time (kernel) precedes the instant just before the triggering frame was sent: the
        # test system's times cannot be right (clock stepped, or the trigger was misattributed). Never the device's.
        return Observation(
            Verdict.ERROR,
            f"{what}: harness timing error: the {scenario.application} warning was received at "
            f"{float(raised[0]['rx_wall_time']):.6f}, {-latency:.3f} ms before the triggering frame "
            f"#{trigger.seq if trigger else '?'} was sent (send call began {sent_wall:.6f}); a latency cannot be "
            "negative, so no verdict on the device is possible",
            check="app.warning-scenario",
            evidence=tuple(evidence),
            field_path="do-warn/latency",
            expected=expected,
            observed=observed,
            unit="ms",
        )
    assert trigger is not None
    send_call_ms = max(0.0, ((trigger.sent_after or trigger.wall_time) - trigger.wall_time) * 1000.0)
    received_at = float(raised[0].get("rx_monotonic", trigger.monotonic + latency / 1000.0))
    window_timing = context.window_timing(trigger.monotonic, received_at)
    uncertainty = context.timing.difference_u_ms(window_timing, send_call_ms=send_call_ms)
    return timing_observation(
        f"{scenario.application} warning latency",
        latency,
        unit="ms",
        uncertainty=uncertainty,
        window=window_timing,
        upper=latency_bound,
        texts={
            Verdict.PASS: f"{what}: {scenario.application} warning about {first.get('target')!r} {latency:.1f} ms "
            f"after the triggering frame #{trigger.seq} (bound {latency_bound:g} ms)",
            Verdict.FAIL: f"{what}: {scenario.application} warning about {first.get('target')!r} {latency:.1f} ms "
            f"after the triggering frame #{trigger.seq}, later than the bound {latency_bound:g} ms",
        },
        evidence=tuple(evidence),
        check="app.warning-scenario",
        field_path="do-warn/latency",
        expected=expected,
        observed=observed,
    )


@check("app.warning-scenario", kind="active", needs=("send", "upper_tester"), parameters=PARAMETERS)
def warning_scenario(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """The device warns in Do-Warn scenarios (within the latency bound) and stays silent in Suppress-/No-Warn ones."""
    application = str(param(params, "application", "")).upper()
    if application not in SCENARIOS:
        raise NotTested(f"no scenario for {application or '(no application given)'} yet")
    cases = [str(case) for case in param(params, "cases", list(CASES))]
    unknown = [case for case in cases if case not in CASES]
    if unknown or not cases:
        raise ConfigurationError(
            f"app.warning-scenario: cases {unknown or cases!r} for {application} are not valid.",
            hint=f"Give some of: {', '.join(CASES)}.",
        )
    tester = upper_tester(context, "application tests")
    observations = []
    for case in cases:
        # Built just before playing, so the frames' time fields (secMark, moy, timeStamp) are current.
        scenario = build_scenario(application, case, params, context.edition)
        observations.append(run_scenario(context, tester, scenario, params))
    return observations
