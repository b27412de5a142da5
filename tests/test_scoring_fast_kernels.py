"""The fast kernels (slot layout for module/mean, tie tables for AUCell) against the plain ones."""
from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tamclass.scoring import IndexedSet, _aucell
from tamclass.scoring._kernels import csr_arrays, linear_accumulate, slot_accumulate
from tamclass.scoring._sets import csr_parts, slot_parts, union_plan


def _tied_counts(n_cells, n_genes, seed):
    rng = np.random.default_rng(seed)
    X = rng.choice([0, 0, 0, 0, 1, 1, 1, 2, 3, 7], size=(n_cells, n_genes)).astype(np.float32)
    return sp.csr_matrix(np.log1p(X))


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
        parts = np.vstack([_aucell.kernel(X[a:a + 7], plan) for a in range(0, 120, 7)])
        np.testing.assert_array_equal(parts, ours)
