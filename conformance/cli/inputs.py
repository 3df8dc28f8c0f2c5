"""Reading frames given on the command line: a file of bytes, a file of hex lines, a hex string, or stdin ('-').

Rules (README.md, "Giving frames to v2xc"):

* ``-`` reads standard input; an existing path reads that file; anything else must be a hex string.
* Content that is text (UTF-8, printable) is read as hex, one frame per non-empty line; ``#`` starts a comment;
  spaces, tabs, ``:`` separators and an optional ``0x`` prefix are allowed. Any other content is one raw frame.
* A line that is not hex is an error naming ``file:line``; nothing is silently skipped.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConformanceError, SourceLocation, UsageError

_SEPARATORS = re.compile(r"[\s:]+")
_HEX = re.compile(r"^[0-9a-fA-F]*$")


class InputError(ConformanceError):
    """Input that is not a frame at all (bad hex in a file, unreadable file)."""

    exit_code = 1

    def __init__(self, message: str, *, source: SourceLocation | None = None, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.source = source

    def location(self) -> str:
        """Return ``file:line`` of the bad input, when known."""
        return str(self.source) if self.source else ""


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


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that treats names the OS refuses (too long, invalid) as "not a file"."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def read_frames(argument: str) -> list[Frame]:
    """Turn a command-line INPUT argument into frames (see module docstring)."""
    if argument == "-":
        return frames_from_content(sys.stdin.buffer.read(), "stdin")
    path = Path(argument)
    if _is_file(path):
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Cannot read {argument}: {exc.strerror}.", source=SourceLocation(argument)) from None
        return frames_from_content(content, argument)
    try:
        return [Frame("argument", parse_hex(argument))]
    except ValueError as exc:
        raise UsageError(
            f"INPUT {argument[:60]!r} is neither an existing file nor a hex string ({exc}).",
            hint="Give a path to a file of bytes or hex lines, a hex string such as 800b00000802011a195b1b1bc0, "
            "or '-'.",
        ) from None
