"""Built-in reference devices: an RSU and an OBU over real loopback UDP, with fault switches.

``make demo`` and the project's tests run the checks against them; vendors can use them to see what a conformant
device looks like on the wire and through the upper tester (``docs/upper-tester.md``).
"""

from __future__ import annotations

from ..errors import DeviceError
from ..network.framing import Framing
from ..transports.sim import register_reference_device
from ..vectors.traffic import SUPPORTED_EDITIONS
from .base import DeviceConfig, SimDevice, parse_rates
from .faults import FAULTS, Fault, faults_for, parse_faults
from .obu import ReferenceObu
from .rsu import ReferenceRsu

DEVICES: dict[str, type[SimDevice]] = {"rsu": ReferenceRsu, "obu": ReferenceObu}


def configure(device: str, *, edition: str, framing: Framing, rates: str = "", faults: str = "") -> DeviceConfig:
    """The configuration of reference device ``device`` from text (a ``sim://`` URL's parameters): rates
    ``KIND:HZ,...`` and faults ``NAME[:ARG],...``; DeviceError or FaultError naming what is wrong."""
    config = DeviceConfig(
        edition=edition,
        framing=framing,
        rates=parse_rates(rates, DEVICES[device].DEFAULT_RATES),
        faults=parse_faults(faults, device),
    )
    if edition not in SUPPORTED_EDITIONS:
        raise DeviceError(f"edition={edition!r}: the reference devices speak {', '.join(SUPPORTED_EDITIONS)}")
    return config


for _name in DEVICES:  # sim://rsu and sim://obu start these devices
    register_reference_device(_name, configure)

__all__ = [
    "DEVICES",
    "FAULTS",
    "DeviceConfig",
    "Fault",
    "ReferenceObu",
    "ReferenceRsu",
    "SimDevice",
    "configure",
    "faults_for",
    "parse_faults",
    "parse_rates",
]
