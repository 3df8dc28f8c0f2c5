"""Target URLs → transports: a registry of transport classes by scheme, one clear error for anything else.

Each transport class declares its scheme(s), its query parameters and ``from_url`` (``conformance.transports.base``);
this module looks the scheme up, checks and converts the declared parameters (PIXIT values as defaults) and hands
the result to the class. The built-in transports are imported when the first URL is opened, so that importing
``conformance.transports`` stays light and paho-mqtt, dpkt and the codec load only for the transports that use them.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import TargetUrlError
from .base import TargetUrl, Transport, url_error

#: The built-in transports, as ``module:Class`` of this package. A new transport is a module and one line here.
BUILTIN = (
    "udp:UdpTransport",
    "mqtt:MqttTransport",
    "offline:FileTransport",
    "offline:PcapTransport",
    "sim:SimTransport",
)

_REGISTRY: dict[str, type[Transport]] = {}
_BUILTIN_LOADED = False


def register_transport(cls: type[Transport]) -> type[Transport]:
    """Make ``open_transport`` build ``cls`` for each of its :attr:`~Transport.SCHEMES` (usable as a decorator by a
    transport outside this package)."""
    for scheme in cls.SCHEMES:
        owner = _REGISTRY.get(scheme)
        if owner is not None and owner is not cls:
            raise ValueError(f"scheme {scheme}:// is already served by {owner.__name__}")
        _REGISTRY[scheme] = cls
    return cls


def transports() -> dict[str, type[Transport]]:
    """Every registered transport class by scheme (the built-in ones first)."""
    global _BUILTIN_LOADED
    if not _BUILTIN_LOADED:
        for entry in BUILTIN:
            module, _, name = entry.partition(":")
            register_transport(getattr(importlib.import_module(f"{__package__}.{module}"), name))
        _BUILTIN_LOADED = True
    return dict(_REGISTRY)


def _unknown(url: str, problem: str) -> TargetUrlError:
    forms = "; ".join(form for cls in dict.fromkeys(transports().values()) for form in cls.SCHEMES.values())
    return TargetUrlError(f"Bad target URL {url!r}: {problem}.", hint=f"Valid forms: {forms}.")


def open_transport(url: str, *, pixit: Mapping[str, Any] | None = None) -> Transport:
    """Build the transport for a target URL (not yet opened: call ``open()`` or use ``with``).

    PIXIT items give a parameter's value where the URL says nothing (each :class:`~.base.UrlParameter` names its
    item: ``framing``, ``edition``, ``ut_timeout``; MQTT also reads ``mqtt_topic_template`` / ``mqtt_topic_case``).
    Raises TargetUrlError naming the problem and listing the valid forms, or the scheme's parameters.
    """
    pixit = pixit or {}
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        raise _unknown(url, str(exc)) from None
    scheme = parts.scheme.lower()
    cls = transports().get(scheme)
    if cls is None:
        raise _unknown(url, f"unknown scheme {parts.scheme + '://' if parts.scheme else '(none)'}")
    query = parse_qs(parts.query, keep_blank_values=True)
    unknown = sorted(set(query) - {parameter.name for parameter in cls.PARAMETERS})
    if unknown:
        raise url_error(url, f"unknown parameter(s) {', '.join(unknown)} for {scheme}://", cls, scheme)
    repeated = sorted(name for name, values in query.items() if len(values) > 1)
    if repeated:
        raise url_error(url, f"parameter(s) {', '.join(repeated)} given more than once", cls, scheme)
    params: dict[str, Any] = {}
    for parameter in cls.PARAMETERS:
        if parameter.name in query:
            text: str | None = query[parameter.name][0]
        elif parameter.pixit and pixit.get(parameter.pixit) is not None:
            text = str(pixit[parameter.pixit])
        else:
            text = parameter.default
        if text is None:
            continue
        try:
            params[parameter.name] = parameter.type(text)
        except ValueError as exc:
            raise url_error(url, f"{parameter.name}={text!r} {exc}", cls, scheme) from None
    try:
        port = parts.port
    except ValueError as exc:
        raise url_error(url, f"bad port ({exc})", cls, scheme) from None
    return cls.from_url(TargetUrl(url, scheme, parts, port, params, pixit, cls))
