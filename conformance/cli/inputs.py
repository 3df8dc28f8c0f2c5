"""Reading frames given on the command line: a file of bytes, a file of hex lines, a hex string, or stdin ('-').

Rules (README.md, "Giving frames to v2xc"):

* ``-`` reads standard input; an existing path reads that file; anything else must be a hex string.
* File and stdin content is read exactly like a ``file://`` recording
  (:func:`conformance.transports.offline.frames_from_content`): text is hex, one frame per non-empty line, ``#``
  starts a comment, spaces, tabs, ``:`` separators and an optional ``0x`` prefix are allowed; any other content is
  one raw frame. A line that is not hex is an error naming ``file:line``; nothing is silently skipped.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..errors import InputError, SourceLocation, UsageError
from ..transports.offline import Frame, check_recording, frames_from_content, parse_hex


def _is_file(path: Path) -> bool:
    """``Path.is_file`` that treats names the OS refuses (too long, invalid) as "not a file"."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def read_frames(argument: str) -> list[Frame]:
    """Turn a command-line INPUT argument into frames (see module docstring)."""
    if argument == "-":
        return frames_from_content(sys.stdin.buffer.read(), "stdin")
    path = Path(argument)
    if _exists(path) and not _is_file(path):  # a folder, FIFO or device: named as such, never read
        check_recording(path)
    if _is_file(path):
        check_recording(path)  # at most MAX_RECORDING_BYTES
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise InputError(f"Cannot read {argument}: {exc.strerror}.", source=SourceLocation(argument)) from None
        return frames_from_content(content, argument)
    try:
        return [Frame("argument", parse_hex(argument))]
    except ValueError as exc:
        raise UsageError(
            f"INPUT {argument if len(argument) <= 200 else argument[:200] + '…'} is neither an existing file nor a "
            f"hex string ({exc}).",
            hint="Give a path to a file of bytes or hex lines, a hex string such as 800b00000802011a195b1b1bc0, "
            "or '-'.",
        ) from None
