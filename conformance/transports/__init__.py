"""Transports: how the toolkit reaches a device under test (one small module per medium, one interface).

``open_transport(url)`` parses a target URL: ``udp://``, ``mqtt://``, ``file://``, ``pcap://`` or ``sim://`` (see
:data:`conformance.transports.urls.SCHEMES`). Modules are imported on use, so paho-mqtt and dpkt are needed only
by their transports.
"""

from __future__ import annotations

from .base import Capabilities, Received, Transport, TransportError
from .urls import SCHEMES, open_transport

__all__ = ["SCHEMES", "Capabilities", "Received", "Transport", "TransportError", "open_transport"]
