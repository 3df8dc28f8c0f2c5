"""The project's one error tree.

Every failure the toolkit reports to a user is a :class:`ConformanceError`. Each carries enough to say *what* was
wrong, *where* (edition, type, dotted field path, bit or byte offset, file and line) and *what to do* (a one-line
hint). The command line prints :meth:`ConformanceError.describe` and never a traceback.

Every :class:`ConformanceError` class is defined here and nowhere else (exit code in brackets), and so is
:class:`ExitCode`, the one set of process exit codes every ``v2xc`` command uses (README.md, "Exit codes")::

    ConformanceError
    ├── UsageError [2] ── VectorArgumentError, DeviceError, FaultError
    ├── ConfigurationError [2] ── EditionError, CatalogueError
    ├── CodecError [1] ── ValueFormatError
    ├── FramingError [1], InputError [1], AutoEditionError [1], VerificationError [1]
    └── TransportError [3] ── TargetUrlError [2], UpperTesterProtocolError [3]
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of every ``v2xc`` command (README.md, "Exit codes"). Aliases name the same code as each
    command documents it."""

    #: Success: the message is valid / every executed case passed / nothing regressed / the bundle verifies.
    OK = 0
    #: ``run``, ``report gate``: a case failed or was inconclusive; ``report diff``: a regression; ``report verify``:
    #: a changed file or a bad signature; ``selftest``: the host is overloaded now.
    FAILED = 1
    #: ``decode``, ``encode``, ``identify``: the input is not a valid message (alias of FAILED).
    INVALID = 1
    #: Usage or configuration error: bad option, profile, PICS, PIXIT or target URL (nothing was tested).
    USAGE = 2
    #: ``run``, ``report gate``: a harness error (a case ended in *error*, or the device could not be reached): the
    #: device's conformance was not judged.
    HARNESS = 3
    #: An internal error: a bug in v2xc (alias of HARNESS).
    INTERNAL = 3


def format_path(path: tuple[str | int, ...]) -> str:
    """Render a field path the way every error names it: ``spatFrame.intersections[0].phases[2].id`` ('' for the
    top level)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


#: Whole numbers longer than this many bits are written in short form (see :func:`format_number`).
LONG_NUMBER_BITS = 256


def format_number(number: int) -> str:
    """Write a whole number the way every message does: in decimal, or, beyond 256 bits (a hostile frame can hold
    a number of 130,000 bits, which Python will not even write in decimal), as its leading hexadecimal digits and
    its size: ``0x7fffffffffffffff…[15999-bit]`` (one token, no spaces)."""
    if number.bit_length() <= LONG_NUMBER_BITS:
        return str(number)
    head = f"{abs(number):x}"[:17]
    return f"{'-' if number < 0 else ''}0x{head}…[{number.bit_length()}-bit]"


#: The longest whole number (in decimal digits) v2xc writes or reads inside :func:`long_decimals`: enough for any
#: INTEGER a 64 KiB frame can hold (65,536 octets: 157,827 digits). Python allows 4300 by default (its guard
#: against slow conversions; this size takes about a third of a second).
MAX_DECIMAL_DIGITS = 160_000


@contextlib.contextmanager
def long_decimals() -> Iterator[None]:
    """Let Python write and read decimal numbers of up to :data:`MAX_DECIMAL_DIGITS` digits for a moment: where
    a decoded value is printed, or asn1tools writes a value into a constraint message. (An INTEGER without an
    upper bound, in a lab's own ASN.1, may be that long in a valid frame.) The limit is process-wide, so it is
    raised only around such work, never for the whole run: elsewhere, e.g. the upper tester's JSON, a number
    of thousands of digits stays malformed input."""
    limit = sys.get_int_max_str_digits()
    if limit and limit < MAX_DECIMAL_DIGITS:
        sys.set_int_max_str_digits(MAX_DECIMAL_DIGITS)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(limit)


class ConformanceError(Exception):
    """Base of every error the toolkit raises on purpose."""

    #: Process exit code the command line uses for this kind of error.
    exit_code: ExitCode = ExitCode.USAGE

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def location(self) -> str:
        """Return a human-readable description of where the error is ('' when unknown)."""
        return ""

    def describe(self) -> str:
        """Return the one-paragraph message shown to users: what, where, and what to do."""
        parts = [self.message]
        where = self.location()
        if where:
            parts.append(f"Where: {where}.")
        if self.hint:
            parts.append(f"Hint: {self.hint}")
        return " ".join(parts)

    def __str__(self) -> str:
        return self.describe()


class UsageError(ConformanceError):
    """Wrong arguments or options given to a command or a public function."""

    exit_code = ExitCode.USAGE


@dataclass(frozen=True)
class SourceLocation:
    """A place in a file: path, 1-based line and column (0 when unknown)."""

    path: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        text = self.path
        if self.line:
            text += f":{self.line}"
            if self.column:
                text += f":{self.column}"
        return text


class ConfigurationError(ConformanceError):
    """A broken data file: ASN.1 module, edition registry, profile, catalogue, PICS or PIXIT."""

    exit_code = ExitCode.USAGE

    def __init__(self, message: str, *, source: SourceLocation | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.source = source

    def location(self) -> str:
        """Return ``file:line:column`` when the error is tied to a file."""
        return str(self.source) if self.source else ""


class EditionError(ConfigurationError):
    """An unknown edition id, or an edition whose ASN.1 cannot be loaded or compiled."""


class CatalogueError(ConfigurationError):
    """A broken catalogue, framework, profile, PICS or PIXIT file (exit code 2), always a complete sentence."""

    def __init__(self, message: str, *, source: SourceLocation | None = None, hint: str = "") -> None:
        if message and not message.endswith((".", "?", "!")):
            message += "."
        super().__init__(message, source=source, hint=hint)


@dataclass
class CodecContext:
    """Where in a message an encode or decode failure happened."""

    edition: str = ""
    type_name: str = ""
    field_path: str = ""
    bit_offset: int | None = None
    extra: dict[str, str] = field(default_factory=dict)


class CodecError(ConformanceError):
    """Bytes that are not a valid message, or a value that cannot be a valid message.

    ``operation`` is ``"decode"`` or ``"encode"``; ``field_path`` is dotted from the top type (``value`` fields of
    CHOICE alternatives are named by the alternative, e.g. ``bsmFrame.speed``); ``bit_offset`` counts from the first
    bit of the input (for decode) when the underlying codec knows it.

    The strict codec decides a rejection at once, and may leave its wording (``explain``: message and hint) and its
    exact place (``locate``: field path and bit offset) to be worked out the first time they are read, so that a
    monitor which only counts rejected frames does not pay for sentences nobody reads (issue 15: rejecting a frame
    should cost about what accepting one does). Reading ``message``, ``hint``, ``field_path``, ``bit_offset``,
    :meth:`describe` or :meth:`as_dict` gives the same values an eager error would have held. Should ``locate`` or
    ``explain`` itself fail (a bug), the place given at construction stays, the message says the description
    failed, and the failure is kept in ``locate_failure``: reading the error never raises.
    """

    exit_code = ExitCode.INVALID

    def __init__(
        self,
        message: str = "",
        *,
        operation: str,
        edition: str = "",
        type_name: str = "",
        field_path: str = "",
        bit_offset: int | None = None,
        hint: str = "",
        explain: Callable[[], tuple[str, str]] | None = None,
        locate: Callable[[], tuple[str, int | None]] | None = None,
    ) -> None:
        self._explain: Callable[[], tuple[str, str]] | None = None
        self._locate: Callable[[], tuple[str, int | None]] | None = None
        self._field_path = field_path
        self._bit_offset = bit_offset
        self.locate_failure: str = ""
        super().__init__(message, hint=hint)
        self._explain = explain
        self._locate = locate
        self.operation = operation
        self.edition = edition
        self.type_name = type_name

    # -- deferred detail -------------------------------------------------------------------------------------
    def _explained(self) -> None:
        explain = self._explain
        if explain is not None:
            self._explain = None
            try:
                self._message, self._hint = explain()
            except Exception as exc:  # noqa: BLE001 - the fault is decided; say so rather than raise while reporting
                self.locate_failure = f"{type(exc).__name__}: {exc}"
                self._message = self._message or (
                    f"The input is not a valid message; its description could not be written ({self.locate_failure})."
                )

    def _located(self) -> None:
        locate = self._locate
        if locate is not None:
            self._locate = None
            try:
                self._field_path, self._bit_offset = locate()
            except Exception as exc:  # noqa: BLE001 - the fault is already decided; keep the place known so far
                self.locate_failure = f"{type(exc).__name__}: {exc}"

    @property
    def message(self) -> str:
        """What is wrong (worked out on first read when the codec deferred it)."""
        self._explained()
        return self._message

    @message.setter
    def message(self, value: str) -> None:
        self._explained()
        self._message = value

    @property
    def hint(self) -> str:
        """What to do about it (worked out with :attr:`message`)."""
        self._explained()
        return self._hint

    @hint.setter
    def hint(self, value: str) -> None:
        self._explained()
        self._hint = value

    @property
    def field_path(self) -> str:
        """Dotted field path of the fault ('' for the top level or when unknown)."""
        self._located()
        return self._field_path

    @field_path.setter
    def field_path(self, value: str) -> None:
        self._located()
        self._field_path = value

    @property
    def bit_offset(self) -> int | None:
        """Bit offset of the fault from the first bit of the input (None when unknown)."""
        self._located()
        return self._bit_offset

    @bit_offset.setter
    def bit_offset(self, value: int | None) -> None:
        self._located()
        self._bit_offset = value

    def location(self) -> str:
        """Return edition, type, field path and bit offset, as far as known."""
        bits = []
        if self.edition:
            bits.append(f"edition {self.edition}")
        if self.type_name:
            bits.append(f"type {self.type_name}")
        if self.field_path:
            bits.append(f"field {self.field_path}")
        if self.bit_offset is not None:
            bits.append(f"bit offset {self.bit_offset} (byte {self.bit_offset // 8})")
        return ", ".join(bits)

    def as_dict(self) -> dict[str, object]:
        """Return the error as a JSON-ready mapping (for journals and reports)."""
        return {
            "operation": self.operation,
            "message": self.message,
            "edition": self.edition,
            "type": self.type_name,
            "field_path": self.field_path,
            "bit_offset": self.bit_offset,
            "hint": self.hint,
        }


class ValueFormatError(CodecError):
    """A JSON value that does not follow the project's JSON convention (see ``conformance.jsonvalue``)."""


class FramingError(ConformanceError):
    """A network-layer (DSMP) header that is malformed or disagrees with its payload."""

    exit_code = ExitCode.INVALID

    def __init__(self, message: str, *, byte_offset: int | None = None, field_name: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.byte_offset = byte_offset
        self.field_name = field_name

    def location(self) -> str:
        """Return the DSMP header field and byte offset, as far as known."""
        bits = []
        if self.field_name:
            bits.append(f"DSMP field {self.field_name}")
        if self.byte_offset is not None:
            bits.append(f"byte offset {self.byte_offset} (bit {self.byte_offset * 8})")
        return ", ".join(bits)


class AutoEditionError(ConformanceError):
    """No edition matches a frame in ``--edition auto`` mode (``v2xc decode``)."""

    exit_code = ExitCode.INVALID


class InputError(ConformanceError):
    """Input that is not a frame at all (bad hex in a file, unreadable file)."""

    exit_code = ExitCode.INVALID

    def __init__(self, message: str, *, source: SourceLocation | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.source = source

    def location(self) -> str:
        """Return ``file:line`` of the bad input, when known."""
        return str(self.source) if self.source else ""


class VectorArgumentError(UsageError):
    """A bad argument to a vector generator; the message names the function and the argument."""


class TransportError(ConformanceError):
    """The device could not be reached: bad URL, socket or broker failure, disconnect, upper-tester timeout.

    Exit code 3 (harness error): the device's conformance was not judged.
    """

    exit_code = ExitCode.HARNESS


class TargetUrlError(TransportError):
    """A malformed ``--target`` URL: a usage error (exit code 2), the device was never contacted."""

    exit_code = ExitCode.USAGE


class UpperTesterProtocolError(TransportError):
    """A datagram that is not a version-1 upper-tester message."""


class DeviceError(UsageError):
    """A reference device configured wrongly (unknown edition, bad rate, unknown fault, bad address)."""


class FaultError(UsageError):
    """An unknown fault name, a fault the device does not have, or a bad fault argument."""


class VerificationError(ConformanceError):
    """A signed report bundle does not verify: a changed, missing or added file, or a bad signature. Exit code 1."""

    exit_code = ExitCode.FAILED
