"""Message vectors: Hypothesis strategies from the ASN.1, byte mutations, realistic traffic, the oracle, the corpus.

Public entry points: :func:`conformance.vectors.strategies.for_type`, :mod:`conformance.vectors.mutations`,
:mod:`conformance.vectors.traffic`, :func:`conformance.vectors.oracle.verify` and :mod:`conformance.vectors.corpus`.
"""

from .model import MODES, Vector, VectorClass, Violation

__all__ = ["MODES", "Vector", "VectorClass", "Violation"]
