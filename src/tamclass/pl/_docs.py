"""Parameter docs shared by every ``tc.pl`` function (one text, so ``show``/``save``/``return_fig`` mean the same)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

F = TypeVar("F", bound=Callable)

PLACEHOLDER = "    {show_save_return}\n"

_SHOW_SAVE_RETURN = """\
    show
        ``True``: show the figure and return ``None``; ``False``: return the Axes. ``None``
        (default, the same in every ``tc.pl`` function): show only a figure tamclass made (no
        ``ax=``) when ``scanpy.settings.autoshow`` is on and the backend can display it (a notebook, a
        window); otherwise return the Axes.
    save
        File to write the figure to (format from the suffix, PNG without one; ``True``:
        ``{default_file}``). Prefer ``return_fig=True`` and ``fig.savefig``.
    return_fig
        Return the :class:`~matplotlib.figure.Figure` (not shown).
"""


def plot_docs(default_file: str) -> Callable[[F], F]:
    """Fill the ``{show_save_return}`` line of a plotting function's docstring with the shared parameter docs."""

    def fill(func: F) -> F:
        doc = func.__doc__ or ""
        if PLACEHOLDER not in doc:
            raise ValueError(f"{func.__name__}'s docstring has no {PLACEHOLDER.strip()} line")
        func.__doc__ = doc.replace(PLACEHOLDER, _SHOW_SAVE_RETURN.replace("{default_file}", default_file))
        return func

    return fill
