"""Small helpers shared by the check modules: parameters, observations, geometry."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.context import ObservedFrame, RunContext
from ..engine.model import Observation, Verdict
from ..engine.registry import Inconclusive, NotApplicable
from ..engine.timing import WindowTiming, decide, describe_uncertain, measurement

EARTH_RADIUS_M = 6_371_008.8
MAX_LISTED = 5  # failing frames listed per observation; the count says how many there were


def param(params: Mapping[str, Any], name: str, default: Any) -> Any:
    """Return a check parameter, falling back to ``default`` (the catalogue normally supplies every value)."""
    value = params.get(name, default)
    return default if value is None else value


def passed(message: str, evidence: Sequence[int] = (), **details: Any) -> Observation:
    """A pass observation."""
    return Observation(Verdict.PASS, message, evidence=tuple(evidence), **details)


def failed(message: str, evidence: Sequence[int] = (), **details: Any) -> Observation:
    """A fail observation (give field_path, expected and observed where they exist)."""
    return Observation(Verdict.FAIL, message, evidence=tuple(evidence), **details)


def upper_tester(context: RunContext, purpose: str) -> Any:
    """The device's upper tester; NotApplicable when it offers none (``purpose``: the tests that need it)."""
    tester = context.transport.upper_tester()
    if tester is None:
        raise NotApplicable(f"the device offers no upper tester; {purpose} need it (docs/upper-tester.md)")
    return tester


def frames_or_inconclusive(context: RunContext, message: str, minimum: int = 1) -> list[ObservedFrame]:
    """The observed frames of ``message``; Inconclusive when fewer than ``minimum`` were seen."""
    frames = context.frames_of(message)
    if len(frames) < minimum:
        window = context.observation_window
        raise Inconclusive(
            f"only {len(frames)} {message} frame(s) observed in the {window:g} s observation window; "
            f"at least {minimum} needed to judge"
        )
    return frames


def decoded(frames: Sequence[ObservedFrame]) -> list[ObservedFrame]:
    """Only the frames that decoded strictly."""
    return [frame for frame in frames if frame.ok]


def absolute_point(ref_lat: int, ref_lon: int, offset_ll: Any) -> tuple[float, float]:
    """Absolute (lat, lon) in 1e-7 degrees of a PositionOffsetLL relative to a reference position."""
    kind, value = offset_ll
    if kind == "position-LatLon":
        return float(value["lat"]), float(value["lon"])
    return ref_lat + float(value["lat"]), ref_lon + float(value["lon"])


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in metres between two (lat, lon) points given in 1e-7 degrees (haversine)."""
    lat1, lon1, lat2, lon2 = (math.radians(v / 1e7) for v in (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def timing_observation(
    quantity: str,
    value: float,
    *,
    unit: str,
    uncertainty: float,
    window: WindowTiming | None,
    texts: Mapping[Verdict, str],
    upper: float | None = None,
    lower: float | None = None,
    **details: Any,
) -> Observation:
    """Judge one timing value by the run's decision rule (``conformance.engine.timing``): pass / fail / inconc
    with the value, the limit(s) and the expanded uncertainty; inconc in a window where the host could not keep up.

    ``texts`` gives the message for PASS and FAIL; INCONC messages are written here."""
    verdict = decide(value, upper=upper, lower=lower, uncertainty=uncertainty)
    limit_text = (
        f"{lower:g}..{upper:g} {unit}"
        if upper is not None and lower is not None
        else (f"<= {upper:g} {unit}" if upper is not None else f">= {lower:g} {unit}")
    )
    if window is not None and window.overloaded:
        verdict = Verdict.INCONC
        message = f"{quantity} {value:.3f} {unit} (limit {limit_text}) not judged: " + "; ".join(window.reasons)
    elif verdict is Verdict.INCONC:
        message = f"{quantity}: " + describe_uncertain(value, limit_text, uncertainty, unit)
    else:
        message = texts[verdict] + f" (U = {uncertainty:.3g} {unit}, k = 2)"
    record = measurement(
        quantity, value, unit=unit, uncertainty=uncertainty, decision=verdict, upper=upper, lower=lower, window=window
    )
    return Observation(verdict, message, unit=unit, measurement=record, **details)


def listed(items: Sequence[str]) -> str:
    """Join up to MAX_LISTED items, saying how many more there were."""
    head = "; ".join(items[:MAX_LISTED])
    return head + (f"; and {len(items) - MAX_LISTED} more" if len(items) > MAX_LISTED else "")


__all__ = ["Inconclusive", "Verdict"]
