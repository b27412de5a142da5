"""numba kernels over CSR row chunks (``indptr, indices, data``); no AnnData, no pandas.

All kernels are pure: they read a chunk and a few plan arrays and write into an output array
owned by the caller, so they can be mapped over dask blocks unchanged. Parallel ones use
``prange`` over rows; per-row results never depend on other rows.
"""
from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["column_sums", "linear_accumulate", "ucell_accumulate", "aucell_accumulate"]


@nb.njit(cache=True)
def column_sums(indptr, indices, data, sums, sumsq):  # pragma: no cover - compiled
    """Add per-column sums and sums of squares of a CSR chunk to ``sums``/``sumsq`` (float64).

    Sequential in row order, like scipy's ``X.sum(axis=0, dtype=float64)``, so the column means
    match scanpy's bit for bit when the whole matrix is streamed in order.
    """
    n_rows = indptr.size - 1
    for i in range(n_rows):
        for k in range(indptr[i], indptr[i + 1]):
            v = np.float64(data[k])
            j = indices[k]
            sums[j] += v
            sumsq[j] += v * v


@nb.njit(parallel=True, cache=True)
def linear_accumulate(indptr, indices, data, col_to_union, P, out):  # pragma: no cover - compiled
    """``out += X[:, union] @ P`` for a CSR chunk, without slicing the chunk."""
    n_rows = indptr.size - 1
    n_parts = P.shape[1]
    for i in nb.prange(n_rows):
        for k in range(indptr[i], indptr[i + 1]):
            u = col_to_union[indices[k]]
            if u >= 0:
                v = np.float64(data[k])
                for p in range(n_parts):
                    w = P[u, p]
                    if w != 0.0:
                        out[i, p] += v * w


@nb.njit(parallel=True, cache=True)
def ucell_accumulate(indptr, indices, data, col_to_union, P, max_rank, out):  # pragma: no cover - compiled
    """UCell rank sums, relative to ``max_rank``, of the union genes in each cell.

    Per cell the non-zero values are ranked in decreasing order with average ranks for ties
    (``scipy.stats.rankdata(-x, "average")`` as in pyucell); a rank above ``max_rank`` (a tied
    group is kept or dropped as a whole, by its average rank) and a zero count as ``max_rank``.
    ``out[i, p] += sum_u P[u, p] * (rank_u - max_rank)`` over union genes ranked within ``max_rank``;
    the caller adds ``n_genes_p * max_rank``.
    """
    n_rows = indptr.size - 1
    n_parts = P.shape[1]
    for i in nb.prange(n_rows):
        s = indptr[i]
        e = indptr[i + 1]
        wanted = False
        nnz = 0
        for k in range(s, e):
            if data[k] != 0:
                nnz += 1
                if col_to_union[indices[k]] >= 0:
                    wanted = True
        if not wanted:
            continue
        buf = np.empty(nnz, dtype=np.float64)
        j = 0
        for k in range(s, e):
            if data[k] != 0:
                buf[j] = -np.float64(data[k])
                j += 1
        buf.sort()
        for k in range(s, e):
            v = data[k]
            if v == 0:
                continue
            u = col_to_union[indices[k]]
            if u < 0:
                continue
            x = -np.float64(v)
            lo = np.searchsorted(buf, x, side="left")
            hi = np.searchsorted(buf, x, side="right")
            r = (lo + 1 + hi) / 2.0
            if r <= max_rank:
                d = r - max_rank
                for p in range(n_parts):
                    w = P[u, p]
                    if w != 0.0:
                        out[i, p] += w * d


@nb.njit(parallel=True, cache=True)
def aucell_accumulate(indptr, indices, data, col_to_union, union_cols, pos, P, n_up, n_vars, out):  # pragma: no cover
    """AUCell recovery areas of the union genes in each cell.

    Per cell genes get ordinal ranks of decreasing expression over *all* ``n_vars`` genes, ties
    broken by the gene's position ``pos`` in a seeded shuffle (decoupler's ``_break_ties`` +
    ``rankdata(-x, "ordinal")``). The recovery-curve AUC of a set up to ``n_up`` equals
    ``sum over set genes with rank < n_up of (n_up - rank)``; this adds ``P[u, p] * (n_up - rank_u)``.
    """
    n_rows = indptr.size - 1
    n_parts = P.shape[1]
    n_union = union_cols.size
    for i in nb.prange(n_rows):
        s = indptr[i]
        e = indptr[i + 1]
        nnz = 0
        npos = 0
        wanted = False
        for k in range(s, e):
            v = data[k]
            if v != 0:
                nnz += 1
                if v > 0:
                    npos += 1
                if col_to_union[indices[k]] >= 0:
                    wanted = True
        zeros_matter = npos + 1 < n_up
        if not wanted and not zeros_matter:
            continue
        nzero = n_vars - nnz
        buf = np.empty(nnz, dtype=np.float64)
        j = 0
        for k in range(s, e):
            if data[k] != 0:
                buf[j] = -np.float64(data[k])
                j += 1
        buf.sort()
        present = np.zeros(n_union, dtype=np.bool_)
        for k in range(s, e):
            v = data[k]
            if v == 0:
                continue
            u = col_to_union[indices[k]]
            if u < 0:
                continue
            present[u] = True
            x = -np.float64(v)
            lo = np.searchsorted(buf, x, side="left")
            base = lo
            if v < 0:
                base += nzero
            if base + 1 >= n_up:
                continue
            hi = np.searchsorted(buf, x, side="right")
            ties_before = 0
            if hi - lo > 1:
                pg = pos[indices[k]]
                for kk in range(s, e):
                    if data[kk] == v and pos[indices[kk]] < pg:
                        ties_before += 1
            rank = base + ties_before + 1
            if rank < n_up:
                c = np.float64(n_up - rank)
                for p in range(n_parts):
                    w = P[u, p]
                    if w != 0.0:
                        out[i, p] += w * c
        if zeros_matter:
            nzpos = np.empty(nnz, dtype=np.int64)
            j = 0
            for k in range(s, e):
                if data[k] != 0:
                    nzpos[j] = pos[indices[k]]
                    j += 1
            nzpos.sort()
            for u in range(n_union):
                if present[u]:
                    continue
                pg = pos[union_cols[u]]
                before = np.searchsorted(nzpos, pg, side="left")
                rank = npos + 1 + (pg - before)
                if rank < n_up:
                    c = np.float64(n_up - rank)
                    for p in range(n_parts):
                        w = P[u, p]
                        if w != 0.0:
                            out[i, p] += w * c
