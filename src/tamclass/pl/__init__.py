"""Plots, with scanpy's conventions: ``ax=``, ``show=``, ``return_fig=`` (and ``save=``).

Every function takes the same four arguments with one meaning: ``ax`` draws into your Axes;
``return_fig=True`` returns the :class:`~matplotlib.figure.Figure`; ``show=False`` returns the Axes;
``show=None`` (default) shows only a figure tamclass made (no ``ax=``) when ``scanpy.settings.autoshow``
is on and the matplotlib backend can display it (a notebook, a window), and otherwise returns the Axes.
"""

from .._lazy import lazy_namespace

_EXPORTS = {
    # scores / classification on cells
    "scores": "._scores",
    "embedding": "._scores",
    "score_distribution": "._scores",
    "polarization": "._scores",
    # per-sample and prognosis
    "composition": "._composition",
    "forest": "._forest",
    "km": "._km",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
