"""Realistic traffic: what one signalised intersection and the vehicles around it produce, consistent over time.

* :func:`bsm_stream` — one vehicle driving a route: msgCnt +1 mod 128, secMark advancing with the clock,
  position / speed / heading / longitudinal acceleration / yaw rate computed from the same kinematics, and a path
  history of the positions it actually passed;
* :func:`map_intersection` — a MapData with the intersection node, one incoming link per approach with lanes,
  connections and movements, each signalised movement carrying the phase id of a :class:`SignalPlan`;
* :func:`spat_sequence` — SPATs whose phases are exactly the MAP's movement phase ids and whose countdowns
  (TimeCountingDown, 0.1 s) follow the signal plan: ``likelyEndTime`` falls by the elapsed time between messages
  and the light changes when it reaches zero;
* :func:`rsi_message` — RSI events (GB/T 29100 codes) and signs (GB 5768.2 index) on the approach to the reference
  position (:mod:`conformance.vectors.codetables`, unconfirmed codes never used);
* :func:`rsm_sequence` — RSMs with a participant of every ParticipantType, each moving consistently.

Coordinates default to an intersection in Tianjin Xiqing (about 39.06 N, 117.13 E); everything is a parameter
(:class:`Site`, routes, plans, times). The message forms are those of csae53-2019 and csae53-2020, which agree on
every field used here; csae53-2017 (different BSM, SPAT and RSI forms) is not generated (use the strategies).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ..codec.strict import codec_for
from ..errors import VectorArgumentError
from ..standards import messages as message_table
from .codetables import EVENT_SOURCES, EVENT_TYPES, SIGN_TYPES, code
from .model import Vector, VectorClass

__all__ = [
    "DEFAULT_START",
    "SUPPORTED_EDITIONS",
    "SignalPlan",
    "Site",
    "Stage",
    "bsm_stream",
    "encode_values",
    "map_intersection",
    "map_stream",
    "phase_ids",
    "rsi_message",
    "rsi_stream",
    "rsm_sequence",
    "spat_sequence",
    "spat_stream",
    "time_fields",
]

SUPPORTED_EDITIONS = ("csae53-2019", "csae53-2020")
#: Default start of every stream (deterministic): 2026-05-20 08:00:00 UTC.
DEFAULT_START = datetime(2026, 5, 20, 8, 0, 0, tzinfo=UTC)
_METRES_PER_DEGREE = 111_320.0
_E7 = 10_000_000


@dataclass(frozen=True, slots=True)
class Site:
    """Where the traffic happens: the intersection reference point (degrees, metres) and its MAP identity."""

    lat: float = 39.0600
    lon: float = 117.1300
    elevation_m: float = 4.0
    region: int = 1201  # road regulator id chosen for generated data (not an official allocation)
    node_id: int = 101
    name: str = "Xiqing Rd / Zhongbei Ave"
    rsu_id: bytes = b"RSU-XQ01"

    def to_latlon(self, east_m: float, north_m: float) -> tuple[int, int]:
        """Local east/north metres from the reference point → (lat, long) in 1e-7 degree."""
        lat = self.lat + north_m / _METRES_PER_DEGREE
        lon = self.lon + east_m / (_METRES_PER_DEGREE * math.cos(math.radians(self.lat)))
        return round(lat * _E7), round(lon * _E7)

    def position3d(self, east_m: float = 0.0, north_m: float = 0.0) -> dict[str, int]:
        """A Position3D value (elevation in 0.1 m)."""
        lat, lon = self.to_latlon(east_m, north_m)
        return {"lat": lat, "long": lon, "elevation": round(self.elevation_m * 10)}


def offset_ll(site: Site, east_m: float, north_m: float) -> dict[str, Any]:
    """A PositionOffsetLLV for local metres: the smallest position-LLn form that holds the offset."""
    lat, lon = site.to_latlon(east_m, north_m)
    ref_lat, ref_lon = site.to_latlon(0.0, 0.0)
    d_lat, d_lon = lat - ref_lat, lon - ref_lon
    for name, bits in (
        ("position-LL1", 12),
        ("position-LL2", 14),
        ("position-LL3", 16),
        ("position-LL4", 18),
        ("position-LL5", 22),
        ("position-LL6", 24),
    ):
        limit = 1 << (bits - 1)
        if -limit <= d_lat < limit and -limit <= d_lon < limit:
            return {"offsetLL": (name, {"lon": d_lon, "lat": d_lat})}
    return {"offsetLL": ("position-LatLon", {"lon": lon, "lat": lat})}


def time_fields(moment: datetime | float) -> tuple[int, int]:
    """(MinuteOfTheYear, DSecond in ms within the minute) of a UTC moment or a POSIX wall time."""
    if not isinstance(moment, datetime):
        moment = datetime.fromtimestamp(moment, tz=UTC)
    year_start = datetime(moment.year, 1, 1, tzinfo=UTC)
    minutes = int((moment - year_start).total_seconds() // 60)
    ms = moment.second * 1000 + moment.microsecond // 1000
    return minutes, ms


def _check_edition(function: str, edition: str) -> None:
    if edition not in SUPPORTED_EDITIONS:
        raise VectorArgumentError(
            f"{function}(edition={edition!r}): traffic generators produce the message forms of "
            f"{', '.join(SUPPORTED_EDITIONS)}.",
            hint="For other editions use conformance.vectors.strategies.for_type.",
        )


def _positive(function: str, name: str, value: float) -> None:
    if not value > 0:
        raise VectorArgumentError(f"{function}({name}={value!r}): must be positive.")


# --------------------------------------------------------------------------------------------- BSM
#: Default route (east, north metres from the reference point): northbound through the intersection, then a right
#: turn into the eastern exit.
DEFAULT_ROUTE: tuple[tuple[float, float], ...] = ((1.75, -250.0), (1.75, -12.0), (12.0, -1.75), (250.0, -1.75))


def _along(route: Sequence[tuple[float, float]], distance: float) -> tuple[float, float, float]:
    """Point and bearing (degrees clockwise from north) at ``distance`` metres along a polyline."""
    for (x0, y0), (x1, y1) in itertools.pairwise(route):
        length = math.hypot(x1 - x0, y1 - y0)
        bearing = math.degrees(math.atan2(x1 - x0, y1 - y0)) % 360.0
        if distance <= length or (x1, y1) == route[-1]:
            t = distance / length if length else 0.0
            return x0 + (x1 - x0) * t, y0 + (y1 - y0) * t, bearing
        distance -= length
    x, y = route[-1]
    return x, y, 0.0


def bsm_stream(
    *,
    count: int = 50,
    site: Site | None = None,
    route: Sequence[tuple[float, float]] = DEFAULT_ROUTE,
    speed_mps: float = 13.9,
    accel_mps2: float = 0.0,
    interval_ms: int = 100,
    start: datetime = DEFAULT_START,
    first_msg_cnt: int = 0,
    vehicle_id: bytes = b"XQ000001",
    edition: str = "csae53-2020",
) -> list[dict[str, Any]]:
    """A vehicle's BSMs along ``route`` (local metres), ``interval_ms`` apart (10 Hz by default).

    Kinematics: distance s(t) = v0 t + a t^2 / 2 (the vehicle stops rather than reversing); speed = ds/dt; heading =
    bearing of the route segment; accelSet.long = a (0 once stopped); yaw rate from the heading change between
    messages. pathHistory holds up to five earlier positions (offsets from the current one, timeOffset in 10 ms).
    """
    _check_edition("bsm_stream", edition)
    _positive("bsm_stream", "count", count)
    _positive("bsm_stream", "interval_ms", interval_ms)
    if len(route) < 2:
        raise VectorArgumentError("bsm_stream(route=...): a route needs at least two points.")
    if len(vehicle_id) != 8:
        raise VectorArgumentError("bsm_stream(vehicle_id=...): the BSM id is exactly 8 bytes.")
    site = site or Site()
    stop_time = -speed_mps / accel_mps2 if accel_mps2 < 0 else math.inf
    history: list[tuple[float, float, float]] = []
    messages: list[dict[str, Any]] = []
    previous_heading: float | None = None
    for index in range(count):
        t = index * interval_ms / 1000.0
        moving_t = min(t, stop_time)
        distance = speed_mps * moving_t + 0.5 * accel_mps2 * moving_t**2
        speed = max(0.0, speed_mps + accel_mps2 * moving_t)
        accel = accel_mps2 if t < stop_time else 0.0
        east, north, heading = _along(route, distance)
        yaw = 0.0
        if previous_heading is not None:
            turn = (heading - previous_heading + 180.0) % 360.0 - 180.0
            yaw = turn / (interval_ms / 1000.0)
        previous_heading = heading
        _, sec_mark = time_fields(start + timedelta(milliseconds=index * interval_ms))
        lat, lon = site.to_latlon(east, north)
        crumbs = []
        for east0, north0, t0 in reversed(history[-5:]):
            here = Site(lat=lat / _E7, lon=lon / _E7)
            crumbs.append(
                {"llvOffset": offset_ll(here, east0 - east, north0 - north), "timeOffset": round((t - t0) * 100)}
            )
        message: dict[str, Any] = {
            "msgCnt": (first_msg_cnt + index) % 128,
            "id": vehicle_id,
            "secMark": sec_mark,
            "timeConfidence": "time-000-010",
            "pos": {"lat": lat, "long": lon, "elevation": round(site.elevation_m * 10)},
            "posAccuracy": {"semiMajor": 20, "semiMinor": 16, "orientation": 0},
            "posConfidence": {"pos": "a1m", "elevation": "elev-001-00"},
            "transmission": "forwardGears" if speed > 0 else "park",
            "speed": min(8190, round(speed / 0.02)),
            "heading": round(heading / 0.0125) % 28800,
            "motionCfd": {"speedCfd": "prec1ms", "headingCfd": "prec01deg"},
            "accelSet": {
                "long": round(accel * 100),
                "lat": 0,
                "vert": 0,
                "yaw": max(-32767, min(32767, round(yaw * 100))),
            },
            "brakes": {"brakePadel": "on" if accel < 0 else "off"},
            "size": {"width": 180, "length": 460, "height": 30},
            "vehicleClass": {"classification": 10},
        }
        if crumbs:
            message["safetyExt"] = {"pathHistory": {"crumbData": crumbs}}
        messages.append(message)
        history.append((east, north, t))
    return messages


# --------------------------------------------------------------------------------------------- MAP / SPAT
_APPROACHES = {  # approach → (unit vector pointing from the centre to the approach, bearing of inbound travel)
    "north": ((0.0, 1.0), 180.0),
    "east": ((1.0, 0.0), 270.0),
    "south": ((0.0, -1.0), 0.0),
    "west": ((-1.0, 0.0), 90.0),
}
_ORDER = ("north", "east", "south", "west")
STRAIGHT, LEFT, RIGHT = 0x8000, 0x4000, 0x2000  # AllowedManeuvers bits 0, 1, 2 (12 bits, left-aligned)


@dataclass(frozen=True, slots=True)
class Stage:
    """One stage of a signal plan: the phases that are green together, and the green/yellow/all-red times (s)."""

    phases: tuple[int, ...]
    green_s: float
    yellow_s: float = 3.0
    all_red_s: float = 2.0

    @property
    def duration_s(self) -> float:
        """Length of the stage."""
        return self.green_s + self.yellow_s + self.all_red_s


@dataclass(frozen=True, slots=True)
class SignalPlan:
    """A fixed-time signal plan: stages run in order and the cycle repeats; ``offset_s`` shifts the cycle."""

    stages: tuple[Stage, ...] = field(
        default_factory=lambda: (Stage((1, 5), 30.0), Stage((2, 6), 15.0), Stage((3, 7), 30.0), Stage((4, 8), 15.0))
    )
    offset_s: float = 0.0

    @property
    def cycle_s(self) -> float:
        """Cycle length."""
        return sum(stage.duration_s for stage in self.stages)

    def phase_ids(self) -> tuple[int, ...]:
        """Every phase id of the plan, sorted."""
        return tuple(sorted({phase for stage in self.stages for phase in stage.phases}))

    def state(self, phase: int, t: float) -> tuple[str, float, float]:
        """(light, seconds until it changes, duration of the next state) of ``phase`` at time ``t`` (s)."""
        cycle = self.cycle_s
        t = (t + self.offset_s) % cycle
        begin = 0.0
        for stage in self.stages:
            if phase in stage.phases:
                green_end = begin + stage.green_s
                yellow_end = green_end + stage.yellow_s
                red_total = cycle - stage.green_s - stage.yellow_s
                if begin <= t < green_end:
                    return "protected-green", green_end - t, stage.yellow_s
                if green_end <= t < yellow_end:
                    return "yellow", yellow_end - t, red_total
                red_left = (begin - t) % cycle
                return "red", red_left, stage.green_s
            begin += stage.duration_s
        raise VectorArgumentError(f"SignalPlan.state(phase={phase}): the plan has no such phase.")


def map_intersection(
    *,
    site: Site | None = None,
    approaches: Sequence[str] = _ORDER,
    plan: SignalPlan | None = None,
    msg_cnt: int = 0,
    start: datetime = DEFAULT_START,
    edition: str = "csae53-2020",
) -> dict[str, Any]:
    """A MapData for one intersection: one incoming link per approach with a left, a through and a
    through/right lane; movements and connections carry the phase ids of ``plan`` (approach k: through phase
    2k+1, left phase 2k+2, numbered in the order north, east, south, west as in the default plan)."""
    _check_edition("map_intersection", edition)
    unknown = [name for name in approaches if name not in _APPROACHES]
    if unknown or not approaches:
        raise VectorArgumentError(f"map_intersection(approaches={list(approaches)!r}): use some of {list(_ORDER)}.")
    site = site or Site()
    plan = plan or SignalPlan()
    phases = set(plan.phase_ids())
    links = []
    for approach in approaches:
        k = _ORDER.index(approach)
        through, left = 2 * k + 1, 2 * k + 2
        (ux, uy), _bearing = _APPROACHES[approach]
        upstream = {"region": site.region, "id": site.node_id + 1 + k}
        straight_to = {"region": site.region, "id": site.node_id + 1 + (k + 2) % 4}
        left_to = {"region": site.region, "id": site.node_id + 1 + (k + 1) % 4}
        right_to = {"region": site.region, "id": site.node_id + 1 + (k + 3) % 4}

        def connection(target: dict[str, int], lane: int, phase: int | None) -> dict[str, Any]:
            item: dict[str, Any] = {"remoteIntersection": target, "connectingLane": {"lane": lane}}
            if phase is not None and phase in phases:
                item["phaseId"] = phase
            return item

        def lane(lane_id: int, maneuvers: int, connects: list[dict[str, Any]]) -> dict[str, Any]:
            return {
                "laneID": lane_id,
                "laneWidth": 350,
                "laneAttributes": {"laneType": ("vehicle", (b"\x00", 8))},
                "maneuvers": (maneuvers.to_bytes(2, "big"), 12),
                "connectsTo": connects,
            }

        movements = [
            {"remoteIntersection": straight_to, **({"phaseId": through} if through in phases else {})},
            {"remoteIntersection": left_to, **({"phaseId": left} if left in phases else {})},
            {"remoteIntersection": right_to},  # right turns are not signalised in this plan
        ]
        base = 10 * (k + 1)
        links.append(
            {
                "name": f"{approach} approach",
                "upstreamNodeId": upstream,
                "speedLimits": [{"type": "vehicleMaxSpeed", "speed": 833}],  # 60 km/h in 0.02 m/s
                "linkWidth": 1050,
                "points": [{"posOffset": offset_ll(site, ux * d, uy * d)} for d in (150.0, 30.0)],
                "movements": movements,
                "lanes": [
                    lane(base + 1, LEFT, [connection(left_to, 1, left)]),
                    lane(base + 2, STRAIGHT, [connection(straight_to, 2, through)]),
                    lane(
                        base + 3, STRAIGHT | RIGHT, [connection(straight_to, 3, through), connection(right_to, 1, None)]
                    ),
                ],
            }
        )
    moy, _ = time_fields(start)
    return {
        "msgCnt": msg_cnt % 128,
        "timeStamp": moy,
        "nodes": [
            {
                "name": site.name,
                "id": {"region": site.region, "id": site.node_id},
                "refPos": site.position3d(),
                "inLinks": links,
            }
        ],
    }


def phase_ids(map_value: dict[str, Any]) -> tuple[int, ...]:
    """Every phase id referenced by the movements and connections of a MapData value, sorted."""
    found: set[int] = set()
    for node in map_value.get("nodes", []):
        for link in node.get("inLinks", []):
            for movement in link.get("movements", []):
                if "phaseId" in movement:
                    found.add(movement["phaseId"])
            for lane in link.get("lanes", []):
                for connection in lane.get("connectsTo", []):
                    if "phaseId" in connection:
                        found.add(connection["phaseId"])
    return tuple(sorted(found))


def spat_sequence(
    map_value: dict[str, Any],
    *,
    count: int = 20,
    plan: SignalPlan | None = None,
    interval_ms: int = 100,
    start: datetime = DEFAULT_START,
    first_msg_cnt: int = 0,
    edition: str = "csae53-2020",
) -> list[dict[str, Any]]:
    """SPATs of the MAP's intersection following ``plan``: one Phase per phase id the MAP references.

    Timing is TimeCountingDown in 0.1 s: ``startTime`` 0 (the state has started), ``likelyEndTime`` the time left
    in the current state, ``nextDuration`` the length of the next state. Consecutive messages are ``interval_ms``
    apart and their countdowns fall by exactly that much (until the light changes).
    """
    _check_edition("spat_sequence", edition)
    _positive("spat_sequence", "count", count)
    _positive("spat_sequence", "interval_ms", interval_ms)
    plan = plan or SignalPlan()
    ids = phase_ids(map_value)
    missing = [phase for phase in ids if phase not in plan.phase_ids()]
    if not ids or missing:
        raise VectorArgumentError(
            f"spat_sequence(plan=...): the MAP references phase ids {list(ids)} but the plan defines "
            f"{list(plan.phase_ids())}.",
            hint="Build the MAP with the same plan (map_intersection(plan=...)).",
        )
    node = map_value["nodes"][0]
    messages: list[dict[str, Any]] = []
    for index in range(count):
        elapsed_ms = index * interval_ms
        moy, stamp = time_fields(start + timedelta(milliseconds=elapsed_ms))
        phases = []
        for phase in ids:
            light, left_s, next_s = plan.state(phase, elapsed_ms / 1000.0)
            phases.append(
                {
                    "id": phase,
                    "phaseStates": [
                        {
                            "light": light,
                            "timing": (
                                "counting",
                                {
                                    "startTime": 0,
                                    "likelyEndTime": round(left_s * 10),
                                    "nextDuration": round(next_s * 10),
                                },
                            ),
                        }
                    ],
                }
            )
        messages.append(
            {
                "msgCnt": (first_msg_cnt + index) % 128,
                "moy": moy,
                "timeStamp": stamp,
                "name": node.get("name", "intersection")[:63],
                "intersections": [
                    {
                        "intersectionId": dict(node["id"]),
                        "status": (b"\x00\x00", 16),
                        "moy": moy,
                        "timeStamp": stamp,
                        "phases": phases,
                    }
                ],
            }
        )
    return messages


# --------------------------------------------------------------------------------------------- RSI / RSM
def _path(site: Site, north_from: float, north_to: float, east: float = 1.75) -> list[dict[str, Any]]:
    return [offset_ll(site, east, north) for north in (north_from, (north_from + north_to) / 2, north_to)]


def rsi_message(
    *,
    site: Site | None = None,
    events: Sequence[tuple[str, float]] = (("congestion", 120.0), ("slippery-road", 300.0)),
    signs: Sequence[tuple[str, float]] = (("speed-limit", 60.0), ("pedestrian-crossing", 25.0)),
    msg_cnt: int = 0,
    start: datetime = DEFAULT_START,
    edition: str = "csae53-2020",
) -> dict[str, Any]:
    """An RSI with ``events`` (GB/T 29100 key, metres south of the reference point on the northbound approach)
    and ``signs`` (GB 5768.2 key, metres), each with a reference path leading to it (upstream → downstream)."""
    _check_edition("rsi_message", edition)
    site = site or Site()
    if not events and not signs:
        raise VectorArgumentError("rsi_message(events=..., signs=...): give at least one event or sign.")
    try:
        rtes = [
            {
                "rteId": index,
                "eventType": code(EVENT_TYPES, key),
                "eventSource": EVENT_SOURCES[5],
                "eventPos": offset_ll(site, 1.75, -distance),
                "eventRadius": 50,
                "description": ("textString", key.replace("-", " ")),
                "priority": b"\xa0",  # top 3 bits used (read; clause not verified)
                "referencePaths": [{"activePath": _path(site, -distance - 200.0, -distance), "pathRadius": 60}],
            }
            for index, (key, distance) in enumerate(events)
        ]
        rtss = [
            {
                "rtsId": index,
                "signType": code(SIGN_TYPES, key),
                "signPos": offset_ll(site, 5.0, -distance),
                "priority": b"\x40",
                "referencePaths": [{"activePath": _path(site, -distance - 150.0, -distance), "pathRadius": 40}],
            }
            for index, (key, distance) in enumerate(signs)
        ]
    except ValueError as exc:
        raise VectorArgumentError(f"rsi_message: {exc}") from None
    moy, _ = time_fields(start)
    value: dict[str, Any] = {"msgCnt": msg_cnt % 128, "moy": moy, "id": site.rsu_id, "refPos": site.position3d()}
    if rtes:
        value["rtes"] = rtes
    if rtss:
        value["rtss"] = rtss
    return value


#: One participant of every ParticipantType: (type, source, start east/north m, speed m/s, heading deg, size cm).
_PARTICIPANTS: tuple[tuple[str, str, tuple[float, float], float, float, tuple[int, int]], ...] = (
    ("rsu", "selfinfo", (0.0, 0.0), 0.0, 0.0, (60, 60)),
    ("motor", "video", (-1.75, 80.0), 11.0, 180.0, (185, 480)),
    ("non-motor", "microwaveRadar", (6.0, -40.0), 4.5, 0.0, (60, 180)),
    ("pedestrian", "video", (-9.0, 12.0), 1.3, 90.0, (50, 50)),
    ("unknown", "loop", (20.0, -3.0), 0.5, 270.0, (100, 100)),
)


def rsm_sequence(
    *,
    count: int = 10,
    site: Site | None = None,
    interval_ms: int = 100,
    start: datetime = DEFAULT_START,
    first_msg_cnt: int = 0,
    edition: str = "csae53-2020",
) -> list[dict[str, Any]]:
    """RSMs (10 Hz by default) with one participant of each type (ptcId 0 is the RSU itself), moving straight."""
    _check_edition("rsm_sequence", edition)
    _positive("rsm_sequence", "count", count)
    _positive("rsm_sequence", "interval_ms", interval_ms)
    site = site or Site()
    messages = []
    for index in range(count):
        t = index * interval_ms / 1000.0
        _, sec_mark = time_fields(start + timedelta(milliseconds=index * interval_ms))
        participants = []
        for ptc_id, (kind, source, (east, north), speed, heading, (width, length)) in enumerate(_PARTICIPANTS):
            x = east + speed * t * math.sin(math.radians(heading))
            y = north + speed * t * math.cos(math.radians(heading))
            participants.append(
                {
                    "ptcType": kind,
                    "ptcId": ptc_id,
                    "source": source,
                    "secMark": sec_mark,
                    "pos": offset_ll(site, x, y),
                    "posConfidence": {"pos": "a1m"},
                    "speed": round(speed / 0.02),
                    "heading": round(heading / 0.0125) % 28800,
                    "size": {"width": width, "length": length},
                }
            )
        messages.append(
            {
                "msgCnt": (first_msg_cnt + index) % 128,
                "id": site.rsu_id,
                "refPos": site.position3d(),
                "participants": participants,
            }
        )
    return messages


# -------------------------------------------------------------------------------- streams by message kind
# The generators the message table names (``MessageKind.traffic``): ``count`` consecutive values of one kind, keyword
# arguments ``count`` and ``edition`` only (``bsm_stream`` and ``rsm_sequence`` already have that form).


def map_stream(*, count: int, edition: str = "csae53-2020") -> list[dict[str, Any]]:
    """``count`` MAPs of the default intersection, msgCnt 0, 1, ... (the MAP does not change)."""
    return [map_intersection(msg_cnt=index, edition=edition) for index in range(count)]


def spat_stream(*, count: int, edition: str = "csae53-2020") -> list[dict[str, Any]]:
    """``count`` SPATs of the default intersection's MAP, one default SPAT period apart (message table)."""
    spat = message_table.get("SPAT")
    assert spat is not None and spat.period_s is not None, "the message table gives SPAT a default rate"
    interval_ms = round(1000 * spat.period_s)
    return spat_sequence(map_intersection(edition=edition), count=count, interval_ms=interval_ms, edition=edition)


def rsi_stream(*, count: int, edition: str = "csae53-2020") -> list[dict[str, Any]]:
    """``count`` RSIs with the default events and signs, msgCnt 0, 1, ..."""
    return [rsi_message(msg_cnt=index, edition=edition) for index in range(count)]


def encode_values(
    values: Sequence[dict[str, Any]], *, alternative: str, edition: str = "csae53-2020", generator: str = "traffic"
) -> list[Vector]:
    """Strictly encode message values as MessageFrame ``alternative`` vectors (class valid)."""
    codec = codec_for(edition)
    return [
        Vector(
            edition,
            "MessageFrame",
            VectorClass.VALID,
            codec.encode((alternative, value)),
            (alternative, value),
            None,
            generator,
            params={"index": index},
        )
        for index, value in enumerate(values)
    ]
