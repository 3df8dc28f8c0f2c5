"""A small, consistent set of sample messages (csae53-2020) at an intersection in Tianjin Xiqing.

Written for this project (no captured data): one vehicle's full BSM, the intersection's MAP (four approaches,
lanes, connections, movements with signal phases), a SPAT whose phase ids are those the MAP's movements and
connections reference, an RSI with a traffic-congestion event (GB/T 29100 code 707) and a speed-limit sign
(GB 5768.2 index 85), and an RSM with a motor vehicle, a cyclist and a pedestrian. Used by ``make demo``, the
tests and the benchmarks. The message vector generators (issue 4) generalise this. These are values (this layer
does not encode); :func:`conformance.vectors.samples.sample_frames` gives them as UPER frames.
"""

from __future__ import annotations

from typing import Any

from . import messages

EDITION = "csae53-2020"

#: Reference point of the sample intersection (unit 1e-7 degree): about 39.06 N, 117.13 E (Xiqing district).
REF_LAT = 390_600_000
REF_LON = 1_171_300_000
REGION = 1201  # a road regulator id chosen for the samples (not an official allocation)
NODE_ID = 101

#: Signal phases of the sample intersection: (phase id, approach, movement)
PHASES = [(1, "north", "through"), (2, "north", "left"), (3, "east", "through"), (4, "east", "left")]


def _node(node_id: int = NODE_ID) -> dict[str, Any]:
    return {"region": REGION, "id": node_id}


def bsm() -> dict[str, Any]:
    """A full BasicSafetyMessage value (all commonly used optional parts present)."""
    return {
        "msgCnt": 17,
        "id": b"XQ000001",
        "secMark": 41_250,
        "timeConfidence": "time-000-010",
        "pos": {"lat": REF_LAT + 3_120, "long": REF_LON - 1_840, "elevation": 52},
        "posAccuracy": {"semiMajor": 20, "semiMinor": 16, "orientation": 8_192},
        "posConfidence": {"pos": "a1m", "elevation": "elev-001-00"},
        "transmission": "forwardGears",
        "speed": 694,  # 13.88 m/s = 50 km/h (unit 0.02 m/s)
        "heading": 14_400,  # 180 degrees: southbound (unit 0.0125 degree)
        "angle": -4,
        "motionCfd": {"speedCfd": "prec1ms", "headingCfd": "prec01deg", "steerCfd": "prec2deg"},
        "accelSet": {"long": -35, "lat": 2, "vert": 0, "yaw": -12},
        "brakes": {
            "brakePadel": "off",
            "wheelBrakes": (b"\x00", 5),
            "traction": "off",
            "abs": "off",
            "scs": "on",
            "brakeBoost": "off",
            "auxBrakes": "off",
        },
        "size": {"width": 180, "length": 460, "height": 30},
        "vehicleClass": {"classification": 10, "fuelType": 1},
        "safetyExt": {
            "events": (b"\x00\x00", 13),
            "pathHistory": {
                "crumbData": [
                    {"llvOffset": {"offsetLL": ("position-LL1", {"lon": 0, "lat": 139})}, "timeOffset": 100},
                    {"llvOffset": {"offsetLL": ("position-LL1", {"lon": 1, "lat": 278})}, "timeOffset": 200},
                    {"llvOffset": {"offsetLL": ("position-LL1", {"lon": 1, "lat": 417})}, "timeOffset": 300},
                ],
            },
            "pathPrediction": {"radiusOfCurve": 32_767, "confidence": 180},
            "lights": (b"\x00\x00", 9),
        },
        "emergencyExt": {"responseType": "notInUseOrNotEquipped", "sirenUse": "notInUse", "lightsUse": "notInUse"},
    }


def _lane(lane_id: int, maneuvers: int, connects: list[tuple[int, int]]) -> dict[str, Any]:
    return {
        "laneID": lane_id,
        "laneWidth": 350,
        "laneAttributes": {"laneType": ("vehicle", (b"\x00", 8))},
        "maneuvers": (maneuvers.to_bytes(2, "big"), 12),
        "connectsTo": [
            {"remoteIntersection": _node(), "connectingLane": {"lane": lane}, "phaseId": phase}
            for lane, phase in connects
        ],
    }


STRAIGHT = 0x8000  # AllowedManeuvers bit 0 (maneuverStraightAllowed), 12-bit string left-aligned
LEFT = 0x4000  # bit 1 (maneuverLeftAllowed)


def map_data() -> dict[str, Any]:
    """A MapData value: one intersection, two approaches with lanes, connections and movements."""
    north_in = {
        "name": "Xiqing Rd northern approach",
        "upstreamNodeId": _node(102),
        "speedLimits": [{"type": "vehicleMaxSpeed", "speed": 833}],  # 60 km/h
        "linkWidth": 1050,
        "movements": [
            {"remoteIntersection": _node(104), "phaseId": 1},
            {"remoteIntersection": _node(105), "phaseId": 2},
        ],
        "lanes": [_lane(1, LEFT, [(11, 2)]), _lane(2, STRAIGHT, [(21, 1)]), _lane(3, STRAIGHT, [(22, 1)])],
    }
    east_in = {
        "name": "Zhongbei Ave eastern approach",
        "upstreamNodeId": _node(103),
        "linkWidth": 1050,
        "points": [
            {"posOffset": {"offsetLL": ("position-LL1", {"lon": 600, "lat": 0})}},
            {"posOffset": {"offsetLL": ("position-LL1", {"lon": 1800, "lat": 0})}},
        ],
        "movements": [
            {"remoteIntersection": _node(105), "phaseId": 3},
            {"remoteIntersection": _node(102), "phaseId": 4},
        ],
        "lanes": [_lane(4, LEFT, [(31, 4)]), _lane(5, STRAIGHT, [(41, 3)])],
    }
    return {
        "msgCnt": 5,
        "timeStamp": 482_400,
        "nodes": [
            {
                "name": "Xiqing Rd / Zhongbei Ave",
                "id": _node(),
                "refPos": {"lat": REF_LAT, "long": REF_LON, "elevation": 40},
                "inLinks": [north_in, east_in],
            },
        ],
    }


def spat() -> dict[str, Any]:
    """A SPAT value for the same intersection; phase ids match :func:`map_data` (1-4)."""

    def phase(phase_id: int, light: str, remaining: int, cycle_rest: int) -> dict[str, Any]:
        return {
            "id": phase_id,
            "phaseStates": [
                {
                    "light": light,
                    "timing": ("counting", {"startTime": 0, "likelyEndTime": remaining, "nextDuration": cycle_rest}),
                },
            ],
        }

    return {
        "msgCnt": 33,
        "moy": 482_401,
        "timeStamp": 41_300,
        "name": "Xiqing Rd / Zhongbei Ave",
        "intersections": [
            {
                "intersectionId": _node(),
                "status": (b"\x00\x00", 16),
                "moy": 482_401,
                "timeStamp": 41_300,
                "phases": [
                    phase(1, "protected-green", 180, 300),  # TimeMark unit 0.1 s
                    phase(2, "red", 210, 150),
                    phase(3, "red", 390, 250),
                    phase(4, "red", 640, 150),
                ],
            }
        ],
    }


def rsi() -> dict[str, Any]:
    """A RoadSideInformation value: congestion ahead (event 707) and a 60 km/h speed-limit sign (index 85)."""
    return {
        "msgCnt": 9,
        "moy": 482_401,
        "id": b"RSU-XQ01",
        "refPos": {"lat": REF_LAT, "long": REF_LON, "elevation": 40},
        "rtes": [
            {
                "rteId": 1,
                "eventType": 707,  # GB/T 29100 traffic congestion (confirmed code)
                "eventSource": "detection",
                "eventPos": {"offsetLL": ("position-LL3", {"lon": 0, "lat": 4_500})},
                "eventRadius": 300,
                "description": ("textString", "Congestion ahead"),
                "priority": b"\xc0",
                "referencePaths": [
                    {
                        "activePath": [
                            {"offsetLL": ("position-LL3", {"lon": 0, "lat": 9_000})},
                            {"offsetLL": ("position-LL3", {"lon": 0, "lat": 4_500})},
                        ],
                        "pathRadius": 100,
                    },
                ],
            }
        ],
        "rtss": [
            {
                "rtsId": 1,
                "signType": 85,  # GB 5768.2-2009 sign index: speed limit
                "signPos": {"offsetLL": ("position-LL3", {"lon": 0, "lat": 2_000})},
                "description": ("textString", "60"),
                "priority": b"\x40",
                "referencePaths": [
                    {
                        "activePath": [
                            {"offsetLL": ("position-LL3", {"lon": 0, "lat": 6_000})},
                            {"offsetLL": ("position-LL3", {"lon": 0, "lat": 2_000})},
                        ],
                        "pathRadius": 50,
                    },
                ],
            }
        ],
    }


def rsm() -> dict[str, Any]:
    """A RoadsideSafetyMessage value with a motor vehicle, a cyclist and a pedestrian detected by the RSU."""

    def participant(
        ptc_id: int, kind: str, lat: int, lon: int, speed: int, heading: int, size: tuple[int, int]
    ) -> dict[str, Any]:
        return {
            "ptcType": kind,
            "ptcId": ptc_id,
            "source": "video",
            "secMark": 41_280,
            "pos": {"offsetLL": ("position-LL3", {"lon": lon, "lat": lat})},
            "posConfidence": {"pos": "a1m"},
            "speed": speed,
            "heading": heading,
            "size": {"width": size[0], "length": size[1]},
        }

    return {
        "msgCnt": 71,
        "id": b"RSU-XQ01",
        "refPos": {"lat": REF_LAT, "long": REF_LON, "elevation": 40},
        "participants": [
            participant(1, "motor", 1_200, -300, 550, 14_400, (180, 470)),
            participant(2, "non-motor", -800, 900, 200, 7_200, (60, 180)),
            participant(3, "pedestrian", 300, 1_100, 70, 21_600, (50, 50)),
        ],
    }


def sample_values() -> dict[str, tuple[str, Any]]:
    """Return {name: (MessageFrame alternative, value)} for every sample message: one per message kind whose entry
    in the message table names a function of this module as its ``sample`` (``bsm``, ``map``, ``spat``, ...)."""
    return {
        kind.short: (kind.alternative, globals()[kind.sample]()) for kind in messages.kinds() if kind.sample is not None
    }
