"""numba kernels over CSR row chunks (``indptr, indices, data``); no AnnData, no pandas.

All kernels are pure: they read a chunk and a few plan arrays and write into an output array
owned by the caller, so they can be mapped over dask blocks unchanged. Parallel ones use
``prange`` over rows; per-row results never depend on other rows.
"""
from __future__ import annotations

import numba as nb
import numpy as np

__all__ = ["csr_arrays", "column_sums", "linear_accumulate", "ucell_accumulate", "aucell_accumulate", "slot_accumulate"]


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


@nb.njit(inline="always")
def _lower_bound(a, lo, n, x):  # pragma: no cover - compiled
    """First index ``i`` in ``[lo, lo + n]`` with ``a[i] >= x`` (``a[lo:lo+n]`` ascending); branch-free
    halving (``np.searchsorted(a[lo:lo+n], x, "left") + lo`` without the slice and call overhead)."""
    if n == 0:
        return lo
    base = lo
    while n > 1:
        half = n >> 1
        if a[base + half] < x:
            base += half
        n -= half
    if a[base] < x:
        base += 1
    return base


@nb.njit(inline="always")
def _upper_bound(a, lo, n, x):  # pragma: no cover - compiled
    """First index ``i`` in ``[lo, lo + n]`` with ``a[i] > x`` (``searchsorted(..., "right")``)."""
    if n == 0:
        return lo
    base = lo
    while n > 1:
        half = n >> 1
        if a[base + half] <= x:
            base += half
        n -= half
    if a[base] <= x:
        base += 1
    return base


@nb.njit(cache=True)
def _aucell_row(i, indptr, indices, data, col_to_union, union_cols, pos, p_ptr, p_idx, p_w, n_up, n_vars, out,
                present, cv, cp, ck, cs, cps, cks, gt, tie, gend, nzpos, dv, gs, lp, tie_lo, tbl):  # pragma: no cover
    """One cell of :func:`aucell_accumulate`. ``present`` is an all-False scratch array (left all-False);
    ``cv .. nzpos`` are scratch buffers at least as long as the row's stored values (+1)."""
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
            u = col_to_union[indices[k]]
            if u >= 0:
                cv[m] = v
                cp[m] = pos[indices[k]]
                ck[m] = k
                m += 1
                present[u] = True
    zeros_matter = npos + 1 < n_up
    if m == 0 and not zeros_matter:
        return
    nzero = n_vars - nnz
    if m > 0:
        # candidates sorted by (value, shuffle position)
        o1 = np.argsort(cp[:m])
        o2 = np.argsort(cv[:m][o1], kind="mergesort")
        for t in range(m):
            j = o1[o2[t]]
            cs[t] = cv[j]
            cps[t] = cp[j]
            cks[t] = ck[j]
            gt[t] = 0
            tie[t] = 0
        gt[m] = 0
        # gend[t]: end of the tie group of candidate t
        g = m
        for t in range(m - 1, -1, -1):
            if t < m - 1 and cs[t] != cs[t + 1]:
                g = t + 1
            gend[t] = g
        # distinct candidate values (ascending) and the first candidate of each
        ng = 0
        for t in range(m):
            if t == 0 or cs[t] != cs[t - 1]:
                dv[ng] = cs[t]
                gs[ng] = t
                ng += 1
        c_lo = cs[0]
        c_hi = cs[m - 1]
        q_lo = gend[0]
        # The lowest candidate value is usually the row's big tie (count 1): genes tied with it are
        # placed among its candidates by shuffle position through a bucket table over positions
        # (``tbl[b]`` = first candidate whose position is in bucket >= b) instead of a binary search.
        shift = 0
        while (n_vars >> shift) > 8 * q_lo:
            shift += 1
        nb_ = (n_vars >> shift) + 1
        for t in range(q_lo):
            lp[t] = cps[t]
            tie_lo[t] = 0
        lp[q_lo] = n_vars  # sentinel above every position
        tie_lo[q_lo] = 0
        t = 0
        for b in range(nb_):
            while t < q_lo and (lp[t] >> shift) < b:
                t += 1
            tbl[b] = t
        for k in range(s, e):
            w = np.float64(data[k])
            if w == c_lo:
                pg = pos[indices[k]]
                t = tbl[pg >> shift]
                while lp[t] <= pg:
                    t += 1
                tie_lo[t] += 1
                continue
            if w == 0 or w < c_lo:
                continue  # below every candidate: ranks no candidate
            if w > c_hi:
                gt[m] += 1
                continue
            g = _lower_bound(dv, 0, ng, w)
            p = gs[g]
            gt[p] += 1
            if dv[g] == w:
                q = gend[p]
                t = _upper_bound(cps, p, q - p, pos[indices[k]])
                if t < q:
                    tie[t] += 1
        for t in range(q_lo):
            tie[t] += tie_lo[t]
        greater = 0
        run = 0
        for t in range(m - 1, -1, -1):  # greater = sum of gt[t+1 .. m]
            greater += gt[t + 1]
            gend[t] = greater  # reuse gend as "greater" (gend[t] no longer needed after t)
        for t in range(m):
            if t > 0 and cs[t] != cs[t - 1]:
                run = 0
            run += tie[t]
            rank = gend[t] + run + 1
            if cs[t] < 0:
                rank += nzero
            if rank < n_up:
                u = col_to_union[indices[cks[t]]]
                c = np.float64(n_up - rank)
                for q in range(p_ptr[u], p_ptr[u + 1]):
                    out[i, p_idx[q]] += p_w[q] * c
    if zeros_matter:
        j = 0
        for k in range(s, e):
            if data[k] != 0:
                nzpos[j] = pos[indices[k]]
                j += 1
        nzs = nzpos[:nnz]
        nzs.sort()
        for u in range(n_union):
            if present[u]:
                continue
            pg = pos[union_cols[u]]
            before = _lower_bound(nzs, 0, nnz, pg)
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
    located among them by one binary search (a second, within its tie group, for values tied with a
    union gene: it counts the tied genes earlier in the shuffle). Integer counts only, so results do
    not depend on thread count or chunking. Parallel over blocks of rows with per-block scratch
    buffers; each row is computed by the plain (non-parallel) ``_aucell_row``.
    """
    n_rows = indptr.size - 1
    n_blocks = (n_rows + _BLOCK - 1) // _BLOCK
    for b in nb.prange(n_blocks):
        r0 = b * _BLOCK
        r1 = min((b + 1) * _BLOCK, n_rows)
        width = 1
        for i in range(r0, r1):
            width = max(width, indptr[i + 1] - indptr[i] + 1)
        present = np.zeros(union_cols.size, dtype=np.bool_)  # scratch owned by this block
        cv = np.empty(width, dtype=np.float64)
        cs = np.empty(width, dtype=np.float64)
        cp = np.empty(width, dtype=np.int64)
        ck = np.empty(width, dtype=np.int64)
        cps = np.empty(width, dtype=np.int64)
        cks = np.empty(width, dtype=np.int64)
        gt = np.empty(width, dtype=np.int64)
        tie = np.empty(width, dtype=np.int64)
        gend = np.empty(width, dtype=np.int64)
        nzpos = np.empty(width, dtype=np.int64)
        dv = np.empty(width, dtype=np.float64)
        gs = np.empty(width, dtype=np.int64)
        lp = np.empty(width + 1, dtype=np.int64)
        tie_lo = np.empty(width + 1, dtype=np.int64)
        tbl = np.empty(8 * width + 2, dtype=np.int64)
        for i in range(r0, r1):
            _aucell_row(i, indptr, indices, data, col_to_union, union_cols, pos, p_ptr, p_idx, p_w, n_up, n_vars, out,
                        present, cv, cp, ck, cs, cps, cks, gt, tie, gend, nzpos, dv, gs, lp, tie_lo, tbl)


_LIN_BLOCK = 256  # rows per parallel task of slot_accumulate


@nb.njit(parallel=True, cache=True)
def slot_accumulate(indptr, indices, data, slot_idx, slot_w, ex_idx, ex_w, out):  # pragma: no cover - compiled
    """``out += X @ W`` for a CSR chunk, with ``W`` (n_vars x n_parts) stored per gene ``j`` as two
    dense slots (parts ``slot_idx[4j], slot_idx[4j + 1]``, weights ``slot_w[2j], slot_w[2j + 1]``; an
    empty slot points at one of 16 dummy parts ``n_parts ..`` with weight 0) and, for genes in more
    than two parts, an overflow ``ex_idx/ex_w[slot_idx[4j + 2] : slot_idx[4j + 2] + slot_idx[4j + 3]]``
    (flat C-order arrays: 1-D indexing compiles to tighter code than 2-D).

    The same sums as :func:`linear_accumulate` (every part receives its genes' terms in the same
    order, so results are bit-identical) with one 16-byte index row and one 16-byte weight row per
    non-zero and no data-dependent inner loop; each row accumulates in a small local buffer.
    Parallel over blocks of rows.
    """
    n_rows = indptr.size - 1
    n_parts = out.shape[1]
    n_blocks = (n_rows + _LIN_BLOCK - 1) // _LIN_BLOCK
    for b in nb.prange(n_blocks):
        acc = np.zeros(n_parts + 16, dtype=np.float64)
        for i in range(b * _LIN_BLOCK, min((b + 1) * _LIN_BLOCK, n_rows)):
            acc[:] = 0.0
            for k in range(indptr[i], indptr[i + 1]):
                j = np.intp(indices[k])
                v = np.float64(data[k])
                j4 = j * 4
                j2 = j * 2
                acc[np.intp(slot_idx[j4])] += v * slot_w[j2]
                acc[np.intp(slot_idx[j4 + 1])] += v * slot_w[j2 + 1]
                n_ex = slot_idx[j4 + 3]
                if n_ex > 0:
                    q0 = slot_idx[j4 + 2]
                    for q in range(q0, q0 + n_ex):
                        acc[ex_idx[q]] += v * ex_w[q]
            for p in range(n_parts):
                out[i, p] += acc[p]


def weighted_sums(chunk, slots: tuple, n_sets: int) -> np.ndarray:
    """``chunk @ P`` (float64, ``n_rows x n_sets``) for gene weights laid out by ``_sets.slot_parts``.

    Shared by the module and mean kernels; empty ``slots`` (no genes) give zeros.
    """
    out = np.zeros((chunk.shape[0], n_sets), dtype=np.float64)
    if slots:
        indptr, indices, data = csr_arrays(chunk)
        slot_accumulate(indptr, indices, data, *slots, out)
    return out

