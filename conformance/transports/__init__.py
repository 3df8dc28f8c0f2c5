"""Transports: how the toolkit reaches a device under test (one small module per medium, one interface).

``open_transport(url)`` builds the transport of a target URL: ``udp://``, ``mqtt://``, ``file://``, ``pcap://`` or
``sim://`` (each transport class declares its scheme, parameters and ``from_url``; the registry is
:func:`conformance.transports.urls.transports`). Modules are imported on use, so paho-mqtt and dpkt are needed only
by their transports.
"""

from __future__ import annotations

from .base import Capabilities, Received, Transport
from .urls import open_transport, register_transport, transports

__all__ = ["Capabilities", "Received", "Transport", "open_transport", "register_transport", "transports"]
