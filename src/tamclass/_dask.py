"""Dask support: chunk-parallel scoring of a dask-backed AnnData, locally or on a dask cluster.

The scoring kernels (:mod:`tamclass.scoring`) are pure functions ``kernel(csr_chunk, plan) -> ndarray``
whose per-row results never depend on other rows. This module maps them over the row blocks of a
dask array (rechunked to *row blocks x all genes*), so the same ``tc.tl.score`` call runs

* on dask's threaded scheduler (no cluster: the default for a dask array),
* on a ``dask.distributed`` cluster whenever a :class:`distributed.Client` is active
  (``Client(LocalCluster(...))`` or ``Client("tcp://scheduler:8786")``): the blocks are read and scored
  on the workers and only the small cells x signatures score table comes back.

Methods that need global gene statistics (``module``, ``mean``) first reduce per-block column sums and
sums of squares (the same :func:`~tamclass.scoring._kernels.column_sums` kernel, one partial per block,
added on the client in block order, so the result does not depend on the scheduler). These are equal to
the in-memory streaming sums up to floating-point summation order (relative ~1e-16; scores agree to
<= 1e-12). ``rank`` and ``aucell`` scores, and everything ``extract_genes`` returns, are bit-identical to
the in-memory run.

No AnnData here: the API layer (:func:`tamclass.tl.score`, :func:`tamclass._data.extract_genes`) hands
over the resolved :class:`~tamclass._data.MatrixSource`. The two call sites::

    # tamclass/tl/_score.py, in score():
    if _dask.is_dask(source.X):
        values, plan = _dask.score_dask(meth, indexed, source, params, chunk_size=chunk_size)
    # tamclass/_data.py, in extract_genes():
    if is_dask(source.X):
        return extract_dask(source, cols, lognorm=lognorm, chunk_size=chunk_size), list(found), missing
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._errors import InputError, NormalizationError
from ._settings import logger

__all__ = ["is_dask", "row_blocks", "score_dask", "column_stats_dask", "extract_dask"]


def is_dask(X) -> bool:
    """Whether ``X`` is a dask array, including anndata's ``DaskArrayView`` (``adata[mask].X``).

    Never imports dask: if dask is not imported yet, ``X`` cannot be a dask array.
    """
    import sys

    dask_array = sys.modules.get("dask.array")
    if dask_array is None:
        return False
    return isinstance(X, dask_array.Array)


class _BadValue(Exception):
    """Raised inside a block task (on a worker) for a NaN/inf or negative value; turned into the proper
    tamclass error with cell and gene names on the client (workers do not hold ``obs_names``).

    Picklable (all constructor arguments are kept in ``args``) so it crosses process boundaries.
    """

    def __init__(self, kind: str, row: int, col: int, value: float):
        super().__init__(kind, int(row), int(col), float(value))


def row_blocks(X, chunk_size: int | None = None):
    """``X`` rechunked to row blocks spanning all columns (the kernels need whole cells).

    ``chunk_size=None`` keeps the array's own row chunking (only the columns are merged). Unknown
    chunk sizes (e.g. after boolean indexing) are computed first.
    """
    if any(np.isnan(c) for c in X.chunks[0]):
        X = X.compute_chunk_sizes()
    if chunk_size is not None:
        chunk_size = int(chunk_size)
        if chunk_size < 1:
            raise InputError(f"chunk_size must be a positive number of cells, got {chunk_size}")
        if X.chunks[0] != _even(X.shape[0], chunk_size) or len(X.chunks[1]) != 1:
            X = X.rechunk((chunk_size, -1))
    elif len(X.chunks[1]) != 1:
        X = X.rechunk({1: -1})
    return X


def _even(n: int, size: int) -> tuple:
    full, rest = divmod(n, size)
    return (size,) * full + ((rest,) if rest else ())


def _to_csr(block) -> sp.csr_matrix:
    from ._data import to_csr

    if not sp.issparse(block) and not isinstance(block, np.ndarray):
        # pydata/sparse COO, cupy, ... -> scipy / numpy first
        if hasattr(block, "tocsr"):
            block = block.tocsr()
        elif hasattr(block, "get"):
            block = block.get()
        elif hasattr(block, "todense"):
            block = np.asarray(block.todense())
    return to_csr(block)


def _checked(block, offset: int, nonnegative: bool) -> sp.csr_matrix:
    """Canonical CSR of a block; raise :class:`_BadValue` at the first non-finite (or negative) value."""
    chunk = _to_csr(block)
    data = chunk.data
    if data.size:
        bad = ~np.isfinite(data)
        kind = "nonfinite"
        if not bad.any() and nonnegative:
            bad = data < 0
            kind = "negative"
        if bad.any():
            k = int(np.flatnonzero(bad)[0])
            row = int(np.searchsorted(chunk.indptr, k, side="right") - 1)
            raise _BadValue(kind, offset + row, int(chunk.indices[k]), float(data[k]))
    return chunk


def _stats_block(block, offset: int, n_vars: int) -> np.ndarray:
    """Column sums and sums of squares (2 x n_vars, float64) of one block."""
    from .scoring._kernels import column_sums

    chunk = _checked(block, offset, False)
    out = np.zeros((2, n_vars), dtype=np.float64)
    column_sums(chunk.indptr, chunk.indices, chunk.data, out[0], out[1])
    return out


def _score_block(block, plan, kernel, offset: int, nonnegative: bool) -> np.ndarray:
    return np.asarray(kernel(_checked(block, offset, nonnegative), plan), dtype=np.float64)


def _extract_block(block, offset: int, cols: np.ndarray, lognorm: bool) -> np.ndarray:
    from ._data import _lognorm_rows

    chunk = _checked(block, offset, False)
    if lognorm:
        chunk = _lognorm_rows(chunk)
    if not len(cols):
        return np.zeros((chunk.shape[0], 0), dtype=np.float32)
    return chunk[:, cols].toarray().astype(np.float32, copy=False)


def _delayed_blocks(X, chunk_size):
    """``[(delayed_block, row_offset), ...]`` of the row blocks of ``X``."""
    X = row_blocks(X, chunk_size)
    blocks = X.to_delayed()[:, 0]
    offsets = np.concatenate([[0], np.cumsum(X.chunks[0])[:-1]]).astype(np.int64)
    return list(zip(blocks, offsets.tolist(), strict=False))


def _compute(tasks):
    """Compute a list of delayed tasks on the active scheduler (a distributed Client if one exists)."""
    import dask

    return dask.compute(*tasks)


def _raise_bad(err: _BadValue, source, method_name: str | None):
    kind, row, col, value = err.args
    cell = source.obs_names[row] if row < len(source.obs_names) else row
    gene = source.var_index[col] if col < len(source.var_index) else col
    if kind == "negative":
        raise NormalizationError(
            f"method={method_name!r} ranks expression within each cell and needs non-negative values, but "
            f"{source.where} has {value:.3g} in cell {cell!r}, gene {gene!r} (scaled data?); score the "
            "log-normalised or count matrix instead (use_raw=True or layer=...)"
        ) from None
    raise InputError(
        f"the expression matrix ({source.where}) contains non-finite values "
        f"(first: {value} in cell {cell!r}, gene {gene!r}); "
        "replace NaN/inf (e.g. with 0) or re-run the normalisation before scoring"
    ) from None


def column_stats_dask(source, *, chunk_size: int | None = None):
    """:class:`~tamclass.scoring.ColumnStats` of a dask matrix: one partial per row block, merged in order."""
    import dask

    from .scoring._stats import ColumnStats

    n_vars = source.n_vars
    pairs = _delayed_blocks(source.X, chunk_size)
    stats_fn = dask.delayed(_stats_block, pure=True)
    tasks = [stats_fn(b, off, n_vars) for b, off in pairs]
    try:
        partials = _compute(tasks)
    except _BadValue as err:
        _raise_bad(err, source, None)
    stats = ColumnStats(n_vars)
    for part in partials:  # in block order: the result does not depend on the scheduler
        stats.sums += part[0]
        stats.sumsq += part[1]
    stats.n = int(source.n_obs)
    return stats


def score_dask(method, sets, source, params: dict, *, chunk_size: int | None = None):
    """Score ``sets`` on a dask-backed matrix, block-parallel, with the method's own kernel.

    Parameters
    ----------
    method
        A :class:`~tamclass.scoring.ScoringMethod` (its ``prepare`` runs on the client, its pure
        ``kernel`` on the workers).
    sets
        :class:`~tamclass.scoring.IndexedSet` list.
    source
        The resolved :class:`~tamclass._data.MatrixSource` whose ``X`` is a dask array.
    params
        Method parameters (as ``tc.tl.score`` passes them to ``prepare``).
    chunk_size
        Cells per block; ``None`` keeps the array's row chunks.

    Returns
    -------
    ``(scores float64 n_obs x n_sets, plan)``, exactly like :func:`tamclass.scoring.score_chunks`.

    Examples
    --------
    >>> import anndata as ad, h5py, tamclass as tc  # doctest: +SKIP
    >>> from dask.distributed import Client
    >>> client = Client("tcp://scheduler:8786")  # or Client(LocalCluster(n_workers=4))
    >>> f = h5py.File("atlas.h5ad", "r")
    >>> adata = ad.AnnData(obs=ad.io.read_elem(f["obs"]), var=ad.io.read_elem(f["var"]))
    >>> adata.X = ad.experimental.read_elem_lazy(f["X"], chunks=(10_000, adata.n_vars))
    >>> tc.tl.score(adata, "default")  # blocks scored on the workers
    >>> adata.obsm["tamclass_scores"]
    """
    import dask

    stats = column_stats_dask(source, chunk_size=chunk_size) if method.needs_stats else None
    plan = method.prepare(sets, source.n_vars, stats=stats, **params)
    pairs = _delayed_blocks(source.X, chunk_size)
    logger.info("scoring %d row blocks with dask (%s)", len(pairs), method.name)
    # the plan enters the graph once (not once per block)
    plan_d = dask.delayed(plan, traverse=False)
    fn = dask.delayed(_score_block, pure=True)
    tasks = [fn(b, plan_d, method.kernel, off, bool(method.nonnegative)) for b, off in pairs]
    try:
        parts = _compute(tasks)
    except _BadValue as err:
        _raise_bad(err, source, method.name)
    out = np.empty((source.n_obs, len(sets)), dtype=np.float64)
    for (_, off), part in zip(pairs, parts, strict=False):
        out[off : off + part.shape[0]] = part
    return out, plan


def extract_dask(source, cols, *, lognorm: bool, chunk_size: int | None = None) -> np.ndarray:
    """Dense ``float32`` cells x ``cols`` of a dask matrix (optionally ``log1p(CP10k)`` per cell first).

    Equals :func:`tamclass._data.extract_genes`'s in-memory result bit for bit (same per-row arithmetic).
    """
    import dask

    cols = np.asarray(cols, dtype=np.int64)
    pairs = _delayed_blocks(source.X, chunk_size)
    fn = dask.delayed(_extract_block, pure=True)
    cols_d = dask.delayed(cols, traverse=False)
    tasks = [fn(b, off, cols_d, bool(lognorm)) for b, off in pairs]
    try:
        parts = _compute(tasks)
    except _BadValue as err:
        _raise_bad(err, source, None)
    out = np.zeros((source.n_obs, len(cols)), dtype=np.float32)
    for (_, off), part in zip(pairs, parts, strict=False):
        out[off : off + part.shape[0]] = part
    return out
