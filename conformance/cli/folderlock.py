"""One writer per run folder: a second ``v2xc run`` (or ``--resume``, or the pytest plugin) into a folder that a run
is writing is refused with exit 2, naming the holder, instead of interleaving two journals into one.

The lock is an advisory ``flock`` on ``RUN/.lock`` (Linux, macOS), held for the life of the process: it is released
when the run ends, however it ends — even on SIGKILL, so a killed run can be resumed at once. The file also records
who holds it (process id, host, command, start time), for the message.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from ..errors import UsageError

LOCK_FILE = ".lock"
#: Locks held by this process, by folder (kept open: closing the file would release the lock).
_HELD: dict[Path, IO[str]] = {}


def lock_run_folder(out_dir: Path) -> None:
    """Take the run folder's lock for this process (again is fine); UsageError when another process holds it."""
    folder = out_dir.resolve()
    if folder in _HELD:
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks; runs are not protected there
        return
    path = folder / LOCK_FILE
    handle = path.open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.seek(0)
        holder = handle.read().strip() or "another process"
        handle.close()
        raise UsageError(
            f"The run folder {out_dir} is being written by another run ({holder}).",
            hint="Wait for that run to finish (or stop it), then --resume the folder; or give another --out.",
        ) from None
    handle.seek(0)
    handle.truncate()
    handle.write(
        json.dumps(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "command": " ".join(sys.argv[:6]),
                "since": datetime.now(UTC).isoformat(timespec="seconds"),
            }
        )
    )
    handle.flush()
    _HELD[folder] = handle
