"""Per-message semantic checks (YD/T 3710-2020 §6–§10 "device sends" content rules, T/CSAE 53 field meanings).

BSM: id stable, secMark consistent with time. MAP: references resolve where they can. SPAT: phase ids match the
MAP, countdowns consistent between frames. RSI: positions near refPos, event codes from the table. RSM:
participant ids and positions plausible.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from ..engine.context import ObservedFrame, RunContext
from ..engine.model import Observation, Verdict
from ..engine.registry import Inconclusive, NotApplicable, check
from ..vectors.codetables import EVENT_TYPES, SIGN_TYPES
from .common import (
    absolute_point,
    decoded,
    distance_m,
    failed,
    frames_or_inconclusive,
    listed,
    param,
    passed,
    timing_observation,
)

MINUTE_MS = 60_000


# ----------------------------------------------------------------------------------------------------------- BSM
@check("bsm.id-stable")
def bsm_id_stable(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """The BSM temporary id stays the same during the observation window."""
    frames = decoded(frames_or_inconclusive(context, "BSM", 2))
    ids: dict[str, list[int]] = {}
    for frame in frames:
        ids.setdefault(bytes(frame.value["id"]).hex(), []).append(frame.seq)
    if len(ids) == 1:
        return [
            passed(
                f"one BSM id ({next(iter(ids))}) in {len(frames)} frames", [f.seq for f in frames[:3]], field_path="id"
            )
        ]
    first, second = list(ids)[:2]
    return [
        failed(
            f"the BSM id changed within the window: {len(ids)} ids ({listed(list(ids))})",
            [ids[first][-1], ids[second][0]],
            field_path="id",
            expected=first,
            observed=second,
        )
    ]


@check("bsm.secmark-consistent", parameters=("max_skew_ms", "check_absolute"))
def bsm_secmark_consistent(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """secMark advances with the receive clock (and, if asked, matches it within the allowed skew)."""
    frames = decoded(frames_or_inconclusive(context, "BSM", 2))
    skew = float(param(params, "max_skew_ms", 300))
    problems: list[str] = []
    evidence: list[int] = []
    worst = 0.0
    for previous, current in pairwise(frames):
        sent = (int(current.value["secMark"]) - int(previous.value["secMark"])) % MINUTE_MS
        received = (current.wall_time - previous.wall_time) * 1000.0
        error = abs(sent - received)
        worst = max(worst, error)
        if error > skew:
            problems.append(
                f"#{previous.seq}->#{current.seq}: secMark advanced {sent} ms, receive time {received:.0f} ms"
            )
            evidence.extend([previous.seq, current.seq])
    if bool(param(params, "check_absolute", False)):
        for frame in frames:
            local = (frame.wall_time * 1000.0) % MINUTE_MS
            error = min(abs(local - frame.value["secMark"]), MINUTE_MS - abs(local - frame.value["secMark"]))
            if error > skew:
                problems.append(f"#{frame.seq}: secMark {frame.value['secMark']} vs receive time {local:.0f} ms")
                evidence.append(frame.seq)
    if problems:
        return [
            failed(
                f"secMark inconsistent with time in {len(problems)} place(s): {listed(problems)}",
                evidence[:10],
                field_path="secMark",
                expected=f"within {skew:g} ms",
                observed=round(worst, 1),
                unit="ms",
            )
        ]
    return [
        passed(
            f"secMark advances with the clock (worst difference {worst:.0f} ms <= {skew:g} ms)",
            [f.seq for f in frames[:3]],
            field_path="secMark",
            observed=round(worst, 1),
            unit="ms",
        )
    ]


# ----------------------------------------------------------------------------------------------------------- MAP
def _node_key(node_ref: Mapping[str, Any]) -> tuple[int | None, int]:
    return node_ref.get("region"), int(node_ref["id"])


@check("map.references-resolve")
def map_references_resolve(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """MAP ids are unique and every reference that points inside the message resolves.

    Node ids are unique; lane ids unique within a link; a link does not come from its own node; a connection to a
    node of the same MAP names a lane of that node's link coming from this node. References to nodes outside the
    message (neighbouring intersections) cannot be resolved and are not judged.
    """
    frames = decoded(frames_or_inconclusive(context, "MAP"))
    problems: list[str] = []
    checked = 0
    for frame in frames:
        nodes = {_node_key(node["id"]): node for node in frame.value["nodes"]}
        if len(nodes) != len(frame.value["nodes"]):
            problems.append(f"#{frame.seq}: duplicate node ids")
        for key, node in nodes.items():
            for l_index, link in enumerate(node.get("inLinks", [])):
                where = f"#{frame.seq} node {key[1]} inLinks[{l_index}]"
                if _node_key(link["upstreamNodeId"]) == key:
                    problems.append(f"{where}: upstreamNodeId is the node itself")
                lane_ids = [lane["laneID"] for lane in link["lanes"]]
                if len(set(lane_ids)) != len(lane_ids):
                    problems.append(f"{where}: duplicate laneID")
                for lane in link["lanes"]:
                    for connection in lane.get("connectsTo", []):
                        remote = nodes.get(_node_key(connection["remoteIntersection"]))
                        target = connection.get("connectingLane", {}).get("lane")
                        if remote is None or target is None:
                            continue
                        checked += 1
                        links_from_here = [
                            lk for lk in remote.get("inLinks", []) if _node_key(lk["upstreamNodeId"]) == key
                        ]
                        if links_from_here and all(
                            target not in {ln["laneID"] for ln in lk["lanes"]} for lk in links_from_here
                        ):
                            problems.append(
                                f"{where} lane {lane['laneID']}: connecting lane {target} not in "
                                f"node {_node_key(connection['remoteIntersection'])[1]}"
                            )
    if problems:
        return [
            failed(
                f"MAP references do not resolve: {listed(problems)}",
                [f.seq for f in frames[:3]],
                field_path="nodes",
                observed=len(problems),
            )
        ]
    return [
        passed(
            f"{len(frames)} MAP frame(s): ids unique, {checked} internal connection(s) resolve",
            [f.seq for f in frames[:3]],
        )
    ]


def _map_phases(map_frames: Sequence[ObservedFrame]) -> dict[tuple[int | None, int], set[int]]:
    """Phase ids referenced by movements and connections, per intersection (node) of the observed MAPs."""
    phases: dict[tuple[int | None, int], set[int]] = {}
    for frame in map_frames:
        for node in frame.value["nodes"]:
            found = phases.setdefault(_node_key(node["id"]), set())
            for link in node.get("inLinks", []):
                found.update(m["phaseId"] for m in link.get("movements", []) if "phaseId" in m)
                for lane in link["lanes"]:
                    found.update(c["phaseId"] for c in lane.get("connectsTo", []) if "phaseId" in c)
    return phases


@check("spat.phase-ids-in-map", parameters=("require_all_map_phases",))
def spat_phase_ids_in_map(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """SPAT phase ids are those the MAP of the same intersection references (and, optionally, all of them)."""
    spat_frames = decoded(frames_or_inconclusive(context, "SPAT"))
    map_frames = decoded(context.frames_of("MAP"))
    if not map_frames:
        raise Inconclusive("no decodable MAP observed: SPAT phase ids cannot be compared with the MAP")
    map_phases = _map_phases(map_frames)
    problems: list[str] = []
    evidence: list[int] = []
    for frame in spat_frames:
        for state in frame.value["intersections"]:
            key = _node_key(state["intersectionId"])
            if key not in map_phases:
                problems.append(f"#{frame.seq}: intersection {key[1]} is not in the MAP")
                evidence.append(frame.seq)
                continue
            spat_ids = {phase["id"] for phase in state["phases"]}
            extra = sorted(spat_ids - map_phases[key])
            if extra:
                problems.append(f"#{frame.seq}: phase id(s) {extra} not referenced by the MAP of {key[1]}")
                evidence.append(frame.seq)
            missing = sorted(map_phases[key] - spat_ids)
            if missing and bool(param(params, "require_all_map_phases", True)):
                problems.append(f"#{frame.seq}: MAP phase id(s) {missing} have no SPAT state")
                evidence.append(frame.seq)
    if problems:
        return [
            failed(
                f"SPAT and MAP disagree: {listed(problems)}",
                [*evidence[:10], map_frames[0].seq],
                field_path="intersections.phases.id",
                expected=sorted(set().union(*map_phases.values())),
                observed=sorted({p["id"] for f in spat_frames for s in f.value["intersections"] for p in s["phases"]}),
            )
        ]
    return [
        passed(
            f"{len(spat_frames)} SPAT frame(s) use exactly the MAP's phase ids",
            [spat_frames[0].seq, map_frames[0].seq],
            field_path="intersections.phases.id",
        )
    ]


TIMEMARK_HOUR = 36_000  # TimeMark counts 0.1 s within the hour; 36001 means unknown (T/CSAE 53 TimeMark)

Phase = tuple[tuple[int | None, int], int]


def _current_timings(frame: ObservedFrame) -> dict[Phase, tuple[str, str, int]]:
    """(intersection, phase) -> (light, timing kind, end mark) of the phase state active now.

    ``counting`` timing: the state with startTime 0, and its likelyEndTime (time left, 0.1 s). ``utcTiming``: the
    first state, and its likelyEndUTCTime (absolute, 0.1 s within the hour). Unknown marks (36001) are skipped.
    """
    result: dict[Phase, tuple[str, str, int]] = {}
    for state in frame.value["intersections"]:
        for phase in state["phases"]:
            key = (_node_key(state["intersectionId"]), phase["id"])
            for position, phase_state in enumerate(phase["phaseStates"]):
                timing = phase_state.get("timing")
                if not isinstance(timing, tuple):
                    continue
                kind, value = timing
                if kind == "counting" and value["startTime"] == 0:
                    mark = int(value["likelyEndTime"])
                elif kind == "utcTiming" and position == 0:
                    mark = int(value["likelyEndUTCTime"])
                else:
                    continue
                if mark <= TIMEMARK_HOUR:
                    result[key] = (phase_state["light"], kind, mark)
                break
    return result


@check("spat.countdown-consistent", parameters=("tolerance_ds",))
def spat_countdown_consistent(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """While a phase keeps its light, its timing stays consistent between SPAT frames: a ``counting`` likelyEndTime
    (0.1 s left) decreases by the elapsed time; a ``utcTiming`` likelyEndUTCTime (absolute) stays where it was."""
    frames = decoded(frames_or_inconclusive(context, "SPAT", 2))
    tolerance = float(param(params, "tolerance_ds", 5))
    live = bool(getattr(context.transport.capabilities, "live", True))
    timed = bool(getattr(context.transport.capabilities, "timestamps", True))
    problems: list[str] = []
    evidence: list[int] = []
    compared = 0
    worst: tuple[float, Any, Any, str] = (0.0, None, None, "counting")
    for previous, current in pairwise(frames):
        elapsed_ds = (
            (current.monotonic - previous.monotonic) if live else (current.wall_time - previous.wall_time)
        ) * 10.0
        before, after = _current_timings(previous), _current_timings(current)
        for key, (light, kind, mark) in after.items():
            if key not in before or before[key][:2] != (light, kind):
                continue  # a new phase state (or timing form): its countdown restarts legitimately
            if kind == "counting" and not timed:
                continue  # a countdown needs the time between frames, which this recording lacks
            compared += 1
            expected = before[key][2] - elapsed_ds if kind == "counting" else float(before[key][2])
            error = abs(mark - expected)
            if kind == "utcTiming":
                error = min(error, TIMEMARK_HOUR - error)  # the absolute mark wraps at the hour
            if error > tolerance:
                problems.append(
                    f"#{previous.seq}->#{current.seq} phase {key[1]} ({light}, {kind}): {before[key][2]} then "
                    f"{mark}, expected about {expected:.0f} after {elapsed_ds / 10:.2f} s"
                )
                evidence.extend([previous.seq, current.seq])
                if error > worst[0]:
                    worst = (error, round(expected), mark, kind)
    if compared == 0:
        if not timed:
            raise NotApplicable(f"the recording ({context.transport.url}) has no receive times to time countdowns")
        raise Inconclusive("no phase kept its light across two consecutive SPAT frames with a known end time")
    if problems:
        end = "likelyEndTime" if worst[3] == "counting" else "likelyEndUTCTime"
        return [
            failed(
                f"SPAT timing jumps in {len(problems)} place(s): {listed(problems)}",
                evidence[:10],
                field_path=f"intersections.phases.phaseStates.timing.{worst[3]}.{end}",
                expected=worst[1],
                observed=worst[2],
                unit="0.1 s",
            )
        ]
    return [
        passed(
            f"{compared} timing step(s) consistent with elapsed time (±{tolerance:g} × 0.1 s)",
            [f.seq for f in frames[:3]],
        )
    ]


# ----------------------------------------------------------------------------------------------------------- RSI
def _rsi_points(value: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """(label, PositionOffsetLL) of every event/sign position and path point of an RSI (2019/2020 form)."""
    points: list[tuple[str, Any]] = []
    for kind, items, pos_field in (
        ("rtes", value.get("rtes", []), "eventPos"),
        ("rtss", value.get("rtss", []), "signPos"),
    ):
        for index, item in enumerate(items):
            if pos_field in item:
                points.append((f"{kind}[{index}].{pos_field}", item[pos_field]["offsetLL"]))
            for p_index, path in enumerate(item.get("referencePaths", [])):
                for q_index, point in enumerate(path["activePath"]):
                    points.append(
                        (f"{kind}[{index}].referencePaths[{p_index}].activePath[{q_index}]", point["offsetLL"])
                    )
    for q_index, point in enumerate(value.get("alertPath", [])):  # 2017 form
        points.append((f"alertPath[{q_index}]", point["offsetLL"]))
    return points


@check("rsi.path-near-refpos", parameters=("max_distance_m",))
def rsi_path_near_refpos(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """Event/sign positions and reference-path points lie within the allowed distance of the RSI's refPos."""
    frames = decoded(frames_or_inconclusive(context, "RSI"))
    limit = float(param(params, "max_distance_m", 2000))
    problems: list[str] = []
    farthest = 0.0
    for frame in frames:
        ref = (frame.value["refPos"]["lat"], frame.value["refPos"]["long"])
        for label, offset in _rsi_points(frame.value):
            distance = distance_m(ref, absolute_point(ref[0], ref[1], offset))
            farthest = max(farthest, distance)
            if distance > limit:
                problems.append(f"#{frame.seq} {label}: {distance:.0f} m from refPos")
    if problems:
        return [
            failed(
                f"RSI positions too far from refPos: {listed(problems)}",
                [frames[0].seq],
                field_path="rtes.referencePaths.activePath",
                expected=f"<= {limit:g} m",
                observed=round(farthest),
                unit="m",
            )
        ]
    return [
        passed(
            f"all RSI positions within {limit:g} m of refPos (farthest {farthest:.0f} m)",
            [f.seq for f in frames[:3]],
            observed=round(farthest),
            unit="m",
        )
    ]


@check("rsi.event-codes")
def rsi_event_codes(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """eventType follows GB/T 29100 (class and sequence both non-zero) and signType the GB 5768.2 index.

    Codes in the toolkit's confirmed subset pass; well-formed codes outside it are inconclusive (the bundled
    table holds only the rows confirmed from GB/T 29100 and GB 5768.2-2009); malformed codes fail.
    """
    frames = decoded(frames_or_inconclusive(context, "RSI"))
    known_events = {row.code for row in EVENT_TYPES if row.confirmed}
    known_signs = {row.code for row in SIGN_TYPES if row.confirmed}
    bad: list[str] = []
    unknown: list[str] = []
    for frame in frames:
        for item in frame.value.get("rtes", []):
            code = int(item["eventType"])
            if code // 100 == 0 or code % 100 == 0 or code > 9999:
                bad.append(f"#{frame.seq} eventType {code}")
            elif code not in known_events:
                unknown.append(f"#{frame.seq} eventType {code}")
        for item in frame.value.get("rtss", []):
            sign = int(item["signType"])
            if sign not in known_signs:
                unknown.append(f"#{frame.seq} signType {sign}")
    if bad:
        return [
            failed(
                f"malformed GB/T 29100 event code(s): {listed(bad)}",
                [frames[0].seq],
                field_path="rtes.eventType",
                expected="class (2 digits) and sequence (2 digits) non-zero",
            )
        ]
    if unknown:
        raise Inconclusive(
            f"well-formed code(s) outside the toolkit's confirmed table (a lab holding GB/T 29100 / "
            f"GB 5768.2 must confirm them): {listed(unknown)}"
        )
    return [
        passed(
            f"event and sign codes of {len(frames)} RSI frame(s) are in the confirmed tables",
            [f.seq for f in frames[:3]],
        )
    ]


# ----------------------------------------------------------------------------------------------------------- RSM
@check("rsm.participants-valid", parameters=("max_distance_m",))
def rsm_participants_valid(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """Participant ids are unique per message, ptcId 0 is only the RSU itself, positions are near refPos."""
    frames = decoded(frames_or_inconclusive(context, "RSM"))
    limit = float(param(params, "max_distance_m", 500))
    problems: list[str] = []
    for frame in frames:
        ref = (frame.value["refPos"]["lat"], frame.value["refPos"]["long"])
        ids = [p["ptcId"] for p in frame.value["participants"]]
        if len(set(ids)) != len(ids):
            problems.append(f"#{frame.seq}: duplicate ptcId")
        for index, participant in enumerate(frame.value["participants"]):
            if participant["ptcId"] == 0 and participant["ptcType"] != "rsu":
                problems.append(f"#{frame.seq} participants[{index}]: ptcId 0 is reserved for the RSU itself")
            distance = distance_m(ref, absolute_point(ref[0], ref[1], participant["pos"]["offsetLL"]))
            if distance > limit:
                problems.append(f"#{frame.seq} participants[{index}]: {distance:.0f} m from refPos")
    if problems:
        return [failed(f"RSM participants invalid: {listed(problems)}", [frames[0].seq], field_path="participants")]
    count = sum(len(frame.value["participants"]) for frame in frames)
    return [
        passed(
            f"{count} participant record(s) in {len(frames)} RSM frame(s) are consistent", [f.seq for f in frames[:3]]
        )
    ]


@check("rsi.priority-bits")
def rsi_priority_bits(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """RSI priority octets use only their top three bits ("top 3 of 8 bits used"; read, clause not verified)."""
    frames = decoded(frames_or_inconclusive(context, "RSI"))
    problems: list[str] = []
    seen = 0
    for frame in frames:
        for kind in ("rtes", "rtss"):
            for index, item in enumerate(frame.value.get(kind, [])):
                priority = item.get("priority")
                if priority is None:
                    continue
                seen += 1
                if bytes(priority)[0] & 0x1F:
                    problems.append(f"#{frame.seq} {kind}[{index}].priority = 0x{bytes(priority).hex()}")
    if seen == 0:
        raise Inconclusive("no RSI event or sign carries a priority")
    if problems:
        return [
            failed(
                f"RSI priority uses its low 5 bits: {listed(problems)}",
                [frames[0].seq],
                field_path="rtes.priority",
                expected="low 5 bits zero",
                observed=problems[0],
            )
        ]
    return [passed(f"{seen} RSI priority value(s) use only the top 3 bits", [f.seq for f in frames[:3]])]


@check("rsi.sign-type-in-table")
def rsi_sign_type_in_table(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """RSI signType values are rows of the GB 5768.2-2009 sign index (0 = a text message, which then needs its
    description).

    The bundled table holds only the rows confirmed from GB 5768.2-2009: other values are inconclusive, not failed.
    """
    frames = decoded(frames_or_inconclusive(context, "RSI"))
    known = {row.code for row in SIGN_TYPES if row.confirmed}
    signs = [(frame.seq, int(item["signType"])) for frame in frames for item in frame.value.get("rtss", [])]
    if not signs:
        raise Inconclusive("no RSI traffic sign (rtss) observed")
    # signType 0 is a text message (SignType in the RSI module): without a description the sign says nothing.
    empty = [
        (frame.seq, index)
        for frame in frames
        for index, item in enumerate(frame.value.get("rtss", []))
        if int(item["signType"]) == 0 and "description" not in item
    ]
    if empty:
        return [
            failed(
                f"{len(empty)} RSI sign(s) of signType 0 (a text message) carry no description: "
                + listed([f"#{seq} rtss[{index}]" for seq, index in empty]),
                [seq for seq, _ in empty[:10]],
                field_path=f"rtss[{empty[0][1]}].description",
                expected="a description (signType 0 = text message)",
                observed="absent",
            )
        ]
    unknown = [f"#{seq} signType {sign}" for seq, sign in signs if sign not in known]
    if unknown:
        raise Inconclusive(
            f"signType value(s) outside the toolkit's confirmed rows of GB 5768.2 (a lab holding "
            f"the standard must confirm them): {listed(unknown)}"
        )
    return [passed(f"{len(signs)} signType value(s) are confirmed GB 5768.2 rows", [signs[0][0]])]


@check("rsm.position-age", needs=("receive", "live"), parameters=("max_age_ms",))
def rsm_position_age(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """Each RSM participant's secMark is at most ``max_age_ms`` older than the frame's receive time.

    Needs the device and the test system to share a time base (GNSS/NTP); the difference is taken within the
    minute, as secMark is milliseconds within the minute.
    """
    frames = decoded(frames_or_inconclusive(context, "RSM"))
    limit = float(param(params, "max_age_ms", 150))
    problems: list[str] = []
    worst = 0.0
    worst_frame = frames[0]
    for frame in frames:
        received = (frame.wall_time * 1000.0) % MINUTE_MS
        for index, participant in enumerate(frame.value["participants"]):
            age = (received - int(participant["secMark"])) % MINUTE_MS
            age = age if age < MINUTE_MS / 2 else age - MINUTE_MS  # a secMark slightly ahead counts as negative
            if abs(age) > worst:
                worst, worst_frame = abs(age), frame
            if abs(age) > limit:
                problems.append(f"#{frame.seq} participants[{index}]: {age:.0f} ms")
    window = context.observation_timing
    # The age compares the device's clock with the kernel's receive stamp: the stamp's and the window's uncertainty
    # plus secMark's 1 ms resolution (rectangular). The two clocks are taken as synchronised (GNSS/NTP); their offset
    # is the lab's to control and is not part of U.
    uncertainty = round(math.hypot(context.timing.difference_u_ms(window), 2 * 0.5 / math.sqrt(3)), 3)
    return [
        timing_observation(
            "oldest RSM participant position",
            worst,
            unit="ms",
            uncertainty=uncertainty,
            window=window,
            upper=limit,
            texts={
                Verdict.PASS: f"every participant position is at most {worst:.0f} ms old (limit {limit:g} ms)",
                Verdict.FAIL: f"RSM participant positions older than {limit:g} ms: {listed(problems)}",
            },
            evidence=(worst_frame.seq,),
            field_path="participants.secMark",
            expected=f"<= {limit:g} ms",
            observed=round(worst),
        )
    ]


@check("bsm.emergency-ext")
def bsm_emergency_ext(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """A special (emergency) vehicle's BSMs carry emergencyExt (T/CSAE 53 2019+ editions; EVW application)."""
    if "emergencyExt" not in _bsm_members(context):
        raise NotApplicable(f"BasicSafetyMessage of {context.edition} has no emergencyExt")
    frames = decoded(frames_or_inconclusive(context, "BSM"))
    if not frames:
        raise Inconclusive("no BSM frame decoded strictly")
    missing = [frame.seq for frame in frames if "emergencyExt" not in frame.value]
    if missing:
        return [
            failed(
                f"{len(missing)} of {len(frames)} BSM frame(s) lack emergencyExt",
                missing[:10],
                field_path="emergencyExt",
                expected="present",
                observed="absent",
            )
        ]
    return [passed(f"all {len(frames)} BSM frames carry emergencyExt", [f.seq for f in frames[:3]])]


def _bsm_members(context: RunContext) -> set[str]:
    from ..codec.strict import codec_for

    resolver = codec_for(context.edition).resolver
    builtin, _chain = resolver.resolve({"type": "BasicSafetyMessage"})
    return {member.name for member in resolver.members(builtin)}
