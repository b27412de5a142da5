"""Forest plot of a meta-analysis, a cohort pooling or per-feature Cox HRs.

Duck-typed: the plot reads the attributes it draws and never imports :mod:`tamclass.prognosis` (whose result
classes' ``.plot()`` call this function).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .._errors import InputError
from ._axes import target_axes
from ._docs import plot_docs
from ._utils import finish

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_NOTE = "Research use only; not a per-patient risk prediction."


def _rows_from(result, exp):
    """(labels, est, lo, hi, weights, pooled (est, lo, hi, label) or None, xlabel, log_scale).

    A cohort pooling has ``cohorts`` and ``meta`` (a meta-analysis) and names its ``feature``; a meta-analysis has
    ``studies`` and the pooled ``estimate``; a Cox result has a ``summary`` with ``log_hr``, ``ci_lower``,
    ``ci_upper``, ``n`` and ``events`` per feature.
    """
    summary: Any = getattr(result, "summary", None)
    if hasattr(result, "cohorts") and hasattr(result, "meta"):
        meta = result.meta
        exp = True if exp is None else exp
        xlabel = f"HR per SD of {result.feature}"
    elif hasattr(result, "studies") and hasattr(result, "estimate"):
        meta = result
        exp = meta.exp if exp is None else exp
        xlabel = "HR" if exp else meta.effect_label
    elif hasattr(summary, "columns") and {"log_hr", "ci_lower", "ci_upper"} <= set(summary.columns):
        s = summary
        exp = True if exp is None else exp
        est, lo, hi = s["log_hr"].to_numpy(), np.log(s["ci_lower"].to_numpy()), np.log(s["ci_upper"].to_numpy())
        xlabel = "HR per SD" if getattr(result, "standardize", True) else "HR per unit"
        labels = [f"{f} (n={n}, {e} ev.)" for f, n, e in zip(s.index, s["n"], s["events"], strict=False)]
        return labels, est, lo, hi, None, None, xlabel, exp
    else:
        raise InputError("forest() takes a meta_analysis, pool_cohorts or cox result.")
    st = meta.studies
    labels = [str(i) for i in st.index]
    pooled = (
        meta.estimate,
        meta.ci_lower,
        meta.ci_upper,
        f"{meta.method}{'+KH' if meta.knapp_hartung else ''} pooled (k={meta.k}, I\u00b2={meta.I2:.0f}%)",
        meta.pi_lower,
        meta.pi_upper,
    )
    return (
        labels,
        st["effect"].to_numpy(),
        st["ci_lower"].to_numpy(),
        st["ci_upper"].to_numpy(),
        st["weight_percent"].to_numpy(),
        pooled,
        xlabel,
        exp,
    )


@plot_docs("tamclass_forest.png")
def forest(
    result: Any,
    *,
    exp: bool | None = None,
    prediction_interval: bool = True,
    annotate: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
    show: bool | None = None,
    save: str | Path | bool | None = None,
    figsize: tuple[float, float] | None = None,
    color: str = "C0",
    return_fig: bool = False,
) -> Axes | Figure | None:
    """Forest plot: one row per study / cohort / feature, the pooled diamond below.

    Parameters
    ----------
    result
        Output of :func:`tamclass.prognosis.meta_analysis`, :func:`~tamclass.prognosis.pool_cohorts`
        or :func:`~tamclass.prognosis.cox`.
    exp
        Plot on the ratio (HR) scale with a log x-axis (default for HR inputs).
    prediction_interval
        Draw the random-effects prediction interval as a line through the diamond.
    annotate
        Print "HR (95% CI)" and weight beside each row.
    title
        Axes title (default none).
    ax
        Matplotlib Axes to draw into (default: a new figure).
    {show_save_return}
    figsize
        Size of a new figure (default: grows with the number of rows).
    color
        Colour of the per-row squares.

    Returns
    -------
    Axes; the Figure with ``return_fig=True``; ``None`` when shown.

    Examples
    --------
    >>> res = tc.prognosis.meta_analysis(df, effect="hr", ci=("lo", "hi"))
    >>> ax = tc.pl.forest(res, show=False)
    """
    from matplotlib.patches import Polygon

    labels, est, lo, hi, w, pooled, xlabel, exp = _rows_from(result, exp)
    n = len(labels)
    fig, ax, own = target_axes(ax, figsize or (7.5, 0.32 * (n + 3) + 1.2))
    tf = np.exp if exp else (lambda x: x)
    ys = np.arange(n, 0, -1) + (1.5 if pooled else 0)
    sizes = 20 + 180 * (w / np.nanmax(w)) if w is not None and np.nanmax(w) > 0 else np.full(n, 40.0)
    ax.hlines(ys, tf(lo), tf(hi), color="0.3", lw=1)
    ax.scatter(tf(est), ys, s=sizes, marker="s", color=color, zorder=3)
    ticks, ticklabels = list(ys), list(labels)
    if pooled:
        m, plo, phi, plabel, pilo, pihi = pooled
        y0 = 0.5
        if prediction_interval and np.isfinite(pilo):
            ax.hlines(y0, tf(pilo), tf(pihi), color="0.5", lw=1, linestyles=":")
        ax.add_patch(
            Polygon(
                [[tf(plo), y0], [tf(m), y0 + 0.3], [tf(phi), y0], [tf(m), y0 - 0.3]], closed=True, color="C3", zorder=3
            )
        )
        ax.axvline(tf(m), color="C3", lw=0.6, ls="--")
        ticks.append(y0)
        ticklabels.append(plabel)
    ax.axvline(1.0 if exp else 0.0, color="k", lw=0.8)
    if exp:
        # log axis, but labelled with plain ratios (0.5, 1, 2) rather than powers of ten
        from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_locator(LogLocator(base=10, subs=(0.1, 0.2, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0)))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_yticks(ticks)
    ax.set_yticklabels(ticklabels)
    ax.set_ylim(-0.3 if pooled else 0.3, max(ys) + 0.7)
    ax.set_xlabel(xlabel + " (95% CI)")
    if annotate:
        all_est = list(est) + ([pooled[0]] if pooled else [])
        all_lo = list(lo) + ([pooled[1]] if pooled else [])
        all_hi = list(hi) + ([pooled[2]] if pooled else [])
        all_w = list(w) + [100.0] if w is not None else [None] * len(all_est)
        trans = ax.get_yaxis_transform()
        for y, e, a, b, ww in zip(ticks, all_est, all_lo, all_hi, all_w, strict=False):
            txt = f"{tf(e):.2f} ({tf(a):.2f}\u2013{tf(b):.2f})" + (f"  {ww:.1f}%" if ww is not None else "")
            ax.text(1.02, y, txt, transform=trans, va="center", fontsize=8)
    ax.set_title(title or "", fontsize=10)
    ax.annotate(
        _NOTE, xy=(0, 0), xycoords="figure fraction", xytext=(4, 2), textcoords="offset points", fontsize=6, color="0.4"
    )
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return finish(fig, ax, own_figure=own, show=show, save=save, return_fig=return_fig, default_name="tamclass_forest")
