"""The reference devices' common machinery: sockets on loopback, a transmission schedule, the upper tester.

One thread per device runs a loop that waits (``selectors``) on the device's frame socket and its upper-tester
socket until the next frame is due, so hundreds of simulated devices can share one process. Frames are sent to
``send_to`` from the frame socket, which also receives the toolkit's test frames (one datagram = one frame).
"""

from __future__ import annotations

import contextlib
import math
import selectors
import socket
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, ClassVar

from ..codec import strict as codec
from ..codec.jsonvalue import from_json, to_json
from ..errors import CodecError, ConformanceError, DeviceError, FramingError
from ..network.framing import Framing, unwrap, wrap
from ..standards import messages
from ..transports.payload import frame_kind
from ..transports.uppertester import MAX_DATAGRAM, Message, event, reply
from ..vectors.traffic import SUPPORTED_EDITIONS  # the devices' frames come from the traffic generators
from .uppertester import UdpUpperTesterEndpoint

MAX_RATE_HZ = 1000.0


@dataclass
class DeviceConfig:
    """How a reference device is set up. Ports 0 mean "any free port" (read them back from the device)."""

    send_to: tuple[str, int] | None = None
    listen: int = 0
    ut_port: int | None = 0  # None: no upper tester
    bind: str = "127.0.0.1"
    edition: str = "csae53-2020"
    framing: Framing = Framing.NONE
    rates: dict[str, float] = field(default_factory=dict)
    faults: dict[str, float | None] = field(default_factory=dict)


def parse_rates(text: str, allowed: Mapping[str, float]) -> dict[str, float]:
    """Parse ``MAP:1,SPAT:2`` into {kind: Hz}; kinds must be those of ``allowed``, rates positive."""
    rates: dict[str, float] = {}
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        kind, _, hz = item.partition(":")
        kind = kind.strip().upper()
        if kind not in allowed:
            raise DeviceError(
                f"Rate for {kind!r}: this device sends only {', '.join(allowed)}.",
                hint="Write rates as KIND:HZ[,KIND:HZ], e.g. MAP:1,SPAT:2.",
            )
        try:
            value = float(hz)
        except ValueError:
            raise DeviceError(f"Rate {item!r} is not KIND:HZ with a number of Hz.") from None
        if not math.isfinite(value) or value <= 0 or value > MAX_RATE_HZ:
            raise DeviceError(
                f"Rate {item!r} must be positive, finite and at most {MAX_RATE_HZ:g} Hz "
                "(remove the kind to keep its default)."
            )
        rates[kind] = value
    return rates


class SimDevice(ABC):
    """Base of the reference RSU and OBU. Subclasses define :attr:`DEFAULT_RATES` and :meth:`build_frame`."""

    KIND = ""
    DEFAULT_RATES: ClassVar[Mapping[str, float]] = {}

    def __init__(self, config: DeviceConfig) -> None:
        if config.edition not in SUPPORTED_EDITIONS:
            raise DeviceError(
                f"The reference {self.KIND} speaks {', '.join(SUPPORTED_EDITIONS)}, not {config.edition!r}."
            )
        self.config = config
        self.faults = dict(config.faults)
        self.rates = {**self.DEFAULT_RATES, **config.rates}
        self.started_wall = 0.0
        self.started_monotonic = 0.0
        #: Frames sent per kind (the 0-based index of the next frame of that kind).
        self.sent: dict[str, int] = dict.fromkeys(self.rates, 0)
        self.received = 0
        self.host_state: dict[str, Any] = {}
        self.crashed = False
        self._msg_cnt_skips: dict[str, int] = dict.fromkeys(self.rates, 0)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.ut: UdpUpperTesterEndpoint | None = None
        try:
            self.sock.bind((config.bind, config.listen))
            self.sock.setblocking(False)
            if config.ut_port is not None:
                self.ut = UdpUpperTesterEndpoint(self.handle_request, bind=config.bind, port=config.ut_port)
        except OSError as exc:
            self.sock.close()
            raise DeviceError(f"The reference {self.KIND} cannot bind its sockets on {config.bind}: {exc}.") from None

    # -- ports and life cycle -----------------------------------------------------------------------------------
    @property
    def port(self) -> int:
        """UDP port the device receives test frames on (and sends its frames from)."""
        return int(self.sock.getsockname()[1])

    @property
    def ut_port(self) -> int | None:
        """UDP port of the device's upper tester (None without one)."""
        return self.ut.port if self.ut else None

    @property
    def running(self) -> bool:
        """True while the device thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start transmitting (``config.send_to`` must be set) in a background thread."""
        if self.config.send_to is None:
            raise DeviceError(f"The reference {self.KIND} needs send_to (where to send its frames).")
        if self._thread is not None:
            return
        self.started_wall = time.time()
        self.started_monotonic = time.monotonic()
        self._thread = threading.Thread(target=self._run, name=f"sim-{self.KIND}-{self.port}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread and close every socket (safe to call twice)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=5.0)
        self._close_sockets()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the device thread to end (duration elapsed, crash); True when it has ended."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.running

    def _close_sockets(self) -> None:
        self.sock.close()
        if self.ut is not None:
            self.ut.close()

    def __enter__(self) -> SimDevice:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- the loop -----------------------------------------------------------------------------------------------
    def silent(self) -> bool:
        """True once the ``no-response`` fault has struck."""
        if "no-response" not in self.faults:
            return False
        after = self.faults["no-response"]
        return time.monotonic() - self.started_monotonic >= (2.0 if after is None else after)

    def _run(self) -> None:
        """The device's timetable: every kind of frame on its own absolute grid (start + n * period).

        Frames are built ahead of their slot (for the wall time they will be sent at), and only when no send is
        due before the build would finish, so that building one kind (strict encoding takes milliseconds, more on a
        busy host) never delays another kind's transmission. Kinds sharing a grid point are sent first, built after.
        """
        selector = selectors.DefaultSelector()
        selector.register(self.sock, selectors.EVENT_READ, "frame")
        if self.ut is not None:
            selector.register(self.ut.sock, selectors.EVENT_READ, "ut")
        periods = {kind: 1.0 / rate for kind, rate in self.rates.items()}
        due = {kind: self.started_monotonic + offset for kind, offset in self._first_offsets(periods).items()}
        prepared: dict[str, bytes] = {}
        build_time = dict.fromkeys(self.rates, 0.005)  # seconds a build takes (running estimate, pessimistic)
        try:
            while not self._stop.is_set():
                now = time.monotonic()
                wait = max(0.0, min(min(due.values(), default=now + 0.05) - now, 0.05))
                for key, _ in selector.select(wait):
                    if key.data == "frame":
                        self._receive_frame()
                    elif self.ut is not None:
                        self.ut.handle_readable(answer=not self.silent())
                    if self.crashed:
                        return
                now = time.monotonic()
                sent_now: list[str] = []
                for kind, when in sorted(due.items(), key=lambda item: item[1]):
                    if now < when:
                        continue
                    frame = prepared.pop(kind, None)
                    if not self.silent():
                        if frame is None:
                            self.transmit(kind)
                        else:
                            self.send_frame(frame, kind)
                    # Keep the absolute grid; if far behind (a paused process), restart the grid from now.
                    due[kind] = when + periods[kind] if now - when < periods[kind] else now + periods[kind]
                    sent_now.append(kind)
                    now = time.monotonic()
                if self.silent():
                    continue
                for kind in (*sent_now, *[k for k in due if k not in prepared and k not in sent_now]):
                    if kind in prepared:
                        continue
                    now = time.monotonic()
                    if min(due.values()) - now < 3 * max(build_time.values()):
                        break  # a send is due before a build could finish: build after it (or at its slot)
                    began = time.monotonic()
                    # Built now for the wall time it will be sent at (traffic model + strict encoding).
                    prepared[kind] = self.prepare(kind, time.time() + (due[kind] - began))
                    build_time[kind] = max(0.8 * build_time[kind], time.monotonic() - began)
        finally:
            selector.close()
            if self.crashed:
                self._close_sockets()

    @staticmethod
    def _first_offsets(periods: Mapping[str, float]) -> dict[str, float]:
        """Offsets of each kind's first frame: the slowest kinds first (MAP before SPAT, so a receiver has the MAP
        first), a few ms apart; the fastest kind (e.g. RSM at 10 Hz) half a period later, away from the others."""
        offsets: dict[str, float] = {}
        fastest = min(periods.values(), default=1.0)
        slow = [kind for kind, period in periods.items() if period > fastest]
        for n, kind in enumerate(slow):
            offsets[kind] = 0.005 * n
        for kind, period in periods.items():
            if kind not in offsets:
                offsets[kind] = 0.005 * len(slow) + (period / 2 if slow else 0.0)
        return offsets

    # -- transmitting -------------------------------------------------------------------------------------------
    def next_msg_cnt(self, kind: str, index: int) -> int:
        """msgCnt of the ``index``-th frame of ``kind``: +1 mod 128, plus the skips of ``skip-msgcnt`` (every kind)
        or ``skip-msgcnt:KIND`` (that kind only)."""
        from .faults import periodic, strikes

        if strikes(self.faults, "skip-msgcnt", kind) and periodic(index):
            self._msg_cnt_skips[kind] += 1
        return (index + self._msg_cnt_skips[kind]) % 128

    @abstractmethod
    def build_frame(self, kind: str, index: int, wall: float) -> bytes:
        """Return the MessageFrame bytes of the ``index``-th frame of ``kind`` sent at wall time ``wall``."""

    def prepare(self, kind: str, wall: float) -> bytes:
        """Build the next frame of ``kind`` for sending at wall time ``wall`` (counts it in ``sent``)."""
        with self._lock:
            index = self.sent[kind]
            self.sent[kind] = index + 1
            return self.build_frame(kind, index, wall)

    def transmit(self, kind: str) -> tuple[float, bytes]:
        """Build and send the next frame of ``kind`` now; return (wall time, MessageFrame bytes)."""
        wall = time.time()
        frame = self.prepare(kind, wall)
        self.send_frame(frame, kind)
        return wall, frame

    def send_frame(self, frame: bytes, kind: str = "") -> float:
        """Send MessageFrame bytes to ``send_to`` (wrapped per the configured framing); return the wall time."""
        assert self.config.send_to is not None
        data = frame
        if self.config.framing is Framing.DSMP:
            entry = messages.get(kind or frame_kind(frame))
            if entry is None or entry.in_open_type:
                entry = messages.get("BSM")  # a kind that is no MessageFrame alternative: sent with a BSM AID
            aids = entry.aids if entry is not None else ()
            data = wrap(frame, Framing.DSMP, aid=aids[0] if aids else 0)
        with contextlib.suppress(OSError):  # nobody listening yet: a radio does not know either
            self.sock.sendto(data, self.config.send_to)
        return time.time()

    def encode(self, alternative: str, value: Any, *, edition: str | None = None, checked: bool = True) -> bytes:
        """Encode a MessageFrame (strictly, or with asn1tools' unchecked encoder for fault injection)."""
        edition = edition or self.config.edition
        if checked:
            return codec.encode((alternative, value), edition=edition)
        spec = codec.codec_for(edition).edition.spec
        return bytes(spec.encode("MessageFrame", (alternative, value), check_constraints=False))

    # -- receiving ----------------------------------------------------------------------------------------------
    def _receive_frame(self) -> None:
        try:
            data, peer = self.sock.recvfrom(MAX_DATAGRAM)
        except OSError:
            return
        if self.silent():
            return
        self.received += 1
        report = "ut-silent" not in self.faults and self.ut is not None
        try:
            frame = unwrap(data, self.config.framing).payload
            decoded = codec.decode(frame, edition=self.config.edition)
        except (CodecError, FramingError) as exc:
            if "crash-on-malformed" in self.faults:
                self.crashed = True
                return
            if report and self.ut is not None:
                self.ut.emit(event("frame-rejected", hex=data.hex(), error=exc.describe(), peer=f"{peer[0]}:{peer[1]}"))
            return
        if report and self.ut is not None:
            alternative = decoded.value[0]
            received = messages.by_alternative(alternative)
            self.ut.emit(
                event(
                    "frame-received",
                    message=received.name if received is not None else alternative,
                    hex=frame.hex(),
                    decoded=to_json(decoded.value),
                    edition=self.config.edition,
                    peer=f"{peer[0]}:{peer[1]}",
                    **({"raw_hex": data.hex()} if data != frame else {}),
                )
            )
        self.on_decoded(decoded.value[0], decoded.value[1])

    def on_decoded(self, alternative: str, value: Any) -> None:  # noqa: B027 - an optional hook, not abstract
        """Hook: a received frame decoded to MessageFrame ``alternative`` with ``value`` (the OBU's applications)."""

    # -- upper tester -------------------------------------------------------------------------------------------
    def handle_request(self, request: Message) -> Message:
        """Answer one upper-tester request (ping, send, set-state, get-state)."""
        kind = request["type"]
        if kind == "ping":
            return reply(
                request,
                device=self.KIND,
                edition=self.config.edition,
                time=time.time(),
                uptime=time.monotonic() - self.started_monotonic,
            )
        if kind == "get-state":
            return reply(
                request,
                device=self.KIND,
                edition=self.config.edition,
                host=self.host_state,
                sent=dict(self.sent),
                received=self.received,
                faults=sorted(self.faults),
            )
        if kind == "set-state":
            return self._set_state(request)
        if kind == "send":
            return self._send_request(request)
        return reply(
            request,
            ok=False,
            error=f"unknown request type {kind!r}; known: ping, subscribe, send, set-state, get-state",
        )

    def _set_state(self, request: Message) -> Message:
        host = request.get("host")
        if not isinstance(host, dict) or not all(
            isinstance(value, int) and not isinstance(value, bool) for value in host.values()
        ):
            return reply(
                request,
                ok=False,
                error='"host" must be an object of integers (lat, long, speed, heading in the units of the BSM)',
            )
        with self._lock:
            self.host_state.update(host)
            state = dict(self.host_state)
        if self.ut is not None:
            self.ut.emit(event("state", host=state))
        return reply(request, host=state)

    def _send_request(self, request: Message) -> Message:
        kind = str(request.get("message", "")).upper()
        count = request.get("count", 1)
        if not isinstance(count, int) or not 1 <= count <= 100:
            return reply(request, ok=False, error='"count" must be an integer 1..100')
        frames: list[bytes] = []
        try:
            if "hex" in request:
                frames = [bytes.fromhex(str(request["hex"]))] * count
            elif "value" in request:
                entry = messages.get(kind)
                if entry is None or entry.in_open_type:
                    names = ", ".join(frame.name for frame in messages.frame_kinds())
                    return reply(request, ok=False, error=f'"message" must be one of {names}')
                frames = [self.encode(entry.alternative, from_json(request["value"]))] * count
            elif kind in self.rates:
                sent = [self.transmit(kind) for _ in range(count)]
                return reply(request, sent=[{"time": wall, "hex": frame.hex()} for wall, frame in sent])
            else:
                return reply(
                    request,
                    ok=False,
                    error=f"this {self.KIND} sends {', '.join(self.rates)} by itself; "
                    'give "hex" or "value" for other messages',
                )
        except (ValueError, ConformanceError) as exc:
            return reply(request, ok=False, error=str(exc))
        sent_at = [self.send_frame(frame, kind) for frame in frames]
        return reply(
            request, sent=[{"time": wall, "hex": frame.hex()} for wall, frame in zip(sent_at, frames, strict=True)]
        )
