"""Bundled checks. Importing this package registers them (see conformance.engine.registry); list them with
:func:`registered_checks` imported from here, which guarantees the bundled ones are registered.

Message layer (YD/T 3710-2020 structure, device-sends tests): ``message`` (presence, strict decode, edition, rate,
msgCnt), ``semantics`` (BSM, MAP, SPAT, RSI, RSM content rules); device-receives and robustness tests: ``active``;
DSMP network layer: ``network``; Day-1 application scenarios (Do-Warn / Suppress-Warn / No-Warn): ``applications``.
"""

from ..engine.registry import registered_checks  # re-exported: from here, the bundled checks are registered first
from . import active, applications, message, network, semantics

__all__ = ["active", "applications", "message", "network", "registered_checks", "semantics"]
