"""The reference OBU: BSM at 10 Hz along a closed route around the sample intersection.

Content comes from :func:`conformance.vectors.traffic.bsm_stream` (kinematics, heading, path history): the route
is a closed loop so the vehicle drives it again and again without jumping; msgCnt is +1 mod 128, ``secMark`` is
the clock's millisecond within the minute at sending, ``id`` stays the same. When the upper tester sets the host
state (``set-state`` with ``lat``, ``long``, ``speed``, ``heading``, ``elevation`` in BSM units), the BSM reports
that state instead of the route (application tests drive the host vehicle this way).

It runs the Day-1 applications of :mod:`conformance.devices.applications` (RLVW, AVW, TJW, EBW, FCW) on what it
decodes and on the host state, and reports ``warning`` events through its upper tester (faults ``no-warning`` and
``false-warning`` break them on purpose).
"""

from __future__ import annotations

import copy
import functools
import itertools
import time
from collections.abc import Mapping
from typing import Any, ClassVar

from ..standards import messages
from ..transports.uppertester import Message, event
from ..vectors import traffic
from .applications import ApplicationLayer
from .base import DeviceConfig, SimDevice
from .faults import PERIOD, periodic

#: Closed route (east, north metres from the intersection): north on the through lane, around a block, back.
ROUTE: tuple[tuple[float, float], ...] = (
    (1.75, -250.0),
    (1.75, 250.0),
    (250.0, 250.0),
    (250.0, -250.0),
    (1.75, -250.0),
)
SPEED_MPS = 13.9
INTERVAL_MS = 100
VEHICLE_ID = b"XQ000001"
HOST_FIELDS = ("lat", "long", "elevation", "speed", "heading")


def _route_length() -> float:
    return sum(abs(x1 - x0) + abs(y1 - y0) for (x0, y0), (x1, y1) in itertools.pairwise(ROUTE))


@functools.cache
def _bsm_values(edition: str) -> tuple[dict[str, Any], ...]:
    count = round(_route_length() / (SPEED_MPS * INTERVAL_MS / 1000.0))
    return tuple(
        traffic.bsm_stream(
            count=count,
            route=ROUTE,
            speed_mps=SPEED_MPS,
            interval_ms=INTERVAL_MS,
            vehicle_id=VEHICLE_ID,
            edition=edition,
        )
    )


class ReferenceObu(SimDevice):
    """The built-in OBU (see module docstring); faults in :mod:`conformance.devices.faults`."""

    KIND = "obu"
    #: The kind it sends, at the message table's default rate.
    DEFAULT_RATES: ClassVar[Mapping[str, float]] = messages.default_rates("BSM")

    def __init__(self, config: DeviceConfig) -> None:
        super().__init__(config)
        if "wrong-rate" in self.faults:
            self.rates["BSM"] = self.faults["wrong-rate"] or 5.0
        mode = "never" if "no-warning" in self.faults else "always" if "false-warning" in self.faults else "normal"
        self.applications = ApplicationLayer(mode=mode)

    def on_decoded(self, alternative: str, value: Any) -> None:
        """Feed a decoded frame to the applications and report any warning that starts or ends."""
        self.applications.on_frame(alternative, value, time.monotonic())
        self._report_warnings()

    def handle_request(self, request: Message) -> Message:
        """Answer an upper-tester request; after ``set-state`` re-evaluate the applications for the new host."""
        response = super().handle_request(request)
        if request.get("type") == "set-state" and response.get("ok"):
            self._report_warnings()
        return response

    def _report_warnings(self) -> None:
        for fields in self.applications.evaluate(dict(self.host_state), time.monotonic()):
            if self.ut is not None:
                self.ut.emit(event("warning", **fields))

    def build_frame(self, kind: str, index: int, wall: float) -> bytes:
        """Return the MessageFrame bytes of the ``index``-th BSM at wall time ``wall``."""
        if kind != "BSM":
            raise ValueError(f"the reference OBU does not send {kind}")
        values = _bsm_values(self.config.edition)
        value = copy.deepcopy(values[index % len(values)])
        value["msgCnt"] = self.next_msg_cnt(kind, index)
        _, ms = traffic.time_fields(wall)
        if "secmark-jump" in self.faults and periodic(index):
            ms += int(self.faults["secmark-jump"] or 1500)
        value["secMark"] = ms % 60_000
        if "bsm-id-change" in self.faults:
            changes = (index + PERIOD - 1) // PERIOD  # 0 for frame 1, then +1 every 5 frames from frame 2
            value["id"] = VEHICLE_ID[:-1] + bytes([(VEHICLE_ID[-1] + changes) % 256])
        host = {key: val for key, val in self.host_state.items() if key in HOST_FIELDS}
        if host:
            pos = value["pos"]
            for key in ("lat", "long", "elevation"):
                if key in host:
                    pos[key] = host[key]
            for key in ("speed", "heading"):
                if key in host:
                    value[key] = host[key]
            value.pop("safetyExt", None)  # the path history of the route no longer applies
        if "wrong-edition" in self.faults:
            value.setdefault("safetyExt", {}).setdefault("pathHistory", {"crumbData": []})
            history = value["safetyExt"]["pathHistory"]
            if not history["crumbData"]:
                history["crumbData"] = [
                    {"llvOffset": {"offsetLL": ("position-LL1", {"lon": 0, "lat": 0})}, "timeOffset": 10}
                ]
            history["initialPosition"] = {
                "pos": dict(value["pos"]),
                "posAccuracy": {"semiMajor": 20, "semiMinor": 16, "orientation": 0},  # 2019: PositionalAccuracy
            }
            return self.encode("bsmFrame", value, edition="csae53-2019")
        if "out-of-range-field" in self.faults:
            value["heading"] = 30_000  # Heading is 0..28800
            return self.encode("bsmFrame", value, checked=False)
        return self.encode("bsmFrame", value)
