"""The run context handed to every check: transport, edition, parameters, evidence, and the shared observation.

Passive checks judge one shared *observation*: the frames the device sent during the observation window (live
transports) or all frames of a recording (file/pcap). It is captured once, lazily, by the first passive case,
so twenty message-layer requirements cost one window, not twenty. Every frame is written to the evidence
journal (``evidence.ndjson``) with a sequence number, raw bytes and timestamps before any check sees it.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from ..errors import ConformanceError
from .model import EvidenceFrame, FrameDecoder
from .timing import TimingMonitor, WindowTiming

if TYPE_CHECKING:
    from ..transports.kerneltime import SendTime


@dataclass
class ObservedFrame:
    """One frame from the device: evidence seq, timing, the MessageFrame bytes, and its strict decode result."""

    seq: int
    wall_time: float
    monotonic: float
    peer: str
    raw: bytes
    frame: bytes | None
    message: str | None = None  # BSM, MAP, SPAT, RSI, RSM, DAY2 (the decoder's message kind)
    value: Any = None  # the decoded message (inside the MessageFrame CHOICE)
    error: ConformanceError | None = None
    channel: str = ""

    @property
    def ok(self) -> bool:
        """True when the frame was unwrapped and decoded strictly."""
        return self.error is None and self.value is not None


class EvidenceLog:
    """Append-only evidence journal: one JSON line per frame, flushed as written (a killed run keeps it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._seq = self._last_seq()
        self._handle: IO[str] = path.open("a", encoding="utf-8")

    def _last_seq(self) -> int:
        if not self.path.is_file():
            return 0
        last = 0
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                last = max(last, int(json.loads(line)["seq"]))
            except (ValueError, KeyError, TypeError):
                continue  # a line cut by a kill mid-write is ignored
        return last

    def record(
        self,
        direction: str,
        raw: bytes,
        frame: bytes | None,
        *,
        wall_time: float,
        monotonic: float,
        channel: str = "",
        peer: str = "",
        note: str = "",
        sent_after: float | None = None,
        stamped_by: str = "",
    ) -> EvidenceFrame:
        """Write one frame and return its record (with the next sequence number)."""
        with self._lock:
            self._seq += 1
            entry = EvidenceFrame(
                seq=self._seq,
                direction=direction,
                wall_time=wall_time,
                monotonic=monotonic,
                raw_hex=raw.hex(),
                frame_hex=frame.hex() if frame is not None else None,
                channel=channel,
                peer=peer,
                note=note,
                sent_after=sent_after,
                stamped_by=stamped_by,
            )
            self._handle.write(json.dumps(entry.as_dict()) + "\n")
            self._handle.flush()
            return entry

    def close(self) -> None:
        """Close the journal file."""
        with self._lock:
            self._handle.close()


@dataclass
class RunContext:
    """Everything a check may use. Checks read it; only the engine and the capture step change it."""

    edition: str
    transport: Any  # conformance.transports.base.Transport
    evidence: EvidenceLog
    parameters: Mapping[str, Any]
    #: Unwraps, decodes and names frames, and wraps sent ones (e.g. ``conformance.network.decoder.frame_decoder``).
    decoder: FrameDecoder
    pixit: Mapping[str, Any] = field(default_factory=dict)
    stop: threading.Event = field(default_factory=threading.Event)
    #: The run's timing budget, host probe and window conditions (an unmeasured monitor by default).
    timing: TimingMonitor = field(default_factory=TimingMonitor)
    _observation: list[ObservedFrame] | None = None
    _observation_timing: WindowTiming | None = None
    _observation_window: float = 0.0
    _observation_span: tuple[float, float] = (0.0, 0.0)

    def __post_init__(self) -> None:
        if self.decoder.edition != self.edition:
            raise ValueError(f"RunContext: the decoder decodes {self.decoder.edition}, the run is {self.edition}")

    # -- frames ------------------------------------------------------------------------------------------------
    @property
    def framing(self) -> str:
        """The transport's framing (``none`` when it declares none)."""
        return str(getattr(self.transport, "framing", "none"))

    def _record_received(self, received: Any, note: str) -> tuple[EvidenceFrame, bytes | None, ConformanceError | None]:
        """Write a received frame to the evidence log first; return the record, the MessageFrame bytes (network
        header removed) and the framing error, if any."""
        error: ConformanceError | None = None
        frame: bytes | None = None
        try:
            frame = self.decoder.unwrap(received.raw, self.framing)
        except ConformanceError as exc:
            error = exc
        entry = self.evidence.record(
            "rx",
            received.raw,
            frame,
            wall_time=received.wall_time,
            monotonic=received.monotonic,
            channel=received.channel,
            peer=received.peer,
            note=note,
            stamped_by=getattr(received, "stamped_by", ""),
        )
        self.timing.note_received(received)
        return entry, frame, error

    def record_upper_tester_anomalies(self) -> int:
        """Write the datagrams the upper tester could not read (kept by it since the last call) to the evidence
        log, so a device's malformed replies are on record; return how many were written."""
        tester = self.transport.upper_tester() if hasattr(self.transport, "upper_tester") else None
        kept = getattr(tester, "malformed", None)
        if not kept:
            return 0
        taken = []
        while kept:  # pop, not copy-and-clear: the listener thread may be appending
            taken.append(kept.pop(0))
        for item in taken:
            wall = float(item.get("time", time.time()))
            self.evidence.record(
                "rx",
                bytes.fromhex(str(item.get("hex", ""))),
                None,
                wall_time=wall,
                monotonic=time.monotonic() - max(0.0, time.time() - wall),
                channel="upper-tester",
                note=f"malformed upper-tester datagram (not judged): {item.get('reason', '')}",
            )
        return len(taken)

    def decode_received(self, received: Any, *, note: str = "") -> ObservedFrame:
        """Record a received frame as evidence, unwrap its network header and decode it strictly."""
        entry, frame, error = self._record_received(received, note)
        observed = ObservedFrame(
            entry.seq,
            received.wall_time,
            received.monotonic,
            received.peer,
            received.raw,
            frame,
            error=error,
            channel=received.channel,
        )
        if frame is not None:
            message, value, error = self.decoder.classify(frame)
            observed.message = message
            observed.value = value
            if error is not None:
                observed.error = error
        return observed

    def send(self, frame: bytes, *, note: str = "", channel: str = "") -> EvidenceFrame:
        """Send a MessageFrame to the device (wrapped per the transport's framing) and record it as evidence."""
        raw = self.decoder.wrap(frame, self.framing)
        return self._record_sent(raw, frame, self.transport.send(raw, channel=channel), note, channel)

    def _record_sent(self, raw: bytes, frame: bytes | None, sent: SendTime, note: str, channel: str) -> EvidenceFrame:
        """Record a sent frame with the wall times bracketing the send call (``wall_time`` = just before it)."""
        monotonic = time.monotonic() - max(0.0, time.time() - sent.before)
        return self.evidence.record(
            "tx",
            raw,
            frame,
            wall_time=sent.before,
            monotonic=monotonic,
            channel=channel,
            note=note,
            sent_after=sent.after,
        )

    def send_raw(self, raw: bytes, *, note: str = "", channel: str = "") -> EvidenceFrame:
        """Send bytes exactly as given (no network header added), e.g. a deliberately broken DSMP packet."""
        return self._record_sent(raw, None, self.transport.send(raw, channel=channel), note, channel)

    def receive_for(self, seconds: float, *, note: str = "") -> Iterator[ObservedFrame]:
        """Yield decoded frames received during the next ``seconds`` (stops early on Ctrl-C or end of recording)."""
        live = bool(getattr(self.transport.capabilities, "live", True))
        if live:
            self._drain()
        deadline = time.monotonic() + seconds
        while not self.stop.is_set():
            remaining = deadline - time.monotonic()
            if live and remaining <= 0:
                return
            received = self.transport.receive(min(remaining, 0.25) if live else 0.25)
            if received is None:
                if live:
                    continue
                return  # a recording has ended
            yield self.decode_received(received, note=note)

    def _drain(self) -> None:
        """Record, without judging, the frames that queued up in the transport before this window began.

        While active cases ran, the device kept sending; those frames wait in the socket. Judged as part of the next
        window they would arrive in one burst (a false rate, lost frames past the buffer, stale secMarks). They are
        kept as evidence, marked as received before the window.
        """
        while (received := self.transport.receive(0.0)) is not None:
            self._record_received(received, "queued before this window (not judged)")

    def observation(self) -> list[ObservedFrame]:
        """Return the shared observation, capturing it on first use (window: ``observation_window_s``)."""
        if self._observation is None:
            window = float(self.parameters.get("observation_window_s", 5.0))
            self._observation_window = window
            self.timing.mark()
            start = time.monotonic()
            self._observation = list(self.receive_for(window, note="observation"))
            self._observation_span = (start, time.monotonic())
            self.timing.mark()
        return self._observation

    def window_timing(self, start: float, end: float) -> WindowTiming:
        """The timing conditions (host load, kernel drops, clock steps) between monotonic ``start`` and ``end``."""
        live = bool(getattr(self.transport.capabilities, "live", True))
        return self.timing.window(start, end, live=live)

    @property
    def observation_timing(self) -> WindowTiming:
        """The timing conditions of the shared observation window (measured once, after :meth:`observation`)."""
        if self._observation_timing is None:
            self.observation()
            self._observation_timing = self.window_timing(*self._observation_span)
        return self._observation_timing

    @property
    def observation_span(self) -> tuple[float, float]:
        """Monotonic start and end of the observation window (live transports)."""
        return self._observation_span

    @property
    def observation_window(self) -> float:
        """Length of the observation window in seconds (after :meth:`observation` ran)."""
        return self._observation_window

    def frames_of(self, message: str) -> list[ObservedFrame]:
        """Frames of one message kind (BSM, MAP, SPAT, RSI, RSM) in the observation, decoded or not."""
        return [frame for frame in self.observation() if frame.message == message]
