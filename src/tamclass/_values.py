"""Row blocks as the kernels take them, and the one check of their values (adapter layer, no AnnData).

* :func:`to_csr` turns any row block (dense, any sparse) into a canonical float CSR matrix.
* :func:`check_values` finds the first NaN/inf (or, for rank-based methods, negative) value of a block and
  raises :class:`BadValue` with its row and column; it runs in the calling thread or inside a dask task on a
  worker, which holds no cell or gene names.
* :func:`value_error` turns a :class:`BadValue` into the tamclass error, naming the cell and the gene.
* :func:`guess_normalization` tells counts, log-normalised and scaled values apart from a sample block.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._errors import InputError, NormalizationError

__all__ = ["BadValue", "check_values", "guess_normalization", "lognorm_rows", "to_csr", "value_error"]

#: largest value still plausible for log1p of a per-cell normalised matrix
#: (log1p(1e6) = 13.8 for CPM; leave room for unusual target sums)
_LOG_MAX = 30.0


def to_csr(block) -> sp.csr_matrix:
    """Convert a row block (dense / any sparse / sparse array) to a canonical float CSR matrix."""
    if sp.issparse(block):
        m = block.tocsr() if block.format != "csr" else block
        if not isinstance(m, sp.csr_matrix):
            m = sp.csr_matrix(m)
    else:
        arr = np.asarray(block)
        if arr.ndim == 1:
            arr = arr[None, :]
        m = sp.csr_matrix(arr)
    if m.dtype.kind != "f":
        m = m.astype(np.float64)
    elif m.dtype not in (np.float32, np.float64):
        m = m.astype(np.float64)
    if not m.has_canonical_format:
        m = m.copy()
        m.sum_duplicates()
    return m


def lognorm_rows(chunk: sp.csr_matrix, target_sum: float = 1e4) -> sp.csr_matrix:
    """log1p(counts / total * target_sum) per cell (rows with zero total stay zero)."""
    totals = np.asarray(chunk.sum(axis=1), dtype=np.float64).ravel()
    scale = np.divide(target_sum, totals, out=np.zeros_like(totals), where=totals > 0)
    out = chunk.astype(np.float64, copy=True)
    out.data *= np.repeat(scale, np.diff(out.indptr))
    np.log1p(out.data, out=out.data)
    return out


class BadValue(Exception):
    """The first NaN/inf (``"nonfinite"``) or negative (``"negative"``) value of a block: kind, row, column, value.

    Picklable (all constructor arguments are kept in ``args``) so it crosses process boundaries; turned into
    the proper tamclass error with cell and gene names by :func:`value_error` (workers do not hold ``obs_names``).
    """

    def __init__(self, kind: str, row: int, col: int, value: float):
        super().__init__(kind, int(row), int(col), float(value))


def check_values(chunk: sp.csr_matrix, offset: int = 0, nonnegative: bool = False) -> None:
    """Raise :class:`BadValue` at the first non-finite value of a CSR block (or negative one, with ``nonnegative``).

    ``offset`` is the block's first row in the whole matrix.
    """
    data = chunk.data
    if not data.size:
        return
    bad = ~np.isfinite(data)
    kind = "nonfinite"
    if not bad.any() and nonnegative:
        bad = data < 0
        kind = "negative"
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        row = int(np.searchsorted(chunk.indptr, k, side="right") - 1)
        raise BadValue(kind, offset + row, int(chunk.indices[k]), float(data[k]))


def value_error(err: BadValue, source, method_name: str | None = None) -> Exception:
    """The error to raise for ``err``, naming the cell and gene of ``source`` (its ``where``, names and index)."""
    kind, row, col, value = err.args
    cell = source.obs_names[row] if row < len(source.obs_names) else row
    gene = source.var_index[col] if col < len(source.var_index) else col
    if kind == "negative":
        return NormalizationError(
            f"method={method_name!r} ranks expression within each cell and needs non-negative values, but "
            f"{source.where} has {value:.3g} in cell {cell!r}, gene {gene!r} (scaled data?); score the "
            "log-normalised or count matrix instead (use_raw=True or layer=...)"
        )
    return InputError(
        f"the expression matrix ({source.where}) contains non-finite values "
        f"(first: {value} in cell {cell!r}, gene {gene!r}); "
        "replace NaN/inf (e.g. with 0) or re-run the normalisation before scoring"
    )


def guess_normalization(block: sp.csr_matrix) -> str:
    """``"counts"`` / ``"log1p"`` / ``"scaled"`` / ``"unknown"`` from the values of a sample block.

    See :func:`tamclass.pp.detect_normalization` for what each answer means.
    """
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
