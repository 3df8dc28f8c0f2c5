"""Run-engine benchmarks: receive-loop throughput, and the timing error of the rate measurement.

Usage:  .venv/bin/python benchmarks/bench_engine.py [--frames 5000] [--rate-seconds 10]

1. Frames judged per second: a sender thread blasts a BSM mix (generated stream) over loopback UDP at full speed
   into the toolkit's UDP transport; the receive loop records each frame as evidence, unwraps it and decodes it
   strictly — the work every passive check relies on. Reported: frames/s judged, frames lost by the socket.
2. Rate-measurement error: a reference sender with known timing (10 Hz on a monotonic schedule) feeds the same
   transport; the `message.rate` check measures the rate over the window. Reported: measured rate, its error
   against 10 Hz, and the interval jitter (mean / p99 absolute deviation from 100 ms) as seen by the receiver.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

from conformance.checks.message import transmission_rate
from conformance.codec.strict import codec_for
from conformance.engine.context import EvidenceLog, RunContext
from conformance.network.decoder import frame_decoder
from conformance.transports import open_transport
from conformance.vectors.traffic import bsm_stream

EDITION = "csae53-2020"


def bsm_frames(count: int) -> list[bytes]:
    """A realistic BSM mix: one vehicle's stream (distinct msgCnt, positions, path history)."""
    codec = codec_for(EDITION)
    return [codec.encode(("bsmFrame", value)) for value in bsm_stream(count=count)]


def throughput(frames: list[bytes], total: int) -> tuple[float, int]:
    """Send ``total`` frames at full speed; return (frames judged per second, frames lost)."""
    transport = open_transport("udp://127.0.0.1:9?listen=0")
    transport.open()
    port = transport.listen_port
    with tempfile.TemporaryDirectory() as folder:
        context = RunContext(
            edition=EDITION,
            decoder=frame_decoder(EDITION),
            transport=transport,
            evidence=EvidenceLog(Path(folder) / "evidence.ndjson"),
            parameters={},
        )
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)

        def blast() -> None:
            for index in range(total):
                sender.sendto(frames[index % len(frames)], ("127.0.0.1", port))
                if index % 64 == 63:
                    time.sleep(0)  # let the receiver run on a 2-core machine

        thread = threading.Thread(target=blast)
        judged = 0
        start = time.perf_counter()
        thread.start()
        last = start
        while judged < total:
            received = transport.receive(0.5)
            if received is None:
                break  # the sender is done and the socket is drained
            observed = context.decode_received(received)
            assert observed.ok, observed.error
            judged += 1
            last = time.perf_counter()
        thread.join()
        context.evidence.close()
    transport.close()
    sender.close()
    return judged / (last - start), total - judged


def rate_error(seconds: float) -> dict[str, float]:
    """Measure a 10 Hz reference sender with the rate check; return the measured figures."""
    frames = bsm_frames(50)
    transport = open_transport("udp://127.0.0.1:9?listen=0")
    transport.open()
    port = transport.listen_port
    stop = threading.Event()

    def reference_sender() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        next_tick = time.monotonic()
        index = 0
        while not stop.is_set():
            sock.sendto(frames[index % len(frames)], ("127.0.0.1", port))
            index += 1
            next_tick += 0.1
            time.sleep(max(0.0, next_tick - time.monotonic()))
        sock.close()

    thread = threading.Thread(target=reference_sender)
    thread.start()
    with tempfile.TemporaryDirectory() as folder:
        context = RunContext(
            edition=EDITION,
            decoder=frame_decoder(EDITION),
            transport=transport,
            evidence=EvidenceLog(Path(folder) / "evidence.ndjson"),
            parameters={"observation_window_s": seconds},
        )
        observations = transmission_rate(context, {"message": "BSM", "rate_hz": 10, "tolerance_pct": 10})
        context.evidence.close()
    stop.set()
    thread.join()
    transport.close()
    stats = observations[-1].observed
    assert isinstance(stats, dict)
    deviations = sorted(abs(interval - 100.0) for interval in stats["intervals_ms"])
    return {
        "measured_rate_hz": stats["rate_hz"],
        "rate_error_pct": round(abs(stats["rate_hz"] - 10.0) / 10.0 * 100, 4),
        "mean_abs_interval_error_ms": round(statistics.fmean(deviations), 3),
        "p99_abs_interval_error_ms": round(deviations[int(0.99 * (len(deviations) - 1))], 3),
        "frames": stats["frames"],
    }


def main() -> None:
    """Run both benchmarks and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5000)
    parser.add_argument("--rate-seconds", type=float, default=10.0)
    args = parser.parse_args()
    codec_for(EDITION)  # compile outside the timed loop
    per_second, lost = throughput(bsm_frames(200), args.frames)
    print(
        f"receive loop: {per_second:.0f} BSM frames judged/s (evidence + unwrap + strict decode), "
        f"{lost} of {args.frames} lost by the socket"
    )
    figures = rate_error(args.rate_seconds)
    print(
        f"rate measurement over {args.rate_seconds:g} s of a 10 Hz reference sender: "
        f"{figures['measured_rate_hz']} Hz (error {figures['rate_error_pct']} %), interval error "
        f"mean {figures['mean_abs_interval_error_ms']} ms, p99 {figures['p99_abs_interval_error_ms']} ms, "
        f"{figures['frames']:.0f} frames"
    )


if __name__ == "__main__":
    main()
