"""Day-1 application logic of the reference OBU: RLVW, AVW, TJW, EBW, FCW.

The reference OBU keeps what it decoded (MAPs, SPATs, remote BSMs, RSIs, each with the time it arrived) and the
host-vehicle state the upper tester set (``set-state``: ``lat``, ``long`` in 1e-7 °, ``speed`` in 0.02 m/s,
``heading`` in 0.0125 °, optional ``brake`` 0/1 = the driver is braking). After every decoded frame and every
``set-state`` it evaluates each application and reports ``warning`` events through its upper tester: ``state``
``"raised"`` when a warning (application, target) starts, ``"cleared"`` when it ends.

The decision rules are deliberately simple and every threshold is a field of :class:`AppParameters`. They are
**the reference device's lab choices**, not the thresholds of T/CSAE 53 or T/CSAE 246 (which this project has not
verified): a device under test may decide differently and still be judged only on the scenarios, whose geometry is
chosen far from every rule's boundary.

Geometry is local: positions become east/north metres around the host (equirectangular, fine over a few hundred
metres); ``along`` is the distance ahead of the host along its heading, ``lateral`` the distance to the right.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: GB/T 29100 event code of traffic congestion (a confirmed row of that table).
CONGESTION_EVENT = 707
#: LightState items that mean "stop" (red, flashing red = stop then proceed).
STOP_LIGHTS = frozenset({"red", "flashing-red"})
#: Applications the reference OBU implements, in the order the Tianjin Xiqing pilot lists them.
APPLICATIONS = ("RLVW", "AVW", "TJW", "EBW", "FCW")

_METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True, slots=True)
class AppParameters:
    """Thresholds of the reference OBU's applications (lab choices, not verified against any standard)."""

    remote_ttl_s: float = 1.0  # a remote BSM / SPAT older than this is forgotten
    static_ttl_s: float = 5.0  # a MAP / RSI older than this is forgotten
    in_lane_m: float = 2.0  # |lateral| of a vehicle "in the host's lane"
    same_direction_deg: float = 45.0  # heading difference of a vehicle "driving the same way"
    rlvw_decel_mps2: float = 3.0  # comfortable deceleration: the host can stop if v^2 / 2a <= distance
    rlvw_min_speed_mps: float = 1.0
    rlvw_range_m: float = 200.0
    rlvw_heading_deg: float = 45.0  # host heading vs the approach's inbound bearing
    avw_range_m: float = 150.0
    avw_stopped_mps: float = 0.3
    tjw_range_m: float = 500.0
    tjw_lateral_m: float = 25.0
    tjw_jam_speed_mps: float = 2.8  # a host this slow is already in the jam: warning suppressed
    ebw_range_m: float = 150.0
    ebw_decel_mps2: float = 4.0  # remote accelSet.long at or below -this is hard braking
    fcw_range_m: float = 300.0
    fcw_ttc_s: float = 3.0


@dataclass(frozen=True, slots=True)
class Host:
    """The host vehicle: position (degrees), speed (m/s), heading (degrees clockwise from north), braking."""

    lat: float
    lon: float
    speed: float
    heading: float
    braking: bool

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> Host | None:
        """The host from a ``set-state`` mapping in BSM units; None until lat, long, speed and heading are known."""
        if not all(key in state for key in ("lat", "long", "speed", "heading")):
            return None
        return cls(
            state["lat"] / 1e7,
            state["long"] / 1e7,
            state["speed"] * 0.02,
            state["heading"] * 0.0125,
            bool(state.get("brake", 0)),
        )

    def local(self, lat: float, lon: float) -> tuple[float, float]:
        """(along, lateral) metres of a point (degrees) relative to the host and its heading."""
        east = (lon - self.lon) * _METRES_PER_DEGREE * math.cos(math.radians(self.lat))
        north = (lat - self.lat) * _METRES_PER_DEGREE
        h = math.radians(self.heading)
        return east * math.sin(h) + north * math.cos(h), east * math.cos(h) - north * math.sin(h)


@dataclass(frozen=True, slots=True)
class Detection:
    """One candidate warning: application, target, whether the rule holds, and a short explanation."""

    application: str
    target: str
    holds: bool
    detail: str


@dataclass
class Inputs:
    """What the OBU decoded, by key, with the monotonic time each item arrived."""

    maps: dict[tuple[int, int], tuple[float, dict[str, Any]]] = field(default_factory=dict)
    spats: dict[tuple[int, int], tuple[float, dict[str, Any]]] = field(default_factory=dict)
    bsms: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)
    rsis: dict[str, tuple[float, dict[str, Any]]] = field(default_factory=dict)

    def expire(self, now: float, params: AppParameters) -> None:
        """Forget items older than their time to live."""
        for store, ttl in (
            (self.maps, params.static_ttl_s),
            (self.rsis, params.static_ttl_s),
            (self.spats, params.remote_ttl_s),
            (self.bsms, params.remote_ttl_s),
        ):
            for key in [key for key, (when, _) in store.items() if now - when > ttl]:
                del store[key]  # type: ignore[arg-type]


# --- helpers ---------------------------------------------------------------------------------------------------
def _offset_deg(offset_llv: Mapping[str, Any]) -> tuple[float, float, bool]:
    """(dlat, dlon) degrees of a PositionOffsetLLV value, and whether it is absolute (position-LatLon)."""
    kind, value = offset_llv["offsetLL"]
    return value["lat"] / 1e7, value["lon"] / 1e7, kind == "position-LatLon"


def _absolute(ref: Mapping[str, Any], offset_llv: Mapping[str, Any]) -> tuple[float, float]:
    d_lat, d_lon, absolute = _offset_deg(offset_llv)
    if absolute:
        return d_lat, d_lon
    return ref["lat"] / 1e7 + d_lat, ref["long"] / 1e7 + d_lon


def _bit(bits: Any, index: int) -> bool:
    """Bit ``index`` (0 = first) of a BIT STRING value ``(bytes, length)``."""
    if not isinstance(bits, tuple) or index >= bits[1]:
        return False
    data: bytes = bits[0]
    return bool(data[index // 8] & (0x80 >> (index % 8)))


def _angle(a: float, b: float) -> float:
    """Smallest absolute difference of two bearings in degrees."""
    return abs((a - b + 180.0) % 360.0 - 180.0)


def _remote(host: Host, bsm: Mapping[str, Any]) -> tuple[float, float, float, float]:
    """(along, lateral, speed m/s, heading deg) of a remote BSM relative to the host."""
    along, lateral = host.local(bsm["pos"]["lat"] / 1e7, bsm["pos"]["long"] / 1e7)
    speed = bsm["speed"] * 0.02 if bsm["speed"] != 8191 else math.nan
    return along, lateral, speed, bsm["heading"] * 0.0125


# --- the rules -------------------------------------------------------------------------------------------------
def rlvw(host: Host, inputs: Inputs, p: AppParameters) -> list[Detection]:
    """Red Light Violation Warning.

    The host is on an approach of a MAP intersection when its heading is within ``rlvw_heading_deg`` of the link's
    inbound bearing (first to last point), it is within the link width of the link's line and the stop line (the
    link's last point) is ahead within ``rlvw_range_m``. Its movement is assumed straight on: the phase is the
    ``phaseId`` of the first lane allowing straight travel. Warn when that phase is red (or flashing red) in the
    intersection's SPAT, the host (at least ``rlvw_min_speed_mps``) reaches the stop line at its current speed
    before the red ends (``likelyEndTime``), and it cannot stop comfortably: v^2 / (2 ``rlvw_decel_mps2``) exceeds
    the distance to the stop line.
    """
    found: list[Detection] = []
    for key, (_, map_node) in inputs.maps.items():
        spat = inputs.spats.get(key)
        if spat is None:
            continue
        phases = {phase["id"]: phase for phase in spat[1].get("phases", [])}
        matched = _approach(host, map_node, p)
        if matched is None:
            found.append(Detection("RLVW", f"intersection:{key[1]}", False, "host on no approach"))
            continue
        distance, phase_id = matched
        phase = phases.get(phase_id)
        if phase is None or not phase.get("phaseStates"):
            continue
        state = min(phase["phaseStates"], key=lambda s: s.get("timing", ("", {}))[1].get("startTime", 0))
        light = state.get("light", "unavailable")
        timing = state.get("timing", ("", {}))
        red_left = timing[1].get("likelyEndTime", 0) / 10.0 if timing[0] == "counting" else math.inf
        reach = distance / host.speed if host.speed > 0 else math.inf
        stopping = host.speed**2 / (2 * p.rlvw_decel_mps2)
        holds = light in STOP_LIGHTS and host.speed >= p.rlvw_min_speed_mps and reach < red_left and stopping > distance
        found.append(
            Detection(
                "RLVW",
                f"phase:{phase_id}",
                holds,
                f"{light}, {red_left:.1f} s left; stop line {distance:.1f} m ahead, reached in {reach:.1f} s; "
                f"stopping distance {stopping:.1f} m",
            )
        )
    return found


def _approach(host: Host, node: Mapping[str, Any], p: AppParameters) -> tuple[float, int] | None:
    """(distance to the stop line, phase id of the straight movement) of the approach the host is on, or None."""
    ref = node.get("refPos")
    if ref is None:
        return None
    for link in node.get("inLinks", []):
        points = [_absolute(ref, point["posOffset"]) for point in link.get("points", [])]
        if len(points) < 2:
            continue
        (a_along, a_lat), (b_along, b_lat) = host.local(*points[0]), host.local(*points[-1])
        bearing = math.degrees(math.atan2(b_lat - a_lat, b_along - a_along))  # relative to the host's heading
        width = link.get("linkWidth", 1050) / 100.0
        if abs(bearing) > p.rlvw_heading_deg or not 0 < b_along <= p.rlvw_range_m or abs(b_lat) > width:
            continue
        phase = _straight_phase(link)
        if phase is not None:
            return b_along, phase
    return None


def _straight_phase(link: Mapping[str, Any]) -> int | None:
    for lane in link.get("lanes", []):
        if _bit(lane.get("maneuvers"), 0):
            for connection in lane.get("connectsTo", []):
                if "phaseId" in connection:
                    return int(connection["phaseId"])
    for movement in link.get("movements", []):
        if "phaseId" in movement:
            return int(movement["phaseId"])
    return None


def avw(host: Host, inputs: Inputs, p: AppParameters) -> list[Detection]:
    """Abnormal Vehicle Warning.

    Warn about a remote vehicle ahead within ``avw_range_m``, within ``in_lane_m`` of the host's line, that is
    abnormal: hazard lights (``lights.hazardSignalOn`` or ``events.eventHazardLights``), ``eventDisabledVehicle``,
    or stopped (speed at most ``avw_stopped_mps``). Suppressed while the host brakes (``brake`` 1).
    """
    found = []
    for vehicle_id, (_, bsm) in inputs.bsms.items():
        along, lateral, speed, _heading = _remote(host, bsm)
        safety = bsm.get("safetyExt", {})
        hazard = _bit(safety.get("lights"), 4) or _bit(safety.get("events"), 0)
        disabled = _bit(safety.get("events"), 11)
        stopped = speed <= p.avw_stopped_mps
        ahead = 0 < along <= p.avw_range_m and abs(lateral) <= p.in_lane_m
        holds = ahead and (hazard or disabled or stopped) and not host.braking
        reasons = [name for name, on in (("hazard", hazard), ("disabled", disabled), ("stopped", stopped)) if on]
        found.append(
            Detection("AVW", vehicle_id, holds, f"{along:.1f} m ahead, {lateral:.1f} m right; {reasons or 'normal'}")
        )
    return found


def tjw(host: Host, inputs: Inputs, p: AppParameters) -> list[Detection]:
    """Traffic Jam Warning.

    Warn about an RSI event of type 707 (traffic congestion) whose position lies ahead of the host within
    ``tjw_range_m`` and within ``tjw_lateral_m`` of its line of travel. Suppressed when the host is already in slow
    traffic (speed at most ``tjw_jam_speed_mps``). Reference paths are not used.
    """
    found = []
    for rsi_key, (_, rsi) in inputs.rsis.items():
        ref = rsi.get("refPos")
        if ref is None:
            continue
        for event in rsi.get("rtes", []):
            if event.get("eventType") != CONGESTION_EVENT or "eventPos" not in event:
                continue
            along, lateral = host.local(*_absolute(ref, event["eventPos"]))
            holds = 0 < along <= p.tjw_range_m and abs(lateral) <= p.tjw_lateral_m and host.speed > p.tjw_jam_speed_mps
            found.append(
                Detection(
                    "TJW",
                    f"rte:{rsi_key}/{event.get('rteId', 0)}",
                    holds,
                    f"congestion {along:.1f} m ahead, {lateral:.1f} m right; host {host.speed:.1f} m/s",
                )
            )
    return found


def ebw(host: Host, inputs: Inputs, p: AppParameters) -> list[Detection]:
    """Emergency Brake Warning.

    Warn about a remote vehicle ahead within ``ebw_range_m``, within ``in_lane_m`` of the host's line, driving
    the same way (within ``same_direction_deg``) and braking hard: ``accelSet.long`` at most -``ebw_decel_mps2``
    or ``events.eventHardBraking``. Suppressed while the host brakes.
    """
    found = []
    for vehicle_id, (_, bsm) in inputs.bsms.items():
        along, lateral, _speed, heading = _remote(host, bsm)
        accel = bsm.get("accelSet", {}).get("long", 2001)
        decel = accel != 2001 and accel / 100.0 <= -p.ebw_decel_mps2
        hard = decel or _bit(bsm.get("safetyExt", {}).get("events"), 7)
        ahead = 0 < along <= p.ebw_range_m and abs(lateral) <= p.in_lane_m
        same_way = _angle(heading, host.heading) <= p.same_direction_deg
        holds = ahead and same_way and hard and not host.braking
        found.append(
            Detection("EBW", vehicle_id, holds, f"{along:.1f} m ahead, {lateral:.1f} m right; accel {accel / 100:.2f}")
        )
    return found


def fcw(host: Host, inputs: Inputs, p: AppParameters) -> list[Detection]:
    """Forward Collision Warning.

    Warn about a remote vehicle ahead within ``fcw_range_m``, within ``in_lane_m`` of the host's line, driving the
    same way, when the time to collision (centre distance / closing speed, closing speed = host speed - remote
    speed * cos(heading difference)) is below ``fcw_ttc_s``. Suppressed while the host brakes.
    """
    found = []
    for vehicle_id, (_, bsm) in inputs.bsms.items():
        along, lateral, speed, heading = _remote(host, bsm)
        if math.isnan(speed):
            continue
        closing = host.speed - speed * math.cos(math.radians(heading - host.heading))
        ttc = along / closing if closing > 0 else math.inf
        ahead = 0 < along <= p.fcw_range_m and abs(lateral) <= p.in_lane_m
        same_way = _angle(heading, host.heading) <= p.same_direction_deg
        holds = ahead and same_way and ttc < p.fcw_ttc_s and not host.braking
        found.append(
            Detection("FCW", vehicle_id, holds, f"{along:.1f} m ahead, {lateral:.1f} m right; TTC {ttc:.1f} s")
        )
    return found


RULES: dict[str, Callable[[Host, Inputs, AppParameters], list[Detection]]] = {
    "RLVW": rlvw,
    "AVW": avw,
    "TJW": tjw,
    "EBW": ebw,
    "FCW": fcw,
}


class ApplicationLayer:
    """The OBU's applications: feed it decoded frames and host states, get warning transitions back.

    ``mode`` ``"normal"`` applies the rules; ``"never"`` (fault ``no-warning``) never warns; ``"always"`` (fault
    ``false-warning``) warns about every candidate of every application whether its rule holds or not (so also in
    No-Warn and Suppress-Warn geometry) — deterministic, no chance involved.
    """

    def __init__(self, params: AppParameters | None = None, *, mode: str = "normal") -> None:
        if mode not in ("normal", "never", "always"):
            raise ValueError(f"mode {mode!r} is not normal, never or always")
        self.params = params or AppParameters()
        self.mode = mode
        self.inputs = Inputs()
        self.active: dict[tuple[str, str], str] = {}

    def on_frame(self, alternative: str, value: Mapping[str, Any], now: float) -> None:
        """Remember a decoded message (MessageFrame ``alternative`` and its value) received at monotonic ``now``."""
        if alternative == "mapFrame":
            for node in value.get("nodes", []):
                self.inputs.maps[(node["id"].get("region", 0), node["id"]["id"])] = (now, dict(node))
        elif alternative == "spatFrame":
            for intersection in value.get("intersections", []):
                ident = intersection["intersectionId"]
                self.inputs.spats[(ident.get("region", 0), ident["id"])] = (now, dict(intersection))
        elif alternative == "bsmFrame":
            self.inputs.bsms[bytes(value["id"]).hex()] = (now, dict(value))
        elif alternative == "rsiFrame" and "refPos" in value:
            self.inputs.rsis[bytes(value["id"]).hex()] = (now, dict(value))

    def evaluate(self, host_state: Mapping[str, Any], now: float) -> list[dict[str, Any]]:
        """Apply every rule; return warning transitions as event fields (application, target, state, detail)."""
        self.inputs.expire(now, self.params)
        host = Host.from_state(host_state)
        current: dict[tuple[str, str], str] = {}
        if host is not None and self.mode != "never":
            for rule in RULES.values():
                for detection in rule(host, self.inputs, self.params):
                    if detection.holds or self.mode == "always":
                        current[(detection.application, detection.target)] = detection.detail
        transitions = [
            {"application": app, "target": target, "state": "raised", "level": "warning", "detail": detail}
            for (app, target), detail in current.items()
            if (app, target) not in self.active
        ]
        transitions += [
            {"application": app, "target": target, "state": "cleared", "detail": detail}
            for (app, target), detail in self.active.items()
            if (app, target) not in current
        ]
        self.active = current
        return transitions
