"""The upper-tester protocol: how a device under test tells the toolkit what its application layer did.

Version 1, JSON over UDP (one JSON object per datagram, UTF-8) or over MQTT (topics ``.../UT/UP`` device →
toolkit and ``.../UT/DOWN`` toolkit → device). Every message carries ``"ut": 1`` and a ``"type"``. The full
protocol, for vendors implementing it on their devices, is ``docs/upper-tester.md``; in short:

* toolkit → device **requests** carry an ``"id"`` (integer) and are answered by one ``reply`` with the same id:
  ``ping``, ``subscribe`` (events go to the sender's address from now on), ``send`` (transmit a frame now),
  ``set-state`` (feed host-vehicle state), ``get-state``.
* device → toolkit **events** carry ``"time"`` (device wall clock, UTC seconds): ``frame-received`` (a frame was
  received and decoded, with its hex and decoded JSON form), ``frame-rejected`` (received but not decodable),
  ``warning`` (an application raised a warning: application, target), ``state`` (host-vehicle state changed).

This module holds the protocol's messages and the toolkit side (:class:`UpperTester`, :class:`UdpUpperTester`,
:class:`MqttUpperTester`); the device side used by the reference devices is
:class:`conformance.devices.uppertester.UdpUpperTesterEndpoint`.
"""

from __future__ import annotations

import itertools
import json
import queue
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any

from ..errors import TransportError, UpperTesterProtocolError
from .kerneltime import enable_timestamps, receive

PROTOCOL_VERSION = 1
MAX_DATAGRAM = 65507

#: Requests the toolkit may send (a device answers unknown ones with ok=false).
REQUESTS = ("ping", "subscribe", "send", "set-state", "get-state")
#: Events a device may report.
EVENTS = ("frame-received", "frame-rejected", "warning", "state")

Message = dict[str, Any]
RequestHandler = Callable[[Message], Message]


def encode_message(message: Message) -> bytes:
    """Serialise a protocol message (adds ``"ut": 1`` when missing)."""
    body = {"ut": PROTOCOL_VERSION, **message}
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def decode_message(data: bytes) -> Message:
    """Parse and validate one protocol message; raise UpperTesterProtocolError saying what is wrong."""
    try:
        message = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UpperTesterProtocolError(f"Upper-tester message is not UTF-8 JSON: {exc}.") from None
    if not isinstance(message, dict):
        raise UpperTesterProtocolError("Upper-tester message must be a JSON object.")
    if message.get("ut") != PROTOCOL_VERSION:
        raise UpperTesterProtocolError(
            f"Upper-tester protocol version {message.get('ut')!r} is not supported (this toolkit speaks "
            f"{PROTOCOL_VERSION}).",
            hint='Every message carries "ut": 1 (docs/upper-tester.md).',
        )
    if not isinstance(message.get("type"), str):
        raise UpperTesterProtocolError('Upper-tester message has no "type" string.')
    return message


def event(kind: str, **fields: Any) -> Message:
    """Build a device → toolkit event stamped with the current wall time."""
    return {"ut": PROTOCOL_VERSION, "type": kind, "time": time.time(), **fields}


def reply(request: Message, *, ok: bool = True, error: str = "", **fields: Any) -> Message:
    """Build the reply to ``request`` (``ok`` false with an ``error`` text when refused)."""
    body: Message = {"ut": PROTOCOL_VERSION, "type": "reply", "id": request.get("id"), "request": request.get("type")}
    body["ok"] = ok
    if error:
        body["error"] = error
    body.update(fields)
    return body


# --- toolkit side ----------------------------------------------------------------------------------------


class UpperTester(ABC):
    """Toolkit side of the upper tester: send requests, read events.

    Events are returned as dicts with the device's fields plus ``rx_wall_time`` and ``rx_monotonic`` (when the
    toolkit received them), so application tests can judge warnings against a time window.
    """

    def __init__(self, *, timeout: float = 2.0) -> None:
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._events: queue.Queue[Message] = queue.Queue()
        self._pending: dict[int, queue.Queue[Message]] = {}
        self._lock = threading.Lock()
        #: Datagrams that were not valid upper-tester messages (hex, reason, time): kept as evidence, never fatal.
        self.malformed: list[dict[str, Any]] = []

    @abstractmethod
    def _transmit(self, data: bytes) -> None:
        """Send one encoded request to the device."""

    @abstractmethod
    def close(self) -> None:
        """Release what the upper tester holds."""

    def _dispatch(self, data: bytes, *, wall: float | None = None, monotonic: float | None = None) -> None:
        """Route one incoming message: replies to their waiting request, events to the event queue.

        ``wall``/``monotonic``: when the message arrived (the kernel's receive timestamp where the medium has one);
        default: now."""
        try:
            message = decode_message(data)
        except UpperTesterProtocolError as exc:
            self._keep_malformed(data, exc.message, wall)  # a device's malformed datagram must not break the run
            return
        message["rx_wall_time"] = time.time() if wall is None else wall
        message["rx_monotonic"] = time.monotonic() if monotonic is None else monotonic
        if message["type"] == "reply":
            request_id = message.get("id")
            if not isinstance(request_id, int) or isinstance(request_id, bool):
                # a reply to nothing we asked (e.g. an id that is not a number) answers no request
                self._keep_malformed(data, f"a reply whose id is {request_id!r}, not a request number", wall)
                return
            with self._lock:
                waiter = self._pending.get(request_id)
            if waiter is not None:
                waiter.put(message)
            return
        self._events.put(message)

    def _keep_malformed(self, data: bytes, reason: str, wall: float | None) -> None:
        """Keep a datagram that is not a valid upper-tester message (the last 100), as evidence of what the device
        sent; the listener carries on."""
        with self._lock:
            self.malformed.append(
                {"hex": data[:4096].hex(), "reason": reason, "time": time.time() if wall is None else wall}
            )
            del self.malformed[:-100]

    def request(self, kind: str, *, timeout: float | None = None, **params: Any) -> Message:
        """Send request ``kind`` with ``params`` and return the device's reply (``ok`` false when it refused).

        Raises TransportError when no reply arrives within ``timeout`` (default: the upper tester's timeout).
        """
        request_id = next(self._ids)
        waiter: queue.Queue[Message] = queue.Queue(maxsize=1)
        with self._lock:
            self._pending[request_id] = waiter
        try:
            self._transmit(encode_message({"type": kind, "id": request_id, **params}))
            try:
                return waiter.get(timeout=self.timeout if timeout is None else timeout)
            except queue.Empty:
                raise TransportError(
                    f"The upper tester did not answer the {kind!r} request within "
                    f"{self.timeout if timeout is None else timeout:g} s.",
                    hint="Check that the device implements the upper-tester protocol (docs/upper-tester.md) and "
                    "that the upper-tester address/port is right.",
                ) from None
        finally:
            with self._lock:
                self._pending.pop(request_id, None)

    def next_event(self, timeout: float) -> Message | None:
        """Return the next event from the device, or None after ``timeout`` seconds."""
        try:
            return self._events.get(timeout=max(0.0, timeout))
        except queue.Empty:
            return None

    def drain_events(self) -> list[Message]:
        """Return (and forget) every event already received."""
        drained: list[Message] = []
        while True:
            try:
                drained.append(self._events.get_nowait())
            except queue.Empty:
                return drained


class UdpUpperTester(UpperTester):
    """Upper tester reached over UDP at ``host:port``; events arrive on this side's socket after ``subscribe``."""

    def __init__(self, host: str, port: int, *, bind: str = "127.0.0.1", timeout: float = 2.0) -> None:
        super().__init__(timeout=timeout)
        self.address = (host, port)
        self.bind = bind
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def local_port(self) -> int:
        """The UDP port this side listens on (0 before :meth:`open`)."""
        return self._sock.getsockname()[1] if self._sock else 0

    def open(self) -> None:
        """Bind the socket, start the reader thread and subscribe to the device's events (no reply awaited)."""
        if self._sock is not None:
            return
        try:
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.bind((self.bind, 0))
        except OSError as exc:
            raise TransportError(f"Cannot open the upper-tester socket on {self.bind}: {exc}.") from None
        sock.settimeout(0.1)
        self._sock = sock
        self._stop.clear()
        self._thread = threading.Thread(target=self._reader, name=f"ut-udp-{self.address[1]}", daemon=True)
        self._thread.start()
        # Fire-and-forget: a device learns where to send events from the subscribe datagram.
        self._transmit(encode_message({"type": "subscribe", "id": 0}))

    def _reader(self) -> None:
        sock = self._sock
        assert sock is not None
        enable_timestamps(sock)
        while not self._stop.is_set():
            try:
                datagram = receive(sock, MAX_DATAGRAM)
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                self._dispatch(datagram.data, wall=datagram.wall, monotonic=datagram.monotonic)
            except Exception as exc:  # noqa: BLE001 - whatever a device sends, the listener never dies
                self._keep_malformed(datagram.data, f"{type(exc).__name__}: {exc}", datagram.wall)

    def _transmit(self, data: bytes) -> None:
        if self._sock is None:
            raise TransportError("The upper tester is not open.", hint="Open the transport first.")
        try:
            self._sock.sendto(data, self.address)
        except OSError as exc:
            raise TransportError(
                f"Cannot send to the upper tester at {self.address[0]}:{self.address[1]}: {exc}."
            ) from None

    def close(self) -> None:
        """Stop the reader thread and close the socket."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2.0)
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None


class MqttUpperTester(UpperTester):
    """Upper tester over MQTT: requests published on ``down_topic``, replies and events read from ``up_topic``.

    ``publish`` is the owning MQTT transport's publish function; the transport routes messages of ``up_topic``
    to :meth:`feed`.
    """

    def __init__(
        self, publish: Callable[[str, bytes], None], *, down_topic: str, up_topic: str, timeout: float = 2.0
    ) -> None:
        super().__init__(timeout=timeout)
        self._publish = publish
        self.down_topic = down_topic
        self.up_topic = up_topic

    def close(self) -> None:
        """Nothing to release: the owning MQTT transport holds the connection."""

    def feed(self, payload: bytes) -> None:
        """Handle one payload received on the upper-tester up topic."""
        self._dispatch(payload)

    def _transmit(self, data: bytes) -> None:
        self._publish(self.down_topic, data)
