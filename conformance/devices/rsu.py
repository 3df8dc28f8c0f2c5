"""The reference RSU: a consistent MAP, SPAT, RSI and RSM set at the transmission periods of the CCSA RSU
specification §4.4 (MAP <= 1 s, SPAT <= 500 ms, RSM 100 ms, RSI 1 s for static information; document number not
verified).

Content comes from :mod:`conformance.vectors.traffic` (one signalised intersection in Tianjin Xiqing): the MAP's
movements carry the phase ids of a fixed-time :class:`~conformance.vectors.traffic.SignalPlan`; each SPAT
follows that plan *at the current wall-clock time* (the cycle is anchored to the UTC epoch), so countdowns fall
with the clock between frames; RSM participants move along straight lines (a 20 s loop); msgCnt is +1 mod 128
per message type; MAP ``timeStamp``, SPAT ``moy``/``timeStamp``, RSI ``moy`` and RSM ``secMark`` come from the
clock. Default rates: MAP 1 Hz, SPAT 2 Hz, RSM 10 Hz, RSI 1 Hz.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar

from ..standards import messages
from ..vectors import traffic
from .base import DeviceConfig, SimDevice
from .faults import periodic

RSM_LOOP = 200  # RSM participants' positions repeat every 200 frames (20 s at 10 Hz)
RSM_INTERVAL_MS = round(1000 / messages.default_rates("RSM")["RSM"])  # 100 ms: one RSM period


@functools.cache
def _map_value(edition: str) -> dict[str, Any]:
    return traffic.map_intersection(edition=edition)


@functools.cache
def _rsi_value(edition: str) -> dict[str, Any]:
    return traffic.rsi_message(edition=edition)


@functools.cache
def _rsm_values(edition: str) -> tuple[dict[str, Any], ...]:
    return tuple(traffic.rsm_sequence(count=RSM_LOOP, interval_ms=RSM_INTERVAL_MS, edition=edition))


def _rsi_2019(value: dict[str, Any]) -> dict[str, Any]:
    """The RSI in csae53-2019 form: the first event's reference path reduced to one point (a circular area)."""
    old = copy.deepcopy(value)
    for rte in old.get("rtes", [])[:1]:
        for path in rte.get("referencePaths", []):
            path["activePath"] = path["activePath"][-1:]
    return old


class ReferenceRsu(SimDevice):
    """The built-in RSU (see module docstring); faults in :mod:`conformance.devices.faults`."""

    KIND = "rsu"
    #: The kinds it sends, at the message table's default rates.
    DEFAULT_RATES: ClassVar[Mapping[str, float]] = messages.default_rates("MAP", "SPAT", "RSI", "RSM")

    def __init__(self, config: DeviceConfig) -> None:
        super().__init__(config)
        self.plan = traffic.SignalPlan()
        if "wrong-rate" in self.faults:
            self.rates["SPAT"] = self.faults["wrong-rate"] or 1.0

    def build_frame(self, kind: str, index: int, wall: float) -> bytes:
        """Return the MessageFrame bytes of the ``index``-th ``kind`` frame at wall time ``wall``."""
        msg_cnt = self.next_msg_cnt(kind, index)
        moy, ms = traffic.time_fields(wall)
        edition = self.config.edition
        if kind == "MAP":
            value = copy.deepcopy(_map_value(edition))
            value.update(msgCnt=msg_cnt, timeStamp=moy)
            return self.encode("mapFrame", value)
        if kind == "SPAT":
            return self.encode("spatFrame", self.spat_value(index, msg_cnt, wall))
        if kind == "RSI":
            value = copy.deepcopy(_rsi_value(edition))
            value.update(msgCnt=msg_cnt, moy=moy)
            if "wrong-edition" in self.faults:
                return self.encode("rsiFrame", _rsi_2019(value), edition="csae53-2019")
            return self.encode("rsiFrame", value)
        if kind == "RSM":
            value = copy.deepcopy(_rsm_values(edition)[index % RSM_LOOP])
            value["msgCnt"] = msg_cnt
            for participant in value["participants"]:
                participant["secMark"] = ms
            if "out-of-range-field" in self.faults:
                value["participants"][0]["heading"] = 30_000  # Heading is 0..28800
                return self.encode("rsmFrame", value, checked=False)
            return self.encode("rsmFrame", value)
        raise ValueError(f"the reference RSU does not send {kind}")

    def spat_value(self, index: int, msg_cnt: int, wall: float) -> dict[str, Any]:
        """The SPAT at wall time ``wall``: the plan's state at that instant (cycle anchored to the epoch)."""
        plan = traffic.SignalPlan(stages=self.plan.stages, offset_s=wall % self.plan.cycle_s)
        start = datetime.fromtimestamp(wall, tz=UTC)
        value = traffic.spat_sequence(
            _map_value(self.config.edition),
            count=1,
            plan=plan,
            start=start,
            first_msg_cnt=msg_cnt,
            edition=self.config.edition,
        )[0]
        phases = value["intersections"][0]["phases"]
        if "map-spat-mismatch" in self.faults:
            for phase in phases:
                phase["id"] += 100
        if "spat-timing-jump" in self.faults and periodic(index):
            jump = int(self.faults["spat-timing-jump"] or 150)
            for phase in phases:
                timing = phase["phaseStates"][0]["timing"][1]
                timing["likelyEndTime"] = min(36_000, timing["likelyEndTime"] + jump)
        return value
