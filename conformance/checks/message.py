"""Message-layer checks on what the device sends (YD/T 3710-2020 §6–§10, "device sends" tests).

Presence, strict decoding, edition, transmission rate and msgCnt sequence, for any message kind (BSM, MAP, SPAT,
RSI, RSM). Parameters come from the catalogue and the profile (defaults here only guard a missing value).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from ..codec import CodecError
from ..engine.context import ObservedFrame, RunContext
from ..engine.model import Observation
from ..engine.registry import Inconclusive, NotApplicable, check
from ..errors import ConformanceError
from ..framing import FRAME_MESSAGES, Framing, check_aid
from ..identify import MatchStatus, identify
from .common import decoded, failed, frames_or_inconclusive, listed, param, passed


def _message(params: Mapping[str, Any]) -> str:
    name = str(param(params, "message", "")).upper()
    if name not in FRAME_MESSAGES.values():
        raise NotApplicable(f"parameter 'message' is {name!r}; expected one of BSM, MAP, SPAT, RSI, RSM")
    return name


@check("message.present", parameters=("message",))
def message_present(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """The device sends the message at all during the observation window."""
    message = _message(params)
    frames = context.frames_of(message)
    window = context.observation_window
    if not frames:
        return [
            failed(
                f"no {message} frame in the {window:g} s observation window",
                expected="at least 1 frame",
                observed=0,
                unit="frames",
            )
        ]
    return [
        passed(
            f"{len(frames)} {message} frame(s) in {window:g} s",
            [f.seq for f in frames[:3]],
            observed=len(frames),
            unit="frames",
        )
    ]


def _error_text(error: ConformanceError | None) -> str:
    return error.describe() if error is not None else "unknown error"


@check("message.decode-strict", parameters=("message",))
def decode_strict(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """Every frame of the message decodes strictly (constraints, no trailing bytes) under the declared edition."""
    message = _message(params)
    frames = frames_or_inconclusive(context, message)
    bad = [frame for frame in frames if not frame.ok]
    if not bad:
        return [
            passed(
                f"all {len(frames)} {message} frames decode strictly under {context.edition}",
                [f.seq for f in frames[:3]],
                observed=len(frames),
                unit="frames",
            )
        ]
    first = bad[0].error
    return [
        failed(
            f"{len(bad)} of {len(frames)} {message} frames do not decode strictly under {context.edition}: "
            + listed([f"#{frame.seq}: {_error_text(frame.error)}" for frame in bad]),
            [frame.seq for frame in bad[:10]],
            field_path=first.field_path if isinstance(first, CodecError) else "",
            expected=f"a valid {message} under {context.edition}",
            observed=first.message if first is not None else "",
        )
    ]


@check("message.edition", parameters=("message",))
def edition_as_declared(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """The frames identify as the declared edition (strict decode and byte-identical re-encode)."""
    message = _message(params)
    frames = [frame for frame in frames_or_inconclusive(context, message) if frame.frame is not None]
    wrong: list[tuple[ObservedFrame, list[str]]] = []
    for frame in frames[: int(param(params, "max_frames", 50))]:
        assert frame.frame is not None
        results = identify(frame.frame)
        status = {result.edition: result.status for result in results}
        if status.get(context.edition) is not MatchStatus.MATCH:
            matches = [result.edition for result in results if result.status is MatchStatus.MATCH]
            wrong.append((frame, matches))
    if not wrong:
        return [passed(f"{len(frames)} {message} frames identify as {context.edition}", [f.seq for f in frames[:3]])]
    matches = wrong[0][1]
    return [
        failed(
            f"{len(wrong)} {message} frame(s) are not {context.edition} frames: "
            + listed([f"#{frame.seq} identifies as {', '.join(m) or 'no bundled edition'}" for frame, m in wrong]),
            [frame.seq for frame, _ in wrong[:10]],
            expected=context.edition,
            observed=", ".join(matches) or "no bundled edition",
        )
    ]


def _times(frames: Sequence[ObservedFrame], live: bool) -> list[float]:
    return [frame.monotonic if live else frame.wall_time for frame in frames]


@check("message.rate", parameters=("message", "rate_hz", "tolerance_pct", "max_interval_ms", "min_frames"))
def transmission_rate(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """The message is sent at the required rate: mean rate within tolerance of ``rate_hz`` (when given), no
    interval longer than ``max_interval_ms`` (when given, e.g. MAP <= 1 s, SPAT <= 500 ms), and no silence at the
    end of the window (a device that stopped sending)."""
    message = _message(params)
    nominal = params.get("rate_hz")
    max_interval = params.get("max_interval_ms")
    if nominal is None and max_interval is None:
        raise NotApplicable("neither rate_hz nor max_interval_ms is given for this requirement")
    live = bool(getattr(context.transport.capabilities, "live", True))
    if not bool(getattr(context.transport.capabilities, "timestamps", True)):
        raise NotApplicable(f"the recording ({context.transport.url}) carries no receive times")
    frames = context.frames_of(message)
    observations: list[Observation] = []
    expected_period_ms = 1000.0 / float(nominal) if nominal else float(max_interval or 0.0)
    if live and frames:
        silence_ms = (context.observation_span[1] - frames[-1].monotonic) * 1000.0
        allowed_ms = max(2 * expected_period_ms, float(max_interval or 0.0))
        if silence_ms > allowed_ms:
            observations.append(
                failed(
                    f"the device stopped sending {message}: none in the last {silence_ms / 1000:.1f} s of the window",
                    [frames[-1].seq],
                    field_path="interval",
                    expected=f"<= {allowed_ms:g} ms without a {message}",
                    observed=round(silence_ms),
                    unit="ms",
                )
            )
    minimum = int(param(params, "min_frames", 3))
    if len(frames) < minimum:
        if observations:
            return observations
        frames = frames_or_inconclusive(context, message, minimum)
    times = _times(frames, live)
    intervals = [round((b - a) * 1000.0, 3) for a, b in pairwise(times)]
    if times[-1] <= times[0]:
        raise Inconclusive(f"{message} frames carry no usable timing (all received at the same instant)")
    rate = (len(times) - 1) / (times[-1] - times[0])
    stats = {
        "rate_hz": round(rate, 3),
        "frames": len(frames),
        "intervals_ms": intervals,
        "mean_interval_ms": round(statistics.fmean(intervals), 3),
        "max_interval_ms": max(intervals),
        "min_interval_ms": min(intervals),
    }
    evidence = [f.seq for f in frames]
    if nominal is not None:
        tolerance = float(param(params, "tolerance_pct", 10.0))
        low, high = float(nominal) * (1 - tolerance / 100), float(nominal) * (1 + tolerance / 100)
        expected = f"{float(nominal):g} Hz ± {tolerance:g} % ({low:.3g}..{high:.3g} Hz)"
        verdict = passed if low <= rate <= high else failed
        word = "within" if low <= rate <= high else "outside"
        observations.append(
            verdict(
                f"{message} rate {rate:.3f} Hz {word} {expected}",
                evidence[:10],
                field_path="rate",
                expected=expected,
                observed=stats,
                unit="Hz",
            )
        )
    if max_interval is not None:
        # The measured interval includes the network's jitter; the lab's tolerance_pct is the measurement allowance.
        limit = float(max_interval) * (1 + float(param(params, "tolerance_pct", 0.0)) / 100)
        gaps = [(i, gap) for i, gap in enumerate(intervals) if gap > limit]
        if gaps:
            index, gap = max(gaps, key=lambda item: item[1])
            observations.append(
                failed(
                    f"{len(gaps)} {message} interval(s) exceed {float(max_interval):g} ms (+ tolerance: "
                    f"{limit:g} ms); longest {gap:.1f} ms",
                    [frames[index].seq, frames[index + 1].seq],
                    field_path="interval",
                    expected=f"<= {float(max_interval):g} ms (measured <= {limit:g} ms)",
                    observed=stats,
                    unit="ms",
                )
            )
        else:
            observations.append(
                passed(
                    f"every {message} interval within {float(max_interval):g} ms (+ tolerance: {limit:g} ms; "
                    f"longest {max(intervals):.1f} ms, mean rate {rate:.3f} Hz)",
                    evidence[:3],
                    field_path="interval",
                    expected=f"<= {float(max_interval):g} ms (measured <= {limit:g} ms)",
                    observed=stats,
                    unit="ms",
                )
            )
    return observations


def _sender_key(frame: ObservedFrame) -> str:
    """Group frames by sender: the message's id field when it has one (BSM, RSI, RSM), else the peer."""
    value = frame.value if isinstance(frame.value, dict) else {}
    ident = value.get("id")
    if isinstance(ident, (bytes, bytearray)):
        return ident.hex()
    return frame.peer


@check("message.msgcnt-sequence", parameters=("message",))
def msgcnt_sequence(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """msgCnt increases by one per message of a sender, modulo 128 (T/CSAE 53 MsgCount 0..127)."""
    message = _message(params)
    frames = decoded(frames_or_inconclusive(context, message, 2))
    by_sender: dict[str, list[ObservedFrame]] = {}
    for frame in frames:
        by_sender.setdefault(_sender_key(frame), []).append(frame)
    problems: list[tuple[ObservedFrame, ObservedFrame, int, int]] = []
    pairs = 0
    for group in by_sender.values():
        for previous, current in pairwise(group):
            pairs += 1
            expected = (int(previous.value["msgCnt"]) + 1) % 128
            if int(current.value["msgCnt"]) != expected:
                problems.append((previous, current, expected, int(current.value["msgCnt"])))
    if pairs == 0:
        raise Inconclusive(f"no two consecutive decodable {message} frames from one sender")
    if not problems:
        return [
            passed(
                f"msgCnt advances by 1 mod 128 over {pairs} consecutive {message} pairs",
                [f.seq for f in frames[:3]],
                field_path="msgCnt",
            )
        ]
    previous, current, expected, observed = problems[0]
    return [
        failed(
            f"{len(problems)} of {pairs} consecutive {message} pairs break the msgCnt sequence: "
            + listed([f"#{p.seq}->#{c.seq}: {p.value['msgCnt']} then {o} (expected {e})" for p, c, e, o in problems]),
            [previous.seq, current.seq],
            field_path="msgCnt",
            expected=expected,
            observed=observed,
        )
    ]


@check("dsmp.aid-matches", parameters=("message",))
def dsmp_aid_matches(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """Each DSMP-framed frame carries an AID registered for the message inside it (YD/T 3707; AID table)."""
    if getattr(context.transport, "framing", Framing.NONE) is not Framing.DSMP:
        raise NotApplicable("the transport carries bare MessageFrames (framing=none), not DSMP")
    from .. import dsmp

    message = _message(params)
    frames = decoded(frames_or_inconclusive(context, message))
    wrong: list[str] = []
    for frame in frames:
        packet = dsmp.parse(frame.raw)
        try:
            check_aid(packet, {v: k for k, v in FRAME_MESSAGES.items()}[message])
        except ConformanceError as exc:
            wrong.append(f"#{frame.seq}: {exc.message}")
    if wrong:
        return [failed(f"{len(wrong)} {message} frame(s) with a wrong AID: {listed(wrong)}", field_path="dsmp.aid")]
    return [passed(f"{len(frames)} {message} frames carry a registered {message} AID", [f.seq for f in frames[:3]])]
