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
def linear_accumulate(indptr, indices, data, col_to_union, p_ptr, p_idx, p_w, out):  # pragma: no cover - compiled
    """``out += X[:, union] @ P`` for a CSR chunk, without slicing the chunk (``P`` as CSR arrays)."""
    n_rows = indptr.size - 1
    for i in nb.prange(n_rows):
        for k in range(indptr[i], indptr[i + 1]):
            u = col_to_union[indices[k]]
            if u >= 0:
                v = np.float64(data[k])
                for q in range(p_ptr[u], p_ptr[u + 1]):
                    out[i, p_idx[q]] += v * p_w[q]


@nb.njit(parallel=True, cache=True)
def ucell_accumulate(indptr, indices, data, col_to_union, p_ptr, p_idx, p_w, max_rank, out):  # pragma: no cover - compiled
    """UCell rank sums, relative to ``max_rank``, of the union genes in each cell.

    Per cell the non-zero values are ranked in decreasing order with average ranks for ties
    (``scipy.stats.rankdata(-x, "average")`` as in pyucell); a rank above ``max_rank`` (a tied
    group is kept or dropped as a whole, by its average rank) and a zero count as ``max_rank``.
    ``out[i, p] += sum_u P[u, p] * (rank_u - max_rank)`` over union genes ranked within ``max_rank``;
    the caller adds ``n_genes_p * max_rank``.
    """
    n_rows = indptr.size - 1
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
                for q in range(p_ptr[u], p_ptr[u + 1]):
                    out[i, p_idx[q]] += p_w[q] * d


@nb.njit(parallel=True, cache=True)
def aucell_accumulate(indptr, indices, data, col_to_union, union_cols, pos, p_ptr, p_idx, p_w, n_up, n_vars, out):  # pragma: no cover
    """AUCell recovery areas of the union genes in each cell.

    Per cell genes get ordinal ranks of decreasing expression over *all* ``n_vars`` genes, ties
    broken by the gene's position ``pos`` in a seeded shuffle (decoupler's ``_break_ties`` +
    ``rankdata(-x, "ordinal")``). The recovery-curve AUC of a set up to ``n_up`` equals
    ``sum over set genes with rank < n_up of (n_up - rank)``; this adds ``P[u, p] * (n_up - rank_u)``.
    Tied groups are resolved once per distinct value (positions of the group sorted once), not
    once per gene.
    """
    n_rows = indptr.size - 1
    n_union = union_cols.size
    for i in nb.prange(n_rows):
        s = indptr[i]
        e = indptr[i + 1]
        nnz = 0
        npos = 0
        n_cand = 0
        for k in range(s, e):
            v = data[k]
            if v != 0:
                nnz += 1
                if v > 0:
                    npos += 1
                if col_to_union[indices[k]] >= 0:
                    n_cand += 1
        zeros_matter = npos + 1 < n_up
        if n_cand == 0 and not zeros_matter:
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
        # union genes in a tied group that can reach rank < n_up: resolved per distinct value below
        tie_val = np.empty(n_cand, dtype=np.float64)
        tie_k = np.empty(n_cand, dtype=np.int64)
        tie_base = np.empty(n_cand, dtype=np.int64)
        n_tie = 0
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
            if hi - lo > 1:
                tie_val[n_tie] = x
                tie_k[n_tie] = k
                tie_base[n_tie] = base
                n_tie += 1
                continue
            c = np.float64(n_up - (base + 1))
            for q in range(p_ptr[u], p_ptr[u + 1]):
                out[i, p_idx[q]] += p_w[q] * c
        if n_tie > 0:
            order = np.argsort(tie_val[:n_tie])
            a = 0
            while a < n_tie:
                x = tie_val[order[a]]
                b = a
                while b < n_tie and tie_val[order[b]] == x:
                    b += 1
                lo = np.searchsorted(buf, x, side="left")
                hi = np.searchsorted(buf, x, side="right")
                group = np.empty(hi - lo, dtype=np.int64)
                m = 0
                for kk in range(s, e):
                    if data[kk] != 0 and -np.float64(data[kk]) == x:
                        group[m] = pos[indices[kk]]
                        m += 1
                group.sort()
                for t in range(a, b):
                    k = tie_k[order[t]]
                    before = np.searchsorted(group, pos[indices[k]], side="left")
                    rank = tie_base[order[t]] + before + 1
                    if rank < n_up:
                        u = col_to_union[indices[k]]
                        c = np.float64(n_up - rank)
                        for q in range(p_ptr[u], p_ptr[u + 1]):
                            out[i, p_idx[q]] += p_w[q] * c
                a = b
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
                    for q in range(p_ptr[u], p_ptr[u + 1]):
                        out[i, p_idx[q]] += p_w[q] * c
