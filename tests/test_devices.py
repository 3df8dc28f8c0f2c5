"""Reference devices: the clean RSU/OBU are consistent, and every fault switch shows, deterministically."""

from __future__ import annotations

import itertools
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from conformance.cli.sim import register
from conformance.codec.identify import matching_editions
from conformance.codec.strict import decode
from conformance.devices import (
    FAULTS,
    DeviceConfig,
    ReferenceObu,
    ReferenceRsu,
    parse_faults,
    parse_rates,
)
from conformance.devices.obu import VEHICLE_ID
from conformance.errors import CodecError, DeviceError, FaultError
from conformance.network.framing import Framing, unwrap
from conformance.transports import open_transport
from conformance.transports.payload import frame_kind
from conformance.vectors.samples import sample_frames
from conformance.vectors.traffic import phase_ids

EDITION = "csae53-2020"


def _values(device: Any, kind: str, count: int, *, step: float = 0.1, start: float = 1_779_264_000.0) -> list[Any]:
    """Decode ``count`` consecutive frames of ``kind`` built at a simulated clock (no sockets, no waiting)."""
    return [decode(device.build_frame(kind, i, start + i * step), edition=EDITION).value[1] for i in range(count)]


@pytest.fixture
def rsu() -> Iterator[ReferenceRsu]:
    device = ReferenceRsu(DeviceConfig())
    yield device
    device.stop()


@pytest.fixture
def obu() -> Iterator[ReferenceObu]:
    device = ReferenceObu(DeviceConfig())
    yield device
    device.stop()


def _faulty(cls: type[Any], spec: str) -> Any:
    return cls(DeviceConfig(faults=parse_faults(spec, cls.KIND)))


# ------------------------------------------------------------------------------------------------ clean RSU
def test_rsu_message_set_is_consistent(rsu: ReferenceRsu) -> None:
    maps = _values(rsu, "MAP", 3, step=1.0)
    spats = _values(rsu, "SPAT", 12, step=0.5)
    assert [m["msgCnt"] for m in maps] == [0, 1, 2]
    assert [s["msgCnt"] for s in spats] == list(range(12))
    map_phases = set(phase_ids(maps[0]))
    for spat in spats:
        assert {phase["id"] for phase in spat["intersections"][0]["phases"]} <= map_phases
    # Countdowns fall by the elapsed 0.5 s (5 tenths, +-1 for rounding) unless the light changed.
    for before, after in itertools.pairwise(spats):
        for p0, p1 in zip(before["intersections"][0]["phases"], after["intersections"][0]["phases"], strict=True):
            s0, s1 = p0["phaseStates"][0], p1["phaseStates"][0]
            if s0["light"] == s1["light"]:
                assert abs((s0["timing"][1]["likelyEndTime"] - s1["timing"][1]["likelyEndTime"]) - 5) <= 1
    rsis = _values(rsu, "RSI", 2, step=1.0)
    rsms = _values(rsu, "RSM", 3)
    assert [r["msgCnt"] for r in rsis] == [0, 1] and [r["msgCnt"] for r in rsms] == [0, 1, 2]
    assert rsms[1]["participants"][0]["secMark"] == 100  # 0.1 s after a whole minute


def test_rsu_counts_wrap_mod_128(rsu: ReferenceRsu) -> None:
    assert [rsu.next_msg_cnt("RSM", i) for i in (126, 127, 128, 129)] == [126, 127, 0, 1]


def test_rsu_live_rates_and_decoding() -> None:
    with open_transport("sim://rsu?rates=MAP:4,SPAT:4,RSI:4,RSM:10&framing=dsmp") as transport:
        counts: dict[str, int] = {}
        deadline = time.monotonic() + 1.0
        while time.monotonic() < deadline:
            got = transport.receive(0.2)
            if got is not None:
                unwrapped = unwrap(got.raw, Framing.DSMP)  # DSMP header with the message's AID
                assert unwrapped.header is not None
                decode(unwrapped.payload, edition=EDITION)
                kind = frame_kind(unwrapped.payload)
                counts[kind] = counts.get(kind, 0) + 1
    # Generous bounds: rates are judged by the checks over longer windows, not here.
    assert 2 <= counts["MAP"] <= 6 and 2 <= counts["SPAT"] <= 6 and 5 <= counts["RSM"] <= 14


# ------------------------------------------------------------------------------------------------ RSU faults
def test_fault_skip_msgcnt() -> None:
    device = _faulty(ReferenceRsu, "skip-msgcnt")
    try:
        assert [v["msgCnt"] for v in _values(device, "RSM", 8)] == [0, 2, 3, 4, 5, 6, 8, 9]
    finally:
        device.stop()


def test_fault_out_of_range_field() -> None:
    for cls, kind, path in (
        (ReferenceRsu, "RSM", "rsmFrame.participants[0].heading"),
        (ReferenceObu, "BSM", "bsmFrame.heading"),
    ):
        device = _faulty(cls, "out-of-range-field")
        try:
            with pytest.raises(CodecError) as info:
                decode(device.build_frame(kind, 0, time.time()), edition=EDITION)
            assert info.value.field_path == path and "28800" in info.value.message
        finally:
            device.stop()


def test_fault_spat_timing_jump() -> None:
    device = _faulty(ReferenceRsu, "spat-timing-jump:150")
    clean = ReferenceRsu(DeviceConfig())
    try:
        faulty_values, clean_values = _values(device, "SPAT", 7, step=0.5), _values(clean, "SPAT", 7, step=0.5)
        for index, (bad, good) in enumerate(zip(faulty_values, clean_values, strict=True)):
            jumps = {
                b["phaseStates"][0]["timing"][1]["likelyEndTime"] - g["phaseStates"][0]["timing"][1]["likelyEndTime"]
                for b, g in zip(bad["intersections"][0]["phases"], good["intersections"][0]["phases"], strict=True)
            }
            assert jumps == ({150} if index in (1, 6) else {0})
    finally:
        device.stop()
        clean.stop()


def test_fault_map_spat_mismatch() -> None:
    device = _faulty(ReferenceRsu, "map-spat-mismatch")
    try:
        map_phases = set(phase_ids(_values(device, "MAP", 1)[0]))
        spat_phases = {p["id"] for p in _values(device, "SPAT", 1)[0]["intersections"][0]["phases"]}
        assert spat_phases and not spat_phases & map_phases
    finally:
        device.stop()


@pytest.mark.parametrize(("cls", "kind"), [(ReferenceRsu, "RSI"), (ReferenceObu, "BSM")])
def test_fault_wrong_edition(cls: type[Any], kind: str) -> None:
    device = _faulty(cls, "wrong-edition")
    clean = cls(DeviceConfig())
    try:
        assert matching_editions(device.build_frame(kind, 0, time.time()), ["csae53-2019", "csae53-2020"]) == [
            "csae53-2019"
        ]
        assert "csae53-2020" in matching_editions(clean.build_frame(kind, 0, time.time()), ["csae53-2020"])
    finally:
        device.stop()
        clean.stop()


def test_rsu_edition_2019() -> None:
    device = ReferenceRsu(DeviceConfig(edition="csae53-2019"))
    try:
        for kind in device.rates:
            assert "csae53-2019" in matching_editions(device.build_frame(kind, 0, time.time()), ["csae53-2019"])
    finally:
        device.stop()


# ------------------------------------------------------------------------------------------------ OBU
def test_obu_bsm_stream(obu: ReferenceObu) -> None:
    start = 1_779_264_000.0 + 59.85  # crosses a minute boundary
    values = _values(obu, "BSM", 12, start=start)
    assert [v["msgCnt"] for v in values] == list(range(12))
    assert {v["id"] for v in values} == {VEHICLE_ID}
    assert [v["secMark"] for v in values][:4] == [59_850, 59_950, 50, 150]
    for before, after in itertools.pairwise(values):
        assert abs(after["pos"]["lat"] - before["pos"]["lat"]) < 200  # < 2 m per 0.1 s (1e-7 degree)


def test_obu_faults_bsm_id_and_secmark() -> None:
    device = _faulty(ReferenceObu, "bsm-id-change,secmark-jump")
    try:
        values = _values(device, "BSM", 8)
        assert len({v["id"] for v in values}) == 3  # frames 1 | 2-6 | 7-8
        assert [v["secMark"] for v in values] == [0, 1600, 200, 300, 400, 500, 2100, 700]
    finally:
        device.stop()


def test_obu_set_state_through_upper_tester() -> None:
    with open_transport("sim://obu") as transport:
        ut = transport.upper_tester()
        assert ut is not None
        host = {"lat": 390_600_000, "long": 1_171_300_000, "speed": 500, "heading": 7_200}
        answer = ut.request("set-state", host=host)
        assert answer["ok"] and answer["host"] == host
        state = ut.next_event(2.0)
        assert state is not None and state["type"] == "state"
        sent = ut.request("send", message="BSM")["sent"]
        value = decode(bytes.fromhex(sent[0]["hex"]), edition=EDITION).value[1]
        assert (value["pos"]["lat"], value["speed"], value["heading"]) == (390_600_000, 500, 7_200)
        assert ut.request("set-state", host={"lat": "north"})["ok"] is False


# ------------------------------------------------------------------------------------------------ live faults
def _collect(transport: Any, seconds: float) -> list[bytes]:
    frames = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = transport.receive(0.1)
        if got is not None:
            frames.append(got.raw)
    return frames


def test_fault_wrong_rate() -> None:
    with open_transport("sim://obu?fault=wrong-rate:2") as transport:
        assert transport.device is not None and transport.device.rates["BSM"] == 2.0
        assert 1 <= len(_collect(transport, 1.2)) <= 4


def test_fault_no_response() -> None:
    with open_transport("sim://rsu?fault=no-response:0.3") as transport:
        ut = transport.upper_tester()
        assert ut is not None and ut.request("ping")["ok"]
        time.sleep(0.35)
        _collect(transport, 0.1)  # drain what was sent before
        assert _collect(transport, 0.5) == []
        with pytest.raises(Exception, match="did not answer"):
            ut.request("ping", timeout=0.3)


def test_fault_crash_on_malformed() -> None:
    with open_transport("sim://obu?fault=crash-on-malformed") as transport:
        device = transport.device
        assert device is not None
        transport.send(sample_frames()["map"])  # valid: the device stays up
        time.sleep(0.1)
        assert device.running
        transport.send(b"\xff\xff\xff")
        assert device.wait(2.0) and device.crashed
        _collect(transport, 0.1)
        assert _collect(transport, 0.4) == []


def test_clean_device_survives_malformed_and_ut_silent() -> None:
    with open_transport("sim://obu") as transport:
        ut = transport.upper_tester()
        assert ut is not None and ut.request("ping")["ok"]
        transport.send(b"\xff\xff\xff")
        rejected = ut.next_event(2.0)
        assert rejected is not None and rejected["type"] == "frame-rejected" and rejected["hex"] == "ffffff"
        assert transport.device is not None and transport.device.running
    with open_transport("sim://obu?fault=ut-silent") as transport:
        ut = transport.upper_tester()
        assert ut is not None and ut.request("ping")["ok"]
        transport.send(sample_frames()["map"])
        assert ut.next_event(0.5) is None


# ------------------------------------------------------------------------------------------------ configuration
def test_parse_faults_and_rates() -> None:
    assert parse_faults("no-response:5,skip-msgcnt", "rsu") == {"no-response": 5.0, "skip-msgcnt": None}
    assert parse_faults(["wrong-rate"], "obu") == {"wrong-rate": 5.0}
    assert parse_faults([], "rsu") == {}
    for spec, text in [
        ("secmark-jump", "obu only"),
        ("skip-msgcnt:3", "not a message type"),
        ("map-spat-mismatch:3", "takes no argument"),
        ("no-response:soon", "not a number"),
        ("wrong-rate:0", "must be positive"),
    ]:
        with pytest.raises(FaultError, match=text):
            parse_faults(spec, "rsu")
    assert parse_rates("spat:1, RSM:5", ReferenceRsu.DEFAULT_RATES) == {"SPAT": 1.0, "RSM": 5.0}
    with pytest.raises(DeviceError, match="must be positive"):
        parse_rates("SPAT:0", ReferenceRsu.DEFAULT_RATES)
    with pytest.raises(DeviceError, match="speaks"):
        ReferenceObu(DeviceConfig(edition="csae53-2017"))
    assert all(fault.summary and fault.devices for fault in FAULTS.values())


# ------------------------------------------------------------------------------------------------ command line
@pytest.fixture
def cli() -> click.Group:
    @click.group()
    def main() -> None:
        """Test group."""

    register(main)
    return main


def test_cli_list_faults(cli: click.Group) -> None:
    result = CliRunner().invoke(cli, ["sim", "rsu", "--list-faults"])
    assert result.exit_code == 0
    for name in ("skip-msgcnt", "wrong-rate:ARG", "map-spat-mismatch", "crash-on-malformed", "ut-silent"):
        assert name in result.output
    assert "bsm-id-change" not in result.output
    assert "bsm-id-change" in CliRunner().invoke(cli, ["sim", "obu", "--list-faults"]).output


def test_cli_runs_obu_for_a_duration(cli: click.Group) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(2.0)
        port = sock.getsockname()[1]
        result = CliRunner().invoke(cli, ["sim", "obu", "--send-to", f"127.0.0.1:{port}", "--duration", "0.35"])
        assert result.exit_code == 0, result.output
        assert "reference obu sent" in result.output
        data, _ = sock.recvfrom(2048)
        assert frame_kind(data) == "BSM"


def test_cli_errors(cli: click.Group) -> None:
    assert CliRunner().invoke(cli, ["sim", "rsu"]).exit_code == 2  # --send-to missing
    result = CliRunner().invoke(cli, ["sim", "rsu", "--send-to", "127.0.0.1:9", "--fault", "secmark-jump"])
    assert result.exit_code == 2 and "obu only" in result.output
    assert CliRunner().invoke(cli, ["sim", "rsu", "--send-to", "nowhere"]).exit_code == 2


# ------------------------------------------------------------------------------------------------ own process
def _alive(pid: int) -> bool:
    """True while process ``pid`` runs (a zombie awaiting its reaper counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc to see the child process")
def test_sim_device_runs_in_its_own_process_and_ends_with_the_toolkit() -> None:
    with open_transport("sim://rsu") as transport:
        device = transport.device
        assert device is not None and device.pid != os.getpid() and _alive(device.pid)
        assert transport.receive(3.0) is not None  # it sends from its own process
        pid = device.pid
    assert not _alive(pid)  # close() stopped it
    # The toolkit killed outright (no close, no atexit): the device sees its standard input close and stops.
    script = (
        "import time, conformance.devices; from conformance.transports import open_transport; "
        "t = open_transport('sim://obu'); t.open(); "
        "print(t.device.pid, flush=True); time.sleep(60)"
    )
    parent = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    assert _alive(child)
    parent.kill()
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
