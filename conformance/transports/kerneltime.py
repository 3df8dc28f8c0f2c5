"""Receive times taken by the kernel, send times bracketing the send call: the toolkit's one clock.

**The clock.** Every time the toolkit judges (an interval between two frames, a rate, a warning latency) is a
difference of two readings of ``CLOCK_REALTIME`` (UTC seconds since the epoch):

* a **receive** time is the kernel's timestamp of the datagram, taken when the network stack queued it
  (``SO_TIMESTAMPNS``, delivered through ``recvmsg`` as an ``SCM_TIMESTAMPNS`` control message; Linux socket(7)).
  It does not depend on when the judge's Python code got round to reading the socket, so the judge's own work
  (decoding, checks, garbage collection) never shows up as device jitter;
* a **send** time is bracketed: read just before and just after the send call (:class:`SendTime`); a frame cannot
  have left earlier than ``before`` nor later than ``after``.

Where the kernel gives no timestamp (another OS), the time read after ``recvmsg`` returns is used and the
datagram says so (``stamped_by="application"``); the measurement uncertainty then grows accordingly (see
:mod:`conformance.engine.timing`). ``monotonic`` values are the same instants mapped onto ``time.monotonic()``
(by subtracting the datagram's age when read), for code that measures durations against the run's timers.

``SO_RXQ_OVFL`` adds the kernel's count of datagrams dropped on this socket because its buffer was full (the
judge did not read in time): a frame lost by the test system, never by the device.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import time
from dataclasses import dataclass

#: Linux values (socket(7)); Python 3.11's socket module has no names for them.
SO_TIMESTAMPNS = int(getattr(socket, "SO_TIMESTAMPNS", 35))
SCM_TIMESTAMPNS = SO_TIMESTAMPNS
SO_RXQ_OVFL = int(getattr(socket, "SO_RXQ_OVFL", 40))
_TIMESPEC = struct.Struct("@qq")  # struct timespec {time_t tv_sec; long tv_nsec} on 64-bit Linux
_COUNTER = struct.Struct("@I")
_ANCILLARY = socket.CMSG_SPACE(_TIMESPEC.size) + socket.CMSG_SPACE(_COUNTER.size)
RECEIVE_BUFFER = 4 * 1024 * 1024  # bytes asked for; the kernel caps it at net.core.rmem_max


@dataclass(frozen=True)
class Datagram:
    """One datagram with the instant it arrived (``wall``: kernel or application stamp, UTC seconds)."""

    data: bytes
    peer: tuple[str, int]
    wall: float
    monotonic: float
    stamped_by: str  # "kernel" or "application"
    drops: int | None  # the kernel's cumulative count of datagrams dropped on this socket (None: unknown)
    read_delay: float  # seconds between the stamp and the moment the judge read the datagram


@dataclass(frozen=True)
class SendTime:
    """When a frame was sent: the wall times just before and just after the send call (UTC seconds)."""

    before: float
    after: float

    @property
    def duration(self) -> float:
        """Seconds the send call took (an uncertainty of the send instant)."""
        return max(0.0, self.after - self.before)


def enable_timestamps(sock: socket.socket) -> bool:
    """Ask the kernel to stamp every datagram received on ``sock`` and to count drops; True when it will stamp.

    Also enlarges the receive buffer, so that a judge busy for a moment does not lose frames.
    """
    with contextlib.suppress(OSError):  # the default buffer still works; drops, if any, are counted below
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RECEIVE_BUFFER)
    with contextlib.suppress(OSError):  # drop counting unavailable: Datagram.drops stays None
        sock.setsockopt(socket.SOL_SOCKET, SO_RXQ_OVFL, 1)
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    except OSError:
        return False
    return True


def receive(sock: socket.socket, size: int) -> Datagram:
    """Receive one datagram with ``recvmsg`` and its kernel timestamp (raises what ``recvmsg`` raises)."""
    data, ancillary, _flags, peer = sock.recvmsg(size, _ANCILLARY)
    read_wall = time.time()
    read_monotonic = time.monotonic()
    stamp: float | None = None
    drops: int | None = None
    for level, kind, payload in ancillary:
        if level != socket.SOL_SOCKET:
            continue
        if kind == SCM_TIMESTAMPNS and len(payload) >= _TIMESPEC.size:
            seconds, nanoseconds = _TIMESPEC.unpack_from(payload)
            stamp = seconds + nanoseconds / 1e9
        elif kind == SO_RXQ_OVFL and len(payload) >= _COUNTER.size:
            drops = int(_COUNTER.unpack_from(payload)[0])
    wall = stamp if stamp is not None else read_wall
    delay = max(0.0, read_wall - wall)
    return Datagram(
        data=data,
        peer=(str(peer[0]), int(peer[1])),
        wall=wall,
        monotonic=read_monotonic - delay,
        stamped_by="kernel" if stamp is not None else "application",
        drops=drops,
        read_delay=delay,
    )


def send_bracketed(sock: socket.socket, data: bytes, address: tuple[str, int]) -> SendTime:
    """``sendto`` with the wall time read just before and just after the call."""
    before = time.time()
    sock.sendto(data, address)
    return SendTime(before, time.time())


def clock_resolution() -> float:
    """Resolution of ``CLOCK_REALTIME`` in seconds (the kernel's stamps use the same clock)."""
    try:
        return float(time.clock_getres(time.CLOCK_REALTIME))
    except (AttributeError, OSError):
        return float(time.get_clock_info("time").resolution)
