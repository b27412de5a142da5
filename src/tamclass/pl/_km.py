"""Kaplan-Meier plot of feature-defined groups with the log-rank p.

Draws a fitted result (``tc.prognosis.km(...)``, or anything with the same attributes) and never imports
:mod:`tamclass.prognosis`: fit with ``tc.prognosis.km(df, duration, event, feature).plot()``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .._errors import InputError
from ._axes import target_axes
from ._docs import plot_docs
from ._forest import _NOTE
from ._utils import finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@plot_docs("tamclass_km.png")
def km(
    result: Any,
    duration: str | None = None,
    event: str | None = None,
    feature: str | None = None,
    *,
    split: str | float = "median",
    ci: bool = True,
    at_risk: bool = False,
    title: str | None = None,
    ax: Axes | None = None,
    show: bool | None = None,
    save: str | Path | bool | None = None,
    figsize: tuple[float, float] = (5.5, 4.2),
    return_fig: bool = False,
) -> Axes | Figure | None:
    """Kaplan-Meier curves per group with the log-rank p-value.

    Parameters
    ----------
    result
        A fitted :func:`tamclass.prognosis.km` result (``fitters``, ``summary``, ``logrank``, ``duration``,
        ``feature``, ``split``). To fit and plot from a table in one go: ``tc.prognosis.km(df, duration, event,
        feature, split=...).plot()``.
    duration, event, feature
        Not used for plotting: a table with these columns is refused with a pointer to
        :func:`tamclass.prognosis.km` (the plotting module does not fit models).
    split
        Not used for plotting (see ``duration``).
    ci
        Shade the 95% confidence band of each curve (lifelines, exponential Greenwood).
    at_risk
        Add lifelines' numbers-at-risk table under the axis.
    title
        Axes title (default: the feature and the split).
    ax
        Matplotlib Axes to draw into (default: a new figure).
    {show_save_return}
    figsize
        Size of a new figure.

    Returns
    -------
    Axes; the Figure with ``return_fig=True``; ``None`` when shown.

    Examples
    --------
    >>> res = tc.prognosis.km(df, "os_time", "os_event", "score_IHC_CD163")
    >>> ax = tc.pl.km(res, show=False)
    """
    if not hasattr(result, "fitters"):
        fit = f"tc.prognosis.km(data, {duration!r}, {event!r}, {feature!r}, split={split!r}).plot()"
        raise InputError(
            "pass a tc.prognosis.km result"
            + (f"; to fit and plot from a table: {fit}" if None not in (duration, event, feature) else ".")
        )
    fig, ax, own = target_axes(ax, figsize)
    for g, kmf in result.fitters.items():
        n = int(result.summary.loc[g, "n"])
        kmf.plot_survival_function(ax=ax, ci_show=ci, label=f"{g} (n={n})")
    if at_risk:
        from lifelines.plotting import add_at_risk_counts

        add_at_risk_counts(*result.fitters.values(), ax=ax)
    lr = result.logrank
    ax.text(0.02, 0.04, f"{lr['test']} p = {lr['p']:.3g}", transform=ax.transAxes, fontsize=9)
    ax.set_xlabel(result.duration)
    ax.set_ylabel("survival probability")
    ax.set_ylim(0, 1.05)
    ax.set_title(title or f"{result.feature}: split at {result.split}", fontsize=10)
    ax.annotate(
        _NOTE, xy=(0, 0), xycoords="figure fraction", xytext=(4, 2), textcoords="offset points", fontsize=6, color="0.4"
    )
    return finish(fig, ax, own_figure=own, show=show, save=save, return_fig=return_fig, default_name="tamclass_km")
