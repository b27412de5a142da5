"""``tc.get``: tamclass results in the shapes other tools expect (scanpy's ``sc.get`` convention).

:func:`tamclass.tl.score` writes scores to ``adata.obsm["tamclass_scores"]`` (a cells x signatures
DataFrame), where they are kept together with their provenance and cannot clash with your ``obs``
columns. scanpy's plotting functions look for ``color=`` keys in ``obs`` and ``var_names``; use
:func:`scores_to_obs` (or ``tc.tl.score(..., obs_columns=True)``) to put chosen scores there.
decoupler reads the ``obsm`` table directly::

    import decoupler as dc

    scores = dc.pp.get_obsm(adata, "tamclass_scores")  # an AnnData of scores: sc.pl.* works on it
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from ._errors import InputError
from ._io import as_anndata
from ._keys import DEFAULT_KEY, UNS_OBS_COLUMNS, keys
from ._settings import logger

__all__ = ["scores", "scores_to_obs"]


def _table(adata, key_added: str) -> pd.DataFrame:
    key = keys(key_added).scores
    if key not in adata.obsm:
        raise InputError(f"adata.obsm[{key!r}] not found; run tc.tl.score(adata, key_added={key_added!r}) first")
    table = adata.obsm[key]
    if not isinstance(table, pd.DataFrame):
        raise InputError(f"adata.obsm[{key!r}] is not a DataFrame of scores; re-run tc.tl.score")
    return table


def _names(table: pd.DataFrame, names) -> list[str]:
    if names is None:
        return [str(c) for c in table.columns]
    names = [names] if isinstance(names, str) else list(names)
    missing = [n for n in names if n not in table.columns]
    if missing:
        raise InputError(f"signature(s) {missing} were not scored; scored: {', '.join(map(str, table.columns))}")
    return names


def scores(
    adata, names: str | Sequence[str] | None = None, *, key_added: str = DEFAULT_KEY, mod: str | None = None
) -> pd.DataFrame:
    """The signature scores as a cells x signatures DataFrame (a copy).

    Parameters
    ----------
    adata
        AnnData scored by :func:`tamclass.tl.score` (or a MuData, see ``mod``).
    names
        Signatures to return (default: all scored, in scoring order).
    key_added
        The ``key_added`` given to :func:`tamclass.tl.score`.
    mod
        Modality of a MuData (default ``"rna"``).

    Returns
    -------
    DataFrame indexed by ``obs_names``, one ``float64`` column per signature.

    Examples
    --------
    >>> import tamclass as tc
    >>> adata = tc.datasets.demo()
    >>> tc.tl.score(adata, ["Cheng2021_M1", "Cheng2021_M2"])
    >>> tc.get.scores(adata).columns.tolist()
    ['Cheng2021_M1', 'Cheng2021_M2']
    """
    adata = as_anndata(adata, mod)
    table = _table(adata, key_added)
    return table[_names(table, names)].copy()


def _owned(adata, key_added: str) -> list[str]:
    """Obs columns tamclass wrote earlier (it may replace those, never anything else)."""
    entry = adata.uns.get(key_added)
    owned = entry.get(UNS_OBS_COLUMNS, []) if isinstance(entry, Mapping) else []
    return [str(c) for c in owned]


def check_obs_free(adata, columns: Sequence[str], key_added: str = DEFAULT_KEY) -> None:
    """Raise :class:`~tamclass.errors.InputError` if a column would replace an ``obs`` column tamclass did not write.

    Called before scoring, so a clash fails in a second, not after the work.
    """
    owned = set(_owned(adata, key_added))
    clash = [c for c in columns if c in adata.obs.columns and c not in owned]
    if clash:
        raise InputError(
            f"obs already has column(s) {clash} that tamclass did not write; tamclass never overwrites your "
            "data - pass prefix= (e.g. prefix='tc_'), rename or delete the column(s), or read the scores with "
            "tc.get.scores(adata)"
        )


def scores_to_obs(
    adata,
    names: str | Sequence[str] | None = None,
    *,
    key_added: str = DEFAULT_KEY,
    prefix: str = "",
    mod: str | None = None,
) -> list[str]:
    """Copy signature scores from ``obsm`` into ``obs`` columns, e.g. for ``sc.pl.umap(color=...)``.

    The ``obsm`` table stays the reference; the ``obs`` columns are copies, named ``prefix + name``.
    An ``obs`` column that already exists is replaced only if tamclass wrote it (the names it wrote are
    listed in ``adata.uns[key_added]["obs_columns"]``); any other existing column is an error, and
    nothing is written.

    Parameters
    ----------
    adata
        AnnData scored by :func:`tamclass.tl.score` (or a MuData, see ``mod``).
    names
        Signatures to copy (default: all scored).
    key_added
        The ``key_added`` given to :func:`tamclass.tl.score`.
    prefix
        Prefix of the ``obs`` column names (default none: the column is named like the signature,
        as ``scanpy.tl.score_genes(score_name=...)`` and pyucell name theirs).
    mod
        Modality of a MuData (default ``"rna"``).

    Returns
    -------
    The ``obs`` column names written.

    Raises
    ------
    InputError
        A target column exists in ``obs`` and was not written by tamclass.

    Examples
    --------
    >>> import scanpy as sc, tamclass as tc
    >>> adata = tc.datasets.demo()
    >>> tc.tl.score(adata, ["Cheng2021_M1", "Cheng2021_M2"])
    >>> tc.get.scores_to_obs(adata)
    ['Cheng2021_M1', 'Cheng2021_M2']
    >>> sc.pl.umap(adata, color="Cheng2021_M2", show=False)  # doctest: +SKIP
    """
    adata = as_anndata(adata, mod)
    table = _table(adata, key_added)
    names = _names(table, names)
    if not isinstance(prefix, str):
        raise InputError(f"prefix must be a string, got {prefix!r}")
    columns = [f"{prefix}{n}" for n in names]
    check_obs_free(adata, columns, key_added)
    for name, col in zip(names, columns, strict=False):
        adata.obs[col] = table[name].to_numpy(dtype=float, copy=True)
    if not isinstance(adata.uns.get(key_added), Mapping):
        adata.uns[key_added] = {}
    owned = _owned(adata, key_added)
    adata.uns[key_added][UNS_OBS_COLUMNS] = owned + [c for c in columns if c not in owned]
    logger.info("copied %d score(s) into obs: %s", len(columns), ", ".join(columns))
    return columns
