"""Configuration mistakes that must stop a run before it starts: the target URL, the capability statement and
the lab parameters contradicting one another.

**One source of truth for addresses: the target URL.** The PIXIT items ``target.host``, ``target.port``,
``listen.port``, ``upper_tester.host``, ``upper_tester.port`` and ``framing`` may be given (labs keep them with the
campaign's other parameters, and the report prints them) but must then say what the URL says; a PIXIT address the
URL does not carry, or one that differs from it, is a usage error (exit 2) naming the PIXIT line and the URL, so
that a report never prints an address that was not used. ``sim://`` targets choose their own loopback ports: PIXIT
addresses with them are an error too.

**The upper tester.** A capability statement that declares an upper tester (``IUT.UPPER-TESTER``) with a target
URL that has none — or the other way round — is a usage error naming the PICS line and the URL; otherwise the
receive and application tests would quietly become "not applicable".
"""

from __future__ import annotations

from typing import Any

from ..catalogue import Pics, Pixit
from ..errors import UsageError

UPPER_TESTER_ITEM = "IUT.UPPER-TESTER"
ADDRESS_ITEMS = ("target.host", "target.port", "listen.port", "upper_tester.host", "upper_tester.port", "framing")


def _url_addresses(transport: Any) -> dict[str, object] | None:
    """The addresses a transport object took from its URL, by PIXIT item (None: the scheme has no addresses)."""
    from ..transports.sim import SimTransport
    from ..transports.udp import UdpTransport

    if isinstance(transport, SimTransport):
        return {"framing": transport.framing.value}
    if isinstance(transport, UdpTransport):
        addresses: dict[str, object] = {
            "target.host": transport.host,
            "target.port": transport.port,
            "listen.port": transport.listen,
            "framing": transport.framing.value,
        }
        if transport.ut_port is not None:
            addresses["upper_tester.host"] = transport.host
            addresses["upper_tester.port"] = transport.ut_port
        return addresses
    return None


def check_addresses(target: str, transport: Any, pixit: Pixit | None) -> None:
    """PIXIT addresses must agree with the target URL (see module docstring); UsageError otherwise."""
    if pixit is None:
        return
    given = {
        name: pixit.values[name]
        for name in ADDRESS_ITEMS
        if name in pixit.values and name not in pixit.defaults and pixit.values[name] is not None
    }
    if not given:
        return
    from_url = _url_addresses(transport)
    if from_url is None:
        return  # mqtt://, file://, pcap://: these PIXIT items do not describe them
    for name, value in given.items():
        where = pixit.locations.get(name, pixit.source)
        if name not in from_url:
            scheme = target.split(":", 1)[0]
            raise UsageError(
                f"PIXIT {name} = {value} ({where}) is not used: the target URL {target} "
                + (
                    "chooses its own loopback ports."
                    if scheme == "sim"
                    else f"gives no {name.replace('.', ' ')}, and addresses come from the URL only."
                ),
                hint="Put the address in the target URL (e.g. udp://HOST:PORT?listen=LPORT&ut=UTPORT) and give the "
                "PIXIT item the same value, or remove it from the PIXIT.",
            )
        if str(from_url[name]) != str(value):
            raise UsageError(
                f"PIXIT {name} = {value} ({where}) contradicts the target URL {target}, which says {from_url[name]}.",
                hint="The URL decides where the toolkit sends and listens; make the PIXIT item agree with it or "
                "remove it.",
            )


def check_upper_tester(target: str, transport: Any, pics: Pics) -> None:
    """The PICS's upper-tester answer must match whether the target URL reaches one (see module docstring)."""
    answer = pics.answers.get(UPPER_TESTER_ITEM)
    if answer is None or not isinstance(answer.value, bool):
        return
    capabilities = getattr(transport, "capabilities", None)
    if capabilities is None or not getattr(capabilities, "live", False):
        return  # a recording has no upper tester whatever the device has
    has_one = bool(getattr(capabilities, "upper_tester", False))
    if answer.value and not has_one:
        raise UsageError(
            f"The capability statement declares an upper tester ({UPPER_TESTER_ITEM} = yes at {answer.source}), but "
            f"the target URL {target} reaches none.",
            hint="Add the upper tester's port to the URL (udp://HOST:PORT?listen=LPORT&ut=UTPORT), or answer no "
            "if the device has none (its receive and application tests are then not applicable).",
        )
    if not answer.value and has_one:
        raise UsageError(
            f"The target URL {target} names an upper tester, but the capability statement says the device has "
            f"none ({UPPER_TESTER_ITEM} = no at {answer.source}).",
            hint="Correct the capability statement, or remove ut= from the URL.",
        )
