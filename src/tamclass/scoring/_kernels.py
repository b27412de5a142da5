"""numba kernels over CSR row chunks (``indptr, indices, data``); no AnnData, no pandas.

All kernels are pure: they read a chunk and a few plan arrays and write into an output array
owned by the caller, so they can be mapped over dask blocks unchanged. Parallel ones use
``prange`` over rows; per-row results never depend on other rows.
"""

from __future__ import annotations

import numba as nb
import numpy as np

from . import _cache

__all__ = [
    "csr_arrays",
    "value_bits",
    "positive_row_min",
    "ROW_BLOCK",
    "row_block",
    "column_sums",
    "ucell_accumulate",
    "slot_accumulate",
    "weighted_sums",
]


def csr_arrays(chunk):
    """``(indptr int64, indices int32, data)`` of a CSR chunk.

    One index dtype for every input, so each kernel compiles only once per data dtype (float32 / float64).
    """
    return chunk.indptr.astype(np.int64, copy=False), chunk.indices.astype(np.int32, copy=False), chunk.data


def value_bits(data: np.ndarray) -> np.ndarray:
    """``data`` viewed as signed integers of the same width.

    For positive floats the order is the same, and integer minimum reductions vectorise (float ones do not, because
    of NaN rules).
    """
    return data.view(np.int32 if data.itemsize == 4 else np.int64)


@nb.njit(cache=True)
def positive_row_min(data, bits, s, e):  # pragma: no cover - compiled
    """``(True, smallest value)`` of a row ``data[s:e]`` (``s < e``) whose values are all > 0, else ``(False, _)``.

    The minimum is taken over ``bits`` (:func:`value_bits`): for positive floats the integer order is the
    float order, a zero or negative value has bits <= 0, and an integer min reduction vectorises.
    """
    lo = bits[s]
    for k in range(s + 1, e):
        lo = min(lo, bits[k])
    if lo <= 0:
        return False, data[s]
    k = s
    while bits[k] != lo:
        k += 1
    return True, data[k]


ROW_BLOCK = 64  # rows per parallel task of the rank-based kernels (rank, aucell)


@nb.njit(inline="always")
def row_block(indptr, b):  # pragma: no cover - compiled
    """Rows ``r0:r1`` of parallel task ``b`` and ``width``, the longest of their rows + 1.

    ``width`` is the size of the task's scratch buffers.
    """
    r0 = b * ROW_BLOCK
    r1 = min(r0 + ROW_BLOCK, indptr.size - 1)
    width = 1
    for i in range(r0, r1):
        width = max(width, indptr[i + 1] - indptr[i] + 1)
    return r0, r1, width


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


@nb.njit(cache=True)
def _ucell_row_positive(
    i, indptr, indices, data, bits, col_to_union, p_ptr, p_idx, p_w, max_rank, out, av, ck
):  # pragma: no cover
    """One cell of :func:`ucell_accumulate` when every stored value is > 0 (normalised data).

    Returns False, having written nothing, otherwise. Average ranks need only counts, not an order: a union gene at
    the row minimum ranks ``n_above + (n_at_min + 1) / 2``; one above it ``n_greater + (n_equal + 1) / 2``, counted
    over the short list of values above the minimum (vectorised).
    """
    s = indptr[i]
    e = indptr[i + 1]
    if e == s:
        return True
    positive, vmin = positive_row_min(data, bits, s, e)
    if not positive:
        return False
    na = 0
    m = 0
    for k in range(s, e):  # branch-free: every value is written, the counters decide what is kept
        w = data[k]
        av[na] = w
        na += w > vmin
        ck[m] = k
        m += col_to_union[indices[k]] >= 0
    half_min = (e - s - na + 1) / 2.0
    for t in range(m):
        k = ck[t]
        w = data[k]
        if w == vmin:
            r = na + half_min
        else:
            n_gt = 0
            n_eq = 0
            for a in range(na):
                n_gt += av[a] > w
                n_eq += av[a] == w
            r = n_gt + (n_eq + 1) / 2.0
        if r <= max_rank:
            d = r - max_rank
            u = col_to_union[indices[k]]
            for q in range(p_ptr[u], p_ptr[u + 1]):
                out[i, p_idx[q]] += p_w[q] * d
    return True


@nb.njit(parallel=True, cache=True)
def ucell_accumulate(
    indptr, indices, data, bits, col_to_union, p_ptr, p_idx, p_w, max_rank, out
):  # pragma: no cover - compiled
    """UCell rank sums, relative to ``max_rank``, of the union genes in each cell.

    Per cell the non-zero values are ranked in decreasing order with average ranks for ties
    (``scipy.stats.rankdata(-x, "average")`` as in pyucell); a rank above ``max_rank`` (a tied
    group is kept or dropped as a whole, by its average rank) and a zero count as ``max_rank``.
    ``out[i, p] += sum_u P[u, p] * (rank_u - max_rank)`` over union genes ranked within ``max_rank``;
    the caller adds ``n_genes_p * max_rank``. ``bits`` is ``data`` viewed as same-width integers. Rows of
    positive values take :func:`_ucell_row_positive` (counts over the values above the row minimum); rows with
    stored zeros :func:`_ucell_row` (only the cell's union genes are sorted; every other value is located among
    them by binary search). Ranks are half-integers and weights 1, so sums are exact in any order.
    """
    n_blocks = (indptr.size - 1 + ROW_BLOCK - 1) // ROW_BLOCK
    for b in nb.prange(n_blocks):
        r0, r1, width = row_block(indptr, b)
        av = np.empty(width, dtype=data.dtype)
        ck = np.empty(width, dtype=np.int64)
        for i in range(r0, r1):
            if not _ucell_row_positive(
                i, indptr, indices, data, bits, col_to_union, p_ptr, p_idx, p_w, max_rank, out, av, ck
            ):
                _ucell_row(i, indptr, indices, data, col_to_union, p_ptr, p_idx, p_w, max_rank, out)


_LIN_BLOCK = 256  # rows per parallel task of slot_accumulate


@nb.njit(parallel=True, cache=True)
def slot_accumulate(indptr, indices, data, slot_idx, slot_w, ex_idx, ex_w, out):  # pragma: no cover - compiled
    """``out += X @ W`` for a CSR chunk.

    ``W`` (n_vars x n_parts) is stored per gene ``j`` as two dense slots (parts ``slot_idx[4j], slot_idx[4j + 1]``,
    weights ``slot_w[2j], slot_w[2j + 1]``; an empty slot points at one of 16 dummy parts ``n_parts ..`` with weight 0) and, for genes in more
    than two parts, an overflow ``ex_idx/ex_w[slot_idx[4j + 2] : slot_idx[4j + 2] + slot_idx[4j + 3]]``
    (flat C-order arrays: 1-D indexing compiles to tighter code than 2-D).

    The same sums as a plain loop over each non-zero's parts in part order (every part receives its genes'
    terms in the same order, so results are bit-identical; tests/test_scoring_fast_kernels.py checks it) with one 16-byte index row and one 16-byte weight row per
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


# keep last: numba's cache for the kernels above goes to a per-user folder, not into the package (see _cache.py)
_cache.keep_out_of_package(globals())
