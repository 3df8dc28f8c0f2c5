"""Network-layer checks: DSMP (YD/T 3707-2020; test methods YD/T 3708-2020 "device sends / receives DSM").

They apply only when the test interface carries DSMP (``framing=dsmp`` on the target, PICS ``IUT.DSMP``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..engine.context import RunContext
from ..engine.model import Observation
from ..engine.registry import Inconclusive, NotApplicable, check
from ..errors import FramingError
from ..network.framing import Framing
from ..vectors.model import Vector, VectorClass
from ..vectors.mutations import dsmp_faults
from .active import decode_echo, survival, valid_frames
from .common import failed, listed, param, passed


def _require_dsmp(context: RunContext) -> None:
    if getattr(context.transport, "framing", Framing.NONE) is not Framing.DSMP:
        raise NotApplicable("the test interface carries bare MessageFrames (framing=none), not DSMP")


@check("dsmp.header", parameters=("protocol_type", "version"))
def dsmp_header(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """Every frame the device sends carries a valid DSMP header (protocol type, version, length matching)."""
    _require_dsmp(context)
    frames = context.observation()
    if not frames:
        raise Inconclusive(f"no frame observed in the {context.observation_window:g} s observation window")
    bad = [frame for frame in frames if isinstance(frame.error, FramingError)]
    expected = f"protocol type {param(params, 'protocol_type', 4)}, version {param(params, 'version', 0)}"
    if bad:
        first = bad[0].error
        assert isinstance(first, FramingError)
        return [
            failed(
                f"{len(bad)} of {len(frames)} frames have a broken DSMP header: "
                + listed([f"#{f.seq}: {f.error.describe() if f.error else ''}" for f in bad]),
                [f.seq for f in bad[:10]],
                field_path=f"dsmp.{first.field_name}" if first.field_name else "dsmp",
                expected=expected,
                observed=first.message,
            )
        ]
    return [passed(f"all {len(frames)} frames carry a valid DSMP header ({expected})", [f.seq for f in frames[:3]])]


@check("dsmp.receive", kind="active", needs=("send", "upper_tester"), parameters=("message", "count"))
def dsmp_receive(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """The device accepts DSMP-framed frames (registered AID) and its application layer gets them intact."""
    _require_dsmp(context)
    return decode_echo(context, params)


@check("dsmp.robustness", kind="active", needs=("send", "receive", "live"), parameters=("count", "recovery_window_s"))
def dsmp_robustness(context: RunContext, params: Mapping[str, Any]) -> Sequence[Observation]:
    """Malformed DSMP headers (wrong length, version, AID of another message) do not stop the device."""
    _require_dsmp(context)
    message = str(param(params, "message", "BSM")).upper()
    frame, value = valid_frames(context.edition, message, 1, seed=int(param(params, "seed", 11)))[0]
    source = Vector(context.edition, "MessageFrame", VectorClass.VALID, frame, value=value)
    faults = [
        (vector.violation.constraint if vector.violation else vector.generator, vector.data, True)
        for vector in dsmp_faults(source)
    ]
    if not faults:
        raise NotApplicable(f"no registered AID for {message}: DSMP faults cannot be built")
    count = int(param(params, "count", len(faults)))
    repeated = [faults[index % len(faults)] for index in range(max(count, 1))]
    return survival(context, params, repeated)
