"""Plots of signature scores and macrophage polarization (scanpy-style ``ax=`` / ``show=`` / ``return_fig=``).

All functions read what :func:`tamclass.tl.score` / :func:`tamclass.tl.classify` wrote
(``obsm[f"{key_added}_scores"]``, ``obs[f"{key_added}_polarization"]``) and never leave anything behind
in the AnnData.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._errors import InputError
from .._io import as_anndata
from .._keys import DEFAULT_KEY, keys
from ._axes import figure_of, target_axes
from ._docs import plot_docs
from ._utils import finish

if TYPE_CHECKING:
    from anndata import AnnData
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


# ---------------------------------------------------------------------------------------- helpers
def _scores_frame(adata, key_added: str, signatures=None) -> pd.DataFrame:
    key = keys(key_added).scores
    if key not in adata.obsm:
        raise InputError(f"adata.obsm[{key!r}] not found; run tamclass.tl.score(adata, key_added={key_added!r}) first")
    df = adata.obsm[key]
    if not isinstance(df, pd.DataFrame):
        raise InputError(f"adata.obsm[{key!r}] is not a DataFrame of scores; re-run tamclass.tl.score")
    if signatures is None:
        return df
    if isinstance(signatures, str):
        signatures = [signatures]
    missing = [s for s in signatures if s not in df.columns]
    if missing:
        raise InputError(f"signature(s) {missing} were not scored; scored: {', '.join(map(str, df.columns))}")
    return df[list(signatures)]


def _groups(adata, groupby: str | None, key_added: str) -> pd.Series:
    if groupby is None:
        groupby = keys(key_added).celltype
        if groupby not in adata.obs.columns:
            raise InputError(
                f"no groupby given and obs[{groupby!r}] not found; pass groupby= (e.g. a cluster column) "
                "or run tamclass.tl.gate first"
            )
    if groupby not in adata.obs.columns:
        raise InputError(
            f"groupby {groupby!r} is not a column of obs; available: {', '.join(map(str, adata.obs.columns))}"
        )
    g = adata.obs[groupby]
    if not isinstance(g.dtype, pd.CategoricalDtype):
        g = g.astype(str).astype("category")
    return g.cat.remove_unused_categories()


# -------------------------------------------------------------------------------------- embedding
@plot_docs("tamclass_embedding.png")
def embedding(
    adata: AnnData,
    basis: str = "umap",
    signatures: str | Sequence[str] | None = None,
    *,
    key_added: str = DEFAULT_KEY,
    color: str | Sequence[str] | None = None,
    ax: Axes | None = None,
    show: bool | None = None,
    save: str | bool | None = None,
    return_fig: bool = False,
    **kwargs,
) -> Axes | list[Axes] | Figure | None:
    """Signature scores (and any obs columns) on an embedding, via :func:`scanpy.pl.embedding`.

    The score columns of ``adata.obsm[f"{key_added}_scores"]`` are exposed as temporary ``obs`` columns
    for the duration of the call and removed afterwards (together with any colour palettes scanpy adds
    for them); the AnnData is left exactly as it was.

    Parameters
    ----------
    adata
        AnnData with ``obsm[f"X_{basis}"]`` and ``obsm[f"{key_added}_scores"]``.
    basis
        Embedding name (``"umap"``, ``"pca"``, ``"tsne"``, ...).
    signatures
        Score columns to plot (default: all scored signatures, or none when only ``color`` is given).
    key_added
        Prefix used by :func:`tamclass.tl.score`.
    color
        Extra ``obs`` columns or genes to plot after the scores (e.g. ``"tamclass_state"``).
    ax
        Matplotlib Axes to draw into (default: a new figure; only for a single panel, as in scanpy).
    {show_save_return}
    **kwargs
        Passed to :func:`scanpy.pl.embedding` (``ncols``, ``cmap``, ``vmax``, ...).

    Returns
    -------
    Axes (list of Axes for several panels), the Figure with ``return_fig=True``, or ``None`` when shown.

    Examples
    --------
    >>> import tamclass as tc
    >>> adata = tc.datasets.demo()
    >>> tc.tl.score(adata)  # doctest: +SKIP
    >>> tc.pl.embedding(adata, "umap", ["Cheng2021_M1", "Cheng2021_M2"])  # doctest: +SKIP
    """
    import scanpy as sc

    adata = as_anndata(adata)
    if f"X_{basis}" not in adata.obsm and basis not in adata.obsm:
        raise InputError(
            f"embedding {basis!r} not found in adata.obsm (have: {', '.join(adata.obsm.keys()) or 'none'}); "
            f"compute it first, e.g. scanpy.tl.{basis}(adata)"
        )
    extra = [color] if isinstance(color, str) else list(color or [])
    # signatures=None: all scores, unless only color= was given
    scores = _scores_frame(adata, key_added, signatures) if signatures is not None or not extra else None

    added: list[str] = []
    titles: list[str] = []
    uns_before = set(adata.uns.keys())
    try:
        if scores is not None:
            for name in scores.columns:
                col = str(name)
                while col in adata.obs.columns:
                    col = f"score: {col}"
                adata.obs[col] = scores[name].to_numpy()
                added.append(col)
                titles.append(str(name))
        colors = added + extra
        if not colors:
            raise InputError("nothing to plot: give signatures= or color=")
        kwargs.setdefault("title", titles + extra if len(colors) > 1 else (titles + extra)[0])
        axes = sc.pl.embedding(adata, basis, color=colors, ax=ax, show=False, **kwargs)
        fig = figure_of(axes[0] if isinstance(axes, list) else axes)
    finally:
        for col in added:
            if col in adata.obs.columns:
                del adata.obs[col]
        for k in set(adata.uns.keys()) - uns_before:
            del adata.uns[k]
    return finish(
        fig, axes, own_figure=ax is None, show=show, save=save, return_fig=return_fig, default_name="tamclass_embedding"
    )


# ------------------------------------------------------------------------------------------ scores
@plot_docs("tamclass_scores.png")
def scores(
    adata: AnnData,
    groupby: str | None = None,
    signatures: str | Sequence[str] | None = None,
    *,
    key_added: str = DEFAULT_KEY,
    standard_scale: str | None = None,
    cmap: str = "viridis",
    annotate: bool | None = None,
    ax: Axes | None = None,
    show: bool | None = None,
    save: str | bool | None = None,
    return_fig: bool = False,
) -> Axes | list[Axes] | Figure | None:
    """Heatmap of the mean signature score per group (groups × signatures).

    Parameters
    ----------
    adata
        AnnData with ``obsm[f"{key_added}_scores"]``.
    groupby
        ``obs`` column to group cells by (default: ``obs[f"{key_added}_celltype"]`` from the gate).
    signatures
        Signatures to show (default: all scored).
    key_added
        Prefix used by :func:`tamclass.tl.score` (and :func:`tamclass.tl.gate` for the default ``groupby``).
    standard_scale
        ``"var"`` scales each signature (column) to [0, 1], ``"group"`` each group (row); default: raw means.
    cmap
        Matplotlib colormap name.
    annotate
        Write the values in the cells (default: when the matrix has at most 200 cells).
    ax
        Matplotlib Axes to draw into (default: a new figure).
    {show_save_return}

    Returns
    -------
    Axes (the Figure with ``return_fig=True``; ``None`` when shown). The plotted matrix is in
    ``ax.tamclass_means`` (a DataFrame) for reuse.

    Examples
    --------
    >>> tc.pl.scores(adata, groupby="leiden", show=False)  # doctest: +SKIP
    """
    adata = as_anndata(adata)
    df = _scores_frame(adata, key_added, signatures)
    g = _groups(adata, groupby, key_added)
    means = df.groupby(g.to_numpy(), observed=True).mean()
    means = means.reindex([c for c in g.cat.categories if c in means.index])
    shown = means.copy()
    if standard_scale == "var":
        rng_ = shown.max(0) - shown.min(0)
        shown = (shown - shown.min(0)) / rng_.replace(0, np.nan)
    elif standard_scale == "group":
        rng_ = shown.max(1) - shown.min(1)
        shown = shown.sub(shown.min(1), axis=0).div(rng_.replace(0, np.nan), axis=0)
    elif standard_scale is not None:
        raise InputError(f"standard_scale must be None, 'var' or 'group', got {standard_scale!r}")

    fig, ax, own = target_axes(ax, (0.45 * shown.shape[1] + 2.5, 0.4 * shown.shape[0] + 1.8))
    im = ax.imshow(shown.to_numpy(dtype=float), aspect="auto", cmap=cmap)
    ax.set_xticks(range(shown.shape[1]), [str(c) for c in shown.columns], rotation=90)
    ax.set_yticks(range(shown.shape[0]), [str(i) for i in shown.index])
    ax.set_ylabel(g.name if groupby is None else groupby)
    if annotate is None:
        annotate = shown.size <= 200
    if annotate:
        values = means.to_numpy(dtype=float)
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=7, color="w")
    label = "mean score" + (f" (scaled per {standard_scale})" if standard_scale else "")
    fig.colorbar(im, ax=ax, label=label, shrink=0.8)
    ax.tamclass_means = means  # type: ignore[attr-defined]  # the plotted table, for tests and users
    return finish(fig, ax, own_figure=own, show=show, save=save, return_fig=return_fig, default_name="tamclass_scores")


# ----------------------------------------------------------------------------- score distribution
@plot_docs("tamclass_score_distribution.png")
def score_distribution(
    adata: AnnData,
    groupby: str | None = None,
    signatures: str | Sequence[str] | None = None,
    *,
    key_added: str = DEFAULT_KEY,
    kind: str = "violin",
    ncols: int = 3,
    ax: Axes | None = None,
    show: bool | None = None,
    save: str | bool | None = None,
    return_fig: bool = False,
) -> Axes | list[Axes] | Figure | None:
    """Violin (or box) plots of signature scores per group, one panel per signature.

    Parameters
    ----------
    adata
        AnnData with ``obsm[f"{key_added}_scores"]``.
    groupby
        ``obs`` column (default: ``obs[f"{key_added}_celltype"]``).
    signatures
        Signatures to plot (default: all scored; give a few for readability).
    key_added
        Prefix used by :func:`tamclass.tl.score`.
    kind
        ``"violin"`` or ``"box"``.
    ncols
        Panels per row.
    ax
        Matplotlib Axes to draw into (default: a new figure; only with a single signature).
    {show_save_return}

    Returns
    -------
    Axes (one signature) or list of Axes; the Figure with ``return_fig=True``; ``None`` when shown.

    Examples
    --------
    >>> tc.pl.score_distribution(adata, "leiden", ["Cheng2021_M1", "Cheng2021_M2"], show=False)  # doctest: +SKIP
    """
    import matplotlib.pyplot as plt

    if kind not in ("violin", "box"):
        raise InputError(f"kind must be 'violin' or 'box', got {kind!r}")
    adata = as_anndata(adata)
    df = _scores_frame(adata, key_added, signatures)
    g = _groups(adata, groupby, key_added)
    cats = list(g.cat.categories)
    n = df.shape[1]
    if ax is not None:
        if n != 1:
            raise InputError("ax= can only be used with a single signature; pass signatures='NAME'")
        axes = [ax]
        fig = figure_of(ax)
    else:
        nc = min(ncols, n)
        nr = int(np.ceil(n / nc))
        fig, grid = plt.subplots(nr, nc, figsize=(max(3.0, 0.5 * len(cats) + 1.5) * nc, 3.2 * nr), squeeze=False)
        axes = list(grid.ravel())
        for extra in axes[n:]:
            extra.set_visible(False)
        axes = axes[:n]
    codes = g.to_numpy()
    for a, name in zip(axes, df.columns, strict=True):
        values = df[name].to_numpy(dtype=float)
        data = [values[(codes == c) & np.isfinite(values)] for c in cats]
        keep = [i for i, d in enumerate(data) if len(d)]
        pos = np.arange(1, len(keep) + 1)
        if kind == "violin" and keep:
            vdata = [
                data[i] if np.ptp(data[i]) > 0 else data[i] + np.array([0.0] * (len(data[i]) - 1) + [1e-9])
                for i in keep
            ]
            a.violinplot(vdata, positions=pos, showmedians=True)
        elif keep:
            a.boxplot([data[i] for i in keep], positions=pos, showfliers=False)
        a.set_xticks(pos, [str(cats[i]) for i in keep], rotation=90)
        a.set_title(str(name))
        a.set_ylabel("score")
    if ax is None:
        fig.tight_layout()
    return finish(
        fig,
        axes[0] if len(axes) == 1 else axes,
        own_figure=ax is None,
        show=show,
        save=save,
        return_fig=return_fig,
        default_name="tamclass_score_distribution",
    )


# ------------------------------------------------------------------------------------ polarization
@plot_docs("tamclass_polarization.png")
def polarization(
    adata: AnnData,
    groupby: str | None = None,
    *,
    key_added: str = DEFAULT_KEY,
    bins: int = 30,
    ax: Axes | None = None,
    show: bool | None = None,
    save: str | bool | None = None,
    return_fig: bool = False,
) -> Axes | list[Axes] | Figure | None:
    """Distribution of the macrophage polarization index (``obs[f"{key_added}_polarization"]``, in [-1, 1]).

    Negative = M1-like, positive = M2-like; non-macrophages (NaN) are left out. Without ``groupby`` a
    histogram over all macrophages; with ``groupby`` one violin per group (e.g. per sample).

    Parameters
    ----------
    adata
        AnnData with ``obs[f"{key_added}_polarization"]`` (from :func:`tamclass.tl.classify`).
    groupby
        ``obs`` column: one violin per group (default: one histogram of all macrophages).
    key_added
        Prefix used by :func:`tamclass.tl.classify`.
    bins
        Histogram bins over [-1, 1].
    ax
        Matplotlib Axes to draw into (default: a new figure).
    {show_save_return}

    Returns
    -------
    Axes; the Figure with ``return_fig=True``; ``None`` when shown.

    Examples
    --------
    >>> tc.pl.polarization(adata, groupby="sample", show=False)  # doctest: +SKIP
    """
    adata = as_anndata(adata)
    col = keys(key_added).polarization
    if col not in adata.obs.columns:
        raise InputError(f"obs[{col!r}] not found; run tamclass.tl.classify(adata, key_added={key_added!r}) first")
    values = pd.to_numeric(adata.obs[col], errors="coerce").to_numpy(dtype=float)
    ok = np.isfinite(values)
    fig, ax, own = target_axes(ax, (5, 3.5))
    if groupby is None:
        ax.hist(values[ok], bins=list(np.linspace(-1, 1, bins + 1)), color="0.4")
        ax.set_xlabel("polarization index (M1-like < 0 < M2-like)")
        ax.set_ylabel("macrophages")
    else:
        g = _groups(adata, groupby, key_added)
        codes = g.to_numpy()
        cats = [c for c in g.cat.categories if np.any(ok & (codes == c))]
        data = [values[ok & (codes == c)] for c in cats]
        if data:
            ax.violinplot(
                [d if np.ptp(d) > 0 else np.append(d[:-1], d[-1] + 1e-9) for d in data],
                positions=np.arange(1, len(data) + 1),
                showmedians=True,
            )
        ax.set_xticks(np.arange(1, len(cats) + 1), [str(c) for c in cats], rotation=90)
        ax.set_ylabel("polarization index")
        ax.set_ylim(-1.05, 1.05)
    ax.axvline(0, color="k", lw=0.5) if groupby is None else ax.axhline(0, color="k", lw=0.5)
    ax.set_title(f"macrophage polarization (n = {int(ok.sum()):,})")
    return finish(
        fig, ax, own_figure=own, show=show, save=save, return_fig=return_fig, default_name="tamclass_polarization"
    )
