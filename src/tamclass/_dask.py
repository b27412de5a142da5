"""Dask as an executor of the row-block seam: the blocks of a dask array run as dask tasks, locally or on a cluster.

The engine (:func:`tamclass.scoring.score_chunks`) and the adapter (:func:`tamclass._data.extract_genes`) work on
row blocks through one seam, :class:`tamclass.scoring._blocks.Blocks`: ``map(fn, *shared)`` and
``fold(step, init, merge)``. For a dask array :meth:`tamclass._data.MatrixSource.blocks` returns a
:class:`DaskBlocks`, which runs the same functions on the row blocks of the array (rechunked to *row blocks x all
genes*), so the same ``tc.tl.score`` call runs

* on dask's threaded scheduler (no cluster: the default for a dask array),
* on a ``dask.distributed`` cluster whenever a :class:`distributed.Client` is active
  (``Client(LocalCluster(...))`` or ``Client("tcp://scheduler:8786")``): the blocks are read and scored
  on the workers and only the small cells x signatures score table comes back.

Methods that need global gene statistics (``module``, ``mean``) reduce one partial
:class:`~tamclass.scoring.ColumnStats` per block, merged on the client in block order, so the result does not
depend on the scheduler. These are equal to the in-memory streaming sums up to floating-point summation order
(relative ~1e-16; scores agree to <= 1e-12). ``rank`` and ``aucell`` scores, and everything ``extract_genes``
returns, are bit-identical to the in-memory run. Values are checked inside the tasks with the adapter's one check
(:func:`tamclass._values.check_values`) and reported with cell and gene names on the client.

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

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._errors import InputError
from ._settings import logger
from ._values import BadValue, check_values, to_csr, value_error
from .scoring._blocks import Blocks

__all__ = ["DaskBlocks", "is_dask", "row_blocks"]


def is_dask(X) -> bool:
    """Whether ``X`` is a dask array, including anndata's ``DaskArrayView`` (``adata[mask].X``).

    Never imports dask: if dask is not imported yet, ``X`` cannot be a dask array.
    """
    import sys

    dask_array = sys.modules.get("dask.array")
    if dask_array is None:
        return False
    return isinstance(X, dask_array.Array)


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
    if not sp.issparse(block) and not isinstance(block, np.ndarray):
        # pydata/sparse COO, cupy, ... -> scipy / numpy first
        if hasattr(block, "tocsr"):
            block = block.tocsr()
        elif hasattr(block, "get"):
            block = block.get()
        elif hasattr(block, "todense"):
            block = np.asarray(block.todense())
    return to_csr(block)


def _run_block(block, offset: int, check: bool, nonnegative: bool, fn, *shared):
    """One task: the block as canonical CSR, its values checked (first pass), then ``fn(chunk, *shared)``."""
    chunk = _to_csr(block)
    if check:
        check_values(chunk, offset, nonnegative)
    return fn(chunk, *shared)


def _fold_one(chunk, step, init):
    return step(init(), chunk)


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


class DaskBlocks(Blocks):
    """The row blocks of a dask-backed :class:`~tamclass._data.MatrixSource`, run as dask tasks.

    ``map`` and ``fold`` compute one task per block on the active scheduler (the functions and the ``shared``
    arguments enter the graph once); calling the runner streams the blocks one at a time in the calling thread.
    The first pass checks the values (finite; non-negative when ``nonnegative`` names the method that needs it).
    """

    def __init__(self, source, chunk_size: int | None = None, *, nonnegative: str | None = None):
        self.source = source
        self.nonnegative = nonnegative
        self._pairs = _delayed_blocks(source.X, chunk_size)
        self._check = True
        super().__init__(self._stream)

    def _raise(self, err: BadValue):
        raise value_error(err, self.source, self.nonnegative) from None

    def _stream(self, desc: str):
        check = self._check
        for block, offset in self._pairs:
            chunk = _to_csr(_compute([block])[0])
            if check:
                self.source.check_values(chunk, offset, self.nonnegative)
            yield offset, offset + chunk.shape[0], chunk
        self._check = False

    def _run(self, fn, shared: tuple, desc: str) -> list:
        import dask

        logger.info("%s: %d row blocks with dask", desc, len(self._pairs))
        shared_d = [dask.delayed(obj, traverse=False) for obj in shared]
        task = dask.delayed(_run_block, pure=True)
        check, nonneg = self._check, self.nonnegative is not None
        try:
            parts = _compute([task(b, off, check, nonneg, fn, *shared_d) for b, off in self._pairs])
        except BadValue as err:
            self._raise(err)
        self._check = False
        return list(parts)

    def map(self, fn, *shared, desc: str):
        parts = self._run(fn, shared, desc)
        for (_, offset), part in zip(self._pairs, parts, strict=True):
            yield offset, offset + part.shape[0], part

    def fold(self, step, init, merge, *, desc: str):
        acc = init()
        for part in self._run(_fold_one, (step, init), desc):  # in block order: independent of the scheduler
            acc = merge(acc, part)
        return acc
