"""Kaplan-Meier plot of feature-defined groups with the log-rank p."""
from __future__ import annotations

from pathlib import Path

from .._errors import InputError
from ._forest import _NOTE, _finish


def km(result, duration: str | None = None, event: str | None = None, feature: str | None = None, *,
       split="median", ci: bool = True, at_risk: bool = False, title: str | None = None, ax=None,
       show: bool | None = None, save: str | Path | None = None, figsize=(5.5, 4.2)):
    """Kaplan-Meier curves per group with the log-rank p-value.

    Parameters
    ----------
    result
        A :func:`tamclass.prognosis.km` result, or a table / bulk AnnData together with
        ``duration``, ``event``, ``feature`` (and ``split``), in which case ``km`` is run first.
    ci
        Shade the 95% confidence band of each curve (lifelines, exponential Greenwood).
    at_risk
        Add lifelines' numbers-at-risk table under the axis.
    ax, show, save
        scanpy conventions (``show=False`` returns the Axes; ``save`` is a file path).

    Examples
    --------
    >>> res = tc.prognosis.km(df, "os_time", "os_event", "score_IHC_CD163")
    >>> ax = tc.pl.km(res, show=False)
    """
    import matplotlib.pyplot as plt

    from ..prognosis._survival import KMResult
    from ..prognosis._survival import km as km_fit

    if not isinstance(result, KMResult):
        if duration is None or event is None or feature is None:
            raise InputError("pass a tc.prognosis.km result, or a table with duration=, event= and feature=.")
        result = km_fit(result, duration, event, feature, split=split)
    own = ax is None
    if own:
        _, ax = plt.subplots(figsize=figsize)
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
    ax.annotate(_NOTE, xy=(0, 0), xycoords="figure fraction", xytext=(4, 2), textcoords="offset points",
                fontsize=6, color="0.4")
    return _finish(ax, show=show, save=save, own_fig=own)
