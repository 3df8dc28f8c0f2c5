"""Recorded frames: ``file://PATH`` (hex lines or one raw binary frame) and ``pcap://PATH[?port=N]``.

Nothing can be sent. ``file://`` frames carry no time (``Capabilities.timestamps`` is False: timing checks are
not applicable); ``pcap://`` frames carry the capture's time (``wall_time`` from the record, ``monotonic`` the
seconds since the first packet read). :meth:`receive` returns None at the end of the recording.
"""

from __future__ import annotations

import importlib
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..cli.inputs import InputError, frames_from_content
from ..network.framing import Framing
from .base import Capabilities, Received, Transport, TransportError


def _dpkt() -> Any:
    """Import dpkt on use (only pcap users need it; it ships no type information)."""
    return importlib.import_module("dpkt")


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TransportError(f"Cannot read {path}: {exc.strerror or exc}.", hint="Check the path in the URL.") from None


class FileTransport(Transport):
    """Frames from a file of hex lines (``#`` comments) or one raw binary frame (``conformance.inputs`` rules)."""

    def __init__(self, url: str, path: Path, *, framing: Framing = Framing.NONE) -> None:
        super().__init__(url, framing)
        self.path = path
        self.capabilities = Capabilities(send=False, receive=True, live=False, upper_tester=False, timestamps=False)
        self._records: list[Received] | None = None
        self._next = 0

    def open(self) -> None:
        """Read and split the file (raises TransportError when unreadable or not frames)."""
        content = _read(self.path)
        mtime = self.path.stat().st_mtime
        try:
            frames = frames_from_content(content, self.path.name)
        except InputError as exc:
            raise TransportError(exc.message, hint=exc.hint) from None
        self._records = [
            Received(raw=frame.data, wall_time=mtime, monotonic=0.0, peer=frame.source) for frame in frames
        ]
        self._next = 0

    def close(self) -> None:
        """Forget the records."""
        self._records = None

    def receive(self, timeout: float) -> Received | None:
        """Return the next recorded frame, or None at the end of the file."""
        if self._records is None:
            raise TransportError(f"The transport {self.url} is not open.", hint="Call open() or use `with`.")
        if self._next >= len(self._records):
            return None
        self._next += 1
        return self._records[self._next - 1]


# Link types (tcpdump.org/linktypes.html) the pcap reader understands.
_LINK_ETHERNET, _LINK_RAW, _LINK_LINUX_SLL, _LINK_NULL, _LINK_IPV4 = 1, 101, 113, 0, 228


def _udp_payload(link: int, frame: bytes) -> tuple[bytes, int, int] | None:
    """Return (payload, source port, destination port) of a UDP-over-IP frame, else None."""
    dpkt = _dpkt()

    try:
        if link == _LINK_ETHERNET:
            ip = dpkt.ethernet.Ethernet(frame).data
        elif link == _LINK_LINUX_SLL:
            ip = dpkt.sll.SLL(frame).data
        elif link == _LINK_NULL:
            ip = dpkt.loopback.Loopback(frame).data
        elif link in (_LINK_RAW, _LINK_IPV4, 12, 14):
            ip = dpkt.ip.IP(frame) if frame[:1] and frame[0] >> 4 == 4 else dpkt.ip6.IP6(frame)
        else:
            return None
    except (dpkt.UnpackError, struct.error, IndexError):
        return None
    udp = getattr(ip, "data", None)
    if not isinstance(udp, dpkt.udp.UDP):
        return None
    return bytes(udp.data), int(udp.sport), int(udp.dport)


class PcapTransport(Transport):
    """UDP payloads from a pcap or pcapng capture (dpkt), optionally only those to or from ``port``."""

    def __init__(self, url: str, path: Path, *, port: int | None = None, framing: Framing = Framing.NONE) -> None:
        super().__init__(url, framing)
        self.path = path
        self.port = port
        self.capabilities = Capabilities(send=False, receive=True, live=False, upper_tester=False, timestamps=True)
        self._records: Iterator[Received] | None = None
        self._peeked: Received | None = None

    def _iterate(self, content: bytes) -> Iterator[Received]:
        import io

        dpkt = _dpkt()
        try:
            if content[:4] == b"\x0a\x0d\x0d\x0a":
                reader: Any = dpkt.pcapng.Reader(io.BytesIO(content))
            else:
                reader = dpkt.pcap.Reader(io.BytesIO(content))
        except (ValueError, dpkt.UnpackError, dpkt.NeedData, struct.error) as exc:
            raise TransportError(
                f"{self.path} is not a pcap or pcapng capture ({exc}).",
                hint="Capture with tcpdump -w or Wireshark; for hex lines or raw bytes use file://.",
            ) from None
        link = reader.datalink()
        first: float | None = None
        for number, (stamp, frame) in enumerate(reader, start=1):
            found = _udp_payload(link, bytes(frame))
            if found is None:
                continue
            payload, sport, dport = found
            if self.port is not None and self.port not in (sport, dport):
                continue
            first = float(stamp) if first is None else first
            yield Received(raw=payload, wall_time=float(stamp), monotonic=float(stamp) - first, peer=f"pcap:#{number}")

    def open(self) -> None:
        """Read the capture and start iterating over its UDP payloads."""
        content = _read(self.path)
        iterator = self._iterate(content)
        # Validate the header now (generators run lazily): peek the first record.
        self._peeked = next(iterator, None)
        self._records = iterator

    def close(self) -> None:
        """Forget the capture."""
        self._records = None
        self._peeked = None

    def receive(self, timeout: float) -> Received | None:
        """Return the next UDP payload of the capture, or None at its end."""
        if self._records is None:
            raise TransportError(f"The transport {self.url} is not open.", hint="Call open() or use `with`.")
        if self._peeked is not None:
            record, self._peeked = self._peeked, None
            return record
        return next(self._records, None)
