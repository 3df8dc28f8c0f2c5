"""The sample messages of :mod:`conformance.standards.samples` as frames: UPER MessageFrames, strictly encoded
under their edition (csae53-2020)."""

from __future__ import annotations

import functools

from ..codec.strict import encode
from ..standards.samples import EDITION, sample_values


@functools.cache
def sample_frames() -> dict[str, bytes]:
    """Return {name: UPER MessageFrame bytes} of every sample, strictly encoded under csae53-2020."""
    return {
        name: encode((alternative, value), edition=EDITION) for name, (alternative, value) in sample_values().items()
    }
