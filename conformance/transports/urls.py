"""Target URLs → transports. One table of schemes and their parameters, one clear error for anything else."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from ..errors import ConformanceError
from ..network.framing import Framing
from .base import TargetUrlError, Transport, TransportError

#: scheme → (URL form, {parameter: meaning}) — the source of every "valid parameters" message.
SCHEMES: dict[str, tuple[str, dict[str, str]]] = {
    "udp": (
        "udp://HOST:PORT?listen=LPORT",
        {
            "listen": "UDP port on which the toolkit receives the device's frames (required; 0 = any free port)",
            "framing": "none (bare UPER MessageFrame, default) or dsmp",
            "ut": "UDP port of the device's upper tester at HOST",
            "bind": "local address to listen on (default 127.0.0.1)",
            "ut_timeout": "seconds to wait for an upper-tester reply (default 2)",
        },
    ),
    "mqtt": (
        "mqtt://HOST[:PORT]/ROOT?rsu=ID",
        {
            "rsu": "RSU id or ESN in the topics (required)",
            "payload": "uper (default) or json",
            "topics": "preset: open (V2X/RSU/{id}/{MSG}/{UP|DOWN}, default) or vendor (v2x/v1/rsu/{esn}/{msg}/{dir})",
            "qos": "MQTT QoS 0 (default) or 1",
            "edition": "edition used to convert JSON payloads (default csae53-2020)",
            "framing": "none (default) or dsmp",
            "ut_timeout": "seconds to wait for an upper-tester reply (default 2)",
        },
    ),
    "file": ("file://PATH", {"framing": "none (default) or dsmp"}),
    "pcap": (
        "pcap://PATH",
        {"port": "only UDP datagrams to or from this port", "framing": "none (default) or dsmp"},
    ),
    "sim": (
        "sim://rsu or sim://obu",
        {
            "fault": "fault switches NAME[:ARG][,NAME...] (v2xc sim rsu --list-faults)",
            "edition": "csae53-2020 (default) or csae53-2019",
            "rates": "transmission rates KIND:HZ[,...], e.g. SPAT:2,RSM:10",
            "framing": "none (default) or dsmp",
            "ut_timeout": "seconds to wait for an upper-tester reply (default 2)",
        },
    ),
}


def _valid_schemes() -> str:
    return "; ".join(form for form, _ in SCHEMES.values())


def _bad(url: str, problem: str, scheme: str | None = None) -> TransportError:
    if scheme in SCHEMES:
        form, params = SCHEMES[scheme]
        listing = "; ".join(f"{name}: {meaning}" for name, meaning in params.items())
        hint = f"Write {form}[&PARAM=VALUE...]. Parameters of {scheme}://: {listing}."
    else:
        hint = f"Valid forms: {_valid_schemes()}."
    return TargetUrlError(f"Bad target URL {url!r}: {problem}.", hint=hint)


def _int(url: str, scheme: str, name: str, text: str, low: int = 0, high: int = 65535) -> int:
    try:
        value = int(text)
    except ValueError:
        raise _bad(url, f"{name}={text!r} is not a whole number", scheme) from None
    if not low <= value <= high:
        raise _bad(url, f"{name}={value} is outside {low}..{high}", scheme)
    return value


def _float(url: str, scheme: str, name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise _bad(url, f"{name}={text!r} is not a number", scheme) from None
    if value <= 0:
        raise _bad(url, f"{name}={text!r} must be positive", scheme)
    return value


def _framing(url: str, scheme: str, text: str) -> Framing:
    try:
        return Framing(text)
    except ValueError:
        raise _bad(url, f"framing={text!r} is not one of {', '.join(f.value for f in Framing)}", scheme) from None


def open_transport(url: str, *, pixit: Mapping[str, Any] | None = None) -> Transport:
    """Build the transport for a target URL (not yet opened: call ``open()`` or use ``with``).

    PIXIT values used as defaults where the URL says nothing: ``framing``, ``edition``, ``ut_timeout``,
    ``mqtt_topic_template`` / ``mqtt_topic_case`` (custom MQTT topic layout). Raises TransportError naming the
    problem and listing the valid forms and parameters.
    """
    pixit = pixit or {}
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _bad(url, str(exc)) from None
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise _bad(url, f"unknown scheme {parts.scheme + '://' if parts.scheme else '(none)'}")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - set(SCHEMES[scheme][1]))
    if unknown:
        raise _bad(url, f"unknown parameter(s) {', '.join(unknown)} for {scheme}://", scheme)
    repeated = sorted(name for name, values in query.items() if len(values) > 1)
    if repeated:
        raise _bad(url, f"parameter(s) {', '.join(repeated)} given more than once", scheme)
    params = {name: values[0] for name, values in query.items()}
    framing = _framing(url, scheme, params.get("framing", str(pixit.get("framing", "none"))))
    ut_timeout = _float(url, scheme, "ut_timeout", params.get("ut_timeout", str(pixit.get("ut_timeout", 2.0))))
    edition = params.get("edition", str(pixit.get("edition", "csae53-2020")))
    try:
        port = parts.port
    except ValueError as exc:
        raise _bad(url, f"bad port ({exc})", scheme) from None

    if scheme == "udp":
        if not parts.hostname or port is None:
            raise _bad(url, "the device's HOST:PORT is missing", scheme)
        if "listen" not in params:
            raise _bad(url, "listen=LPORT (where the device sends its frames) is missing", scheme)
        from .udp import UdpTransport

        return UdpTransport(
            url,
            host=parts.hostname,
            port=port,
            listen=_int(url, scheme, "listen", params["listen"]),
            framing=framing,
            ut_port=_int(url, scheme, "ut", params["ut"], 1) if "ut" in params else None,
            bind=params.get("bind", "127.0.0.1"),
            ut_timeout=ut_timeout,
        )
    if scheme == "mqtt":
        if not parts.hostname:
            raise _bad(url, "the broker HOST is missing", scheme)
        if not params.get("rsu"):
            raise _bad(url, "rsu=ID (the RSU id or ESN in the topics) is missing", scheme)
        payload = params.get("payload", "uper")
        if payload not in ("uper", "json"):
            raise _bad(url, f"payload={payload!r} is not uper or json", scheme)
        from .mqtt import MqttTransport, layout_from

        return MqttTransport(
            url,
            host=parts.hostname,
            port=port or 1883,
            root=unquote(parts.path),
            rsu=params["rsu"],
            layout=layout_from(params.get("topics", "open"), pixit),
            payload=payload,
            qos=_int(url, scheme, "qos", params.get("qos", "0"), 0, 1),
            edition=edition,
            framing=framing,
            ut_timeout=ut_timeout,
        )
    if scheme in ("file", "pcap"):
        path = Path(unquote(parts.netloc + parts.path))
        if not str(path) or str(path) == ".":
            raise _bad(url, "the PATH is missing", scheme)
        if scheme == "file":
            from .offline import FileTransport

            return FileTransport(url, path, framing=framing)
        from .offline import PcapTransport

        capture_port = _int(url, scheme, "port", params["port"], 1) if "port" in params else None
        return PcapTransport(url, path, port=capture_port, framing=framing)
    # sim
    from ..devices import DEVICES, DeviceConfig, parse_faults, parse_rates
    from .sim import SimTransport

    device = (parts.hostname or parts.path.strip("/")).lower()
    if device not in DEVICES:
        raise _bad(url, f"unknown reference device {device or '(none)'!r} (use rsu or obu)", scheme)
    cls = DEVICES[device]
    try:
        config = DeviceConfig(
            edition=edition,
            framing=framing,
            rates=parse_rates(params.get("rates", ""), cls.DEFAULT_RATES),
            faults=parse_faults(params.get("fault", ""), device),
        )
    except ConformanceError as exc:
        raise _bad(url, exc.message + (f" ({exc.hint})" if exc.hint else ""), scheme) from None
    from ..devices.base import SUPPORTED_EDITIONS

    if edition not in SUPPORTED_EDITIONS:
        raise _bad(url, f"edition={edition!r}: the reference devices speak {', '.join(SUPPORTED_EDITIONS)}", scheme)
    return SimTransport(url, device=device, config=config, ut_timeout=ut_timeout)
