"""Verdicts, evidence and case results — the records every listener, journal and report is built from — and the
:class:`FrameDecoder` protocol through which the engine reads frames without knowing any standard.

Verdicts follow ISO/IEC 9646 / ETSI practice: pass, fail, inconc (inconclusive), none (not applicable / not
run), error (the harness, not the device, failed). A requirement with no check is recorded as ``none`` with
status ``not-tested`` — never as pass.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from ..errors import ConformanceError


class Verdict(StrEnum):
    """The closed set of verdicts."""

    PASS = "pass"
    FAIL = "fail"
    INCONC = "inconc"
    NONE = "none"
    ERROR = "error"


#: Which verdict wins when several checks of one case disagree (worst first).
VERDICT_SEVERITY = {Verdict.ERROR: 4, Verdict.FAIL: 3, Verdict.INCONC: 2, Verdict.PASS: 1, Verdict.NONE: 0}


def worst(verdicts: list[Verdict]) -> Verdict:
    """Combine verdicts: error > fail > inconc > pass > none (an empty list is none)."""
    return max(verdicts, key=VERDICT_SEVERITY.__getitem__, default=Verdict.NONE)


@dataclass(frozen=True)
class EvidenceFrame:
    """One frame exchanged with the device under test, exactly as on the wire, with timestamps.

    ``direction`` is ``"rx"`` (from the device) or ``"tx"`` (to the device); ``wall_time`` is UTC seconds since
    the epoch (rx: the kernel's receive timestamp where available; tx: just before the send call), ``monotonic``
    the same instant on the run's monotonic clock; ``frame_hex`` is the MessageFrame after
    any network header was removed (``None`` when it could not be unwrapped).
    """

    seq: int
    direction: str
    wall_time: float
    monotonic: float
    raw_hex: str
    frame_hex: str | None
    channel: str = ""
    peer: str = ""
    note: str = ""
    #: tx: wall time just after the send call returned (``wall_time`` is the time just before it).
    sent_after: float | None = None
    #: rx: "kernel" (the kernel's receive timestamp) or "application" (read after the receive call returned).
    stamped_by: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        return asdict(self)


@dataclass(frozen=True)
class Observation:
    """One finding of a check: what was expected, what was observed, where (field path) and on which frames."""

    verdict: Verdict
    message: str
    check: str = ""
    field_path: str = ""
    expected: Any = None
    observed: Any = None
    evidence: tuple[int, ...] = ()  # EvidenceFrame.seq values
    unit: str = ""
    #: For a timing value judged against a limit: the value, the limit, the expanded measurement uncertainty and
    #: the decision (see :mod:`conformance.engine.timing`); None for value checks.
    measurement: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping."""
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["evidence"] = list(self.evidence)
        return data


@dataclass
class CaseResult:
    """The verdict of one test case (one requirement on one device), with its observations and evidence."""

    case_id: str
    requirement_id: str
    title: str
    clause: str
    framework_node: str
    verdict: Verdict
    status: str  # "run", "not-applicable", "not-tested", "skipped"
    reason: str = ""
    observations: list[Observation] = field(default_factory=list)
    evidence_file: str = ""
    evidence_count: int = 0
    started: str = ""
    finished: str = ""
    duration_s: float = 0.0
    parameters: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return a JSON-ready mapping (the journal's record)."""
        data = asdict(self)
        data["verdict"] = self.verdict.value
        data["observations"] = [obs.as_dict() for obs in self.observations]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CaseResult:
        """Rebuild a result from its journal record."""
        observations = [
            Observation(**{**obs, "verdict": Verdict(obs["verdict"]), "evidence": tuple(obs.get("evidence", ()))})
            for obs in data.get("observations", [])
        ]
        fields = {k: v for k, v in data.items() if k not in ("observations", "verdict")}
        return cls(**fields, verdict=Verdict(data["verdict"]), observations=observations)


class FrameDecoder(Protocol):
    """Everything the engine needs to know about the standards: given to it, never imported by it.

    ``framing`` is the transport's framing (its ``framing`` attribute, e.g. ``"none"`` or ``"dsmp"``). The concrete
    decoder of the CSAE message sets is :func:`conformance.network.decoder.frame_decoder`.
    """

    @property
    def edition(self) -> str:
        """The message-set edition frames are decoded under."""
        ...

    def unwrap(self, raw: bytes, framing: str) -> bytes:
        """The MessageFrame bytes inside ``raw`` (network header removed); raises ConformanceError when it cannot."""
        ...

    def classify(self, frame: bytes) -> tuple[str | None, Any, ConformanceError | None]:
        """Decode MessageFrame bytes strictly and name their message kind: ``(message, value, error)``.

        ``message`` is the kind an observation files the frame under (``BSM``, ..., ``DAY2``); ``value`` the decoded
        message (inside the frame's CHOICE). For a frame that does not decode: the decoder's best guess of the kind
        (or None), None, and the error (never raised)."""
        ...

    def wrap(self, frame: bytes, framing: str) -> bytes:
        """``frame`` with the network header ``framing`` asks for (raises ConformanceError when it cannot)."""
        ...
