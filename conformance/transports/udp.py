"""``udp://HOST:PORT?listen=LPORT[&framing=none|dsmp][&ut=UTPORT][&bind=ADDR]`` — a device's air interface
forwarded over UDP, the way lab RSUs and OBUs connect to a test PC.

The device sends every frame it transmits to the toolkit's listen port (one datagram = one frame); the toolkit
sends test frames to HOST:PORT from the same socket. With ``ut=UTPORT`` the device's upper tester answers JSON
datagrams at HOST:UTPORT (``conformance.transports.uppertester``).
"""

from __future__ import annotations

import socket
import time
from collections.abc import Mapping
from typing import ClassVar

from ..errors import TransportError
from ..network.framing import Framing
from .base import UT_TIMEOUT, Capabilities, Received, TargetUrl, Transport, UrlParameter, framing_parameter, whole
from .kerneltime import SendTime, enable_timestamps, receive, send_bracketed
from .uppertester import MAX_DATAGRAM, UdpUpperTester, UpperTester


class UdpTransport(Transport):
    """A UDP socket bound to ``bind:listen`` (listen 0 = an ephemeral port, see :attr:`listen_port`)."""

    SCHEMES: ClassVar[Mapping[str, str]] = {"udp": "udp://HOST:PORT?listen=LPORT"}
    PARAMETERS = (
        UrlParameter(
            "listen",
            "UDP port on which the toolkit receives the device's frames (required; 0 = any free port)",
            whole(),
        ),
        framing_parameter("none (bare UPER MessageFrame, default) or dsmp"),
        UrlParameter("ut", "UDP port of the device's upper tester at HOST", whole(1)),
        UrlParameter("bind", "local address to listen on (default 127.0.0.1)", str, "127.0.0.1"),
        UT_TIMEOUT,
    )

    @classmethod
    def from_url(cls, target: TargetUrl) -> UdpTransport:
        """``udp://HOST:PORT?listen=LPORT[&framing=...][&ut=UTPORT][&bind=ADDR][&ut_timeout=S]``."""
        if not target.parts.hostname or target.port is None:
            raise target.error("the device's HOST:PORT is missing")
        if "listen" not in target.params:
            raise target.error("listen=LPORT (where the device sends its frames) is missing")
        return cls(
            target.url,
            host=target.parts.hostname,
            port=target.port,
            listen=target.params["listen"],
            framing=target.params["framing"],
            ut_port=target.params.get("ut"),
            bind=target.params["bind"],
            ut_timeout=target.params["ut_timeout"],
        )

    def __init__(
        self,
        url: str,
        *,
        host: str,
        port: int,
        listen: int,
        framing: Framing = Framing.NONE,
        ut_port: int | None = None,
        bind: str = "127.0.0.1",
        ut_timeout: float = 2.0,
    ) -> None:
        super().__init__(url, framing)
        self.host = host
        self.port = port
        self.listen = listen
        self.bind = bind
        self.ut_port = ut_port
        self.ut_timeout = ut_timeout
        self.capabilities = Capabilities(send=True, receive=True, live=True, upper_tester=ut_port is not None)
        self._sock: socket.socket | None = None
        self._ut: UdpUpperTester | None = None
        #: True once open() found that the kernel stamps received datagrams (SO_TIMESTAMPNS).
        self.kernel_timestamps = False

    @property
    def listen_port(self) -> int:
        """The port actually listened on (useful when ``listen=0``)."""
        return int(self._sock.getsockname()[1]) if self._sock else self.listen

    def open(self) -> None:
        """Bind the listen socket and, when configured, open the upper tester."""
        if self._sock is not None:
            return
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            sock.bind((self.bind, self.listen))
        except OSError as exc:
            sock.close()
            raise TransportError(
                f"Cannot listen on UDP {self.bind}:{self.listen}: {exc.strerror or exc}.",
                hint="Choose another listen= port, or stop the program already using it.",
            ) from None
        self.kernel_timestamps = enable_timestamps(sock)
        self._sock = sock
        if self.ut_port is not None:
            self._ut = UdpUpperTester(self.host, self.ut_port, bind=self.bind, timeout=self.ut_timeout)
            try:
                self._ut.open()
            except TransportError:
                self.close()
                raise

    def attach_upper_tester(self, ut_port: int, *, timeout: float | None = None) -> UpperTester:
        """Open the device's upper tester at HOST:``ut_port`` once the transport is open (a device whose ports
        are known only after it started, such as the reference devices' child processes)."""
        self._socket()
        if self._ut is not None:
            self._ut.close()
        self.ut_port = ut_port
        self.capabilities = Capabilities(send=True, receive=True, live=True, upper_tester=True)
        self._ut = UdpUpperTester(self.host, ut_port, bind=self.bind, timeout=timeout or self.ut_timeout)
        try:
            self._ut.open()
        except TransportError:
            self._ut = None
            raise
        return self._ut

    def close(self) -> None:
        """Close the upper tester and the socket."""
        if self._ut is not None:
            self._ut.close()
            self._ut = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _socket(self) -> socket.socket:
        if self._sock is None:
            raise TransportError(f"The transport {self.url} is not open.", hint="Call open() or use `with`.")
        return self._sock

    def send(self, data: bytes, *, channel: str = "") -> SendTime:
        """Send one datagram to HOST:PORT; return the wall times just before and after the send call."""
        sock = self._socket()
        try:
            return send_bracketed(sock, bytes(data), (self.host, self.port))
        except OSError as exc:
            raise TransportError(f"Cannot send to udp {self.host}:{self.port}: {exc.strerror or exc}.") from None

    def receive(self, timeout: float) -> Received | None:
        """Wait up to ``timeout`` seconds for one datagram from the device."""
        sock = self._socket()
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            sock.settimeout(max(deadline - time.monotonic(), 0.000001))
            try:
                datagram = receive(sock, MAX_DATAGRAM)
                break
            except TimeoutError:
                return None
            except ConnectionRefusedError:
                # Linux reports an ICMP port-unreachable caused by an earlier send here (the device's port is
                # closed); that is not a frame and not our socket failing: keep waiting.
                if time.monotonic() >= deadline:
                    return None
            except OSError as exc:
                raise TransportError(f"UDP receive on port {self.listen_port} failed: {exc.strerror or exc}.") from None
        return Received(
            raw=datagram.data,
            wall_time=datagram.wall,
            monotonic=datagram.monotonic,
            peer=f"{datagram.peer[0]}:{datagram.peer[1]}",
            stamped_by=datagram.stamped_by,
            drops=datagram.drops,
        )

    def upper_tester(self) -> UpperTester | None:
        """The device's upper tester (None without ``ut=``)."""
        return self._ut
