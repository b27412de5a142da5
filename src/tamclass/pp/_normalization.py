"""Guess how an expression matrix was preprocessed, from a sample of its cells."""

from __future__ import annotations

import numpy as np

__all__ = ["detect_normalization"]

#: largest value still plausible for log1p of a per-cell normalised matrix
#: (log1p(1e6) = 13.8 for CPM; leave room for unusual target sums)
_LOG_MAX = 30.0


def detect_normalization(data, *, layer: str | None = None, use_raw: bool | None = None, n_cells: int = 1000) -> str:
    """Guess whether a matrix holds raw counts, log-normalised or scaled values.

    Only the first ``n_cells`` cells are read (cheap for ``backed="r"`` files).

    Parameters
    ----------
    data
        An AnnData (then ``layer``/``use_raw`` pick the matrix like scanpy), a
        :class:`tamclass._data.MatrixSource`, or a cells x genes array / sparse matrix.
    layer, use_raw
        Matrix choice when ``data`` is an AnnData.
    n_cells
        How many cells to inspect.

    Returns
    -------
    ``"counts"``
        all values are non-negative integers (raw UMI / read counts).
    ``"log1p"``
        non-negative, non-integer and at most ~30 (e.g. ``log1p(CP10k)``, as scanpy's
        ``normalize_total`` + ``log1p`` produce).
    ``"scaled"``
        negative values present (e.g. after ``sc.pp.scale``); rank-based scoring is not meaningful.
    ``"unknown"``
        anything else (e.g. non-integer values above 30: CPM/TPM without a log).

    Examples
    --------
    >>> import scanpy as sc, tamclass as tc
    >>> adata = sc.datasets.pbmc68k_reduced()
    >>> tc.pp.detect_normalization(adata)  # .raw is used when present
    'log1p'
    >>> tc.pp.detect_normalization(adata, use_raw=False)  # X was scaled
    'scaled'
    """
    from .._data import MatrixSource, resolve_matrix, to_csr

    if isinstance(data, MatrixSource):
        block = data.row_block(0, min(n_cells, data.n_obs))
    elif hasattr(data, "obs_names") and hasattr(data, "var_names"):
        source = resolve_matrix(data, layer=layer, use_raw=use_raw)
        block = source.row_block(0, min(n_cells, source.n_obs))
    else:
        block = to_csr(data[: min(n_cells, data.shape[0])])
    values = block.data
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "unknown"
    if values.min() < 0:
        return "scaled"
    if np.all(values == np.round(values)):
        return "counts"
    if values.max() <= _LOG_MAX:
        return "log1p"
    return "unknown"
