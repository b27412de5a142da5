"""Validation on real data (../shared/data; skipped with a reason when absent).

* Gate: PBMC 3k (Zheng 2017 10x data, clustifyr labels) and Hao 2021 PBMC (raw counts -> normalisation path):
  monocytes vs the rest F1 >= 0.9, <= 2% of T/B/NK cells called macrophage/monocyte, DCs mostly dendritic,
  (almost) no macrophage calls in blood.
* Polarization: Alasoo 2018 iPSC macrophages (Nat Genet 50:424), bulk counts -> pseudo-cells by multinomial
  thinning; every donor's IFNg pseudo-cells more M1-like than its naive ones. CIBERSORT LM22 (Newman 2015)
  M1 / M2 columns -> M1-like / M2-like. Pseudo-cells are known macrophages, so ``is_macrophage`` is set
  to True explicitly (the gate is not the object of these tests).
* The trained classifier does at least as well as the signature-score argmax it was seeded from.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.shared_data


def _f1(truth, pred):
    tp = np.sum(truth & pred)
    return 2 * tp / (truth.sum() + pred.sum())


def _gate(adata):
    import tamclass as tc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.gate(adata)
    return adata.obs["tamclass_celltype"].isin(["macrophage", "monocyte"]).to_numpy()


def test_gate_pbmc3k(shared_data):
    import anndata as ad

    adata = ad.read_h5ad(shared_data("singlecell/pbmc3k_lognorm.h5ad"))
    pred = _gate(adata)
    lab = adata.obs["classified"].astype(str)
    truth = lab.isin(["CD14+ Mono", "FCGR3A+ Mono"]).to_numpy()
    assert _f1(truth, pred) >= 0.9
    lymph = lab.isin(["B", "CD8 T", "Memory CD4 T", "Naive CD4 T", "NK"]).to_numpy()
    assert pred[lymph].mean() <= 0.02
    ct = adata.obs["tamclass_celltype"].astype(str)
    assert (ct == "macrophage").sum() <= 0.02 * adata.n_obs  # blood has no macrophages
    assert (ct[lab == "DC"] == "dendritic").mean() >= 0.5  # 32 DCs


@pytest.fixture(scope="module")
def hao():
    import anndata as ad
    from conftest import shared_path

    adata = ad.read_h5ad(shared_path("singlecell/hao2021_pbmc_small_counts.h5ad"))
    pred = _gate(adata)
    return adata, pred


def test_gate_hao2021_counts(hao):
    """Raw counts go through the normalisation path; monocytes found, lymphocytes not."""
    adata, pred = hao
    lab = adata.obs["cell_type"].astype(str)
    truth = (lab == "Monocytes").to_numpy()
    assert pred[truth].mean() >= 0.9  # recall
    lymph = lab.isin(["B cells", "NK cells", "T cells CD4 conv", "T cells CD8", "Tregs"]).to_numpy()
    assert pred[lymph].mean() <= 0.02
    # monocytes vs the rest leaving out mDC
    keep = (lab != "mDC").to_numpy()
    assert _f1(truth[keep], pred[keep]) >= 0.9


def test_gate_hao2021_myeloid_lineages(hao):
    """All cells: monocytes + DCs vs the rest F1 >= 0.9, pDCs dendritic, mDCs myeloid, no macrophage in blood.
    Not asserted, reported in benchmarks/RESULTS.md: in this gene-filtered matrix (cDC2 panel: CD1E, CD1A, FLT3
    only) most mDCs are called monocyte -- the 0.1.0 gate's 0.906 monocyte F1 rested on Hao-derived Azimuth
    genes (circular) and a data-relative z-scale."""
    adata, _ = hao
    lab = adata.obs["cell_type"].astype(str)
    ct = adata.obs["tamclass_celltype"].astype(str)
    myeloid = ct.isin(["macrophage", "monocyte", "dendritic"]).to_numpy()
    truth = lab.isin(["Monocytes", "mDC", "pDC"]).to_numpy()
    assert _f1(truth, myeloid) >= 0.9
    assert (ct[lab == "pDC"] == "dendritic").mean() >= 0.9
    assert myeloid[(lab == "mDC").to_numpy()].mean() >= 0.95
    assert (ct == "macrophage").sum() <= 0.02 * adata.n_obs  # blood has no macrophages


def _alasoo(shared_data, n_cells=150):
    from _generators import pseudocells

    counts = pd.read_csv(shared_data("bulk/alasoo2018_macrophage_gene_counts.csv.gz"), index_col=0)
    counts = counts.groupby(level=0).sum()
    meta = pd.read_csv(shared_data("bulk/alasoo2018_macrophage_samples.csv"), index_col=0)
    meta = meta[meta["condition_name"].isin(["naive", "IFNg"])]
    pc = pseudocells(counts[meta.index].round(), n_cells=n_cells, depth=(2000, 5000), random_state=0)
    s = pc.obs["sample"].astype(str)
    pc.obs["donor"] = meta.loc[s, "line_id"].to_numpy()
    pc.obs["condition"] = meta.loc[s, "condition_name"].to_numpy()
    pc.obs["tamclass_is_macrophage"] = True
    return pc


def _argmax_index(adata):
    """The baseline the labels learn from: d = z(M2) - z(M1), the evidence of each state in the cell (written by
    classify to obsm); the plain argmax label is the sign of d."""
    Z = adata.obsm["tamclass_state_z"]
    return (Z["M2-like"] - Z["M1-like"]).to_numpy()


@pytest.fixture(scope="module")
def alasoo():
    from conftest import shared_path

    import tamclass as tc

    pc = _alasoo(shared_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.classify(pc, device="cpu")
    pc.obs["d"] = _argmax_index(pc)
    return pc


def _donor_table(pc):
    o = pc.obs.assign(clf_m1=pc.obs["tamclass_state"] == "M1-like", arg_m1=pc.obs["d"] < 0)
    return (
        o.groupby(["donor", "condition"], observed=True)[["tamclass_polarization", "clf_m1", "d", "arg_m1"]]
        .mean()
        .unstack()
    )


def test_alasoo_ifng_more_m1_than_naive_every_donor(alasoo):
    g = _donor_table(alasoo)
    assert len(g) == 6
    ok = (g["tamclass_polarization"]["IFNg"] < g["tamclass_polarization"]["naive"]) & (
        g["clf_m1"]["IFNg"] > g["clf_m1"]["naive"]
    )
    assert ok.all(), g


def test_classifier_at_least_as_good_as_seed_argmax(alasoo):
    g = _donor_table(alasoo)
    ok_clf = (
        (g["tamclass_polarization"]["IFNg"] < g["tamclass_polarization"]["naive"])
        & (g["clf_m1"]["IFNg"] > g["clf_m1"]["naive"])
    ).sum()
    ok_arg = ((g["d"]["IFNg"] < g["d"]["naive"]) & (g["arg_m1"]["IFNg"] > g["arg_m1"]["naive"])).sum()
    assert ok_clf >= ok_arg
    # per-cell: IFNg called M1-like and naive not M1-like (balanced accuracy)
    o = alasoo.obs
    ifng = (o["condition"] == "IFNg").to_numpy()
    clf = (o["tamclass_state"] == "M1-like").to_numpy()
    arg = (o["d"] < 0).to_numpy()

    def bacc(call):
        return 0.5 * (call[ifng].mean() + (~call[~ifng]).mean())

    assert bacc(clf) >= bacc(arg)


def test_lm22_m1_m2_columns(shared_data):
    """CIBERSORT LM22 M1 / M2 columns as pseudo-cells: the polarization index orders them (M1 < M0 < M2 on
    average, M1 < 0 < M2), and the few evidence calls that a 547-gene marker matrix allows are never the
    opposite state. (Every LM22 gene is a marker of some cell type, so the matched null is a null of other
    markers and most cells stay 'unassigned': the evidence rule says so instead of guessing.)"""
    from _generators import pseudocells

    import tamclass as tc

    lm = pd.read_csv(shared_data("reference/LM22.txt"), sep="\t", index_col=0)
    pc = pseudocells(lm[["Macrophages M0", "Macrophages M1", "Macrophages M2"]], n_cells=200, random_state=0)
    pc.obs["tamclass_is_macrophage"] = True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.classify(pc, device="cpu")
    s = pc.obs["sample"].astype(str).to_numpy()
    st = pc.obs["tamclass_state"].astype(str).to_numpy()
    m0, m1, m2 = s == "Macrophages M0", s == "Macrophages M1", s == "Macrophages M2"
    pol = pc.obs["tamclass_polarization"].to_numpy()
    assert pol[m1].mean() < 0 < pol[m2].mean()
    assert pol[m1].mean() < pol[m0].mean() < pol[m2].mean()
    assert (st[m1] != "M2-like").all() and (st[m2] != "M1-like").all()
