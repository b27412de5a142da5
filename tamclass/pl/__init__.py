"""Plots (scanpy's ``pl`` convention: ``ax=``, ``show=``, ``save=``)."""
from .._lazy import lazy_namespace

_EXPORTS = {
    # scores / classification on cells (CLI-and-plugin helper)
    "scores": "._scores",
    "embedding": "._scores",
    "score_distribution": "._scores",
    "polarization": "._scores",
    # per-sample and prognosis (prognosis helper)
    "composition": "._composition",
    "forest": "._forest",
    "km": "._km",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
