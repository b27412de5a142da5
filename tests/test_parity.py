"""Parity of tc.tl.score with the peer implementations it reproduces, on real data.

rank   vs pyucell.compute_ucell_scores (pyucell 0.8.0)
module vs scanpy.tl.score_genes (scanpy 1.11, ctrl_size >= bin size: no random draw on either side)
aucell vs decoupler.mt.aucell (decoupler 2.2.0)
Data: scanpy's pbmc68k_reduced (.raw, log-normalised; ships in the scanpy wheel) and the 10x PBMC 3k
log-normalised matrix in ../shared/data (skipped when absent).
"""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import tamclass as tc

pytestmark = pytest.mark.peer

# library sets of varied sizes (1-56 genes)
PARITY_SETS = [
    "Monocyte_classical",
    "Neg_T_cell",
    "Neg_B_cell",
    "Cheng2021_M1",
    "Cheng2021_M2",
    "LM22_M2",
    "Ma2022_LA_TAM",
    "Ma2022_RTM_TAM",
]


def _plain(adata) -> ad.AnnData:
    """A fresh AnnData of the log-normalised matrix (``.raw`` when present) with nothing else."""
    src = adata.raw if adata.raw is not None else adata
    X = src.X.copy()
    return ad.AnnData(X, obs=pd.DataFrame(index=adata.obs_names.copy()), var=pd.DataFrame(index=src.var_names.copy()))


def _library_lists(var_names, *, present_only: bool) -> dict[str, list[str]]:
    """Library sets as gene lists named the way the data names them (aliases resolved like tamclass)."""
    sigs = tc.signatures.load(PARITY_SETS)
    out = {}
    for name, sig in sigs.items():
        found, missing = tc.signatures.match_genes(sig.up, var_names)
        genes = list(found.values()) + ([] if present_only else missing)
        if found:
            out[name] = genes
    return out


@pytest.fixture(scope="module")
def pbmc68k_plain(pbmc68k):
    return _plain(pbmc68k)


@pytest.fixture(scope="module")
def pbmc3k_plain():
    from conftest import shared_path

    return _plain(ad.read_h5ad(shared_path("singlecell/pbmc3k_lognorm.h5ad")))


def _ucell(adata, sigs, max_rank):
    import pyucell

    peer = adata.copy()
    pyucell.compute_ucell_scores(peer, sigs, max_rank=max_rank, n_jobs=1)
    return peer.obs[[f"{k}_UCell" for k in sigs]].set_axis(list(sigs), axis=1)


def _ours(adata, sigs, **kw):
    tmp = adata.copy()
    tc.tl.score(tmp, sigs, **kw)
    return tmp.obsm["tamclass_scores"][list(sigs)]


@pytest.mark.parametrize("max_rank", [1500, 200])
def test_rank_vs_pyucell_pbmc68k(pbmc68k_plain, max_rank):
    sigs = _library_lists(pbmc68k_plain.var_names, present_only=False)  # includes absent genes: imputed on both sides
    assert len(sigs) >= 5
    ours = _ours(pbmc68k_plain, sigs, method="rank", max_rank=max_rank)
    peer = _ucell(pbmc68k_plain, sigs, max_rank)
    assert (peer.values > 0).mean() > 0.2
    np.testing.assert_allclose(ours.values, peer.values, atol=1e-5, rtol=0)


def test_rank_signed_vs_pyucell(pbmc68k_plain):
    sigs = {
        "mono_not_T": ["LYZ", "CST3", "FCN1", "S100A8", "CD3D-", "CD3E-", "IL7R-"],
        "T_not_mono": ["CD3D+", "CD3E+", "LYZ-", "CST3-"],
        "only_down": ["CD3D-", "LYZ-"],
    }
    ours = _ours(pbmc68k_plain, sigs, method="rank", max_rank=300)
    peer = _ucell(pbmc68k_plain, sigs, 300)  # pyucell's default w_neg=1, as tamclass
    np.testing.assert_allclose(ours.values, peer.values, atol=1e-5, rtol=0)
    assert (ours["mono_not_T"] > 0).any() and (ours["mono_not_T"] == 0).any()  # the clip at 0 is exercised


@pytest.mark.slow
@pytest.mark.parametrize("max_rank", [1500, 200])
def test_rank_vs_pyucell_pbmc3k(pbmc3k_plain, max_rank):
    data = pbmc3k_plain
    sigs = _library_lists(data.var_names, present_only=False)
    ours = _ours(data, sigs, method="rank", max_rank=max_rank)
    peer = _ucell(data, sigs, max_rank)
    np.testing.assert_allclose(ours.values, peer.values, atol=1e-5, rtol=0)


def _score_genes(adata, sigs, ctrl_size):
    import scanpy as sc

    peer = adata.copy()
    for name, genes in sigs.items():
        sc.tl.score_genes(peer, genes, ctrl_size=ctrl_size, score_name=name, use_raw=False)
    return peer.obs[list(sigs)]


def test_module_vs_score_genes_pbmc68k(pbmc68k_plain):
    sigs = _library_lists(pbmc68k_plain.var_names, present_only=True)
    bin_size = int(np.round(pbmc68k_plain.n_vars / 24))
    ctrl = bin_size + 10  # every bin is taken whole: no random draw anywhere
    ours = _ours(pbmc68k_plain, sigs, method="module", ctrl_size=ctrl)
    peer = _score_genes(pbmc68k_plain, sigs, ctrl)
    np.testing.assert_allclose(ours.values, peer.values, atol=1e-6, rtol=0)


def test_module_vs_score_genes_float64_exact(pbmc68k_plain):
    """scipy sums float32 sparse rows in float32; with float64 input both sides agree to rounding."""
    data = pbmc68k_plain.copy()
    data.X = data.X.astype(np.float64)
    sigs = _library_lists(data.var_names, present_only=True)
    ours = _ours(data, sigs, method="module", ctrl_size=100)
    peer = _score_genes(data, sigs, 100)
    np.testing.assert_allclose(ours.values, peer.values, atol=1e-10, rtol=0)


@pytest.mark.slow
def test_module_vs_score_genes_pbmc3k(pbmc3k_plain):
    sigs = _library_lists(pbmc3k_plain.var_names, present_only=True)
    ctrl = int(np.round(pbmc3k_plain.n_vars / 24)) + 10
    ours = _ours(pbmc3k_plain, sigs, method="module", ctrl_size=ctrl)
    peer = _score_genes(pbmc3k_plain, sigs, ctrl)
    np.testing.assert_allclose(ours.values, peer.values, atol=1e-6, rtol=0)


def _aucell(adata, sigs, *, n_up=None, empty=True):
    import decoupler as dc

    peer = adata.copy()
    net = pd.DataFrame([(k, g) for k, v in sigs.items() for g in v], columns=["source", "target"])
    kw = {} if n_up is None else {"n_up": n_up}
    dc.mt.aucell(peer, net, tmin=1, empty=empty, **kw)
    return peer.obsm["score_aucell"][list(sigs)]


@pytest.mark.parametrize("n_up", [None, 60])
def test_aucell_vs_decoupler_pbmc68k(pbmc68k_plain, n_up):
    # pbmc68k_reduced has no all-zero gene, so decoupler's default call (empty=True) is the same
    assert (pbmc68k_plain.X.getnnz(axis=0) > 0).all()
    sigs = _library_lists(pbmc68k_plain.var_names, present_only=True)
    ours = _ours(pbmc68k_plain, sigs, method="aucell", n_up=n_up)
    peer = _aucell(pbmc68k_plain, sigs, n_up=n_up)
    assert (peer.values > 0).mean() > 0.1
    np.testing.assert_allclose(ours.values, peer.values, atol=1e-5, rtol=0)


@pytest.mark.slow
def test_aucell_vs_decoupler_pbmc3k_subset(pbmc3k_plain):
    """Scores of 300 cells computed within all 2,638 equal decoupler on the 300 alone (empty=False keeps
    decoupler from dropping genes that happen to be zero in the subset; its tie shuffle runs over all genes)."""
    sigs = _library_lists(pbmc3k_plain.var_names, present_only=True)
    ours = _ours(pbmc3k_plain, sigs, method="aucell")
    cells = np.random.default_rng(1).choice(pbmc3k_plain.n_obs, 300, replace=False)
    sub = pbmc3k_plain[np.sort(cells)].copy()
    peer = _aucell(sub, sigs, empty=False)
    np.testing.assert_allclose(ours.loc[sub.obs_names].values, peer.values, atol=1e-5, rtol=0)
