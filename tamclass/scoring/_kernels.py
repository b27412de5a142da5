"""numba kernels over CSR row chunks (``indptr, indices, data``); no AnnData, no pandas.

All kernels are pure: they read a chunk and a few plan arrays and write into an output array
owned by the caller, so they can be mapped over dask blocks unchanged. Parallel ones use
``prange`` over rows; per-row results never depend on other rows.
"""
from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["csr_arrays", "column_sums", "linear_accumulate", "ucell_accumulate", "aucell_accumulate"]


def csr_arrays(chunk):
    """``(indptr int64, indices int32, data)`` of a CSR chunk: one index dtype for every input, so each
    kernel compiles only once per data dtype (float32 / float64)."""
    return chunk.indptr.astype(np.int64, copy=False), chunk.indices.astype(np.int32, copy=False), chunk.data


@nb.njit(cache=True)
def column_sums(indptr, indices, data, sums, sumsq):  # pragma: no cover - compiled
    """Add per-column sums and sums of squares of a CSR chunk to ``sums``/``sumsq`` (float64).

    Sequential in row order, accumulated in float64 (scipy's ``X.sum(axis=0, dtype="float64")``, which
    scanpy uses, accumulates float32 data in float32; the means differ in the last digits but the
    expression bins built from them are the same in practice, see tests/test_parity.py).
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


@nb.njit(cache=True)
def _ucell_row(i, indptr, indices, data, col_to_union, p_ptr, p_idx, p_w, max_rank, out):  # pragma: no cover
    """One cell of :func:`ucell_accumulate`."""
    s = indptr[i]
    e = indptr[i + 1]
    cv = np.empty(e - s, dtype=np.float64)
    ck = np.empty(e - s, dtype=np.int64)
    m = 0
    for k in range(s, e):
        if data[k] != 0 and col_to_union[indices[k]] >= 0:
            cv[m] = data[k]
            ck[m] = k
            m += 1
    if m == 0:
        return
    cv = cv[:m]
    order = np.argsort(cv)
    cs = cv[order]
    gt = np.zeros(m + 1, dtype=np.int64)
    eq = np.zeros(m + 1, dtype=np.int64)
    c_lo = cs[0]
    c_hi = cs[m - 1]
    for k in range(s, e):
        w = np.float64(data[k])
        if w == 0 or w < c_lo:
            continue  # below every candidate: ranks no candidate
        if w > c_hi:
            gt[m] += 1
            continue
        if w == c_lo:  # fast path: the smallest candidate value (often the big count-1 tie)
            eq[0] += 1
            continue
        p = np.searchsorted(cs, w, side="left")
        gt[p] += 1
        if p < m and cs[p] == w:
            eq[p] += 1
    # suffix sums: greater[j] = sum_{t > j} gt[t]
    acc = 0
    greater = np.empty(m, dtype=np.int64)
    for t in range(m, 0, -1):
        acc += gt[t]
        greater[t - 1] = acc
    start = 0
    for t in range(m):
        if t > 0 and cs[t] != cs[t - 1]:
            start = t
        r = greater[t] + (eq[start] + 1) / 2.0
        if r <= max_rank:
            d = r - max_rank
            u = col_to_union[indices[ck[order[t]]]]
            for q in range(p_ptr[u], p_ptr[u + 1]):
                out[i, p_idx[q]] += p_w[q] * d


@nb.njit(parallel=True, cache=True)
def ucell_accumulate(indptr, indices, data, col_to_union, p_ptr, p_idx, p_w, max_rank, out):  # pragma: no cover - compiled
    """UCell rank sums, relative to ``max_rank``, of the union genes in each cell.

    Per cell the non-zero values are ranked in decreasing order with average ranks for ties
    (``scipy.stats.rankdata(-x, "average")`` as in pyucell); a rank above ``max_rank`` (a tied
    group is kept or dropped as a whole, by its average rank) and a zero count as ``max_rank``.
    ``out[i, p] += sum_u P[u, p] * (rank_u - max_rank)`` over union genes ranked within ``max_rank``;
    the caller adds ``n_genes_p * max_rank``. Only the cell's union genes are sorted; every other
    value is located among them by binary search (no sort of the whole row).
    """
    n_rows = indptr.size - 1
    for i in nb.prange(n_rows):
        _ucell_row(i, indptr, indices, data, col_to_union, p_ptr, p_idx, p_w, max_rank, out)


_BLOCK = 64  # rows per parallel task; per-task scratch buffers are allocated once per block


@nb.njit(cache=True)
def _aucell_row(i, indptr, indices, data, col_to_union, union_cols, pos, p_ptr, p_idx, p_w, n_up, n_vars, out, present):  # pragma: no cover
    """One cell of :func:`aucell_accumulate`; ``present`` is an all-False scratch array (left all-False)."""
    n_union = union_cols.size
    s = indptr[i]
    e = indptr[i + 1]
    nnz = 0
    npos = 0
    m = 0
    for k in range(s, e):
        v = data[k]
        if v != 0:
            nnz += 1
            if v > 0:
                npos += 1
            if col_to_union[indices[k]] >= 0:
                m += 1
    zeros_matter = npos + 1 < n_up
    if m == 0 and not zeros_matter:
        return
    nzero = n_vars - nnz
    cv = np.empty(m, dtype=np.float64)
    cp = np.empty(m, dtype=np.int64)
    ck = np.empty(m, dtype=np.int64)
    j = 0
    for k in range(s, e):
        if data[k] != 0:
            u = col_to_union[indices[k]]
            if u >= 0:
                cv[j] = data[k]
                cp[j] = pos[indices[k]]
                ck[j] = k
                j += 1
                present[u] = True
    if m > 0:
        o1 = np.argsort(cp)
        o2 = np.argsort(cv[o1], kind="mergesort")
        order = o1[o2]
        cs = cv[order]
        cps = cp[order]
        gt = np.zeros(m + 1, dtype=np.int64)
        tie = np.zeros(m + 1, dtype=np.int64)
        c_lo = cs[0]
        c_hi = cs[m - 1]
        q_lo = np.searchsorted(cs, c_lo, side="right")
        for k in range(s, e):
            w = np.float64(data[k])
            if w == 0 or w < c_lo:
                continue  # below every candidate: ranks no candidate
            if w > c_hi:
                gt[m] += 1
                continue
            if w == c_lo:  # fast path: the smallest candidate value (often the big count-1 tie)
                t = np.searchsorted(cps[:q_lo], pos[indices[k]], side="right")
                if t < q_lo:
                    tie[t] += 1
                continue
            p = np.searchsorted(cs, w, side="left")
            gt[p] += 1
            if p < m and cs[p] == w:
                q = np.searchsorted(cs, w, side="right")
                t = p + np.searchsorted(cps[p:q], pos[indices[k]], side="right")
                if t < q:
                    tie[t] += 1
        acc = 0
        greater = np.empty(m, dtype=np.int64)
        for t in range(m, 0, -1):
            acc += gt[t]
            greater[t - 1] = acc
        run = 0
        for t in range(m):
            if t > 0 and cs[t] != cs[t - 1]:
                run = 0
            run += tie[t]
            rank = greater[t] + run + 1
            if cs[t] < 0:
                rank += nzero
            if rank < n_up:
                u = col_to_union[indices[ck[order[t]]]]
                c = np.float64(n_up - rank)
                for q in range(p_ptr[u], p_ptr[u + 1]):
                    out[i, p_idx[q]] += p_w[q] * c
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
    for t in range(m):  # reset the scratch marks
        present[col_to_union[indices[ck[t]]]] = False


@nb.njit(parallel=True, cache=True)
def aucell_accumulate(indptr, indices, data, col_to_union, union_cols, pos, p_ptr, p_idx, p_w, n_up, n_vars, out):  # pragma: no cover
    """AUCell recovery areas of the union genes in each cell.

    Per cell genes get ordinal ranks of decreasing expression over *all* ``n_vars`` genes, ties
    broken by the gene's position ``pos`` in a seeded shuffle (decoupler's ``_break_ties`` +
    ``rankdata(-x, "ordinal")``). The recovery-curve AUC of a set up to ``n_up`` equals
    ``sum over set genes with rank < n_up of (n_up - rank)``; this adds ``P[u, p] * (n_up - rank_u)``.
    Only the cell's union genes are sorted (by value, then shuffle position); every other value is
    located among them by binary search, which also counts tied genes earlier in the shuffle.
    Parallel over blocks of rows; each row is computed by the plain (non-parallel) ``_aucell_row``.
    """
    n_rows = indptr.size - 1
    n_blocks = (n_rows + _BLOCK - 1) // _BLOCK
    for b in nb.prange(n_blocks):
        present = np.zeros(union_cols.size, dtype=np.bool_)  # scratch owned by this block
        for i in range(b * _BLOCK, min((b + 1) * _BLOCK, n_rows)):
            _aucell_row(i, indptr, indices, data, col_to_union, union_cols, pos, p_ptr, p_idx, p_w, n_up, n_vars, out, present)
