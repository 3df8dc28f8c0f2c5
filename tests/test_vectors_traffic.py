"""Realistic traffic generators: consistency over time and across messages (conformance.vectors.traffic)."""

from __future__ import annotations

import itertools
import math

import pytest

from conformance.errors import VectorArgumentError
from conformance.vectors import traffic
from conformance.vectors.codetables import EVENT_TYPES, SIGN_TYPES, code
from conformance.vectors.oracle import verify

EDITIONS = traffic.SUPPORTED_EDITIONS


def _metres(lat_a: int, lon_a: int, lat_b: int, lon_b: int) -> float:
    north = (lat_b - lat_a) / 1e7 * 111_320.0
    east = (lon_b - lon_a) / 1e7 * 111_320.0 * math.cos(math.radians(lat_a / 1e7))
    return math.hypot(north, east)


@pytest.mark.parametrize("edition", EDITIONS)
def test_bsm_stream_is_consistent_over_time(edition: str) -> None:
    stream = traffic.bsm_stream(count=300, first_msg_cnt=120, accel_mps2=-0.5, edition=edition)
    assert [m["msgCnt"] for m in stream] == [(120 + i) % 128 for i in range(300)]  # wraps 127 -> 0
    marks = [m["secMark"] for m in stream]
    assert all((b - a) % 60000 == 100 for a, b in itertools.pairwise(marks))  # 100 ms, mod one minute
    for before, after in itertools.pairwise(stream):
        moved = _metres(before["pos"]["lat"], before["pos"]["long"], after["pos"]["lat"], after["pos"]["long"])
        expected = (before["speed"] + after["speed"]) / 2 * 0.02 * 0.1  # trapezoid over 100 ms
        assert moved == pytest.approx(expected, abs=0.05)
        if after["speed"] > 0:
            assert after["accelSet"]["long"] == -50  # 0.01 m/s^2
    assert stream[-1]["speed"] == 0 and stream[-1]["transmission"] == "park"  # stopped after 27.8 s
    vectors = traffic.encode_values(stream, alternative="bsmFrame", edition=edition)
    assert all(verify(vector).ok for vector in vectors)


def test_bsm_heading_follows_the_route() -> None:
    stream = traffic.bsm_stream(count=400)
    headings = {m["heading"] for m in stream}
    assert 0 in headings  # northbound (bearing 0)
    assert 7200 in headings  # eastbound after the right turn (90 degrees / 0.0125)
    turning = [m["accelSet"]["yaw"] for m in stream if m["accelSet"]["yaw"] != 0]
    assert turning and all(yaw > 0 for yaw in turning)  # a right turn: positive yaw rate


def test_bsm_path_history_holds_positions_actually_passed() -> None:
    stream = traffic.bsm_stream(count=10)
    last = stream[-1]
    crumbs = last["safetyExt"]["pathHistory"]["crumbData"]
    assert [c["timeOffset"] for c in crumbs] == [10, 20, 30, 40, 50]  # 10 ms units, newest first
    lat_offset = crumbs[0]["llvOffset"]["offsetLL"][1]["lat"]
    assert lat_offset == stream[-2]["pos"]["lat"] - last["pos"]["lat"]


@pytest.mark.parametrize("edition", EDITIONS)
def test_map_and_spat_share_phase_ids_and_countdowns_are_consistent(edition: str) -> None:
    plan = traffic.SignalPlan()
    the_map = traffic.map_intersection(plan=plan, edition=edition)
    spats = traffic.spat_sequence(the_map, count=200, interval_ms=500, plan=plan, edition=edition)
    map_ids = traffic.phase_ids(the_map)
    assert map_ids == plan.phase_ids()
    for spat in spats:
        assert tuple(phase["id"] for phase in spat["intersections"][0]["phases"]) == map_ids
    lights_seen = set()
    for before, after in itertools.pairwise(spats):
        for p_before, p_after in zip(
            before["intersections"][0]["phases"], after["intersections"][0]["phases"], strict=True
        ):
            s_before, s_after = p_before["phaseStates"][0], p_after["phaseStates"][0]
            lights_seen.add(s_after["light"])
            left_before = s_before["timing"][1]["likelyEndTime"]
            if s_before["light"] == s_after["light"]:
                assert left_before - s_after["timing"][1]["likelyEndTime"] == 5  # 0.5 s in 0.1 s units
            else:
                assert left_before <= 5  # the light changes only when its countdown runs out
                assert s_after["timing"][1]["likelyEndTime"] == s_before["timing"][1]["nextDuration"] - (
                    5 - left_before
                )
    assert lights_seen == {"protected-green", "yellow", "red"}
    frames = traffic.encode_values([the_map], alternative="mapFrame", edition=edition)
    frames += traffic.encode_values(spats[:20], alternative="spatFrame", edition=edition)
    assert all(verify(vector).ok for vector in frames)


def test_map_with_fewer_approaches_and_plan_mismatch() -> None:
    plan = traffic.SignalPlan(stages=(traffic.Stage((1,), 20.0), traffic.Stage((3,), 20.0)))
    the_map = traffic.map_intersection(approaches=("north", "east"), plan=plan)
    assert traffic.phase_ids(the_map) == (1, 3)  # left phases 2/4 are not in the plan: not signalised
    assert len(traffic.spat_sequence(the_map, count=3, plan=plan)[0]["intersections"][0]["phases"]) == 2
    with pytest.raises(VectorArgumentError, match="phase ids"):
        traffic.spat_sequence(traffic.map_intersection(), plan=plan)
    with pytest.raises(VectorArgumentError, match="approaches="):
        traffic.map_intersection(approaches=("up",))


@pytest.mark.parametrize("edition", EDITIONS)
def test_rsi_events_and_signs_near_the_reference_position(edition: str) -> None:
    value = traffic.rsi_message(edition=edition)
    assert [rte["eventType"] for rte in value["rtes"]] == [707, 408]
    assert [rts["signType"] for rts in value["rtss"]] == [85, 114]
    for item in value["rtes"] + value["rtss"]:
        assert len(item["referencePaths"][0]["activePath"]) >= 2  # 2020: PathPointList SIZE(2..32)
        assert item["priority"][0] & 0x1F == 0  # only the top 3 bits are used
    assert all(verify(v).ok for v in traffic.encode_values([value], alternative="rsiFrame", edition=edition))
    with pytest.raises(VectorArgumentError, match="not confirmed"):
        traffic.rsi_message(events=(("accident", 100.0),))


def test_code_tables_mark_unconfirmed_rows() -> None:
    assert code(EVENT_TYPES, "congestion") == 707
    assert code(SIGN_TYPES, "school") == 242
    unconfirmed = [row for row in EVENT_TYPES if not row.confirmed]
    assert unconfirmed and all(row.code is None for row in unconfirmed)
    assert all(row.source for row in EVENT_TYPES + SIGN_TYPES)


@pytest.mark.parametrize("edition", EDITIONS)
def test_rsm_has_a_participant_of_every_type(edition: str) -> None:
    messages = traffic.rsm_sequence(count=5, edition=edition)
    kinds = {p["ptcType"] for p in messages[0]["participants"]}
    assert kinds == {"unknown", "motor", "non-motor", "pedestrian", "rsu"}
    rsu = next(p for p in messages[0]["participants"] if p["ptcType"] == "rsu")
    assert rsu["ptcId"] == 0
    assert [m["msgCnt"] for m in messages] == [0, 1, 2, 3, 4]
    assert all(verify(v).ok for v in traffic.encode_values(messages, alternative="rsmFrame", edition=edition))


def test_coordinates_are_parameters() -> None:
    beijing = traffic.Site(lat=39.9087, lon=116.3975, node_id=7)
    value = traffic.map_intersection(site=beijing)
    assert value["nodes"][0]["refPos"]["lat"] == 399_087_000 and value["nodes"][0]["id"]["id"] == 7
    assert traffic.map_intersection()["nodes"][0]["refPos"]["long"] == 1_171_300_000  # Tianjin Xiqing default


@pytest.mark.parametrize(
    ("call", "named"),
    [
        (lambda: traffic.bsm_stream(edition="csae53-2017"), "edition="),
        (lambda: traffic.bsm_stream(count=0), "count="),
        (lambda: traffic.bsm_stream(route=[(0.0, 0.0)]), "route="),
        (lambda: traffic.bsm_stream(vehicle_id=b"short"), "vehicle_id="),
        (lambda: traffic.rsm_sequence(interval_ms=0, count=1), "interval_ms="),
    ],
)
def test_bad_parameters_are_named(call: object, named: str) -> None:
    with pytest.raises(VectorArgumentError, match=named):
        call()  # type: ignore[operator]
