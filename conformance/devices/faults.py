"""Fault switches of the reference devices: each one small, named, deterministic and documented.

The project proves every check against the faulty device (the check must fail) and the clean one (it must pass),
so a fault depends on the frame's position in its stream (or on a fixed time), never on chance. A fault may take
one number, written ``NAME:ARG`` (e.g. ``no-response:5``), or, for a fault that strikes per message type, the
message type it is limited to (``skip-msgcnt:SPAT``: recorded as the key ``skip-msgcnt:SPAT``; see :func:`strikes`);
several are separated by commas.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from ..errors import FaultError


@dataclass(frozen=True, slots=True)
class Fault:
    """One fault switch: name, the devices that have it, what it does, and its optional argument."""

    name: str
    devices: tuple[str, ...]
    summary: str
    argument: str = ""
    default: float | None = None
    per_kind: bool = False  # the argument is a message type the fault is limited to, not a number


#: Frames hit by periodic faults: the 2nd, 7th, 12th, ... frame (1-based) of each message type.
PERIOD = 5


def periodic(index: int) -> bool:
    """True for the 0-based frame indices a periodic fault hits (1, 6, 11, ...)."""
    return index % PERIOD == 1


FAULTS: dict[str, Fault] = {
    fault.name: fault
    for fault in (
        Fault(
            "skip-msgcnt",
            ("rsu", "obu"),
            "msgCnt skips one value on frames 2, 7, 12, ... of each message type (of message type ARG only, when "
            "given: skip-msgcnt:SPAT).",
            "message type (MAP, SPAT, RSI, RSM; BSM)",
            per_kind=True,
        ),
        Fault(
            "wrong-rate",
            ("rsu", "obu"),
            "RSU: SPAT at ARG Hz instead of 2 Hz; OBU: BSM at ARG Hz instead of 10 Hz.",
            "rate in Hz (RSU default 1, OBU default 5)",
        ),
        Fault(
            "out-of-range-field",
            ("rsu", "obu"),
            "heading 30000 (Heading is 0..28800) in every RSM's first participant (RSU) / every BSM (OBU), "
            "written with asn1tools' unchecked encoder.",
        ),
        Fault(
            "spat-timing-jump",
            ("rsu",),
            "likelyEndTime of every phase jumps ARG tenths of a second up on SPAT frames 2, 7, 12, ...",
            "jump in 0.1 s",
            150,
        ),
        Fault("map-spat-mismatch", ("rsu",), "SPAT phase ids are the MAP's plus 100 (not referenced by the MAP)."),
        Fault(
            "wrong-edition",
            ("rsu", "obu"),
            "RSU: every RSI in csae53-2019 form (a reference path of one point, allowed only in 2019), encoded under "
            "csae53-2019; OBU: every BSM carries pathHistory.initialPosition in the 2019 FullPositionVector form.",
        ),
        Fault(
            "no-response",
            ("rsu", "obu"),
            "ARG seconds after start the device goes silent: no frames, no upper-tester replies or events.",
            "seconds",
            2.0,
        ),
        Fault(
            "crash-on-malformed",
            ("rsu", "obu"),
            "The device stops entirely (closes its sockets) when it receives a frame it cannot decode.",
        ),
        Fault("bsm-id-change", ("obu",), "The BSM id changes every 5 frames (from frame 2 on)."),
        Fault("secmark-jump", ("obu",), "secMark is ARG ms ahead of the clock on frames 2, 7, 12, ...", "ms", 1500),
        Fault("ut-silent", ("rsu", "obu"), "The upper tester answers requests but never reports received frames."),
        Fault("no-warning", ("obu",), "The applications (RLVW, AVW, TJW, EBW, FCW) never raise a warning."),
        Fault(
            "false-warning",
            ("obu",),
            "The applications warn about every vehicle, intersection and RSI event they know, whether their rule "
            "holds or not (so also in No-Warn and Suppress-Warn geometry).",
        ),
    )
}

#: Fault-argument defaults that depend on the device.
DEVICE_DEFAULTS = {("wrong-rate", "rsu"): 1.0, ("wrong-rate", "obu"): 5.0}


def faults_for(device: str) -> list[Fault]:
    """The faults a device ('rsu' or 'obu') has, in documentation order."""
    return [fault for fault in FAULTS.values() if device in fault.devices]


def strikes(faults: Mapping[str, float | None], name: str, kind: str) -> bool:
    """True when fault ``name`` is switched on for message type ``kind``: for every type (``NAME``) or for this
    one (``NAME:KIND``, a fault with ``per_kind``)."""
    return name in faults or f"{name}:{kind.upper()}" in faults


def _per_kind(fault: Fault, arg: str, device: str) -> str:
    """The key ``NAME:KIND`` of a fault limited to one message type of ``device`` (FaultError for another type)."""
    from . import DEVICES  # the devices import this module: read their message types at call time

    kinds = list(DEVICES[device].DEFAULT_RATES)
    if arg.upper() not in kinds:
        raise FaultError(
            f"Fault {fault.name!r}: {arg!r} is not a message type the reference {device} sends.",
            hint=f"Write {fault.name}:TYPE with TYPE one of {', '.join(kinds)}, or just {fault.name} for all of them.",
        )
    return f"{fault.name}:{arg.upper()}"


def parse_faults(specs: str | Iterable[str], device: str) -> dict[str, float | None]:
    """Parse ``NAME[:ARG]`` items (comma-separated or several) into {name: argument} for ``device``; a fault limited
    to one message type (``skip-msgcnt:SPAT``) becomes the key ``skip-msgcnt:SPAT`` with no argument.

    Raises FaultError naming the bad item and listing the device's faults.
    """
    items = [specs] if isinstance(specs, str) else list(specs)
    names = [part.strip() for item in items for part in item.split(",") if part.strip()]
    valid = ", ".join(fault.name for fault in faults_for(device))
    chosen: dict[str, float | None] = {}
    for item in names:
        name, _, arg = item.partition(":")
        fault = FAULTS.get(name)
        if fault is None or device not in fault.devices:
            where = "no such fault" if fault is None else f"a fault of {'/'.join(fault.devices)} only"
            raise FaultError(f"Fault {name!r} is {where}.", hint=f"Faults of the reference {device}: {valid}.")
        value: float | None = DEVICE_DEFAULTS.get((name, device), fault.default)
        if arg and fault.per_kind:
            chosen[_per_kind(fault, arg, device)] = None
            continue
        if arg:
            if not fault.argument:
                raise FaultError(f"Fault {name!r} takes no argument (got {arg!r}).", hint="Write just the name.")
            try:
                value = float(arg)
            except ValueError:
                raise FaultError(f"Fault {name!r}: argument {arg!r} is not a number ({fault.argument}).") from None
            if value < 0 or (value == 0 and name == "wrong-rate"):
                must = "positive" if name == "wrong-rate" else "zero or more"
                raise FaultError(f"Fault {name!r}: argument {arg!r} must be {must}.")
        chosen[name] = value
    return chosen


def describe(device: str) -> Mapping[str, str]:
    """{name: summary} of a device's faults (for ``v2xc sim rsu --list-faults``)."""
    return {fault.name + (":ARG" if fault.argument else ""): fault.summary for fault in faults_for(device)}
