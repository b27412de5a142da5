"""Preprocessing helpers (input checks, normalisation detection).

=========================  ==================================================================
function                   what it does
=========================  ==================================================================
``detect_normalization``   ``"counts"`` / ``"log1p"`` / ``"scaled"`` / ``"unknown"`` for a matrix
=========================  ==================================================================
"""

from .._lazy import lazy_namespace

_EXPORTS = {
    "detect_normalization": "._normalization",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
