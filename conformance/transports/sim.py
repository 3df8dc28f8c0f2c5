"""``sim://rsu`` and ``sim://obu`` — a built-in reference device started in a background thread.

Query parameters: ``fault=NAME[:ARG][,NAME...]`` (see ``v2xc sim rsu --list-faults``), ``edition=ID``
(csae53-2019 or csae53-2020, default 2020), ``rates=KIND:HZ[,...]`` and ``framing=none|dsmp``. The device talks to
this transport over real UDP sockets on 127.0.0.1 (ephemeral ports) and its upper tester is reached over
loopback too, exactly as an external device would be through ``udp://``.
"""

from __future__ import annotations

from ..devices import DEVICES, DeviceConfig, SimDevice
from ..framing import Framing
from ..uppertester import UpperTester
from .base import Capabilities, Received, Transport, TransportError
from .udp import UdpTransport

LOOPBACK = "127.0.0.1"


class SimTransport(Transport):
    """A reference device plus a :class:`UdpTransport` connected to it; :attr:`device` is the running device."""

    def __init__(self, url: str, *, device: str, config: DeviceConfig, ut_timeout: float = 2.0) -> None:
        super().__init__(url, config.framing)
        if device not in DEVICES:
            raise TransportError(
                f"Unknown reference device {device!r}.", hint=f"Use sim://{' or sim://'.join(DEVICES)}."
            )
        self.device_kind = device
        self.config = config
        self.ut_timeout = ut_timeout
        self.capabilities = Capabilities(send=True, receive=True, live=True, upper_tester=True)
        self.device: SimDevice | None = None
        self._udp: UdpTransport | None = None

    def open(self) -> None:
        """Bind the device's sockets, connect the UDP transport to them, then start the device."""
        if self.device is not None:
            return
        device = DEVICES[self.device_kind](self.config)
        udp = UdpTransport(
            self.url,
            host=LOOPBACK,
            port=device.port,
            listen=0,
            framing=self.framing,
            ut_port=device.ut_port,
            bind=LOOPBACK,
            ut_timeout=self.ut_timeout,
        )
        try:
            udp.open()
        except TransportError:
            device.stop()
            raise
        device.config.send_to = (LOOPBACK, udp.listen_port)
        device.start()
        self.device, self._udp = device, udp

    def close(self) -> None:
        """Stop the device and close the transport."""
        if self.device is not None:
            self.device.stop()
            self.device = None
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    def _transport(self) -> UdpTransport:
        if self._udp is None:
            raise TransportError(f"The transport {self.url} is not open.", hint="Call open() or use `with`.")
        return self._udp

    def send(self, data: bytes, *, channel: str = "") -> float:
        """Send one test frame to the reference device."""
        return self._transport().send(data, channel=channel)

    def receive(self, timeout: float) -> Received | None:
        """Receive the next frame the reference device sent."""
        return self._transport().receive(timeout)

    def upper_tester(self) -> UpperTester | None:
        """The reference device's upper tester (None before :meth:`open`)."""
        return self._udp.upper_tester() if self._udp is not None else None


__all__ = ["Framing", "SimTransport"]
