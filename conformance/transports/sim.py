"""``sim://rsu`` and ``sim://obu`` — a built-in reference device, started as a child process of its own.

Query parameters: ``fault=NAME[:ARG][,NAME...]`` (see ``v2xc sim rsu --list-faults``), ``edition=ID``
(csae53-2019 or csae53-2020, default 2020), ``rates=KIND:HZ[,...]`` and ``framing=none|dsmp``.

The device is ``v2xc sim rsu|obu --announce`` in a separate process: it schedules its frames on an absolute
timetable, and nothing the judge does (decoding, checks, garbage collection, the interpreter lock) can delay a
transmission — exactly as an external device reached through ``udp://``. It talks to this transport over real UDP
sockets on 127.0.0.1 (ephemeral ports), its upper tester too. The child announces its ports as one JSON line on
its standard output, and stops when its standard input closes, so it ends with this transport whatever happens:
:meth:`SimTransport.close`, an exception, Ctrl-C, or the judge being killed (the pipe closes with the process).

Which devices exist, and how a URL's parameters configure them, is :data:`REFERENCE_DEVICES`, filled by
``conformance.devices`` when it is imported (the devices use the transports; the transports do not import them).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Mapping
from typing import Any, ClassVar, Protocol

from ..errors import ConformanceError, TransportError
from ..network.framing import Framing
from .base import UT_TIMEOUT, Capabilities, Received, TargetUrl, Transport, UrlParameter, framing_parameter
from .kerneltime import SendTime
from .udp import UdpTransport
from .uppertester import UpperTester

LOOPBACK = "127.0.0.1"
START_TIMEOUT_S = 60.0  # a cold start compiles the ASN.1 (seconds); a warm one takes well under a second
CRASH_EVENT = "crashed"


class DeviceSettings(Protocol):
    """What a reference device process is started with (``conformance.devices.DeviceConfig`` is one)."""

    @property
    def edition(self) -> str:
        """Edition id of the frames it sends."""

    @property
    def framing(self) -> Framing:
        """Network layer of its frames."""

    @property
    def rates(self) -> Mapping[str, float]:
        """Transmission rates (Hz) by message kind that differ from its defaults."""

    @property
    def faults(self) -> Mapping[str, float | None]:
        """Fault switches, with their arguments."""

    @property
    def ut_port(self) -> int | None:
        """None when it runs without an upper tester."""


class ConfigureDevice(Protocol):
    """Turns the text of a ``sim://`` URL's parameters into a device's settings; raises a ConformanceError naming
    what is wrong (an unknown fault, a bad rate, an edition the device does not speak)."""

    def __call__(self, device: str, *, edition: str, framing: Framing, rates: str, faults: str) -> DeviceSettings:
        """Return the settings of reference device ``device``."""
        ...


#: The reference devices ``sim://NAME`` can start, by name (``conformance.devices`` registers its devices).
REFERENCE_DEVICES: dict[str, ConfigureDevice] = {}


def register_reference_device(name: str, configure: ConfigureDevice) -> None:
    """Make ``sim://name`` start reference device ``name`` (run as ``v2xc sim name``), configured by ``configure``."""
    REFERENCE_DEVICES[name] = configure


class DeviceProcess:
    """The running reference device as seen from the toolkit: its process, ports, rates and state."""

    def __init__(self, process: subprocess.Popen[str], announce: Mapping[str, Any]) -> None:
        self.process = process
        self.pid = int(announce.get("pid", process.pid))
        self.port = int(announce["port"])
        self.ut_port = None if announce.get("ut_port") is None else int(announce["ut_port"])
        self.rates: dict[str, float] = {str(k): float(v) for k, v in dict(announce.get("rates", {})).items()}
        self.faults: list[str] = [str(name) for name in announce.get("faults", [])]
        self.priority = announce.get("priority")
        self.crashed = False
        self._ended = threading.Event()
        self._reader = threading.Thread(target=self._read_events, name=f"sim-events-{self.pid}", daemon=True)
        self._reader.start()

    def _read_events(self) -> None:
        stream = self.process.stdout
        if stream is not None:
            with contextlib.suppress(OSError, ValueError):
                for line in stream:
                    with contextlib.suppress(ValueError):
                        if json.loads(line).get("event") == CRASH_EVENT:
                            self.crashed = True
        self.process.wait()
        self._ended.set()

    @property
    def running(self) -> bool:
        """True while the device process runs."""
        return self.process.poll() is None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the device process to end (crash, duration); True when it has ended."""
        self._ended.wait(timeout)
        return not self.running

    def stop(self) -> None:
        """Stop the device: close its standard input (it stops by itself), then terminate, then kill."""
        process = self.process
        with contextlib.suppress(OSError, ValueError):
            if process.stdin is not None:
                process.stdin.close()
        for action in (None, process.terminate, process.kill):
            if action is not None:
                with contextlib.suppress(OSError):
                    action()
            try:
                process.wait(timeout=3.0)
                break
            except subprocess.TimeoutExpired:
                continue
        self._reader.join(timeout=2.0)


def device_command(kind: str, config: DeviceSettings, listen_port: int) -> list[str]:
    """The command line that runs reference device ``kind`` with ``config``, sending to ``listen_port``."""
    command = [
        sys.executable,
        "-m",
        "conformance",
        "sim",
        kind,
        "--announce",
        "--send-to",
        f"{LOOPBACK}:{listen_port}",
        "--bind",
        LOOPBACK,
        "--edition",
        config.edition,
        "--framing",
        config.framing.value,
    ]
    if config.rates:
        command += ["--rates", ",".join(f"{name}:{hz!r}" for name, hz in config.rates.items())]
    for name, argument in config.faults.items():
        text = repr(argument) if isinstance(argument, float) else str(argument)  # repr: every digit of a float
        command += ["--fault", name if argument is None else f"{name}:{text}"]
    if config.ut_port is None:
        command.append("--no-ut")
    return command


def _start_device(kind: str, config: DeviceSettings, listen_port: int) -> DeviceProcess:
    """Start the child process and wait for its announcement (ports); TransportError when it does not start."""
    try:
        process = subprocess.Popen(
            device_command(kind, config, listen_port),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
    except OSError as exc:
        raise TransportError(f"Cannot start the reference {kind}: {exc}.") from None
    line: list[str] = []
    reader = threading.Thread(
        target=lambda: line.append(process.stdout.readline() if process.stdout else ""), daemon=True
    )
    reader.start()
    reader.join(START_TIMEOUT_S)
    announce: dict[str, Any] = {}
    with contextlib.suppress(ValueError, IndexError):
        loaded = json.loads(line[0])
        announce = loaded if isinstance(loaded, dict) else {}
    if not announce.get("ready"):
        with contextlib.suppress(OSError):
            process.kill()
        _out, err = process.communicate(timeout=5.0)
        detail = str(announce.get("error") or (err or "").strip().splitlines()[-1:] or "no announcement")
        raise TransportError(
            f"The reference {kind} did not start within {START_TIMEOUT_S:g} s: {detail}.",
            hint="Run `v2xc sim " + kind + " --send-to 127.0.0.1:15000` to see it start on its own.",
        )
    if process.stderr is not None:  # its banner and final count are for a person running it standalone
        threading.Thread(target=process.stderr.read, daemon=True).start()
    return DeviceProcess(process, announce)


class SimTransport(Transport):
    """A reference device process plus a :class:`UdpTransport` connected to it; :attr:`device` is the process."""

    SCHEMES: ClassVar[Mapping[str, str]] = {"sim": "sim://rsu or sim://obu"}
    PARAMETERS = (
        UrlParameter("fault", "fault switches NAME[:ARG][,NAME...] (v2xc sim rsu --list-faults)", str, ""),
        UrlParameter("edition", "csae53-2020 (default) or csae53-2019", str, "csae53-2020", "edition"),
        UrlParameter("rates", "transmission rates KIND:HZ[,...], e.g. SPAT:2,RSM:10", str, ""),
        framing_parameter(),
        UT_TIMEOUT,
    )

    @classmethod
    def from_url(cls, target: TargetUrl) -> SimTransport:
        """``sim://DEVICE[?fault=...][&edition=...][&rates=...][&framing=...][&ut_timeout=S]``."""
        device = (target.parts.hostname or target.parts.path.strip("/")).lower()
        configure = REFERENCE_DEVICES.get(device)
        if configure is None:
            known = (
                f"use {' or '.join(REFERENCE_DEVICES)}"
                if REFERENCE_DEVICES
                else "no reference device is registered: import conformance.devices first"
            )
            raise target.error(f"unknown reference device {device or '(none)'!r} ({known})")
        try:
            config = configure(
                device,
                edition=target.params["edition"],
                framing=target.params["framing"],
                rates=target.params["rates"],
                faults=target.params["fault"],
            )
        except ConformanceError as exc:
            raise target.error(exc.message + (f" ({exc.hint})" if exc.hint else "")) from None
        return cls(target.url, device=device, config=config, ut_timeout=target.params["ut_timeout"])

    def __init__(self, url: str, *, device: str, config: DeviceSettings, ut_timeout: float = 2.0) -> None:
        super().__init__(url, config.framing)
        if device not in REFERENCE_DEVICES:
            raise TransportError(
                f"Unknown reference device {device!r}.",
                hint=f"Use sim://{' or sim://'.join(REFERENCE_DEVICES)} (import conformance.devices first).",
            )
        self.device_kind = device
        self.config = config
        self.ut_timeout = ut_timeout
        self.capabilities = Capabilities(send=True, receive=True, live=True, upper_tester=config.ut_port is not None)
        self.device: DeviceProcess | None = None
        self._udp: UdpTransport | None = None

    def open(self) -> None:
        """Bind the listen socket, start the device process sending to it, then connect its upper tester."""
        if self.device is not None:
            return
        udp = UdpTransport(self.url, host=LOOPBACK, port=0, listen=0, framing=self.framing, bind=LOOPBACK)
        udp.open()
        try:
            device = _start_device(self.device_kind, self.config, udp.listen_port)
        except BaseException:
            udp.close()
            raise
        atexit.register(device.stop)
        self.device = device
        udp.port = device.port
        self._udp = udp
        if device.ut_port is not None:
            try:
                udp.attach_upper_tester(device.ut_port, timeout=self.ut_timeout)
            except BaseException:
                self.close()
                raise

    def close(self) -> None:
        """Stop the device process and close the transport (safe to call twice)."""
        device, self.device = self.device, None
        if device is not None:
            device.stop()
            atexit.unregister(device.stop)
        if self._udp is not None:
            self._udp.close()
            self._udp = None

    def _transport(self) -> UdpTransport:
        if self._udp is None:
            raise TransportError(f"The transport {self.url} is not open.", hint="Call open() or use `with`.")
        return self._udp

    @property
    def kernel_timestamps(self) -> bool:
        """True when received frames carry the kernel's receive timestamps."""
        return self._udp is not None and self._udp.kernel_timestamps

    def send(self, data: bytes, *, channel: str = "") -> SendTime:
        """Send one test frame to the reference device."""
        return self._transport().send(data, channel=channel)

    def receive(self, timeout: float) -> Received | None:
        """Receive the next frame the reference device sent."""
        return self._transport().receive(timeout)

    def upper_tester(self) -> UpperTester | None:
        """The reference device's upper tester (None before :meth:`open`)."""
        return self._udp.upper_tester() if self._udp is not None else None


__all__ = [
    "REFERENCE_DEVICES",
    "ConfigureDevice",
    "DeviceProcess",
    "DeviceSettings",
    "SimTransport",
    "device_command",
    "register_reference_device",
]
