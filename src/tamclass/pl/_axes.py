"""Where a plot draws: a new figure (tamclass owns it) or the caller's Axes (scanpy's ``ax=`` convention)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def figure_of(ax: Axes) -> Figure:
    """The figure an Axes belongs to (a sub-figure's is a Figure for saving/showing purposes)."""
    return cast("Figure", ax.figure)


def target_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes, bool]:
    """``(figure, axes, own)``: a new ``figsize`` figure when ``ax`` is None (``own=True``), else ``ax``'s."""
    if ax is not None:
        return figure_of(ax), ax, False
    import matplotlib.pyplot as plt

    fig, new = plt.subplots(figsize=figsize)
    return fig, new, True
