"""The one transport interface: how the toolkit reaches a device under test, whatever the medium.

A transport moves *raw bytes* (a UDP datagram, an MQTT payload, a recorded record) and stamps each received one
with wall and monotonic time and where it came from. It does not decode: the engine peels the network layer
declared in :attr:`Transport.framing` (``conformance.framing``) and decodes with the strict codec. What a
transport can do is declared in :class:`Capabilities`, so that a test needing a missing capability is *not
applicable with a reason*, never a failure.

A transport also describes its target URL: the scheme(s) it serves (:attr:`Transport.SCHEMES`), the query
parameters it takes (:attr:`Transport.PARAMETERS`, each a :class:`UrlParameter`: name, type, default, description)
and :meth:`Transport.from_url`, which builds it from the parsed URL (:class:`TargetUrl`).
``conformance.transports.urls.open_transport`` only looks the scheme up and parses the declared parameters.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, ClassVar
from urllib.parse import SplitResult

from ..errors import TargetUrlError, TransportError
from ..network.framing import Framing
from .kerneltime import SendTime
from .uppertester import UpperTester


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


# --- target URLs: what a transport declares ------------------------------------------------------------------
def whole(low: int = 0, high: int = 65535) -> Callable[[str], int]:
    """Type of a parameter that is a whole number in ``low..high`` (ports by default)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise ValueError("is not a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"is outside {low}..{high}")
        return value

    return parse


def positive(text: str) -> float:
    """Type of a parameter that is a positive number (seconds)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueError("is not a number") from None
    if value <= 0:
        raise ValueError("must be positive")
    return value


def one_of(*choices: str) -> Callable[[str], str]:
    """Type of a parameter that is one of ``choices``."""

    def parse(text: str) -> str:
        if text not in choices:
            raise ValueError(f"is not one of {', '.join(choices)}")
        return text

    return parse


def framing_type(text: str) -> Framing:
    """Type of the ``framing`` parameter."""
    try:
        return Framing(text)
    except ValueError:
        raise ValueError(f"is not one of {', '.join(f.value for f in Framing)}") from None


@dataclass(frozen=True)
class UrlParameter:
    """One query parameter of a target URL, as a transport declares it.

    ``type`` turns the text into the value, or raises ValueError with the reason (``"is not a whole number"``);
    ``default`` is the text used when neither the URL nor the PIXIT gives one (None: the parameter is then absent
    from :attr:`TargetUrl.params`); ``pixit`` names the PIXIT item that supplies the text when the URL does not.
    """

    name: str
    description: str
    type: Callable[[str], Any] = str
    default: str | None = None
    pixit: str = ""


def framing_parameter(description: str = "none (default) or dsmp") -> UrlParameter:
    """The ``framing`` parameter (network layer, PIXIT ``framing``) every transport takes."""
    return UrlParameter("framing", description, framing_type, "none", pixit="framing")


#: The ``ut_timeout`` parameter of transports with an upper tester.
UT_TIMEOUT = UrlParameter(
    "ut_timeout", "seconds to wait for an upper-tester reply (default 2)", positive, "2", pixit="ut_timeout"
)


@dataclass(frozen=True)
class TargetUrl:
    """A target URL taken apart for :meth:`Transport.from_url`.

    ``params`` holds every declared parameter the URL, the PIXIT or a default gave, already converted by its type;
    ``port`` is the URL's port (None when it has none).
    """

    url: str
    scheme: str
    parts: SplitResult
    port: int | None
    params: Mapping[str, Any]
    pixit: Mapping[str, Any]
    transport: type[Transport]

    def error(self, problem: str) -> TargetUrlError:
        """The usage error for this URL: ``problem``, with the scheme's URL form and parameters as the hint."""
        return url_error(self.url, problem, self.transport, self.scheme)


def url_error(url: str, problem: str, transport: type[Transport], scheme: str) -> TargetUrlError:
    """A :class:`TargetUrlError` for ``problem`` in ``url``, listing the form and parameters of ``scheme``."""
    listing = "; ".join(f"{p.name}: {p.description}" for p in transport.PARAMETERS)
    hint = f"Write {transport.SCHEMES[scheme]}[&PARAM=VALUE...]. Parameters of {scheme}://: {listing}."
    return TargetUrlError(f"Bad target URL {url!r}: {problem}.", hint=hint)


class Transport(ABC):
    """Base of every transport. Use as a context manager, or call :meth:`open` and :meth:`close`.

    A transport class declares its target URL: :attr:`SCHEMES`, :attr:`PARAMETERS` and :meth:`from_url`; one line
    in ``conformance.transports.urls.BUILTIN`` (or :func:`conformance.transports.urls.register_transport`) makes
    ``open_transport`` find it.
    """

    #: The URL schemes this class serves, each with the URL form shown in error messages (``udp://HOST:PORT?...``).
    SCHEMES: ClassVar[Mapping[str, str]] = {}
    #: The query parameters the URL may carry (any other one is an error naming it).
    PARAMETERS: ClassVar[tuple[UrlParameter, ...]] = ()

    url: str
    framing: Framing
    capabilities: Capabilities

    def __init__(self, url: str, framing: Framing = Framing.NONE) -> None:
        self.url = url
        self.framing = framing

    @classmethod
    def from_url(cls, target: TargetUrl) -> Transport:
        """Build the transport (not yet opened) for ``target``; raise ``target.error(...)`` for what its parameters
        cannot say (a missing host, a required parameter)."""
        raise NotImplementedError(f"{cls.__name__} does not declare how it is built from a URL")

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
