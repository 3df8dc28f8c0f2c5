"""Built-in reference devices: an RSU and an OBU over real loopback UDP, with fault switches.

``make demo`` and the project's tests run the checks against them; vendors can use them to see what a conformant
device looks like on the wire and through the upper tester (``docs/upper-tester.md``).
"""

from __future__ import annotations

from .base import DeviceConfig, DeviceError, SimDevice, parse_rates
from .faults import FAULTS, Fault, FaultError, faults_for, parse_faults
from .obu import ReferenceObu
from .rsu import ReferenceRsu

DEVICES: dict[str, type[SimDevice]] = {"rsu": ReferenceRsu, "obu": ReferenceObu}

__all__ = [
    "DEVICES",
    "FAULTS",
    "DeviceConfig",
    "DeviceError",
    "Fault",
    "FaultError",
    "ReferenceObu",
    "ReferenceRsu",
    "SimDevice",
    "faults_for",
    "parse_faults",
    "parse_rates",
]
