"""Scheduler wake-up latency of this host, sampled in a process of its own while the toolkit observes a device.

The probe sleeps for a fixed period again and again and records how much later than asked it woke up — the
method of the rt-tests ``cyclictest`` tool (Linux real-time project), which measures exactly what delays a
program that must act on time: the scheduler's wake-up latency. It runs as a separate process, so the judge's
own interpreter lock and work do not enter the figure; a busy host shows up in it just as it would delay a
reference device (also a process of its own) or the kernel's receive processing (``ksoftirqd``).

Run as a script (``python -I hostprobe.py PERIOD_MS``; it imports only the standard library, never the package,
so it starts in milliseconds). Protocol on stdin/stdout, one line each:

* ``Q T0 T1`` → a JSON object of statistics over the samples taken between monotonic times T0 and T1
  (``time.monotonic()`` is the same clock in every process of a Linux host);
* end of input → the probe exits.

:class:`HostProbe` is the toolkit's side.
"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections import deque
from pathlib import Path
from typing import IO, Any

DEFAULT_PERIOD_MS = 2.0
KEEP_SECONDS = 600.0  # samples older than this are forgotten (a window is seconds long)


def summarise(latencies_ms: list[float]) -> dict[str, Any]:
    """Count, median, 99th percentile and maximum of wake-up latencies in ms (all 0 for no sample)."""
    if not latencies_ms:
        return {"samples": 0, "p50_ms": 0.0, "p99_ms": 0.0, "max_ms": 0.0}
    ordered = sorted(latencies_ms)
    count = len(ordered)

    def rank(fraction: float) -> float:
        return ordered[min(count - 1, int(fraction * (count - 1) + 0.5))]

    return {
        "samples": count,
        "p50_ms": round(rank(0.50), 3),
        "p99_ms": round(rank(0.99), 3),
        "max_ms": round(ordered[-1], 3),
    }


def _probe(period_ms: float) -> None:
    """The probe process: sample forever, answer queries, exit at end of input."""
    samples: deque[tuple[float, float]] = deque()
    lock = threading.Lock()
    stop = threading.Event()

    def answer() -> None:
        for line in sys.stdin:
            parts = line.split()
            if len(parts) == 3 and parts[0] == "Q":
                start, end = float(parts[1]), float(parts[2])
                with lock:
                    chosen = [latency for when, latency in samples if start <= when <= end]
                sys.stdout.write(json.dumps(summarise(chosen)) + "\n")
                sys.stdout.flush()
        stop.set()

    threading.Thread(target=answer, daemon=True).start()
    period = period_ms / 1000.0
    while not stop.is_set():
        asked = time.monotonic()
        time.sleep(period)
        woke = time.monotonic()
        late_ms = max(0.0, (woke - asked - period) * 1000.0)
        with lock:
            samples.append((woke, late_ms))
            while samples and woke - samples[0][0] > KEEP_SECONDS:
                samples.popleft()


class HostProbe:
    """Start the probe process; :meth:`window` returns its wake-up statistics for a stretch of time."""

    def __init__(self, period_ms: float = DEFAULT_PERIOD_MS) -> None:
        self.period_ms = period_ms
        self._process: subprocess.Popen[str] | None = None
        self._lock = threading.Lock()

    def start(self) -> bool:
        """Start the probe; False when it cannot run (then windows report no samples)."""
        if self._process is not None:
            return True
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-I", str(Path(__file__).resolve()), str(self.period_ms)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                bufsize=1,
            )
        except OSError:
            self._process = None
            return False
        return True

    @property
    def running(self) -> bool:
        """True while the probe process lives."""
        return self._process is not None and self._process.poll() is None

    def window(self, start: float, end: float) -> dict[str, Any]:
        """Wake-up latency statistics between monotonic times ``start`` and ``end`` (``samples`` 0: none)."""
        with self._lock:
            process = self._process
            if process is None or process.poll() is not None or process.stdin is None or process.stdout is None:
                return summarise([])
            try:
                process.stdin.write(f"Q {start:.6f} {end:.6f}\n")
                process.stdin.flush()
                line = _readline(process.stdout, timeout=5.0)
            except (OSError, ValueError):
                return summarise([])
        try:
            result = json.loads(line) if line else None
        except ValueError:
            result = None
        return result if isinstance(result, dict) else summarise([])

    def stop(self) -> None:
        """End the probe process (safe to call twice)."""
        process, self._process = self._process, None
        if process is None:
            return
        try:
            if process.stdin is not None:
                process.stdin.close()
            process.wait(timeout=2.0)
        except (OSError, subprocess.TimeoutExpired):
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _readline(stream: IO[str], timeout: float) -> str:
    """One line from ``stream``, or "" after ``timeout`` seconds (the probe is wedged: no statistics)."""
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return result[0] if result else ""


if __name__ == "__main__":
    _probe(float(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_PERIOD_MS)
