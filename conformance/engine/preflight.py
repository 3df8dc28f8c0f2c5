"""Before the first case: is the device there at all?

An unreachable device, a wrong listen port or a dead upper tester must not turn into a page of inconclusive
verdicts a minute later: the run stops within seconds with exit 3 (harness error: the device's conformance was not
judged), naming what was tried. The step asks only what the planned cases need:

* a case with a passive check (it judges frames the device sends) → at least one frame must arrive within the
  lab's connection timeout (PIXIT ``timeouts.connect_s``); it is kept as evidence, marked "not judged";
* a check that needs the upper tester, with a transport that has one → it must answer ``ping``.

Recordings (file://, pcap://) have nothing to reach and skip the step.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from ..errors import TransportError
from .context import RunContext
from .registry import get_check
from .runner import PlannedCase

DEFAULT_CONNECT_S = 10.0
NOTE = "reachability check before the first case (not judged)"


def _needs(cases: Sequence[PlannedCase], done: set[str]) -> tuple[bool, bool]:
    """(needs frames from the device, needs the upper tester) for the cases still to run."""
    frames = upper = False
    for case in cases:
        if case.status != "selected" or case.case_id in done:
            continue
        for call in case.checks:
            registered = get_check(call.check_id)
            if registered is None:
                continue
            frames = frames or registered.kind == "passive"
            upper = upper or "upper_tester" in registered.needs
    return frames, upper


def _where(transport: Any) -> str:
    """Where the toolkit listens for the device's frames, for the error message."""
    port = getattr(transport, "listen_port", None)
    inner = getattr(transport, "_udp", None)
    if port is None and inner is not None:
        port = getattr(inner, "listen_port", None)
    url = getattr(transport, "url", "?")
    return f"UDP 127.0.0.1:{port} for {url}" if port else url


def check_reachable(
    context: RunContext, cases: Sequence[PlannedCase], *, timeout_s: float, done: set[str] | None = None
) -> dict[str, Any]:
    """Run the reachability step; return what it found (for the journal); raise TransportError (exit 3) if the
    device is not there."""
    transport = context.transport
    if not bool(getattr(transport.capabilities, "live", True)):
        return {"skipped": "recorded input: nothing to reach"}
    want_frames, want_upper = _needs(cases, done or set())
    result: dict[str, Any] = {"timeout_s": timeout_s}
    tester = transport.upper_tester() if want_upper else None
    if tester is not None:
        began = time.monotonic()
        try:
            tester.request("ping", timeout=min(timeout_s, max(1.0, float(getattr(tester, "timeout", timeout_s)))))
        except TransportError as exc:
            address = getattr(tester, "address", None)
            where = f"{address[0]}:{address[1]}" if isinstance(address, tuple) else transport.url
            raise TransportError(
                f"The device's upper tester at {where} did not answer a ping before the first case: {exc.message}",
                hint="Check the ut= port of the target URL and that the device runs its upper tester "
                "(docs/upper-tester.md). No case was run.",
            ) from None
        result["upper_tester_ms"] = round((time.monotonic() - began) * 1000.0, 1)
    if want_frames:
        began = time.monotonic()
        deadline = began + timeout_s
        while True:
            if context.stop.is_set():
                raise TransportError("Interrupted while waiting for the device's first frame; no case was run.")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TransportError(
                    f"No frame arrived from the device within {timeout_s:g} s; the toolkit listened on "
                    f"{_where(transport)}. No case was run.",
                    hint="Check that the device is on and sends to this host and port (the target URL's listen=), "
                    "that no firewall drops it, and the framing (framing=none|dsmp); raise PIXIT "
                    "timeouts.connect_s if the device starts slowly.",
                )
            received = transport.receive(min(remaining, 0.25))
            if received is not None:
                context.decode_received(received, note=NOTE)
                break
        result["first_frame_ms"] = round((time.monotonic() - began) * 1000.0, 1)
    return result
