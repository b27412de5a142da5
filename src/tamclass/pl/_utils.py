"""The one ending every ``tc.pl`` function shares: save, show or return (scanpy's conventions).

``show=None`` has one meaning in every function: show the figure when tamclass drew it on a new
figure (no ``ax=`` given), ``scanpy.settings.autoshow`` is on (scanpy's default; True when scanpy is
not imported) and matplotlib's backend can display it (not Agg, PDF, SVG, ...); otherwise return it.
So a notebook shows the plot, while a script, a test or a figure composed with ``ax=`` gets the Axes.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from .._errors import InputError

#: matplotlib backends that cannot display a window or inline image (matplotlib's non-interactive set)
_FILE_BACKENDS = ("agg", "cairo", "pdf", "pgf", "ps", "svg", "template")


def _autoshow() -> bool:
    sc = sys.modules.get("scanpy")
    return bool(getattr(getattr(sc, "settings", None), "autoshow", True))


def _can_display() -> bool:
    import matplotlib

    backend = matplotlib.get_backend().lower().rsplit(".", 1)[-1].removeprefix("backend_")
    return not any(backend == b or backend.startswith(b) for b in _FILE_BACKENDS)


def resolve_show(show: bool | None, own_figure: bool) -> bool:
    """``show=None`` -> True only for a figure tamclass made, with autoshow on, on a displaying backend."""
    if show is not None:
        return bool(show)
    return own_figure and _autoshow() and _can_display()


def _save(fig, save, default_name: str) -> None:
    from .._io import atomic_path

    if save is True:
        path = Path(f"{default_name}.png")
    elif isinstance(save, (str, os.PathLike)):
        path = Path(os.fspath(save)).expanduser()
        if not path.suffix:
            path = path.with_suffix(".png")
    else:
        raise InputError(f"save must be a file path or True, got {save!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path, what="figure") as tmp:
        fig.savefig(tmp, format=path.suffix[1:].lower(), dpi=150, bbox_inches="tight")


def finish(fig, axes, *, own_figure: bool, show: bool | None, save, return_fig: bool, default_name: str):
    """Save (if asked), then return the Figure (``return_fig``), show and return None, or return ``axes``."""
    import matplotlib.pyplot as plt

    if save:
        _save(fig, save, default_name)
    if return_fig:
        return fig
    if resolve_show(show, own_figure):
        plt.show()
        return None
    return axes
