"""Global per-gene statistics: the first pass of the methods that depend on all cells."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from ._kernels import column_sums, csr_arrays

__all__ = ["ColumnStats"]


class ColumnStats:
    """Running per-gene sums over streamed CSR chunks (float64, in row order).

    ``mean`` is scanpy's gene mean over all cells; ``var`` uses ``ddof=1`` like ``sc.pp.scale``.
    Partial results from independent blocks combine with :meth:`merge` (the dask seam).
    """

    def __init__(self, n_vars: int):
        self.n_vars = int(n_vars)
        self.n = 0
        self.sums = np.zeros(self.n_vars, dtype=np.float64)
        self.sumsq = np.zeros(self.n_vars, dtype=np.float64)

    def update(self, chunk: sp.csr_matrix) -> ColumnStats:
        column_sums(*csr_arrays(chunk), self.sums, self.sumsq)
        self.n += chunk.shape[0]
        return self

    def merge(self, other: ColumnStats) -> ColumnStats:
        self.sums += other.sums
        self.sumsq += other.sumsq
        self.n += other.n
        return self

    @property
    def mean(self) -> np.ndarray:
        return self.sums / self.n

    @property
    def var(self) -> np.ndarray:
        if self.n < 2:
            return np.zeros(self.n_vars)
        mean = self.mean
        var = (self.sumsq - self.n * mean * mean) / (self.n - 1)
        return np.maximum(var, 0.0)
