"""The upper-tester protocol: message rules, requests and replies, events with timestamps, over loopback UDP."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conformance.codec.jsonvalue import to_json
from conformance.codec.strict import decode
from conformance.devices.uppertester import UdpUpperTesterEndpoint
from conformance.errors import TransportError, UpperTesterProtocolError
from conformance.standards.samples import sample_values
from conformance.transports import open_transport
from conformance.transports.uppertester import (
    PROTOCOL_VERSION,
    UdpUpperTester,
    decode_message,
    encode_message,
    event,
    reply,
)
from conformance.vectors.samples import sample_frames


def test_messages_are_versioned_json() -> None:
    data = encode_message({"type": "ping", "id": 3})
    assert json.loads(data) == {"ut": 1, "type": "ping", "id": 3}
    assert decode_message(data)["type"] == "ping"
    for bad, text in [
        (b"\xff", "not UTF-8 JSON"),
        (b"[1]", "JSON object"),
        (b'{"ut": 2, "type": "ping"}', "version 2"),
        (b'{"type": "ping"}', "version None"),
        (b'{"ut": 1}', 'no "type"'),
    ]:
        with pytest.raises(UpperTesterProtocolError, match=text):
            decode_message(bad)
    answer = reply({"type": "send", "id": 9}, ok=False, error="no")
    assert answer == {"ut": PROTOCOL_VERSION, "type": "reply", "id": 9, "request": "send", "ok": False, "error": "no"}
    assert event("warning", application="FCW")["time"] == pytest.approx(time.time(), abs=5)


class _Device:
    """A device-side endpoint served by a small thread (a model of what vendors implement)."""

    def __init__(self) -> None:
        self.endpoint = UdpUpperTesterEndpoint(self.handle)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        if request["type"] == "ping":
            return reply(request, device="test")
        if request["type"] == "boom":
            raise RuntimeError("handler failed")
        return reply(request, ok=False, error="unknown")

    def run(self) -> None:
        import selectors

        with selectors.DefaultSelector() as selector:
            selector.register(self.endpoint.sock, selectors.EVENT_READ)
            while not self.stop.is_set():
                if selector.select(0.05):
                    self.endpoint.handle_readable()

    def close(self) -> None:
        self.stop.set()
        self.thread.join(2)
        self.endpoint.close()


@pytest.fixture
def device() -> Iterator[_Device]:
    served = _Device()
    yield served
    served.close()


def test_udp_requests_replies_and_events(device: _Device) -> None:
    tester = UdpUpperTester("127.0.0.1", device.endpoint.port, timeout=2.0)
    tester.open()
    try:
        answer = tester.request("ping")
        assert answer["ok"] and answer["device"] == "test" and "rx_wall_time" in answer
        assert tester.request("dance")["ok"] is False
        failed = tester.request("boom")
        assert failed["ok"] is False and "handler failed" in failed["error"]
        device.endpoint.emit(event("warning", application="RLVW", target="host", level=2))
        warning = tester.next_event(2.0)
        assert warning is not None
        assert (warning["type"], warning["application"], warning["target"]) == ("warning", "RLVW", "host")
        assert warning["rx_monotonic"] <= time.monotonic()
        assert tester.next_event(0.05) is None
        device.endpoint.emit(event("state", host={}))
        device.endpoint.emit(event("state", host={}))
        time.sleep(0.2)
        assert len(tester.drain_events()) == 2
    finally:
        tester.close()


def test_request_timeout_is_a_transport_error() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as silent:
        silent.bind(("127.0.0.1", 0))
        tester = UdpUpperTester("127.0.0.1", silent.getsockname()[1], timeout=0.2)
        tester.open()
        try:
            with pytest.raises(TransportError, match=r"did not answer the 'ping' request within 0\.2 s"):
                tester.request("ping")
        finally:
            tester.close()


def test_udp_url_with_upper_tester(device: _Device) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as frames:
        frames.bind(("127.0.0.1", 0))
        url = f"udp://127.0.0.1:{frames.getsockname()[1]}?listen=0&ut={device.endpoint.port}&ut_timeout=1"
        with open_transport(url) as transport:
            assert transport.capabilities.upper_tester
            tester = transport.upper_tester()
            assert tester is not None and tester.timeout == 1.0
            assert tester.request("ping")["device"] == "test"


def test_reference_device_reports_received_frames() -> None:
    frames = sample_frames()
    with open_transport("sim://rsu") as transport:
        tester = transport.upper_tester()
        assert tester is not None
        assert tester.request("ping")["device"] == "rsu"
        transport.send(frames["bsm"])
        received = tester.next_event(2.0)
        assert received is not None and received["type"] == "frame-received"
        assert received["message"] == "BSM" and received["hex"] == frames["bsm"].hex()
        assert received["decoded"] == to_json(decode(frames["bsm"], edition="csae53-2020").value)
        state = tester.request("get-state")
        assert state["device"] == "rsu" and state["received"] == 1 and state["sent"]["MAP"] >= 1


def test_send_request_forms() -> None:
    frames = sample_frames()
    with open_transport("sim://rsu?rates=MAP:0.2,SPAT:0.2,RSI:0.2,RSM:0.2") as transport:
        tester = transport.upper_tester()
        assert tester is not None
        time.sleep(0.1)
        while transport.receive(0.05) is not None:  # drain the first frames
            pass
        sent = tester.request("send", message="BSM", hex=frames["bsm"].hex())
        assert sent["ok"] and sent["sent"][0]["hex"] == frames["bsm"].hex()
        got = transport.receive(2.0)
        assert got is not None and got.raw == frames["bsm"]
        _, value = sample_values()["rsi"]
        sent = tester.request("send", message="RSI", value=to_json(value), count=2)
        assert len(sent["sent"]) == 2 and sent["sent"][0]["hex"] == frames["rsi"].hex()
        own = tester.request("send", message="SPAT")
        assert own["ok"] and decode(bytes.fromhex(own["sent"][0]["hex"]), edition="csae53-2020").value[0] == "spatFrame"
        assert tester.request("send", message="BSM")["ok"] is False  # an RSU has no BSM of its own
        assert tester.request("send", message="BSM", hex="zz")["ok"] is False
        assert tester.request("send", message="BSM", count=0)["ok"] is False
        assert tester.request("warp")["ok"] is False


@pytest.mark.parametrize(
    "hostile",
    [
        b'{"ut":1,"type":"reply","id":[1]}',  # an id that is not a request number (used to kill the listener)
        b'{"ut":1,"type":"reply","id":{"a":1}}',
        b"not json at all",
        b'["a", "list"]',
        b'{"ut":1}',
        b"\xff\xfe\x00",
        b'{"ut":1,"type":"reply","id":' + b"9" * 5000 + b"}",
    ],
)
def test_the_listener_survives_any_reply_and_keeps_it(device: _Device, hostile: bytes) -> None:
    tester = UdpUpperTester("127.0.0.1", device.endpoint.port, timeout=2.0)
    tester.open()
    try:
        assert tester.request("ping")["ok"]
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.sendto(hostile, ("127.0.0.1", tester.local_port))
        sender.close()
        deadline = time.monotonic() + 2
        while not tester.malformed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert tester.malformed and tester.malformed[-1]["hex"] == hostile[:4096].hex()  # kept as evidence
        assert tester.request("ping")["ok"]  # and the listener still answers
    finally:
        tester.close()


def test_malformed_datagrams_reach_the_evidence_log(device: _Device, tmp_path: Path) -> None:
    from conformance.engine.context import EvidenceLog, RunContext
    from conformance.network.decoder import frame_decoder

    tester = UdpUpperTester("127.0.0.1", device.endpoint.port, timeout=2.0)
    tester.open()

    class WithTester:
        capabilities = None
        url = "test://"

        def upper_tester(self) -> UdpUpperTester:
            return tester

    log = EvidenceLog(tmp_path / "evidence.ndjson")
    context = RunContext(
        edition="csae53-2020", transport=WithTester(), evidence=log, parameters={}, decoder=frame_decoder("csae53-2020")
    )
    try:
        sender = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sender.sendto(b'{"ut":1,"type":"reply","id":[1]}', ("127.0.0.1", tester.local_port))
        sender.close()
        deadline = time.monotonic() + 2
        while not tester.malformed and time.monotonic() < deadline:
            time.sleep(0.01)
        assert context.record_upper_tester_anomalies() == 1 and not tester.malformed
    finally:
        tester.close()
        log.close()
    (record,) = [json.loads(line) for line in (tmp_path / "evidence.ndjson").read_text().splitlines()]
    assert record["channel"] == "upper-tester" and "malformed upper-tester datagram" in record["note"]
    assert bytes.fromhex(record["raw_hex"]) == b'{"ut":1,"type":"reply","id":[1]}'
