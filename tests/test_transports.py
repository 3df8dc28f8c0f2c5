"""Transports: URL parsing, UDP over loopback, file and pcap recordings, MQTT through a real mosquitto, sim://."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

import pytest
from mqtt_broker import mqtt_broker  # noqa: F401 - pytest fixture

import conformance.devices  # noqa: F401 - registers the reference devices that sim:// starts
from conformance.codec.strict import decode
from conformance.errors import TargetUrlError, TransportError
from conformance.network.framing import Framing
from conformance.transports import (
    Capabilities,
    Received,
    Transport,
    open_transport,
    register_transport,
    sim,
    transports,
    urls,
)
from conformance.transports.base import TargetUrl, UrlParameter, framing_parameter, whole
from conformance.transports.payload import frame_bytes, frame_kind
from conformance.transports.udp import UdpTransport
from conformance.vectors.samples import sample_frames

FRAMES = sample_frames()


# ------------------------------------------------------------------------------------------------ URLs
@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("tcp://127.0.0.1:1", ["unknown scheme tcp://", "udp://HOST:PORT?listen=LPORT", "sim://rsu"]),
        ("127.0.0.1:5000", ["unknown scheme", "mqtt://"]),
        ("udp://127.0.0.1:5000", ["listen=LPORT", "is missing"]),
        ("udp://127.0.0.1?listen=1", ["HOST:PORT is missing"]),
        ("udp://127.0.0.1:5000?listen=1&colour=red", ["unknown parameter(s) colour", "framing:"]),
        ("udp://127.0.0.1:5000?listen=abc", ["listen='abc' is not a whole number"]),
        ("udp://127.0.0.1:5000?listen=1&framing=ip", ["framing='ip'", "none, dsmp"]),
        ("udp://127.0.0.1:5000?listen=1&listen=2", ["more than once"]),
        ("mqtt://127.0.0.1:1883/", ["rsu=ID"]),
        ("mqtt://127.0.0.1/?rsu=R1&payload=xml", ["payload='xml'"]),
        ("mqtt://127.0.0.1/?rsu=R1&topics=mine", ["Unknown MQTT topic preset 'mine'", "open, vendor"]),
        ("sim://bus", ["unknown reference device 'bus'"]),
        ("sim://rsu?fault=bsm-id-change", ["bsm-id-change", "obu only", "skip-msgcnt"]),
        ("sim://rsu?fault=nothing", ["no such fault"]),
        ("sim://obu?rates=MAP:1", ["sends only BSM"]),
        ("sim://rsu?edition=csae53-2017", ["csae53-2019, csae53-2020"]),
        ("file://", ["PATH is missing"]),
    ],
)
def test_bad_urls_are_explained(url: str, words: list[str]) -> None:
    with pytest.raises(TransportError) as info:
        open_transport(url)
    assert info.value.exit_code == 2  # a malformed URL is a usage error; the device was never contacted
    text = info.value.describe()
    for word in words:
        assert word in text, text


def test_pixit_supplies_defaults() -> None:
    transport = open_transport("udp://127.0.0.1:5000?listen=0", pixit={"framing": "dsmp"})
    assert transport.framing is Framing.DSMP
    assert (
        open_transport("udp://127.0.0.1:5000?listen=0&framing=none", pixit={"framing": "dsmp"}).framing is Framing.NONE
    )


def test_a_transport_is_one_class_and_one_registration(monkeypatch: pytest.MonkeyPatch) -> None:
    """A transport declares its scheme, parameters and from_url; registering it is all open_transport needs."""

    class LoopTransport(Transport):
        SCHEMES: ClassVar[Mapping[str, str]] = {"loop": "loop://NAME"}
        PARAMETERS = (UrlParameter("count", "frames to replay", whole(1, 10), "1"), framing_parameter())
        capabilities = Capabilities(send=False, receive=True, live=False, upper_tester=False)

        def __init__(self, url: str, count: int) -> None:
            super().__init__(url)
            self.count = count

        @classmethod
        def from_url(cls, target: TargetUrl) -> LoopTransport:
            if not target.parts.hostname:
                raise target.error("the NAME is missing")
            return cls(target.url, target.params["count"])

        def open(self) -> None:
            pass

        def close(self) -> None:
            pass

        def receive(self, timeout: float) -> Received | None:
            return None

    transports()  # the built-in ones are registered on first use; the test's registration is undone after it
    monkeypatch.setattr(urls, "_REGISTRY", dict(urls._REGISTRY))
    register_transport(LoopTransport)
    assert isinstance(open_transport("loop://a?count=3"), LoopTransport)
    assert open_transport("loop://a").count == 1  # the declared default
    for url, words in [
        ("loop://a?count=11", ["count='11' is outside 1..10", "Parameters of loop://: count: frames to replay"]),
        ("loop://a?speed=1", ["unknown parameter(s) speed for loop://"]),
        ("loop://", ["the NAME is missing", "Write loop://NAME"]),
        ("tcp://a", ["loop://NAME", "udp://HOST:PORT?listen=LPORT"]),
    ]:
        with pytest.raises(TargetUrlError) as info:
            open_transport(url)
        for word in words:
            assert word in info.value.describe(), info.value.describe()


def test_sim_without_registered_devices_says_what_to_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sim, "REFERENCE_DEVICES", {})
    with pytest.raises(TargetUrlError, match=r"no reference device is registered: import conformance\.devices"):
        open_transport("sim://rsu")


# ------------------------------------------------------------------------------------------------ UDP
@pytest.fixture
def device_socket() -> Any:
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(2.0)
    yield sock
    sock.close()


def test_udp_round_trip(device_socket: socket.socket) -> None:
    device_port = device_socket.getsockname()[1]
    transport = open_transport(f"udp://127.0.0.1:{device_port}?listen=0&framing=dsmp")
    assert isinstance(transport, UdpTransport)
    assert transport.capabilities == Capabilities(send=True, receive=True, live=True, upper_tester=False)
    with transport:
        assert transport.framing is Framing.DSMP
        assert transport.upper_tester() is None
        assert transport.receive(0.05) is None  # timeout
        before = time.time()
        device_socket.sendto(FRAMES["map"], ("127.0.0.1", transport.listen_port))
        time.sleep(0.2)  # the frame waits in the socket: its kernel stamp must not move to when we read it
        got = transport.receive(2.0)
        assert got is not None
        assert got.raw == FRAMES["map"]
        assert got.peer == f"127.0.0.1:{device_port}"
        if sys.platform == "linux":
            assert got.stamped_by == "kernel"
            assert before <= got.wall_time < before + 0.1  # stamped on arrival, not 0.2 s later when read
            assert got.monotonic < time.monotonic() - 0.15
        sent = transport.send(FRAMES["bsm"])
        data, peer = device_socket.recvfrom(2048)
        assert data == FRAMES["bsm"]
        assert peer[1] == transport.listen_port  # sent from the listen socket
        assert sent.before <= sent.after <= time.time()
        assert sent.after - sent.before < 5
    transport.close()  # twice is fine
    with pytest.raises(TransportError, match="not open"):
        transport.receive(0.01)


def test_udp_listen_port_in_use(device_socket: socket.socket) -> None:
    busy = device_socket.getsockname()[1]
    with pytest.raises(TransportError, match=f"Cannot listen on UDP 127.0.0.1:{busy}"):
        open_transport(f"udp://127.0.0.1:9?listen={busy}").open()


def test_udp_one_datagram_is_one_frame(device_socket: socket.socket) -> None:
    with open_transport(f"udp://127.0.0.1:{device_socket.getsockname()[1]}?listen=0") as transport:
        assert isinstance(transport, UdpTransport)
        for name in ("bsm", "spat", "rsm"):
            device_socket.sendto(FRAMES[name], ("127.0.0.1", transport.listen_port))
        received = [transport.receive(2.0) for _ in range(3)]
        assert [r.raw if r else None for r in received] == [FRAMES["bsm"], FRAMES["spat"], FRAMES["rsm"]]


# ------------------------------------------------------------------------------------------------ recordings
def test_file_hex_lines(tmp_path: Path) -> None:
    path = tmp_path / "frames.hex"
    path.write_text(f"# two frames\n{FRAMES['map'].hex()}\n\n{FRAMES['spat'].hex()}  # SPAT\n", encoding="utf-8")
    with open_transport(f"file://{path}") as transport:
        assert transport.capabilities.live is False
        assert transport.capabilities.timestamps is False
        with pytest.raises(TransportError, match="cannot send"):
            transport.send(b"\x00")
        first, second = transport.receive(0), transport.receive(0)
        assert transport.receive(0) is None
    assert first is not None and second is not None
    assert (first.raw, first.peer) == (FRAMES["map"], "frames.hex:2")
    assert (second.raw, second.peer) == (FRAMES["spat"], "frames.hex:4")


def test_file_raw_binary_and_errors(tmp_path: Path) -> None:
    raw = tmp_path / "one.bin"
    raw.write_bytes(FRAMES["bsm"])
    with open_transport(f"file://{raw}") as transport:
        got = transport.receive(0)
        assert got is not None and got.raw == FRAMES["bsm"]
    with pytest.raises(TransportError, match="Cannot read"):
        open_transport(f"file://{tmp_path / 'absent.hex'}").open()
    bad = tmp_path / "bad.hex"
    bad.write_text("00zz\n", encoding="utf-8")
    with pytest.raises(TransportError, match=r"Line 1 of bad\.hex"):
        open_transport(f"file://{bad}").open()


def _udp_packet(payload: bytes, sport: int, dport: int) -> bytes:
    import dpkt

    udp = dpkt.udp.UDP(sport=sport, dport=dport, data=payload)
    udp.ulen = len(udp)
    ip = dpkt.ip.IP(src=bytes([127, 0, 0, 1]), dst=bytes([127, 0, 0, 1]), p=dpkt.ip.IP_PROTO_UDP, data=udp)
    ip.len = len(ip)
    return bytes(dpkt.ethernet.Ethernet(src=b"\x00" * 6, dst=b"\x00" * 6, data=ip))


@pytest.mark.parametrize("kind", ["pcap", "pcapng"])
def test_pcap_udp_payloads(tmp_path: Path, kind: str) -> None:
    import dpkt

    path = tmp_path / f"capture.{kind}"
    tcp = dpkt.ethernet.Ethernet(
        src=b"\x00" * 6, dst=b"\x00" * 6, data=dpkt.ip.IP(p=dpkt.ip.IP_PROTO_TCP, data=dpkt.tcp.TCP())
    )
    with path.open("wb") as handle:
        writer = dpkt.pcap.Writer(handle) if kind == "pcap" else dpkt.pcapng.Writer(handle)
        writer.writepkt(_udp_packet(FRAMES["map"], 4000, 15000), ts=1_700_000_000.0)
        writer.writepkt(bytes(tcp), ts=1_700_000_000.1)
        writer.writepkt(_udp_packet(FRAMES["spat"], 4000, 16000), ts=1_700_000_000.25)
        writer.writepkt(_udp_packet(FRAMES["rsm"], 4001, 15000), ts=1_700_000_000.5)
    with open_transport(f"pcap://{path}") as transport:
        assert transport.capabilities.timestamps and not transport.capabilities.live
        records = [transport.receive(0) for _ in range(4)]
    assert records[3] is None
    got = [r for r in records if r]
    assert [r.raw for r in got] == [FRAMES["map"], FRAMES["spat"], FRAMES["rsm"]]
    assert [r.peer for r in got] == ["pcap:#1", "pcap:#3", "pcap:#4"]
    assert got[0].wall_time == pytest.approx(1_700_000_000.0)
    assert [round(r.monotonic, 3) for r in got] == [0.0, 0.25, 0.5]
    with open_transport(f"pcap://{path}?port=15000") as transport:
        filtered = [transport.receive(0) for _ in range(3)]
    assert [r.raw if r else None for r in filtered] == [FRAMES["map"], FRAMES["rsm"], None]


def test_pcap_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "not.pcap"
    path.write_bytes(b"this is not a capture at all")
    with pytest.raises(TransportError, match="not a pcap or pcapng capture"):
        open_transport(f"pcap://{path}").open()


# ------------------------------------------------------------------------------------------------ payload helpers
def test_frame_kind_from_first_byte() -> None:
    assert {name: frame_kind(frame) for name, frame in FRAMES.items()} == {
        "bsm": "BSM",
        "map": "MAP",
        "spat": "SPAT",
        "rsi": "RSI",
        "rsm": "RSM",
    }
    assert frame_kind(bytes.fromhex("800b00000802011a195b1b1bc0")) == "DAY2"
    assert frame_kind(b"") == ""


# ------------------------------------------------------------------------------------------------ MQTT
class _DeviceClient:
    """A paho client playing the device side of the broker."""

    def __init__(self, broker: tuple[str, int], topics: list[str]) -> None:
        import paho.mqtt.client as mqtt

        self.messages: list[tuple[str, bytes]] = []
        self.got = threading.Condition()
        self.client = mqtt.Client(callback_api_version=mqtt.CallbackAPIVersion.VERSION2, client_id=f"dev-{id(self)}")
        subscribed = threading.Event()
        self.client.on_connect = lambda c, *_: c.subscribe([(t, 0) for t in topics])
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.on_message = self._on_message
        self.client.connect(*broker)
        self.client.loop_start()
        assert subscribed.wait(5)

    def _on_message(self, client: Any, userdata: Any, message: Any) -> None:
        with self.got:
            self.messages.append((message.topic, bytes(message.payload)))
            self.got.notify_all()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[str, bytes]]:
        with self.got:
            self.got.wait_for(lambda: len(self.messages) >= count, timeout)
            return list(self.messages)

    def publish(self, topic: str, payload: bytes) -> None:
        self.client.publish(topic, payload).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_mqtt_open_preset(mqtt_broker: tuple[str, int]) -> None:  # noqa: F811
    host, port = mqtt_broker
    device = _DeviceClient(mqtt_broker, ["lab/V2X/RSU/R1/+/DOWN"])
    try:
        with open_transport(f"mqtt://{host}:{port}/lab?rsu=R1") as transport:
            assert transport.receive(0.05) is None
            device.publish("lab/V2X/RSU/R1/MAP/UP", FRAMES["map"])
            device.publish("lab/V2X/RSU/R2/MAP/UP", FRAMES["map"])  # another RSU: not ours
            got = transport.receive(5.0)
            assert got is not None
            assert (got.raw, got.channel, got.peer, got.encoding) == (
                FRAMES["map"],
                "MAP",
                "mqtt:lab/V2X/RSU/R1/MAP/UP",
                "uper",
            )
            assert transport.receive(0.2) is None
            transport.send(FRAMES["bsm"])
            transport.send(FRAMES["rsi"], channel="RSI")
            assert device.wait_for(2) == [
                ("lab/V2X/RSU/R1/BSM/DOWN", FRAMES["bsm"]),
                ("lab/V2X/RSU/R1/RSI/DOWN", FRAMES["rsi"]),
            ]
            with pytest.raises(TransportError, match="message kind"):
                transport.send(bytes.fromhex("800b00000802011a195b1b1bc0"))
    finally:
        device.close()


def test_mqtt_vendor_preset_json_payload(mqtt_broker: tuple[str, int]) -> None:  # noqa: F811
    host, port = mqtt_broker
    device = _DeviceClient(mqtt_broker, ["v2x/v1/rsu/ESN9/+/down"])
    try:
        with open_transport(f"mqtt://{host}:{port}?rsu=ESN9&topics=vendor&payload=json") as transport:
            value = decode(FRAMES["spat"], edition="csae53-2020").value
            from conformance.codec.jsonvalue import to_json

            device.publish("v2x/v1/rsu/ESN9/spat/up", json.dumps(to_json(value[1])).encode())
            got = transport.receive(5.0)
            assert got is not None and got.encoding == "json" and got.channel == "SPAT"
            assert frame_bytes(got, edition="csae53-2020") == FRAMES["spat"]
            transport.send(FRAMES["rsi"])
            topic, payload = device.wait_for(1)[0]
            assert topic == "v2x/v1/rsu/ESN9/rsi/down"
            assert json.loads(payload)["$choice"] == "rsiFrame"
    finally:
        device.close()


def test_mqtt_custom_topic_template(mqtt_broker: tuple[str, int]) -> None:  # noqa: F811
    host, port = mqtt_broker
    pixit = {"mqtt_topic_template": "{root}rsu/{rsu}/{direction}/{message}", "mqtt_topic_case": "lower"}
    device = _DeviceClient(mqtt_broker, ["rsu/X/down/+"])
    try:
        with open_transport(f"mqtt://{host}:{port}?rsu=X", pixit=pixit) as transport:
            device.publish("rsu/X/up/rsm", FRAMES["rsm"])
            got = transport.receive(5.0)
            assert got is not None and got.channel == "RSM"
    finally:
        device.close()


def test_mqtt_upper_tester(mqtt_broker: tuple[str, int]) -> None:  # noqa: F811
    from conformance.transports.uppertester import decode_message, encode_message, event, reply

    host, port = mqtt_broker
    device = _DeviceClient(mqtt_broker, ["V2X/RSU/R7/UT/DOWN"])

    def responder(client: Any, userdata: Any, message: Any) -> None:
        request = decode_message(bytes(message.payload))
        client.publish("V2X/RSU/R7/UT/UP", encode_message(reply(request, device="rsu")))
        client.publish("V2X/RSU/R7/UT/UP", encode_message(event("warning", application="RLVW", target="host")))

    device.client.on_message = responder
    try:
        with open_transport(f"mqtt://{host}:{port}?rsu=R7") as transport:
            ut = transport.upper_tester()
            assert ut is not None
            answer = ut.request("ping")
            assert answer["ok"] is True and answer["device"] == "rsu"
            warning = ut.next_event(5.0)
            assert warning is not None and warning["application"] == "RLVW" and "rx_monotonic" in warning
    finally:
        device.close()


def test_mqtt_no_broker() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connection refused
        with pytest.raises(TransportError, match="Cannot connect to the MQTT broker"):
            open_transport(f"mqtt://127.0.0.1:{port}?rsu=R1").open()


# ------------------------------------------------------------------------------------------------ sim://
def test_sim_rsu_over_loopback() -> None:
    before = threading.active_count()
    with open_transport("sim://rsu?rates=RSM:20") as transport:
        assert transport.capabilities.upper_tester
        kinds = set()
        deadline = time.monotonic() + 3.0
        while kinds != {"MAP", "SPAT", "RSI", "RSM"} and time.monotonic() < deadline:
            got = transport.receive(0.5)
            if got is not None:
                assert got.peer.startswith("127.0.0.1:")
                decode(got.raw, edition="csae53-2020")
                kinds.add(frame_kind(got.raw))
        assert kinds == {"MAP", "SPAT", "RSI", "RSM"}
    deadline = time.monotonic() + 3.0
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.02)
    assert threading.active_count() <= before  # device and upper-tester threads are gone


def test_udp_send_to_closed_port_then_receive_times_out() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as gone:
        gone.bind(("127.0.0.1", 0))
        closed_port = gone.getsockname()[1]
    with open_transport(f"udp://127.0.0.1:{closed_port}?listen=0") as transport:
        transport.send(FRAMES["bsm"])  # the ICMP port-unreachable must not surface as an error or a frame
        assert transport.receive(0.1) is None
