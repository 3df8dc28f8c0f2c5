"""The project's one error tree.

Every failure the toolkit reports to a user is a :class:`ConformanceError`. Each carries enough to say *what* was
wrong, *where* (edition, type, dotted field path, bit or byte offset, file and line) and *what to do* (a one-line
hint). The command line prints :meth:`ConformanceError.describe` and never a traceback.

Exit codes used by the command line (documented in README.md):

* 0 — success; 1 — the input is not a valid message / a check failed; 2 — usage or configuration error.
"""

from __future__ import annotations

from dataclasses import dataclass, field


def format_path(path: tuple[str | int, ...]) -> str:
    """Render a field path the way every error names it: ``spatFrame.intersections[0].phases[2].id`` ('' for the
    top level)."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


class ConformanceError(Exception):
    """Base of every error the toolkit raises on purpose."""

    #: Process exit code the command line uses for this kind of error.
    exit_code: int = 2

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

    exit_code = 2


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

    exit_code = 2

    def __init__(self, message: str, *, source: SourceLocation | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.source = source

    def location(self) -> str:
        """Return ``file:line:column`` when the error is tied to a file."""
        return str(self.source) if self.source else ""


class EditionError(ConfigurationError):
    """An unknown edition id, or an edition whose ASN.1 cannot be loaded or compiled."""


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
    """

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        edition: str = "",
        type_name: str = "",
        field_path: str = "",
        bit_offset: int | None = None,
        hint: str = "",
    ) -> None:
        super().__init__(message, hint=hint)
        self.operation = operation
        self.edition = edition
        self.type_name = type_name
        self.field_path = field_path
        self.bit_offset = bit_offset

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

    exit_code = 1

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
