"""Code tables used by the RSI generator, as data with their source (GB/T 29100, GB 5768.2-2009, the RSI ASN.1).

``confirmed=False`` marks a row whose code could not be confirmed against the standard's text; such rows carry
``code=None`` and are never used to generate messages (we do not invent codes). Labs holding the standards can
complete them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CodeRow:
    """One row of a code table."""

    key: str
    code: int | None
    meaning: str
    source: str
    confirmed: bool


_GB29100 = "GB/T 29100 traffic event code (class = thousands+hundreds digits, sequence = tens+units)"
_GB5768 = "GB 5768.2-2009 sign index row number"

#: RSI ``eventType`` (GB/T 29100).
EVENT_TYPES: tuple[CodeRow, ...] = (
    CodeRow("standing-water", 407, "standing water on the road (积水)", _GB29100, True),
    CodeRow("slippery-road", 408, "slippery road (路面湿滑)", _GB29100, True),
    CodeRow("congestion", 707, "traffic congestion (交通拥堵)", _GB29100, True),
    CodeRow("breakdown", None, "vehicle breakdown / abnormal stop: code not confirmed", _GB29100, False),
    CodeRow("road-works", None, "road works: code not confirmed", _GB29100, False),
    CodeRow("accident", None, "traffic accident: code not confirmed", _GB29100, False),
)

#: RSI ``signType`` (GB 5768.2-2009 sign index; 0 = unknown / text only).
SIGN_TYPES: tuple[CodeRow, ...] = (
    CodeRow("text", 0, "unknown sign / text only", _GB5768, True),
    CodeRow("sharp-bend", 2, "sharp bend (急弯路)", _GB5768, True),
    CodeRow("accident-prone", 34, "accident-prone section (事故易发路段)", _GB5768, True),
    CodeRow("road-works", 38, "road works (施工)", _GB5768, True),
    CodeRow("no-overtaking", 76, "no overtaking (禁止超车)", _GB5768, True),
    CodeRow("speed-limit", 85, "speed limit (限制速度)", _GB5768, True),
    CodeRow("pedestrian-crossing", 114, "pedestrian crossing (人行横道)", _GB5768, True),
    CodeRow("school", 242, "school ahead (注意学校)", _GB5768, True),
)

#: RSI ``eventSource`` ENUMERATED item names by number (names and numbers as in the RSI ASN.1 definition).
EVENT_SOURCES = {0: "unknown", 1: "police", 2: "government", 3: "meteorological", 4: "internet", 5: "detection"}


def code(table: tuple[CodeRow, ...], key: str) -> int:
    """Return the confirmed code of ``key`` in ``table``; an unconfirmed or unknown key raises ValueError."""
    for row in table:
        if row.key == key:
            if row.code is None or not row.confirmed:
                raise ValueError(f"code of {key!r} is not confirmed ({row.source}); it cannot be generated")
            return row.code
    known = ", ".join(row.key for row in table if row.confirmed)
    raise ValueError(f"unknown code {key!r}; confirmed keys: {known}")
