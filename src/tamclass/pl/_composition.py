"""Per-sample stacked bars of macrophage state / TAM-subset / cell-type fractions."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._errors import InputError
from .._keys import DEFAULT_KEY, M1_LIKE, M2_LIKE, UNASSIGNED, keys
from ._axes import target_axes
from ._docs import plot_docs
from ._utils import finish

if TYPE_CHECKING:
    from anndata import AnnData
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_PREFIX = {"state": "state_fraction_", "subset": "subset_fraction_", "celltype": "celltype_fraction_"}
_STATE_COLORS = {M1_LIKE: "#d62728", M2_LIKE: "#1f77b4", UNASSIGNED: "#bbbbbb"}


@plot_docs("tamclass_composition.png")
def composition(
    data: AnnData | pd.DataFrame,
    sample_key: str | None = None,
    *,
    kind: str = "state",
    key_added: str = DEFAULT_KEY,
    order: str | list | None = None,
    horizontal: bool = False,
    legend: bool = True,
    title: str | None = None,
    ax: Axes | None = None,
    show: bool | None = None,
    save: str | Path | bool | None = None,
    figsize: tuple[float, float] | None = None,
    return_fig: bool = False,
) -> Axes | Figure | None:
    """Stacked bars, one per sample, of state (M1-like / M2-like / unassigned), TAM-subset or cell-type fractions.

    Parameters
    ----------
    data
        AnnData (per-cell results; summarised on the fly with :func:`tamclass.tl.summarize` logic,
        nothing is written), an AnnData whose ``uns[key_added]["samples"]`` exists (used when
        ``sample_key`` is None), or a summarize table.
    sample_key
        ``obs`` column of samples (AnnData input).
    kind
        ``"state"`` (fractions among macrophages), ``"subset"`` (among macrophages) or ``"celltype"``
        (among all cells).
    key_added
        Prefix used by :func:`tamclass.tl.classify` / :func:`tamclass.tl.summarize`.
    order
        Sample order: a list, or a column of the summary to sort by (descending), e.g.
        ``"state_fraction_M2-like"``.
    horizontal
        Horizontal bars (one row per sample).
    legend
        Draw the legend right of the axes.
    title
        Axes title (default: "<kind> composition per sample").
    ax
        Matplotlib Axes to draw into (default: a new figure).
    {show_save_return}
    figsize
        Size of a new figure (default: grows with the number of samples).

    Returns
    -------
    Axes; the Figure with ``return_fig=True``; ``None`` when shown.

    Examples
    --------
    >>> ax = tc.pl.composition(adata, "patient", kind="state", show=False)
    """
    if kind not in _PREFIX:
        raise InputError(f"kind={kind!r}: use one of {sorted(_PREFIX)}.")
    if isinstance(data, pd.DataFrame):
        table = data
    elif hasattr(data, "obs") or hasattr(data, "mod"):
        from .._io import as_anndata

        data = as_anndata(data, what="data")
        if sample_key is None and isinstance(data.uns.get(key_added), dict) and "samples" in data.uns[key_added]:
            table = data.uns[key_added]["samples"]
        else:
            from ..tl._summarize import summary_table

            scores = data.obsm[keys(key_added).scores] if keys(key_added).scores in data.obsm.keys() else None
            table, _, _ = summary_table(
                data.obs,
                scores if isinstance(scores, pd.DataFrame) else None,
                sample_key,
                key=key_added,
                keep_obs=False,
            )
    else:
        raise InputError(f"composition expects an AnnData or a summarize() DataFrame, got {type(data).__name__}.")
    prefix = _PREFIX[kind]
    cols = [c for c in table.columns if str(c).startswith(prefix)]
    if not cols:
        raise InputError(
            f"no '{prefix}*' columns to plot: run tc.tl.classify (for kind='state'/'subset') or tc.tl.gate "
            f"(kind='celltype') first, with key_added={key_added!r}."
        )
    frac = table[cols].astype(float)
    frac.columns = [str(c)[len(prefix) :] for c in cols]
    if order is not None:
        if isinstance(order, str):
            if order not in table.columns:
                raise InputError(f"order={order!r} is not a column of the summary; columns: {list(table.columns)}.")
            frac = frac.loc[table[order].sort_values(ascending=False).index]
        else:
            frac = frac.loc[[str(o) for o in order]]
    w = max(4.0, 0.35 * len(frac) + 2.5)
    fig, ax, own = target_axes(ax, figsize or ((5, w) if horizontal else (w, 4)))
    pos = np.arange(len(frac))
    base = np.zeros(len(frac))
    for i, c in enumerate(frac.columns):
        vals = frac[c].fillna(0).to_numpy()
        color = _STATE_COLORS.get(c, f"C{i % 10}")
        if horizontal:
            ax.barh(pos, vals, left=base, color=color, label=c)
        else:
            ax.bar(pos, vals, bottom=base, color=color, label=c)
        base += vals
    labels = [str(i) for i in frac.index]
    if horizontal:
        ax.set_yticks(pos, labels)
        ax.set_xlabel("fraction")
        ax.set_xlim(0, 1)
    else:
        ax.set_xticks(pos, labels, rotation=90)
        ax.set_ylabel("fraction" + (" of macrophages" if kind != "celltype" else " of cells"))
        ax.set_ylim(0, 1)
    empty = frac.isna().all(axis=1).to_numpy()
    for p in pos[empty]:
        (
            ax.text(0.02, p, "no macrophages", va="center", fontsize=7)
            if horizontal
            else ax.text(p, 0.02, "no macrophages", rotation=90, ha="center", fontsize=7)
        )
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
    ax.set_title(title or f"{kind} composition per sample", fontsize=10)
    return finish(
        fig, ax, own_figure=own, show=show, save=save, return_fig=return_fig, default_name="tamclass_composition"
    )
