"""``v2xc sim rsu|obu``: run a built-in reference device standalone on the network (the lead wires
:func:`register` into ``conformance.cli``).

Example: ``v2xc sim rsu --send-to 127.0.0.1:15000 --listen 15001 --ut-port 15002 --fault skip-msgcnt`` sends the
RSU's frames to 127.0.0.1:15000, receives test frames on 15001 and answers the upper tester on 15002, until
Ctrl-C or ``--duration`` seconds.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import threading
import time
from pathlib import Path

import click

from ..devices import DEVICES, DeviceConfig, faults_for, parse_faults, parse_rates
from ..errors import ConformanceError, UsageError
from ..network.framing import Framing
from .profiles import overlay_options
from .util import FiniteFloat, report_error


def _address(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{text!r} is not HOST:PORT (e.g. 127.0.0.1:15000)", param_hint="--send-to")
    return host, int(port)


def _usable_host(host: str, option: str) -> str:
    """``host`` when this machine can resolve it (an IP address or a known name), else a UsageError naming it."""
    try:
        socket.getaddrinfo(host, None, type=socket.SOCK_DGRAM)
    except (OSError, UnicodeError, ValueError, TypeError):
        raise UsageError(
            f"{option} {host!r} is not an address this machine can use.",
            hint="Give an IP address or a host name, e.g. 127.0.0.1.",
        ) from None
    return host


def _run(
    device: str,
    send_to: str | None,
    listen: int,
    ut_port: int,
    no_ut: bool,
    bind: str,
    faults: tuple[str, ...],
    edition: str,
    rates: str,
    framing: str,
    duration: float | None,
    list_faults: bool,
    announce: bool = False,
    print_pics: bool = False,
    profile_id: str | None = None,
    profiles_path: tuple[Path, ...] = (),
    catalogue_path: tuple[Path, ...] = (),
) -> None:
    if print_pics:
        _print_pics(
            device,
            profile_id,
            framing,
            upper_tester=not no_ut,
            profiles_path=profiles_path,
            catalogue_path=catalogue_path,
        )
        return
    if profile_id is not None or profiles_path or catalogue_path:
        raise click.UsageError(
            "--profile, --profiles-path and --catalogue-path go with --print-pics (the profile the capability "
            "statement is for)."
        )
    if list_faults:
        for fault in faults_for(device):
            name = fault.name + (":ARG" if fault.argument else "")
            arg = f" ARG: {fault.argument}." if fault.argument else ""
            click.echo(f"{name:24} {fault.summary}{arg}")
        return
    if send_to is None:
        raise click.UsageError("--send-to HOST:PORT is required (where the device sends its frames).")
    cls = DEVICES[device]
    try:
        send_host, send_port = _address(send_to)
        config = DeviceConfig(
            send_to=(_usable_host(send_host, "--send-to"), send_port),
            listen=listen,
            ut_port=None if no_ut else ut_port,
            bind=_usable_host(bind, "--bind"),
            edition=edition,
            framing=Framing(framing),
            rates=parse_rates(rates, cls.DEFAULT_RATES),
            faults=parse_faults(faults, device),
        )
        sim = cls(config)
    except ConformanceError as exc:
        if announce:
            _announce({"error": exc.describe(), "exit_code": exc.exit_code})
        report_error(exc)  # values from the command line are printed literally
        sys.exit(exc.exit_code)
    priority = _raise_priority() if announce else None
    stdin_closed = threading.Event()
    if announce:
        threading.Thread(target=_watch_stdin, args=(stdin_closed,), name="sim-stdin", daemon=True).start()
    ut = f", upper tester on {bind}:{sim.ut_port}" if sim.ut_port is not None else ", no upper tester"
    rate_text = ", ".join(f"{kind} {hz:g} Hz" for kind, hz in sim.rates.items())
    click.echo(
        f"reference {device} ({edition}, {rate_text}): frames to {send_to}, test frames on {bind}:{sim.port}{ut}; "
        f"faults: {', '.join(sorted(sim.faults)) or 'none'}. Ctrl-C stops.",
        err=True,
    )
    deadline = None if duration is None else time.monotonic() + duration
    _settle(edition)
    sim.start()
    if announce:
        _announce(
            {
                "ready": True,
                "pid": os.getpid(),
                "port": sim.port,
                "ut_port": sim.ut_port,
                "rates": sim.rates,
                "faults": sorted(sim.faults),
                "priority": priority,
            }
        )
    try:
        while (deadline is None or time.monotonic() < deadline) and not stdin_closed.is_set():
            step = 0.2 if deadline is None else max(0.0, min(0.2, deadline - time.monotonic()))
            if sim.wait(step) and sim.crashed:
                click.echo(f"reference {device} stopped (crash-on-malformed).", err=True)
                if announce:
                    _announce({"event": "crashed"})
                break
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    click.echo(f"reference {device} sent {sum(sim.sent.values())} frames, received {sim.received}.", err=True)


#: The profile whose capability statement ``--print-pics`` prints when no ``--profile`` is given.
DEFAULT_PROFILES = {"rsu": "csae53-2020-rsu", "obu": "csae53-2020-obu"}


def _print_pics(
    device: str,
    profile_id: str | None,
    framing: str,
    *,
    upper_tester: bool,
    profiles_path: tuple[Path, ...] = (),
    catalogue_path: tuple[Path, ...] = (),
) -> None:
    """Print the reference device's own capability statement (a PICS file) for ``profile_id`` (a bundled profile
    or one of a lab's ``profiles_path``, with its ``catalogue_path``; the environment's overlays apply too)."""
    from ..catalogue import load_profile
    from ..catalogue.overlays import catalogue_dirs, catalogue_with, profile_source
    from ..devices.reference_pics import reference_pics_yaml, reference_role
    from ..errors import UsageError
    from .util import guard

    with guard():
        catalogue = catalogue_with(catalogue_dirs(catalogue_path))
        profile = load_profile(profile_id or DEFAULT_PROFILES[device], catalogue, profile_source(profiles_path))
        role = reference_role(f"sim://{device}")
        assert role is not None
        if profile.abstract or role not in profile.roles:
            raise UsageError(
                f"Profile {profile.id} is not a runnable profile for an {role.value} "
                f"(roles: {', '.join(r.value for r in profile.roles) or 'none'}).",
                hint=f"`v2xc profiles list` shows the profiles (default for {device}: {DEFAULT_PROFILES[device]}).",
            )
        statement = reference_pics_yaml(
            profile, catalogue, role, dsmp=framing == Framing.DSMP.value, upper_tester=upper_tester
        )
        click.echo(statement, nl=False)


def _settle(edition: str) -> None:
    """Compile the edition now and freeze the heap, so that no compile or full garbage collection (tens of ms over
    the compiled ASN.1 graphs) delays a scheduled transmission."""
    import gc

    from ..codec.strict import codec_for

    codec_for(edition)
    gc.collect()
    gc.freeze()


def _announce(message: dict[str, object]) -> None:
    """Write one JSON line to standard output (the ``--announce`` protocol of ``sim://`` targets)."""
    with contextlib.suppress(OSError, ValueError):  # the toolkit that started us has gone: nobody to tell
        sys.stdout.write(json.dumps(message) + "\n")
        sys.stdout.flush()


def _watch_stdin(closed: threading.Event) -> None:
    """Set ``closed`` when standard input ends: the toolkit that started this device has stopped or died."""
    with contextlib.suppress(OSError, ValueError):
        while sys.stdin.buffer.read(4096):
            pass
    closed.set()


def _raise_priority() -> int | None:
    """Ask the OS to schedule this device process ahead of ordinary work (nice -5), as a lab runs its
    instruments; allowed only to privileged users, silently skipped otherwise. Returns the niceness now in force."""
    with contextlib.suppress(OSError, AttributeError):
        os.setpriority(os.PRIO_PROCESS, 0, -5)
    try:
        return os.getpriority(os.PRIO_PROCESS, 0)
    except (OSError, AttributeError):
        return None


def _device_command(device: str) -> click.Command:
    defaults = DEVICES[device].DEFAULT_RATES
    rate_help = ", ".join(f"{kind}:{hz:g}" for kind, hz in defaults.items())

    @click.command(name=device, context_settings={"help_option_names": ["-h", "--help"]})
    @click.option(
        "--send-to", metavar="HOST:PORT", help="Where the device sends its frames (the toolkit's listen port)."
    )
    @click.option(
        "--listen",
        type=click.IntRange(0, 65535),
        default=0,
        show_default=True,
        help="UDP port for test frames from the toolkit (0: any free port, printed).",
    )
    @click.option(
        "--ut-port",
        type=click.IntRange(0, 65535),
        default=0,
        show_default=True,
        help="UDP port of the upper tester (0: any free port, printed).",
    )
    @click.option("--no-ut", is_flag=True, help="Run without an upper tester.")
    @click.option("--bind", default="127.0.0.1", show_default=True, help="Local address of the device's sockets.")
    @click.option(
        "--fault",
        "faults",
        multiple=True,
        metavar="NAME[:ARG]",
        help="Fault switch (repeatable, or comma-separated); see --list-faults.",
    )
    @click.option(
        "--edition", type=click.Choice(["csae53-2020", "csae53-2019"]), default="csae53-2020", show_default=True
    )
    @click.option("--rates", default="", metavar="KIND:HZ[,...]", help=f"Transmission rates (default {rate_help}).")
    @click.option("--framing", type=click.Choice([f.value for f in Framing]), default="none", show_default=True)
    @click.option(
        "--duration",
        type=FiniteFloat(0.0, 1e7, low_open=True),
        default=None,
        help="Stop after this many seconds (default: until Ctrl-C).",
    )
    @click.option("--list-faults", is_flag=True, help="List the fault switches and exit.")
    @click.option(
        "--print-pics",
        is_flag=True,
        help="Print the device's own capability statement (a PICS file for --profile; it follows --framing and "
        "--no-ut) and exit.",
    )
    @click.option(
        "--profile",
        "profile_id",
        default=None,
        help=f"Profile of the --print-pics statement (default {DEFAULT_PROFILES[device]}).",
    )
    @overlay_options
    @click.option(
        "--announce",
        is_flag=True,
        help="Print the device's ports as one JSON line on standard output once it runs, and stop when standard "
        "input closes (how sim:// targets start the device as a child process).",
    )
    def command(
        send_to: str | None,
        listen: int,
        ut_port: int,
        no_ut: bool,
        bind: str,
        faults: tuple[str, ...],
        edition: str,
        rates: str,
        framing: str,
        duration: float | None,
        list_faults: bool,
        print_pics: bool,
        profile_id: str | None,
        profiles_path: tuple[Path, ...],
        catalogue_path: tuple[Path, ...],
        announce: bool,
    ) -> None:
        _run(
            device, send_to, listen, ut_port, no_ut, bind, faults, edition, rates, framing, duration, list_faults,
            announce, print_pics, profile_id, profiles_path, catalogue_path,
        )

    command.help = (
        f"Run the built-in reference {device.upper()} over UDP until Ctrl-C or --duration "
        f"(frames: {rate_help} Hz by default)."
    )
    return command


@click.group(name="sim", context_settings={"help_option_names": ["-h", "--help"]})
def sim() -> None:
    """Run a built-in reference device (RSU or OBU) on the network, with optional fault switches."""


for _name in DEVICES:
    sim.add_command(_device_command(_name))


def register(main: click.Group) -> None:
    """Add ``v2xc sim rsu|obu`` to the ``v2xc`` command group."""
    main.add_command(sim)
