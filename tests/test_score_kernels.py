"""The scoring kernels against the peers' own code and hand-computed values, on small tie-heavy matrices."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tamclass.scoring import IndexedSet, _aucell, _mean, _module, _rank, methods
from tamclass.scoring._stats import ColumnStats


def _adata(X):
    n, m = X.shape
    return ad.AnnData(
        sp.csr_matrix(X.astype(np.float32)),
        obs=pd.DataFrame(index=[f"c{i}" for i in range(n)]),
        var=pd.DataFrame(index=[f"g{j}" for j in range(m)]),
    )


@st.composite
def tie_heavy(draw):
    n_cells = draw(st.integers(1, 6))
    n_genes = draw(st.integers(4, 30))
    # counts 0..3 with many zeros -> many ties, as in real UMI data
    X = np.array(
        draw(st.lists(st.sampled_from([0, 0, 0, 1, 1, 2, 3]), min_size=n_cells * n_genes, max_size=n_cells * n_genes)),
        dtype=np.float64,
    ).reshape(n_cells, n_genes)
    n_sets = draw(st.integers(1, 3))
    sets = {}
    for s in range(n_sets):
        genes = draw(st.lists(st.integers(0, n_genes - 1), min_size=1, max_size=min(8, n_genes), unique=True))
        down = draw(st.lists(st.integers(0, n_genes - 1), max_size=3, unique=True))
        down = [g for g in down if g not in genes]
        sets[f"s{s}"] = (genes, down)
    return X, sets


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=tie_heavy(), max_rank=st.integers(1, 35))
def test_rank_kernel_matches_pyucell(data, max_rank):
    import pyucell

    X, sets = data
    adata = _adata(X)
    peer_sigs = {k: [f"g{g}" for g in up] + [f"g{g}-" for g in down] for k, (up, down) in sets.items()}
    pyucell.compute_ucell_scores(adata, peer_sigs, max_rank=max_rank, n_jobs=1, chunk_size=4)
    peer = adata.obs[[f"{k}_UCell" for k in sets]].to_numpy()
    indexed = [IndexedSet(k, up, down) for k, (up, down) in sets.items()]
    plan = _rank.prepare(indexed, X.shape[1], max_rank=max_rank)
    ours = _rank.kernel(sp.csr_matrix(X), plan)
    np.testing.assert_allclose(ours, peer, atol=1e-6, rtol=0)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=tie_heavy(), n_up_frac=st.floats(0.0, 1.0))
def test_aucell_kernel_matches_decoupler(data, n_up_frac):
    import decoupler as dc

    X, sets = data
    n_genes = X.shape[1]
    n_up = int(2 + round(n_up_frac * (n_genes - 2)))
    adata = _adata(X)
    net = pd.DataFrame([(k, f"g{g}") for k, (up, _) in sets.items() for g in up], columns=["source", "target"])
    dc.mt.aucell(adata, net, tmin=1, empty=False, n_up=n_up)
    peer = adata.obsm["score_aucell"][list(sets)].to_numpy()
    indexed = [IndexedSet(k, up) for k, (up, _) in sets.items()]
    plan = _aucell.prepare(indexed, n_genes, n_up=n_up)
    ours = _aucell.kernel(sp.csr_matrix(X), plan)
    np.testing.assert_allclose(ours, peer, atol=1e-9, rtol=0)


def test_rank_hand_computed():
    # one cell, genes g0..g4 = [3, 1, 1, 0, 2]: ranks of non-zeros 3->1, 2->2, 1,1 -> 3.5 each; zero -> max_rank
    X = sp.csr_matrix(np.array([[3.0, 1.0, 1.0, 0.0, 2.0]]))
    plan = _rank.prepare([IndexedSet("a", [1, 3])], 5, max_rank=4)
    # rank sum = 3.5 + 4 = 7.5; n = 2: U = 1 - (7.5 - 3) / (2 * 4 - 3) = 0.1
    assert _rank.kernel(X, plan)[0, 0] == pytest.approx(0.1)
    # a set with one absent gene (imputed as max_rank): U = 1 - (1 + 4 - 3) / (8 - 3) = 0.6
    plan = _rank.prepare([IndexedSet("b", [0], n_up_missing=1)], 5, max_rank=4)
    assert _rank.kernel(X, plan)[0, 0] == pytest.approx(0.6)
    # ranks beyond max_rank count as max_rank: max_rank=2 drops the tied group at 3.5
    plan = _rank.prepare([IndexedSet("c", [1])], 5, max_rank=2)
    assert _rank.kernel(X, plan)[0, 0] == pytest.approx(0.0)


def test_aucell_hand_computed():
    # 4 genes [5, 0, 2, 0], tie shuffle irrelevant for non-zeros: ranks g0=1, g2=2; n_up=3
    X = sp.csr_matrix(np.array([[5.0, 0.0, 2.0, 0.0]]))
    plan = _aucell.prepare([IndexedSet("a", [0, 2])], 4, n_up=3)
    # recovery area = (3 - 1) + (3 - 2) = 3; max for 2 genes = (3 - 1) + (3 - 2) = 3 -> 1.0
    assert _aucell.kernel(X, plan)[0, 0] == pytest.approx(1.0)
    plan = _aucell.prepare([IndexedSet("b", [2])], 4, n_up=3)
    # area 1, max for 1 gene = 2
    assert _aucell.kernel(X, plan)[0, 0] == pytest.approx(0.5)


def test_mean_kernel_matches_scaled_columns():
    rng = np.random.default_rng(3)
    X = rng.poisson(1.0, size=(50, 12)).astype(np.float64)
    X[:, 5] = 2.0  # constant gene: z = 0
    csr = sp.csr_matrix(X)
    stats = ColumnStats(12).update(csr)
    sets = [IndexedSet("a", [0, 1, 5]), IndexedSet("b", [2, 3], down=[4])]
    ours = _mean.kernel(csr, _mean.prepare(sets, 12, stats=stats))
    sd = X.std(axis=0, ddof=1)
    Z = np.divide(X - X.mean(0), sd, out=np.zeros_like(X), where=sd > 0)
    np.testing.assert_allclose(ours[:, 0], Z[:, [0, 1, 5]].mean(1), atol=1e-12)
    np.testing.assert_allclose(ours[:, 1], Z[:, [2, 3]].mean(1) - Z[:, 4], atol=1e-12)


def test_module_controls_come_from_the_sets_bins():
    rng = np.random.default_rng(0)
    mean = rng.gamma(0.5, 1.0, size=2000)
    cuts = _module.gene_cuts(mean, 25)
    genes = np.array([3, 50, 700])
    ctrl = _module.control_genes(genes, cuts, 20, np.random.default_rng(0))
    assert set(np.unique(cuts[ctrl])) <= set(cuts[genes])
    assert not set(ctrl) & set(genes)
    # 20 drawn per distinct bin (minus any drawn set gene)
    assert len(ctrl) <= 20 * len(np.unique(cuts[genes])) and len(ctrl) >= 20 * len(np.unique(cuts[genes])) - 3


def test_registry_table():
    table = methods()
    assert list(table["name"]) == ["rank", "module", "aucell", "mean"]
    assert table.set_index("name").loc[["rank", "aucell"], "cell_independent"].all()
    assert not table.set_index("name").loc[["module", "mean"], "cell_independent"].any()
    assert table["reference"].str.len().min() > 20 and table["doi"].str.startswith("10.").all()
