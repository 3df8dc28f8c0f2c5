"""The device side of the upper-tester protocol over UDP (``docs/upper-tester.md``): what the reference devices
run, and a model for vendors implementing the protocol on their devices. The protocol's messages and the toolkit
side are in :mod:`conformance.transports.uppertester`."""

from __future__ import annotations

import contextlib
import socket

from ..errors import UpperTesterProtocolError
from ..transports.uppertester import MAX_DATAGRAM, Message, RequestHandler, decode_message, encode_message, reply


class UdpUpperTesterEndpoint:
    """Device side of the UDP upper tester (used by the reference devices; a model for vendors).

    Call :meth:`handle_readable` when the socket is readable (it answers one request through ``handler``) and
    :meth:`emit` to report an event to the subscribed toolkit (the sender of the latest request).
    """

    def __init__(self, handler: RequestHandler, *, bind: str = "127.0.0.1", port: int = 0) -> None:
        self.handler = handler
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:
            self.sock.bind((bind, port))
        except OSError:
            self.sock.close()
            raise
        self.sock.setblocking(False)
        self.subscriber: tuple[str, int] | None = None

    @property
    def port(self) -> int:
        """The UDP port the endpoint listens on."""
        return int(self.sock.getsockname()[1])

    def handle_readable(self, *, answer: bool = True) -> None:
        """Read one datagram; remember its sender as subscriber; answer it unless ``answer`` is False."""
        try:
            data, peer = self.sock.recvfrom(MAX_DATAGRAM)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        try:
            request = decode_message(data)
        except UpperTesterProtocolError as exc:
            self._send(reply({}, ok=False, error=exc.message), peer)
            return
        self.subscriber = peer
        if not answer:
            return
        if request["type"] == "subscribe":
            response = reply(request)
        else:
            try:
                response = self.handler(request)
            except Exception as exc:  # noqa: BLE001 - a bad request must never kill the device
                response = reply(request, ok=False, error=f"{type(exc).__name__}: {exc}")
        self._send(response, peer)

    def emit(self, message: Message) -> None:
        """Send an event to the subscribed toolkit (dropped when nobody subscribed yet)."""
        if self.subscriber is not None:
            self._send(message, self.subscriber)

    def _send(self, message: Message, peer: tuple[str, int]) -> None:
        with contextlib.suppress(OSError):  # the toolkit went away; the device carries on
            self.sock.sendto(encode_message(message), peer)

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()
