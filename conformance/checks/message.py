"""Message-layer checks on what the device sends (YD/T 3710-2020 §6–§10, "device sends" tests).

Presence, strict decoding, edition, transmission rate and msgCnt sequence, for any message kind (BSM, MAP, SPAT,
RSI, RSM). Parameters come from the catalogue and the profile (defaults here only guard a missing value).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import Any

from ..codec.identify import MatchStatus, identify
from ..codec.strict import CodecError, codec_for
from ..engine.context import ObservedFrame, RunContext
from ..engine.model import Observation, Verdict
from ..engine.registry import Inconclusive, NotApplicable, check
from ..errors import ConformanceError
from ..network.framing import Framing, check_aid
from ..standards import messages
from .common import decoded, failed, frames_or_inconclusive, listed, param, passed, timing_observation


def _frame_kind(name: str) -> messages.MessageKind | None:
    """The frame kind (a MessageFrame alternative: BSM, MAP, SPAT, RSI, RSM, DAY2) called ``name``, or None."""
    kind = messages.get(name)
    return kind if kind is not None and not kind.in_open_type else None


def _message(params: Mapping[str, Any]) -> str:
    name = str(param(params, "message", "")).upper()
    if _frame_kind(name) is None:
        raise NotApplicable(f"parameter 'message' is {name!r}; expected one of BSM, MAP, SPAT, RSI, RSM")
    return name


def _day2_id(context: RunContext, frame: ObservedFrame) -> int | None:
    """messageId of a Day-2 frame, read without constraint checks so that undecodable frames are attributed too."""
    if frame.ok and isinstance(frame.value, dict):
        return int(frame.value["messageId"])
    if frame.frame is None:
        return None
    try:
        lax = codec_for(context.edition).edition.spec.decode("MessageFrame", frame.frame)
    except Exception:  # noqa: BLE001 - a frame too broken to read its messageId is attributed to no message
        return None
    return int(lax[1]["messageId"]) if isinstance(lax, tuple) and lax[0] == _day2().alternative else None


def _day2() -> messages.MessageKind:
    """The Day-2 frame (MessageFrame's extension alternative) in the message table."""
    day2 = messages.get("DAY2")
    assert day2 is not None
    return day2


def select_frames(context: RunContext, params: Mapping[str, Any], minimum: int = 1) -> tuple[str, list[ObservedFrame]]:
    """(label, observed frames) of the message a requirement names: a Day-1 message, or a Day-2 message given by
    ``message_id`` inside MessageFrameExt (``message: MessageFrameExt`` alone: every Day-2 frame).

    Inconclusive when fewer than ``minimum`` frames were observed.
    """
    name = str(param(params, "message", "")).upper()
    if _frame_kind(name) is not None:
        return name, frames_or_inconclusive(context, name, minimum)
    message_id = params.get("message_id")
    day2 = _day2()
    if message_id is None and name != day2.type_name.upper():  # "message: MessageFrameExt": every Day-2 frame
        raise NotApplicable(f"parameter 'message' is {name!r}: a Day-1 message or a Day-2 message with message_id")
    label = f"{name} (messageId {message_id})" if message_id is not None else day2.label
    frames = [
        frame
        for frame in context.frames_of(day2.name)
        if message_id is None or _day2_id(context, frame) == int(message_id)
    ]
    if len(frames) < minimum:
        raise Inconclusive(
            f"only {len(frames)} {label} frame(s) observed in the {context.observation_window:g} s window; "
            f"at least {minimum} needed to judge"
        )
    return label, frames


@check("message.present", parameters=("message",))
def message_present(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """The device sends the message at all during the observation window."""
    try:
        message, frames = select_frames(context, params, minimum=0)
    except Inconclusive:
        message, frames = str(params.get("message")), []
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
    message, frames = select_frames(context, params, int(param(params, "min_frames", 1)))
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
    message, selected = select_frames(context, params)
    frames = [frame for frame in selected if frame.frame is not None]
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
    end of the window (a device that stopped sending). Each value is judged against its limit with the run's
    measured uncertainty (``conformance.engine.timing``)."""
    message = _message(params)
    nominal = params.get("rate_hz")
    max_interval = params.get("max_interval_ms")
    if nominal is None and max_interval is None:
        raise NotApplicable("neither rate_hz nor max_interval_ms is given for this requirement")
    live = bool(getattr(context.transport.capabilities, "live", True))
    if not bool(getattr(context.transport.capabilities, "timestamps", True)):
        raise NotApplicable(f"the recording ({context.transport.url}) carries no receive times")
    frames = context.frames_of(message)
    window = context.observation_timing if live else None
    # Recorded times (pcap) are taken as the recording gives them: no uncertainty of the capture's clock is known.
    u_ms = context.timing.difference_u_ms(window) if window is not None else 0.0
    observations: list[Observation] = []
    expected_period_ms = 1000.0 / float(nominal) if nominal else float(max_interval or 0.0)
    if live and frames:
        silence_ms = (context.observation_span[1] - frames[-1].monotonic) * 1000.0
        allowed_ms = max(2 * expected_period_ms, float(max_interval or 0.0))
        if silence_ms > allowed_ms:
            observations.append(
                timing_observation(
                    f"silence at the end of the window ({message})",
                    silence_ms,
                    unit="ms",
                    uncertainty=u_ms,
                    window=window,
                    upper=allowed_ms,
                    texts={
                        Verdict.FAIL: f"the device stopped sending {message}: none in the last "
                        f"{silence_ms / 1000:.1f} s of the window",
                        Verdict.PASS: f"{message} silence {silence_ms:.1f} ms at the end of the window",
                    },
                    evidence=(frames[-1].seq,),
                    field_path="interval",
                    expected=f"<= {allowed_ms:g} ms without a {message}",
                    observed=round(silence_ms),
                )
            )
    minimum = int(param(params, "min_frames", 3))
    if len(frames) < minimum:
        if any(obs.verdict is Verdict.FAIL for obs in observations):
            return observations
        frames = frames_or_inconclusive(context, message, minimum)
    times = _times(frames, live)
    intervals = [round((b - a) * 1000.0, 3) for a, b in pairwise(times)]
    if times[-1] <= times[0]:
        raise Inconclusive(f"{message} frames carry no usable timing (all received at the same instant)")
    span_s = times[-1] - times[0]
    rate = (len(times) - 1) / span_s
    stats = {
        "rate_hz": round(rate, 3),
        "frames": len(frames),
        "intervals_ms": intervals,
        "mean_interval_ms": round(statistics.fmean(intervals), 3),
        "max_interval_ms": max(intervals),
        "min_interval_ms": min(intervals),
    }
    evidence = tuple(f.seq for f in frames)
    if nominal is not None:
        tolerance = float(param(params, "tolerance_pct", 10.0))
        low, high = float(nominal) * (1 - tolerance / 100), float(nominal) * (1 + tolerance / 100)
        expected = f"{float(nominal):g} Hz ± {tolerance:g} % ({low:.3g}..{high:.3g} Hz)"
        # The rate is (n - 1) / span: its uncertainty is that of the span, relative.
        u_rate = rate * (u_ms / 1000.0) / span_s
        observations.append(
            timing_observation(
                f"{message} rate",
                rate,
                unit="Hz",
                uncertainty=u_rate,
                window=window,
                lower=low,
                upper=high,
                texts={
                    Verdict.PASS: f"{message} rate {rate:.3f} Hz within {expected}",
                    Verdict.FAIL: f"{message} rate {rate:.3f} Hz outside {expected}",
                },
                evidence=evidence[:10],
                field_path="rate",
                expected=expected,
                observed=stats,
            )
        )
    if max_interval is not None:
        # tolerance_pct is the lab's allowance in the requirement; the measurement uncertainty is applied on top.
        limit = float(max_interval) * (1 + float(param(params, "tolerance_pct", 0.0)) / 100)
        longest = max(intervals)
        index = intervals.index(longest)
        over = sum(1 for gap in intervals if gap - u_ms > limit)
        observations.append(
            timing_observation(
                f"longest {message} interval",
                longest,
                unit="ms",
                uncertainty=u_ms,
                window=window,
                upper=limit,
                texts={
                    Verdict.PASS: f"every {message} interval within {float(max_interval):g} ms (+ tolerance: "
                    f"{limit:g} ms; longest {longest:.1f} ms, mean rate {rate:.3f} Hz)",
                    Verdict.FAIL: f"{over} {message} interval(s) exceed {float(max_interval):g} ms (+ tolerance: "
                    f"{limit:g} ms) by more than the measurement uncertainty; longest {longest:.1f} ms",
                },
                evidence=(frames[index].seq, frames[index + 1].seq),
                field_path="interval",
                expected=f"<= {float(max_interval):g} ms (measured <= {limit:g} ms)",
                observed=stats,
            )
        )
    return observations


def _sender_key(frame: ObservedFrame, live: bool = True) -> str:
    """Group frames by sender: the message's id field when it has one (BSM, RSI, RSM), else the peer on a live link.
    A recording's source (file line, pcap packet number) names no sender: its MAP and SPAT frames form one group."""
    value = frame.value if isinstance(frame.value, dict) else {}
    ident = value.get("id")
    if isinstance(ident, (bytes, bytearray)):
        return ident.hex()
    return frame.peer if live else "recording"


#: Fields that carry when a message was built, not what it says: ignored when the revision reading compares content.
MSGCNT_TIME_FIELDS = frozenset({"msgCnt", "moy", "timeStamp", "secMark"})
#: How a sender numbers a message stream (PICS RSU.MSGCNT.MAP-READING / RSU.MSGCNT.SPAT-READING): ``sequence`` =
#: +1 mod 128 per message; ``revision`` = unchanged while the content is unchanged, +1 mod 128 when it changes.
MSGCNT_READINGS = ("sequence", "revision")


def msgcnt_content(value: Any) -> Any:
    """``value`` without msgCnt and its time fields (moy, timeStamp, secMark at any depth): what the message says."""
    if isinstance(value, dict):
        return {key: msgcnt_content(item) for key, item in value.items() if key not in MSGCNT_TIME_FIELDS}
    if isinstance(value, list):
        return [msgcnt_content(item) for item in value]
    if isinstance(value, tuple):  # a CHOICE: (alternative, value)
        return tuple(msgcnt_content(item) for item in value)
    return value


def msgcnt_step_problem(step: int, changed: bool, reading: str, max_gap: int) -> str | None:
    """Why going ``step`` (mod 128) from one observed msgCnt to the next breaks ``reading``, or None when it does not.

    ``changed`` says whether the content (:func:`msgcnt_content`) changed between the two frames; ``max_gap``
    messages may have been lost on the air in between. Both readings refuse a backwards move (127 -> 0 is forwards),
    a skip beyond ``max_gap`` lost messages, and the same msgCnt with changed content; ``sequence`` also refuses a
    repeated msgCnt, ``revision`` a msgCnt that moved by one while the content stayed the same.
    """
    if step > 1 + max_gap:
        if step >= 64:
            return f"goes back by {128 - step}"
        return f"skips {step - 1} value(s) (at most {max_gap} lost message(s) tolerated)"
    if step == 0:
        if reading == "sequence":
            return "is repeated (each message takes the next value)"
        return "is unchanged although the content changed" if changed else None
    if step == 1 and reading == "revision" and not changed:
        return "changes although the content did not"
    return None  # 1 (sequence), or up to 1 + max_gap with lost messages in between (which may have changed content)


@check("message.msgcnt-sequence", parameters=("message", "modulo", "max_gap", "reading"))
def msgcnt_sequence(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """msgCnt numbers each sender's messages of one type: ``reading`` ``sequence`` (default) = +1 mod 128 per
    message (MsgCount 0..127, after 127 comes 0); ``revision`` = unchanged while the content is unchanged and +1 mod
    128 when it changes. ``max_gap`` tolerates that many lost messages between two observed ones (0 by default;
    the lab's PIXIT ``msgcnt.max_gap``, when given, overrides the catalogue value)."""
    pixit_gap = context.pixit.get("msgcnt.max_gap")
    max_gap = int(pixit_gap) if pixit_gap is not None else int(param(params, "max_gap", 0))
    gap_source = "PIXIT msgcnt.max_gap" if pixit_gap is not None else "max_gap"
    reading = str(param(params, "reading", "sequence"))
    if reading not in MSGCNT_READINGS:
        from ..errors import ConfigurationError

        raise ConfigurationError(f"msgcnt-sequence: reading {reading!r} is not one of {', '.join(MSGCNT_READINGS)}.")
    message = _message(params)
    observed = frames_or_inconclusive(context, message, 2)
    frames = decoded(observed)
    # A frame that does not decode is judged by the DECODE requirement; here its msgCnt is unknown: counted as lost.
    unread = [frame.seq for frame in observed if not frame.ok]
    live = bool(getattr(context.transport.capabilities, "live", True))
    by_sender: dict[str, list[ObservedFrame]] = {}
    for frame in frames:
        by_sender.setdefault(_sender_key(frame, live), []).append(frame)
    problems: list[tuple[ObservedFrame, ObservedFrame, str, bool]] = []
    pairs = changes = 0
    for group in by_sender.values():
        for previous, current in pairwise(group):
            pairs += 1
            step = (int(current.value["msgCnt"]) - int(previous.value["msgCnt"])) % 128
            changed = reading == "revision" and msgcnt_content(current.value) != msgcnt_content(previous.value)
            changes += changed
            lost = max_gap + sum(1 for seq in unread if previous.seq < seq < current.seq)
            problem = msgcnt_step_problem(step, changed, reading, lost)
            if problem is not None:
                problems.append((previous, current, problem, changed))
    if pairs == 0:
        raise Inconclusive(f"no two consecutive decodable {message} frames from one sender")
    rule = (
        "advances by 1 mod 128 per message"
        if reading == "sequence"
        else "stays while the content stays and advances by 1 mod 128 when it changes (revision reading)"
    )
    tolerance = f"{gap_source} {max_gap}"
    if not problems:
        counted = f"; {changes} content change(s)" if reading == "revision" else ""
        return [
            passed(
                f"msgCnt {rule} over {pairs} consecutive {message} pairs ({tolerance}{counted})",
                [f.seq for f in frames[:3]],
                field_path="msgCnt",
                expected=rule,
                observed=f"{pairs} pairs, none out of order",
            )
        ]
    previous, current, _, changed = problems[0]
    step_expected: Any = (int(previous.value["msgCnt"]) + (1 if reading == "sequence" or changed else 0)) % 128
    return [
        failed(
            f"{len(problems)} of {pairs} consecutive {message} pairs break the msgCnt rule ({rule}; {tolerance}): "
            + listed(
                [
                    f"#{p.seq}->#{c.seq}: {p.value['msgCnt']} then {c.value['msgCnt']}"
                    + (" (content changed)" if reading == "revision" and ch else "")
                    + f": msgCnt {why}"
                    for p, c, why, ch in problems
                ]
            ),
            [frame.seq for p, c, _, _ in problems[:5] for frame in (p, c)],
            field_path="msgCnt",
            expected=step_expected,
            observed=int(current.value["msgCnt"]),
        )
    ]


@check("dsmp.aid-matches", parameters=("message",))
def dsmp_aid_matches(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """Each DSMP-framed frame carries an AID registered for the message inside it (YD/T 3707; AID table)."""
    if getattr(context.transport, "framing", Framing.NONE) is not Framing.DSMP:
        raise NotApplicable("the transport carries bare MessageFrames (framing=none), not DSMP")
    from ..network import dsmp

    message = _message(params)
    kind = _frame_kind(message)
    assert kind is not None  # checked by _message
    frames = decoded(frames_or_inconclusive(context, message))
    wrong: list[str] = []
    for frame in frames:
        packet = dsmp.parse(frame.raw)
        try:
            check_aid(packet, kind.alternative)
        except ConformanceError as exc:
            wrong.append(f"#{frame.seq}: {exc.message}")
    if wrong:
        return [failed(f"{len(wrong)} {message} frame(s) with a wrong AID: {listed(wrong)}", field_path="dsmp.aid")]
    return [passed(f"{len(frames)} {message} frames carry a registered {message} AID", [f.seq for f in frames[:3]])]
