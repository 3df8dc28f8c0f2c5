"""v2x-conformance: conformance test toolkit for China's C-V2X standards (T/CSAE 53, T/CSAE 157, YD/T 3707-3710).

Public entry points: :mod:`conformance.codec` (strict UPER codec), :mod:`conformance.identify` (edition
identification), :mod:`conformance.dsmp` (network-layer framing), :mod:`conformance.cli` (the ``v2xc`` command).
"""

__version__ = "0.1.0"
