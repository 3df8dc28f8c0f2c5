"""Active checks: the toolkit sends frames to the device (YD/T 3710-2020 "device receives" tests, robustness).

``receive.decode-echo`` sends valid frames and compares, field by field, what the device reports through the upper
tester (docs/upper-tester.md) with what was sent. ``robustness.survives-invalid`` sends invalid and mutated frames
and requires the device to stay alive and keep transmitting normally.
"""

from __future__ import annotations

import copy
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any

from ..codec import jsonvalue
from ..codec.jsondiff import diff
from ..codec.strict import CodecError, codec_for
from ..engine.context import RunContext
from ..engine.model import Observation
from ..engine.registry import Inconclusive, NotApplicable, check
from ..standards import messages
from ..standards.samples import sample_values
from .common import failed, listed, param, passed, upper_tester


def valid_frames(edition: str, message: str, count: int, seed: int) -> list[tuple[bytes, Any]]:
    """``count`` distinct valid frames of ``message`` (the sample message with msgCnt and timing varied)."""
    kind = messages.get(message)
    if kind is None or kind.sample is None:
        raise NotApplicable(f"no valid {message} frames can be generated for receive tests")
    alternative, base = sample_values()[kind.short]
    rng = random.Random(seed)
    codec = codec_for(edition)
    frames = []
    for index in range(count):
        value = copy.deepcopy(base)
        value["msgCnt"] = (int(value["msgCnt"]) + index) % 128
        if message == "BSM":
            value["secMark"] = rng.randrange(60_000)
            value["speed"] = rng.randrange(0, 2000)
        frame_value = (alternative, value)
        try:
            frames.append((codec.encode(frame_value), frame_value))
        except CodecError as exc:
            raise NotApplicable(
                f"the bundled {message} generator does not fit edition {edition}: {exc.message}"
            ) from None
    return frames


def _wait_for_report(tester: Any, frame: bytes, timeout: float) -> dict[str, Any] | None:
    deadline = time.monotonic() + timeout
    while (remaining := deadline - time.monotonic()) > 0:
        event = tester.next_event(remaining)
        if event is None:
            return None
        if event.get("type") == "frame-received" and str(event.get("hex", "")).lower() == frame.hex():
            return event
    return None


@check(
    "receive.decode-echo",
    kind="active",
    needs=("send", "upper_tester"),
    parameters=("message", "count", "response_timeout_s"),
)
def decode_echo(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """The device decodes valid frames sent to it and reports every field as sent (upper tester echo)."""
    message = str(param(params, "message", "BSM")).upper()
    count = int(param(params, "count", 3))
    timeout = float(param(params, "response_timeout_s", 2.0))
    tester = upper_tester(context, "receive tests")
    tester.drain_events()
    observations: list[Observation] = []
    silent: list[str] = []
    echoed: list[int] = []
    for frame, value in valid_frames(context.edition, message, count, seed=int(param(params, "seed", 1))):
        sent = context.send(frame, note=f"receive test {message}")
        report = _wait_for_report(tester, frame, timeout)
        if report is None:
            silent.append(f"#{sent.seq}")
            continue
        expected = jsonvalue.to_json(value)
        reported = report.get("decoded")
        if isinstance(reported, dict) and "$choice" not in reported:
            expected = expected["value"]
        differences = diff(expected, reported)
        if differences:
            first = differences[0]
            observations.append(
                failed(
                    f"the device reported {len(differences)} field(s) differently from frame #{sent.seq}: "
                    + listed([f"{d.path}: sent {d.expected!r}, reported {d.observed!r}" for d in differences]),
                    [sent.seq],
                    field_path=first.path,
                    expected=first.expected,
                    observed=first.observed,
                )
            )
        else:
            echoed.append(sent.seq)
    if echoed:
        observations.append(
            passed(f"{len(echoed)} of {count} {message} frame(s) reported back field for field", echoed)
        )
    if silent and len(silent) == count:
        try:
            tester.request("ping")
        except Exception as exc:  # noqa: BLE001 - any upper-tester failure means we cannot judge
            raise Inconclusive(f"the upper tester does not answer ({exc}); no receive report arrived") from None
    if silent:
        observations.append(
            failed(
                f"no frame-received report within {timeout:g} s for {len(silent)} of {count} {message} frame(s): "
                f"{listed(silent)}",
                field_path="upper-tester",
                expected="frame-received report",
                observed="none",
                evidence=[int(s[1:]) for s in silent[:10]],
            )
        )
    return observations


def invalid_frames(edition: str, message: str, count: int, seed: int) -> list[tuple[str, bytes]]:
    """``count`` labelled invalid frames derived from a valid one: truncation, trailing bytes, bit flips, bad index."""
    frame, _value = valid_frames(edition, message, 1, seed)[0]
    rng = random.Random(seed)
    kinds: list[tuple[str, bytes]] = [
        ("truncated", frame[: max(1, len(frame) // 2)]),
        ("trailing bytes", frame + b"\x00\xff"),
        ("unknown CHOICE index", bytes([0x70 | (frame[0] & 0x0F)]) + frame[1:]),
        ("empty payload", b""),
    ]
    while len(kinds) < count:
        bit = rng.randrange(len(frame) * 8)
        flipped = bytearray(frame)
        flipped[bit // 8] ^= 0x80 >> (bit % 8)
        kinds.append((f"bit {bit} flipped", bytes(flipped)))
    return kinds[:count]


@check(
    "robustness.survives-invalid",
    kind="active",
    needs=("send", "receive", "live"),
    parameters=("message", "count", "recovery_window_s", "min_rate_ratio"),
)
def survives_invalid(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """After receiving invalid and mutated frames the device stays alive and keeps transmitting normally."""
    message = str(param(params, "message", "BSM")).upper()
    frames = invalid_frames(
        context.edition, message, int(param(params, "count", 8)), seed=int(param(params, "seed", 7))
    )
    return survival(context, params, [(label, data, False) for label, data in frames])


def survival(
    context: RunContext, params: Mapping[str, Any], frames: Sequence[tuple[str, bytes, bool]]
) -> Sequence[Observation]:
    """Send ``(label, bytes, raw)`` frames, then require the device to keep transmitting at a normal rate.

    ``raw`` frames go on the wire exactly as given (e.g. a broken DSMP header); the others are MessageFrames wrapped
    per the transport's framing. The baseline rate is the one of the shared observation window.
    """
    baseline_frames = context.observation()
    window = context.observation_window or 1.0
    if not baseline_frames:
        raise Inconclusive("the device sent nothing during the observation window: no baseline to compare with")
    baseline_rate = len(baseline_frames) / window
    sent_seqs = []
    for label, data, raw in frames:
        note = f"robustness: {label}"
        sent_seqs.append((context.send_raw(data, note=note) if raw else context.send(data, note=note)).seq)
    recovery = float(param(params, "recovery_window_s", 2.0))
    after = list(context.receive_for(recovery, note="robustness recovery"))
    rate = len(after) / recovery
    ratio = float(param(params, "min_rate_ratio", 0.5))
    evidence = sent_seqs[:3] + [frame.seq for frame in after[:3]]
    if rate < baseline_rate * ratio:
        return [
            failed(
                f"after {len(sent_seqs)} invalid frames the device sent {len(after)} frame(s) in "
                f"{recovery:g} s ({rate:.1f}/s; before: {baseline_rate:.1f}/s)",
                evidence,
                field_path="transmission",
                expected=f">= {baseline_rate * ratio:.1f} frames/s",
                observed=round(rate, 2),
                unit="frames/s",
            )
        ]
    return [
        passed(
            f"the device kept transmitting after {len(sent_seqs)} invalid frames "
            f"({rate:.1f}/s; before: {baseline_rate:.1f}/s)",
            evidence,
            observed=round(rate, 2),
            unit="frames/s",
        )
    ]
