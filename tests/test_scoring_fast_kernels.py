"""The fast kernels (slot layout for module/mean; both AUCell row routes) against plain computations."""

from __future__ import annotations

import numba as nb
import numpy as np
import scipy.sparse as sp

from tamclass.scoring import IndexedSet, _aucell, _rank
from tamclass.scoring._kernels import csr_arrays, slot_accumulate
from tamclass.scoring._sets import csr_parts, slot_parts, union_plan


def _tied_counts(n_cells, n_genes, seed):
    rng = np.random.default_rng(seed)
    X = rng.choice([0, 0, 0, 0, 1, 1, 1, 2, 3, 7], size=(n_cells, n_genes)).astype(np.float32)
    return sp.csr_matrix(np.log1p(X))


@nb.njit
def linear_accumulate(indptr, indices, data, col_to_union, p_ptr, p_idx, p_w, out):
    """Reference ``out += X[:, union] @ P``: each non-zero's parts in part order (the order slot_accumulate keeps)."""
    for i in range(indptr.size - 1):
        for k in range(indptr[i], indptr[i + 1]):
            u = col_to_union[indices[k]]
            if u >= 0:
                v = np.float64(data[k])
                for q in range(p_ptr[u], p_ptr[u + 1]):
                    out[i, p_idx[q]] += v * p_w[q]


def test_slot_accumulate_equals_csr_product_bitwise():
    """Genes in 0, 1, 2 and >2 parts (the overflow path): same floats as linear_accumulate and X @ P."""
    rng = np.random.default_rng(1)
    X = _tied_counts(300, 200, 1)
    parts = [rng.choice(200, size=int(rng.integers(1, 120)), replace=False) for _ in range(9)]
    weights = [rng.normal(size=len(p)) for p in parts]
    col_to_union, union_cols, P = union_plan(parts, 200, weights)
    Pc = csr_parts(P)
    assert np.max((P != 0).sum(axis=1)) > 2  # the overflow path is exercised
    a = np.zeros((300, 9))
    b = np.zeros((300, 9))
    linear_accumulate(*csr_arrays(X), col_to_union, *Pc, a)
    slot_accumulate(*csr_arrays(X), *slot_parts(col_to_union, Pc, 9), b)
    np.testing.assert_array_equal(a, b)
    dense = X.toarray().astype(np.float64)[:, union_cols] @ P
    np.testing.assert_allclose(b, dense, rtol=1e-12, atol=1e-12)


def _aucell_reference(x, genes, n_up, pos):
    """Direct decoupler rule for one cell: ordinal ranks of -x, ties by shuffle position."""
    order = np.lexsort((pos, -x))  # decreasing value, then increasing shuffle position
    rank = np.empty(len(x), dtype=np.int64)
    rank[order] = np.arange(1, len(x) + 1)  # 1-based ordinal ranks
    r = rank[genes]
    r = r[r < n_up]
    m = min(len(genes), n_up - 1)
    return float(np.sum(n_up - r)) / (m * n_up - m * (m + 1) / 2)


def test_aucell_kernel_matches_direct_ranking_and_chunking():
    X = _tied_counts(120, 400, 2)
    rng = np.random.default_rng(3)
    sets = [IndexedSet(f"s{k}", rng.choice(400, size=25, replace=False)) for k in range(6)]
    for n_up in (30, 200, 380):  # 380: beyond the expressed genes (zeros ranked by shuffle position)
        plan = _aucell.prepare(sets, 400, n_up=n_up)
        ours = _aucell.kernel(X, plan)
        dense = X.toarray().astype(np.float64)
        ref = np.array([[_aucell_reference(dense[i], s.up, n_up, plan.pos) for s in sets] for i in range(120)])
        np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12)
        parts = np.vstack([_aucell.kernel(X[a : a + 7], plan) for a in range(0, 120, 7)])
        np.testing.assert_array_equal(parts, ours)


def _mixed_rows(rng, n_cells, n_genes, dtype):
    """Rows of every kind the AUCell kernel routes differently: tied log counts (the positive route), distinct
    continuous values, rows with negative values or explicitly stored zeros (the general route), empty rows."""
    counts = rng.poisson(rng.uniform(0.05, 2.0, size=n_genes), size=(n_cells, n_genes)).astype(np.float64)
    dense = np.log1p(counts)
    kind = np.arange(n_cells) % 5
    dense[kind == 1] = np.where(counts[kind == 1] > 0, rng.uniform(0.1, 5.0, size=(np.sum(kind == 1), n_genes)), 0.0)
    neg = (kind == 2)[:, None] & (rng.random((n_cells, n_genes)) < 0.05)
    dense[neg] = -rng.uniform(0.1, 1.0, size=neg.sum())
    dense[kind == 4] = 0.0
    X = sp.csr_matrix(dense.astype(dtype))
    X.sort_indices()
    rows3 = np.flatnonzero(kind == 3)
    X = X.tolil()
    for i in rows3:  # an explicitly stored zero: same ranking, general route
        j = int(np.flatnonzero(dense[i] == 0)[0]) if np.any(dense[i] == 0) else None
        if j is not None:
            X.rows[i].append(j)
            X.data[i].append(dtype(0))
            order = np.argsort(X.rows[i])
            X.rows[i] = list(np.asarray(X.rows[i])[order])
            X.data[i] = list(np.asarray(X.data[i])[order])
    X = sp.csr_matrix(
        (
            np.concatenate([np.asarray(d, dtype=dtype) for d in X.data]),
            np.concatenate([np.asarray(r, dtype=np.int32) for r in X.rows]),
            np.concatenate([[0], np.cumsum([len(r) for r in X.rows])]),
        ),
        shape=(n_cells, n_genes),
    )
    return X, dense


def test_aucell_both_row_routes_match_direct_ranking():
    """Positive rows (bitmap + list route) and rows with zeros/negatives (general route) against a direct
    ranking of every gene, over float32/float64, several n_up and shuffle seeds, chunked and whole."""
    rng = np.random.default_rng(11)
    for trial in range(6):
        dtype = (np.float32, np.float64)[trial % 2]
        n_cells, n_genes = 60, int(rng.integers(70, 700))
        X, dense = _mixed_rows(rng, n_cells, n_genes, dtype)
        assert np.any(X.data == 0) and np.any(X.data < 0)  # both routes are exercised
        sets = [
            IndexedSet(f"s{k}", rng.choice(n_genes, size=int(rng.integers(1, 40)), replace=False)) for k in range(5)
        ]
        for n_up in (2, max(2, n_genes // 20), n_genes // 2, n_genes):
            plan = _aucell.prepare(sets, n_genes, n_up=n_up, random_state=trial)
            ours = _aucell.kernel(X, plan)
            exact = dense.astype(dtype).astype(np.float64)
            ref = np.array([[_aucell_reference(exact[i], s.up, n_up, plan.pos) for s in sets] for i in range(n_cells)])
            np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12, err_msg=f"trial {trial}, n_up {n_up}")
            parts = np.vstack([_aucell.kernel(X[a : a + 9], plan) for a in range(0, n_cells, 9)])
            np.testing.assert_array_equal(parts, ours)


def test_aucell_routes_agree_bitwise_on_the_same_cells():
    """A stored zero changes no rank but sends a row down the general route: scores must be identical."""
    X = _tied_counts(200, 300, 5)
    X.eliminate_zeros()
    with_zero = X.tolil()
    for i in range(200):
        j = next(j for j in range(300) if j not in set(with_zero.rows[i]))
        with_zero[i, j] = 1.0  # placeholder, set to an explicit zero below
    with_zero = with_zero.tocsr()
    with_zero.data[with_zero.data == 1.0] = 0.0  # log1p values are never exactly 1.0
    assert with_zero.nnz == X.nnz + 200
    rng = np.random.default_rng(6)
    sets = [IndexedSet(f"s{k}", rng.choice(300, size=30, replace=False)) for k in range(8)]
    for n_up in (15, 150, 290):
        plan = _aucell.prepare(sets, 300, n_up=n_up)
        np.testing.assert_array_equal(_aucell.kernel(X, plan), _aucell.kernel(with_zero, plan))


def _ucell_reference(x, genes, max_rank):
    """UCell rank sum of one cell: non-zero values ranked by decreasing value with average ranks for ties;
    zeros and ranks above max_rank count as max_rank."""
    from scipy.stats import rankdata

    nz = x != 0
    rank = np.full(len(x), float(max_rank))
    rank[nz] = rankdata(-x[nz], method="average")
    rank[rank > max_rank] = max_rank
    return rank[genes].sum()


def test_ucell_both_row_routes_match_direct_ranking():
    """Rows of positive values (count route) and rows with stored zeros (sort/search route) against a direct
    average-rank computation, over float32/float64 and max_rank from 1 to all genes."""
    rng = np.random.default_rng(21)
    for trial in range(4):
        dtype = (np.float32, np.float64)[trial % 2]
        X, dense = _mixed_rows(rng, 60, int(rng.integers(70, 600)), dtype)
        keep = ~np.any(dense < 0, axis=1)  # rank-based methods reject negative values before the kernel
        X, dense = X[keep], dense[keep]
        n_genes = X.shape[1]
        sets = [
            IndexedSet(f"s{k}", rng.choice(n_genes, size=int(rng.integers(1, 40)), replace=False)) for k in range(5)
        ]
        for max_rank in (1, 5, n_genes // 3, n_genes):
            plan = _rank.prepare(sets, n_genes, max_rank=max_rank)
            ours = _rank.kernel(X, plan)
            exact = dense.astype(dtype).astype(np.float64)
            sums = np.array([[_ucell_reference(exact[i], s.up, max_rank) for s in sets] for i in range(X.shape[0])])
            lengths = plan.lengths[: len(sets)]
            ref = np.maximum(_rank.u_statistic(sums, lengths, max_rank), 0.0)  # UCell clips at 0
            np.testing.assert_allclose(ours, ref, rtol=0, atol=1e-12, err_msg=f"trial {trial}, max_rank {max_rank}")
