"""Guess how an expression matrix was preprocessed, from a sample of its cells."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._data import MatrixSource, resolve_matrix
from .._values import guess_normalization, to_csr

if TYPE_CHECKING:
    import numpy as np
    import scipy.sparse as sp
    from anndata import AnnData

__all__ = ["detect_normalization"]


def detect_normalization(
    data: AnnData | MatrixSource | np.ndarray | sp.spmatrix,
    *,
    layer: str | None = None,
    use_raw: bool | None = None,
    n_cells: int = 1000,
) -> str:
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
    if isinstance(data, MatrixSource):
        return data.normalization(n_cells)
    if hasattr(data, "obs_names") and hasattr(data, "var_names"):
        return resolve_matrix(data, layer=layer, use_raw=use_raw).normalization(n_cells)
    return guess_normalization(to_csr(data[: min(n_cells, data.shape[0])]))
