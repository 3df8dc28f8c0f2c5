"""Recorded frames: ``file://PATH`` (hex lines or one raw binary frame) and ``pcap://PATH[?port=N]``.

The hex-lines format (:func:`frames_from_content`) is also how ``v2xc decode`` and ``identify`` read their INPUT:
text (UTF-8, printable) is hex, one frame per non-empty line, ``#`` starts a comment, spaces, tabs, ``:``
separators and an optional ``0x`` prefix are allowed; any other content is one raw frame. A line that is not hex is
an error naming ``file:line``; nothing is silently skipped.

Nothing can be sent. ``file://`` frames carry no time (``Capabilities.timestamps`` is False: timing checks are
not applicable); ``pcap://`` frames carry the capture's time (``wall_time`` from the record, ``monotonic`` the
seconds since the first packet read). :meth:`receive` returns None at the end of the recording.
"""

from __future__ import annotations

import importlib
import re
import stat
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

from ..errors import ConfigurationError, InputError, SourceLocation, TransportError
from ..network.framing import Framing
from .base import Capabilities, Received, TargetUrl, Transport, UrlParameter, framing_parameter, whole

_SEPARATORS = re.compile(r"[\s:]+")
_HEX = re.compile(r"^[0-9a-fA-F]*$")


@dataclass(frozen=True)
class Frame:
    """One frame to process and where it came from (``path:line``, ``argument`` or ``stdin``)."""

    source: str
    data: bytes


def parse_hex(text: str) -> bytes:
    """Parse one hex string (separators and a 0x prefix allowed); raise ValueError with the reason."""
    cleaned = _SEPARATORS.sub("", text.strip())
    if cleaned[:2].lower() == "0x":
        cleaned = cleaned[2:]
    if not cleaned:
        raise ValueError("no hex digits")
    if not _HEX.match(cleaned):
        bad = next(ch for ch in cleaned if not re.match(r"[0-9a-fA-F]", ch))
        raise ValueError(f"{bad!r} is not a hex digit")
    if len(cleaned) % 2:
        raise ValueError(f"odd number of hex digits ({len(cleaned)})")
    return bytes.fromhex(cleaned)


def _looks_like_text(content: bytes) -> bool:
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def frames_from_content(content: bytes, label: str) -> list[Frame]:
    """Split file or stdin content into frames (hex lines when text, else one raw frame)."""
    if not content:
        raise InputError(
            f"{label} is empty: there is no frame to read.",
            source=SourceLocation(label),
            hint="Give a file of bytes, hex lines, or a hex string.",
        )
    if not _looks_like_text(content):
        return [Frame(label, content)]
    frames: list[Frame] = []
    for number, line in enumerate(content.decode("utf-8").splitlines(), start=1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        try:
            frames.append(Frame(f"{label}:{number}", parse_hex(text)))
        except ValueError as exc:
            raise InputError(
                f"Line {number} of {label} is not a hex frame: {exc}.",
                source=SourceLocation(label, number),
                hint="Write one frame per line as hex digits (spaces and ':' allowed); '#' starts a comment.",
            ) from None
    if not frames:
        raise InputError(f"{label} holds no frame (only blank or comment lines).", source=SourceLocation(label))
    return frames


def _dpkt() -> Any:
    """Import dpkt on use (only pcap users need it; it ships no type information)."""
    return importlib.import_module("dpkt")


def _path(target: TargetUrl) -> Path:
    """The recording's path: everything after ``scheme://`` (TargetUrlError when empty)."""
    path = Path(unquote(target.parts.netloc + target.parts.path))
    if not str(path) or str(path) == ".":
        raise target.error("the PATH is missing")
    return path


#: The largest recording read (a ``file://`` or ``pcap://`` target, a ``decode`` / ``identify`` INPUT file).
MAX_RECORDING_BYTES = 1 << 30


def check_recording(path: Path) -> None:
    """Refuse, before reading anything, what is not a regular file of at most :data:`MAX_RECORDING_BYTES`: a folder,
    a FIFO (which would block) or a device such as ``/dev/zero`` (which never ends) is a :class:`ConfigurationError`
    (exit 2) naming the path. A path that cannot be examined is left to the read that follows."""
    try:
        info = path.stat()
    except (OSError, ValueError):
        return
    if not stat.S_ISREG(info.st_mode):
        kind = "a folder" if stat.S_ISDIR(info.st_mode) else "not a regular file (a FIFO, socket or device)"
        raise ConfigurationError(
            f"{path} is {kind}: a recording is read from a file.",
            source=SourceLocation(str(path)),
            hint="Give a file of hex lines, one raw frame, or a pcap capture.",
        )
    if info.st_size > MAX_RECORDING_BYTES:
        raise ConfigurationError(
            f"{path} is {info.st_size} bytes; a recording may be at most {MAX_RECORDING_BYTES} bytes.",
            source=SourceLocation(str(path)),
            hint="Split the recording into smaller files.",
        )


def _read(path: Path) -> bytes:
    check_recording(path)
    try:
        return path.read_bytes()
    except OSError as exc:
        raise TransportError(f"Cannot read {path}: {exc.strerror or exc}.", hint="Check the path in the URL.") from None


class FileTransport(Transport):
    """Frames from a file of hex lines (``#`` comments) or one raw binary frame (:func:`frames_from_content`)."""

    SCHEMES: ClassVar[Mapping[str, str]] = {"file": "file://PATH"}
    PARAMETERS = (framing_parameter(),)

    @classmethod
    def from_url(cls, target: TargetUrl) -> FileTransport:
        """``file://PATH[?framing=...]``."""
        return cls(target.url, _path(target), framing=target.params["framing"])

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
        except InputError as exc:  # named by its full path: the file name alone may be ambiguous
            raise TransportError(f"{exc.message} (recording {self.path})", hint=exc.hint) from None
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

    SCHEMES: ClassVar[Mapping[str, str]] = {"pcap": "pcap://PATH"}
    PARAMETERS = (UrlParameter("port", "only UDP datagrams to or from this port", whole(1)), framing_parameter())

    @classmethod
    def from_url(cls, target: TargetUrl) -> PcapTransport:
        """``pcap://PATH[?port=N][&framing=...]``."""
        return cls(target.url, _path(target), port=target.params.get("port"), framing=target.params["framing"])

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
