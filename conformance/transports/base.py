"""The one transport interface: how the toolkit reaches a device under test, whatever the medium.

A transport moves *raw bytes* (a UDP datagram, an MQTT payload, a recorded record) and stamps each received one
with wall and monotonic time and where it came from. It does not decode: the engine peels the network layer
declared in :attr:`Transport.framing` (``conformance.framing``) and decodes with the strict codec. What a
transport can do is declared in :class:`Capabilities`, so that a test needing a missing capability is *not
applicable with a reason*, never a failure.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from ..errors import ConformanceError
from ..network.framing import Framing
from .kerneltime import SendTime

if TYPE_CHECKING:  # the upper tester imports TransportError from here; avoid the import cycle at run time
    from .uppertester import UpperTester


class TransportError(ConformanceError):
    """The device could not be reached: bad URL, socket or broker failure, disconnect, upper-tester timeout.

    Exit code 3 (harness error): the device's conformance was not judged.
    """

    exit_code = 3


class TargetUrlError(TransportError):
    """A malformed ``--target`` URL: a usage error (exit code 2), the device was never contacted."""

    exit_code = 2


@dataclass(frozen=True)
class Received:
    """One frame received from the device, exactly as it arrived, with when and from where.

    ``encoding`` (an extension of the engine interface) says what ``raw`` holds: ``"uper"`` (bytes on the wire,
    possibly with the network header of :attr:`Transport.framing`) or ``"json"`` (an MQTT payload in the project's
    JSON form; :func:`conformance.transports.payload.frame_bytes` turns it into UPER bytes).
    """

    raw: bytes
    wall_time: float
    monotonic: float
    peer: str
    channel: str = ""
    encoding: str = "uper"
    #: "kernel" when ``wall_time`` is the kernel's receive timestamp (``conformance.transports.kerneltime``),
    #: "application" when it was read after the receive call returned (MQTT: includes the broker's latency).
    stamped_by: str = "application"
    #: The kernel's cumulative count of datagrams dropped on the receiving socket (None: not known).
    drops: int | None = None


@dataclass(frozen=True)
class Capabilities:
    """What a transport can do.

    ``live`` is False for recorded input (file, pcap): nothing can be sent and time is that of the recording.
    ``timestamps`` (an extension) is False when received frames carry no meaningful time at all (hex files), so
    rate and timing checks are not applicable.
    """

    send: bool
    receive: bool
    live: bool
    upper_tester: bool
    timestamps: bool = True


class Transport(ABC):
    """Base of every transport. Use as a context manager, or call :meth:`open` and :meth:`close`."""

    url: str
    framing: Framing
    capabilities: Capabilities

    def __init__(self, url: str, framing: Framing = Framing.NONE) -> None:
        self.url = url
        self.framing = framing

    @abstractmethod
    def open(self) -> None:
        """Acquire sockets / connections / files; raise TransportError when that fails."""

    @abstractmethod
    def close(self) -> None:
        """Release everything :meth:`open` acquired; safe to call twice or without :meth:`open`."""

    def send(self, data: bytes, *, channel: str = "") -> SendTime:
        """Send one frame to the device; return the wall times bracketing the send call. Raises TransportError."""
        raise TransportError(
            f"The transport {self.url} cannot send frames to the device.",
            hint="Receive tests need a live transport (udp://, mqtt:// or sim://), not a recording.",
        )

    @abstractmethod
    def receive(self, timeout: float) -> Received | None:
        """Return the next frame from the device, or None after ``timeout`` seconds (or at the end of a recording).

        Raises TransportError when the connection is lost.
        """

    def upper_tester(self) -> UpperTester | None:
        """Return the device's upper tester, or None when this transport has none."""
        return None

    def __enter__(self) -> Transport:
        self.open()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.url}>"
