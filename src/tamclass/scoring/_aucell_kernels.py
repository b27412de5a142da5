"""numba kernels of the ``aucell`` method (decoupler-exact AUCell) over CSR row chunks.

A gene's AUCell rank in a cell is its ordinal rank by decreasing value over *all* genes, ties broken
by the gene's position ``pos`` in a seeded shuffle (decoupler's ``_break_ties``). The recovery area of
a set up to ``n_up`` is ``sum over its genes with rank < n_up of (n_up - rank)``, so only the ranks
of the union genes present in the plan are needed, never a full sort of the row.

Two routes per row, with identical results (tests/test_scoring_fast_kernels.py checks them against a
direct ranking and each other):

* **positive rows** (every stored value > 0: normalised counts, the usual input) - one branch-free
  pass splits the row into the values equal to the row minimum (usually the big "count 1" tie),
  kept as a bitmap over shuffle positions, and the larger values, kept as a short list. A union
  gene at the minimum (its bit also set in the plan's union bitmap) ranks after the whole list plus
  the minimum-valued genes earlier in the shuffle (a popcount); a union gene in the list ranks after
  the listed values that are larger, or tied and earlier in the shuffle (one vectorised count).
  Zeros rank after every stored value, in shuffle order.
* **general rows** (stored zeros or negative values) - the union genes are sorted by (value,
  shuffle position) and every stored value is located among them by binary search.

Integer counts only, so results do not depend on thread count or chunking.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numba import types
from numba.extending import intrinsic

from . import _cache
from ._kernels import ROW_BLOCK, positive_row_min, row_block

__all__ = ["aucell_accumulate"]

_ONE = np.uint64(1)
_POS_MASK = 0xFFFFFFFF  # code[j] = pos[j] | (union index + 1) << 32  (0 in the high half: not a union gene)
_UNION_FLAG = 0x100000000


@intrinsic
def _popcount(typingctx, x):  # pragma: no cover - compiled
    """Set bits of a uint64 (LLVM ``ctpop``: one instruction on x86-64)."""

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.int64(types.uint64), codegen


@intrinsic
def _ctz(typingctx, x):  # pragma: no cover - compiled
    """Trailing zero bits of a non-zero uint64 (LLVM ``cttz``)."""

    def codegen(context, builder, signature, args):
        return builder.cttz(args[0], context.get_constant(types.boolean, True))

    return types.int64(types.uint64), codegen


# ----- positive route -----


@nb.njit(inline="always")
def _below(word, bit):  # pragma: no cover - compiled
    """Set bits of ``word`` below ``bit``."""
    return _popcount(word & ((_ONE << np.uint64(bit)) - _ONE))


@nb.njit(inline="always")
def _add_area(i, u, rank, n_up, p_ptr, p_idx, p_w, out):  # pragma: no cover - compiled
    """Add union gene ``u``'s share ``n_up - rank`` of the recovery area to its sets."""
    if rank < n_up:
        c = np.float64(n_up - rank)
        for q in range(p_ptr[u], p_ptr[u + 1]):
            out[i, p_idx[q]] += p_w[q] * c


@nb.njit(cache=True)
def _split_row(s, e, indices, data, bits, code, at_min, av, ap, cu, cl):  # pragma: no cover - compiled
    """One pass over a row of positive values.

    Marks the shuffle positions of the values equal to the row minimum in the bitmap ``at_min`` and lists
    the larger values in ``av`` (value) / ``ap`` (shuffle position); the union genes among the listed values
    go to ``cu`` (union row) / ``cl`` (index into the list). Returns ``(n_listed, n_listed_union)``, or
    ``n_listed = -1`` (having written nothing) when some stored value is <= 0.
    """
    if e == s:
        return 0, 0
    positive, vmin = positive_row_min(data, bits, s, e)
    if not positive:
        return -1, 0
    na = 0
    for k in range(s, e):  # branch-free: every value is written, the counter decides what is kept
        w = data[k]
        p = code[indices[k]] & _POS_MASK
        at_min[p >> 6] |= np.uint64(w == vmin) << np.uint64(p & 63)
        ap[na] = k
        na += w > vmin
    m = 0
    for a in range(na):
        k = ap[a]
        c = code[indices[k]]
        av[a] = np.float64(data[k])
        ap[a] = c & _POS_MASK
        cu[m] = (c >> 32) - 1
        cl[m] = a
        m += c >= _UNION_FLAG
    return na, m


@nb.njit(cache=True)
def _n_before(av, ap, na, v, p):  # pragma: no cover - compiled
    """Listed values ranked before (value ``v``, position ``p``): larger, or equal and earlier in the shuffle."""
    n = 0
    for a in range(na):
        n += (av[a] > v) | ((av[a] == v) & (ap[a] < p))
    return n


@nb.njit(cache=True)
def _aucell_row_positive(
    i,
    indptr,
    indices,
    data,
    bits,
    code,
    union_cols,
    pos,
    union_at_pos,
    union_bits,
    p_ptr,
    p_idx,
    p_w,
    n_up,
    out,
    at_min,
    counts,
    av,
    ap,
    cu,
    cl,
):  # pragma: no cover - compiled
    """One cell of :func:`aucell_accumulate` by the positive route.

    Returns False, having changed nothing, when the row holds a value <= 0. ``at_min`` is an all-zero scratch bitmap
    (left so).
    """
    s = indptr[i]
    e = indptr[i + 1]
    na, m = _split_row(s, e, indices, data, bits, code, at_min, av, ap, cu, cl)
    if na < 0:
        return False
    # union genes above the minimum: 1 + the listed values ranked before them
    for t in range(m):
        a = cl[t]
        _add_area(i, cu[t], _n_before(av, ap, na, av[a], ap[a]) + 1, n_up, p_ptr, p_idx, p_w, out)
    # union genes at the minimum, in shuffle order: 1 + every listed value + minimum-valued genes earlier
    rank0 = na + 1
    for wi in range(at_min.size):
        if rank0 >= n_up:
            break
        word = at_min[wi]
        x = word & union_bits[wi]
        while x != 0:
            bit = _ctz(x)
            _add_area(i, union_at_pos[wi * 64 + bit], rank0 + _below(word, bit), n_up, p_ptr, p_idx, p_w, out)
            x &= x - _ONE
        rank0 += _popcount(word)
    nnz = e - s
    if nnz + 1 < n_up:
        # union genes without a value: zeros rank after every stored value, in shuffle order
        for a in range(na):
            at_min[ap[a] >> 6] |= _ONE << np.uint64(ap[a] & 63)  # at_min now marks every stored value
        run = 0
        for wi in range(at_min.size):
            counts[wi] = run  # stored values in earlier words
            run += _popcount(at_min[wi])
        for u in range(union_cols.size):
            pg = pos[union_cols[u]]
            word = at_min[pg >> 6]
            if not (word >> np.uint64(pg & 63)) & _ONE:  # no stored value
                _add_area(i, u, nnz + 1 + pg - counts[pg >> 6] - _below(word, pg & 63), n_up, p_ptr, p_idx, p_w, out)
    at_min[:] = 0
    return True


# ----- general route -----


@nb.njit(inline="always")
def _lower_bound(a, lo, n, x):  # pragma: no cover - compiled
    """First index ``i`` in ``[lo, lo + n]`` with ``a[i] >= x`` (``a[lo:lo+n]`` ascending).

    Branch-free halving (``np.searchsorted(a[lo:lo+n], x, "left") + lo`` without the slice and call overhead).
    """
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
def _aucell_row(
    i,
    indptr,
    indices,
    data,
    col_to_union,
    union_cols,
    pos,
    p_ptr,
    p_idx,
    p_w,
    n_up,
    n_vars,
    out,
    present,
    cv,
    cp,
    ck,
    cs,
    cps,
    cks,
    gt,
    tie,
    gend,
    nzpos,
    dv,
    gs,
    lp,
    tie_lo,
    tbl,
):  # pragma: no cover
    """One cell of :func:`aucell_accumulate` by the general route (any stored values: zeros, negatives).

    Only the cell's union genes are sorted (by value, then shuffle position); every other value is located
    among them by one binary search (a second, within its tie group, for values tied with a union gene).
    ``present`` is an all-False scratch array (left all-False);
    ``cv .. nzpos`` are scratch buffers at least as long as the row's stored values (+1).
    """
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
def aucell_accumulate(
    indptr,
    indices,
    data,
    bits,
    code,
    col_to_union,
    union_cols,
    pos,
    union_at_pos,
    union_bits,
    p_ptr,
    p_idx,
    p_w,
    n_up,
    n_vars,
    out,
):  # pragma: no cover - compiled
    """AUCell recovery areas of the union genes in each cell: ``out[i, p] += P[u, p] * (n_up - rank_u)``.

    ``bits`` is :func:`~tamclass.scoring._kernels.value_bits` of ``data``; ``code[j] = pos[j] | (col_to_union[j] + 1) << 32`` packs
    a column's shuffle position and union row into one lookup; ``union_at_pos[pos[j]] = col_to_union[j]``
    and ``union_bits`` marks the union genes' shuffle positions. Parallel over blocks of rows, with
    per-block scratch buffers; each row takes the positive route, or the general one when it holds a
    value <= 0.
    """
    n_blocks = (indptr.size - 1 + ROW_BLOCK - 1) // ROW_BLOCK
    n_words = (n_vars + 63) // 64
    for b in nb.prange(n_blocks):
        r0, r1, width = row_block(indptr, b)
        at_min = np.zeros(n_words, dtype=np.uint64)
        counts = np.empty(n_words, dtype=np.int64)
        av = np.empty(width, dtype=np.float64)
        ap = np.empty(width, dtype=np.int64)
        cu = np.empty(width, dtype=np.int64)
        cl = np.empty(width, dtype=np.int64)
        # general-route scratch: np.empty does not touch the pages, and each buffer stays below malloc's mmap
        # threshold, so blocks without general rows pay next to nothing (allocating lazily inside the prange
        # body tripped numba's bounds checker)
        present = np.zeros(union_cols.size, dtype=np.bool_)
        cv = np.empty(width)
        cs = np.empty(width)
        dv = np.empty(width)
        cp = np.empty(width, dtype=np.int64)
        ck = np.empty(width, dtype=np.int64)
        cps = np.empty(width, dtype=np.int64)
        cks = np.empty(width, dtype=np.int64)
        gt = np.empty(width, dtype=np.int64)
        tie = np.empty(width, dtype=np.int64)
        gend = np.empty(width, dtype=np.int64)
        nzpos = np.empty(width, dtype=np.int64)
        gs = np.empty(width, dtype=np.int64)
        lp = np.empty(width + 1, dtype=np.int64)
        tie_lo = np.empty(width + 1, dtype=np.int64)
        tbl = np.empty(8 * min(width, union_cols.size) + 2, dtype=np.int64)  # buckets <= 8 x union genes present + 1
        for i in range(r0, r1):
            if _aucell_row_positive(
                i,
                indptr,
                indices,
                data,
                bits,
                code,
                union_cols,
                pos,
                union_at_pos,
                union_bits,
                p_ptr,
                p_idx,
                p_w,
                n_up,
                out,
                at_min,
                counts,
                av,
                ap,
                cu,
                cl,
            ):
                continue
            _aucell_row(
                i,
                indptr,
                indices,
                data,
                col_to_union,
                union_cols,
                pos,
                p_ptr,
                p_idx,
                p_w,
                n_up,
                n_vars,
                out,
                present,
                cv,
                cp,
                ck,
                cs,
                cps,
                cks,
                gt,
                tie,
                gend,
                nzpos,
                dv,
                gs,
                lp,
                tie_lo,
                tbl,
            )


# keep last: numba's cache for the kernels above goes to a per-user folder, not into the package (see _cache.py)
_cache.keep_out_of_package(globals())
