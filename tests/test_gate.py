"""tc.tl.gate: decision rule, cluster vote, score reuse, no clobbering, h5ad round trip, backed input."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tamclass._errors import InputError

CATS = ["macrophage", "monocyte", "dendritic", "other"]


@pytest.fixture(scope="module")
def synth():
    from tamclass.classifier._synthetic import synthetic_macrophages

    return synthetic_macrophages(1200, n_genes=3000, fractions={"macrophage": 0.5, "monocyte": 0.25, "tcell": 0.25},
                                 random_state=1)


def test_gate_rule_hand_computed():
    from tamclass.classifier._gating import gate_rule

    mac = np.array([0.5, 0.1, 0.30, 0.05, 0.4, np.nan])
    mono = np.array([0.2, 0.4, 0.29, 0.05, 0.1, 0.3])
    dc = np.array([0.1, 0.1, 0.00, 0.00, 0.6, 0.0])
    neg = np.array([0.0, 0.0, 0.27, 0.00, 0.0, 0.0])
    # cell 0 mac; 1 mono; 2 lead over negatives 0.03 < margin -> other; 3 below min_score; 4 dc; 5 NaN mac -> mono
    codes = gate_rule(mac, mono, dc, neg, min_score=0.1, margin=0.05)
    assert [CATS[c] for c in codes] == ["macrophage", "monocyte", "other", "other", "dendritic", "monocyte"]


def test_coverage_normalise_hand_computed():
    from tamclass.classifier._gating import coverage_normalise

    # set of n=4 genes, p=2 present at ranks 1 and 3, max_rank=10: imputed rank sum 1+3+10+10 = 24,
    # U = 1 - (24 - 10) / (40 - 10) = 8/15; over the present genes: 1 - (4 - 3) / (20 - 3) = 16/17
    out = coverage_normalise(np.array([[8 / 15, 0.3, 0.2]]), [4, 5, 3], [2, 5, 0], max_rank=10)
    assert out[0, 0] == pytest.approx(16 / 17)
    assert out[0, 1] == pytest.approx(0.3)  # fully covered: unchanged
    assert np.isnan(out[0, 2])  # no gene present


def test_coverage_normalise_matches_pyucell_skip(pbmc68k):
    """Converting our (imputed) rank scores equals pyucell's missing_genes="skip" (the peer)."""
    import pyucell

    import tamclass as tc
    from tamclass.classifier._gating import coverage_normalise

    adata = pbmc68k.raw.to_adata()[:150].copy()
    present = list(adata.var_names[:40:4])
    sigs = {"half": present[:5] + ["NOTAGENE1", "NOTAGENE2", "NOTAGENE3"], "one_missing": present[5:] + ["NOTAGENE4"]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.score(adata, sigs, method="rank", max_rank=200)
        pyucell.compute_ucell_scores(adata, sigs, max_rank=200, missing_genes="skip", n_jobs=1)
    ours = coverage_normalise(adata.obsm["tamclass_scores"][["half", "one_missing"]].to_numpy(), [8, 6], [5, 5],
                              max_rank=200)
    peer = adata.obs[["half_UCell", "one_missing_UCell"]].to_numpy()
    np.testing.assert_allclose(ours, peer, atol=1e-5)


def test_lineage_rule_hand_computed():
    from tamclass.classifier._gating import lineage_rule

    #            mac   mono  dc     (coverage-normalised, smoothed); the last cell is not myeloid
    A = np.array([[0.0, 0.9, 0.0],    # dc 0 not eligible -> monocyte
                  [0.0, 0.9, 0.05],   # dc 0.05 < min_score -> monocyte
                  [0.0, 0.8, 0.3],    # z(mono) = (0.8-0.85)/0.2544 = -0.20 < z(dc) = (0.3-0.025)/0.1367 = 2.01
                  [0.0, 0.6, 0.3],    # dc only 0.02 above its negative (0.28) < margin -> monocyte
                  [0.95, 0.9, 0.0],   # macrophage eligible and 0.95 > monocyte 0.9 -> macrophage
                  [0.05, 0.2, 0.0],   # only monocyte eligible
                  [0.9, 0.9, 0.9]])   # not myeloid (stage 1) -> other
    neg = np.array([0.0, 0.0, 0.0, 0.28, 0.0, 0.0, 0.0])
    myeloid = np.array([True] * 6 + [False])
    codes, info = lineage_rule(A, neg, myeloid, min_score=0.1, margin=0.05, min_cells=3)
    assert [CATS[c] for c in codes] == ["monocyte", "monocyte", "dendritic", "monocyte", "macrophage", "monocyte",
                                        "other"]
    assert info["mode"] == "relative"
    # by hand over the 6 myeloid cells: mono median (0.8+0.9)/2, sd (ddof 0) 0.25441; dc median 0.025, sd 0.13668
    np.testing.assert_allclose(info["centre"], [0.85, 0.025], atol=1e-12)
    np.testing.assert_allclose(info["scale"], [0.25441, 0.13668], atol=1e-5)
    # too few myeloid cells for a z-scale: monocyte vs dendritic by the scores themselves -> cell 2 monocyte
    codes, info = lineage_rule(A, neg, myeloid, min_score=0.1, margin=0.05, min_cells=50)
    assert info["mode"] == "absolute" and CATS[codes[2]] == "monocyte" and CATS[codes[4]] == "macrophage"


def test_knn_smooth_hand_computed():
    from tamclass.classifier._gating import knn_smooth

    emb = np.array([[0.0], [1.0], [3.0], [7.0]])
    vals = np.array([[1.0], [2.0], [4.0], [8.0]])
    out = knn_smooth(vals, emb, k=1, decay=0.5)  # self weight 1, nearest neighbour 0.5 -> (v + 0.5 v_nn) / 1.5
    np.testing.assert_allclose(out[:, 0], [(1 + 0.5 * 2) / 1.5, (2 + 0.5 * 1) / 1.5, (4 + 0.5 * 2) / 1.5,
                                           (8 + 0.5 * 4) / 1.5])


def test_knn_smooth_reference_subsample():
    """Above max_reference the neighbours come from a systematic subsample; with the subsample = all cells
    the result equals the exact all-cell smoothing."""
    from tamclass.classifier._gating import knn_smooth

    rng = np.random.default_rng(0)
    emb = rng.normal(size=(300, 3))
    vals = rng.random((300, 2))
    full = knn_smooth(vals, emb, k=5, max_reference=None)
    np.testing.assert_allclose(knn_smooth(vals, emb, k=5, max_reference=300), full)
    sub = knn_smooth(vals, emb, k=5, max_reference=100)
    # hand check for one cell: itself first, then its 5 nearest among the 100 reference cells (itself excluded)
    ref = np.unique(np.linspace(0, 299, 100).round().astype(int))
    i = 7
    d = np.linalg.norm(emb[ref] - emb[i], axis=1)
    nb = [r for r in ref[np.argsort(d, kind="stable")] if r != i][:5]
    w = 0.9 ** np.arange(6)
    np.testing.assert_allclose(sub[i], (w[0] * vals[i] + (w[1:, None] * vals[nb]).sum(0)) / w.sum())


def test_gate_warns_on_poor_identity_coverage(synth):
    import tamclass as tc
    from tamclass._errors import TamclassWarning

    sig = tc.signatures.load("Monocyte_classical")["Monocyte_classical"]
    drop = set(sig.genes[2:])
    adata = synth[:200, [g for g in synth.var_names if g not in drop]].copy()
    with pytest.warns(TamclassWarning, match=r"Monocyte_classical 2/10"):
        tc.tl.gate(adata)
    cov = adata.uns["tamclass"]["gate"]["coverage"]["Monocyte_classical"]
    assert cov == {"n_present": 2, "n_total": 10}


def test_gate_names_unscorable_sets_in_one_log_line(synth, caplog):
    """Sets with no gene in the data are NaN; the log says so once, naming each set and its gene count."""
    import logging

    import tamclass as tc

    neg = tc.signatures.load("Neg_mast")["Neg_mast"]
    adata = synth[:150, [g for g in synth.var_names if g not in set(neg.genes)]].copy()
    with caplog.at_level(logging.WARNING, logger="tamclass"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.gate(adata)
    lines = [r.getMessage() for r in caplog.records if "scores are NaN" in r.getMessage()]
    assert len(lines) == 1, lines
    assert "Neg_mast (0)" in lines[0]


def test_majority_vote_hand_computed():
    from tamclass.classifier._gating import majority_vote

    codes = np.array([0, 0, 1, 3, 3, 1, 1, 0, 0])
    groups = np.array(["a", "a", "a", "b", "b", "c", "c", "c", "c"])
    out, table = majority_vote(codes, groups, min_fraction=0.6)
    # a: 2/3 macrophage >= 0.6 -> all macrophage; b: all other; c: tie 2-2 -> per cell kept
    np.testing.assert_array_equal(out, [0, 0, 0, 3, 3, 1, 1, 0, 0])
    assert table.set_index("group").loc["c", "majority"] == "tie"
    out2, _ = majority_vote(codes, groups, min_fraction=0.7)  # a's 2/3 is now too weak
    np.testing.assert_array_equal(out2[:3], [0, 0, 1])


def test_gate_synthetic_programs(synth, tmp_path):
    import anndata as ad

    import tamclass as tc

    adata = synth.copy()
    obsm_before = set(adata.obsm)
    tc.tl.gate(adata)
    ct = adata.obs["tamclass_celltype"]
    assert list(ct.cat.categories) == CATS
    assert adata.obs["tamclass_is_macrophage"].dtype == bool
    truth = adata.obs["program"].map({"macrophage": "macrophage", "monocyte": "monocyte", "tcell": "other"}).astype(str)
    assert (ct.astype(str) == truth).mean() > 0.97
    np.testing.assert_array_equal(adata.obs["tamclass_is_macrophage"].to_numpy(), (ct == "macrophage").to_numpy())
    assert set(adata.obsm) == obsm_before  # internal scores are not written
    info = adata.uns["tamclass"]["gate"]
    assert sum(info["counts"].values()) == adata.n_obs and info["min_score"] == 0.1
    assert "stage 2" in info["rule"] and info["smooth_k"] == 10 and info["lineage_mode"] == "relative"
    path = tmp_path / "g.h5ad"
    adata.write_h5ad(path)
    back = ad.read_h5ad(path)
    assert back.uns["tamclass"]["gate"]["counts"] == info["counts"]
    assert back.uns["tamclass"]["gate"]["coverage"] == info["coverage"]
    np.testing.assert_allclose(back.uns["tamclass"]["gate"]["lineage_scale"], info["lineage_scale"])
    assert list(back.obs["tamclass_celltype"].cat.categories) == CATS


def test_gate_reuses_stored_rank_scores(synth):
    import tamclass as tc
    from tamclass.tl._gate import IDENTITY_SETS, negative_sets

    adata = synth[:40].copy()
    names = list(IDENTITY_SETS) + negative_sets(tc.signatures.available())
    frame = pd.DataFrame(0.0, index=adata.obs_names, columns=names + ["User_set"])
    frame.iloc[:20, names.index("Dendritic_cell")] = 0.5  # crafted: first 20 dendritic, rest nothing
    adata.obsm["tamclass_scores"] = frame
    adata.uns["tamclass"] = {"score": {"method": "rank"}}
    tc.tl.gate(adata)
    assert (adata.obs["tamclass_celltype"][:20] == "dendritic").all()
    assert (adata.obs["tamclass_celltype"][20:] == "other").all()
    assert "obsm" in adata.uns["tamclass"]["gate"]["scores_from"]
    pd.testing.assert_frame_equal(adata.obsm["tamclass_scores"], frame)  # untouched
    # scores from another method are not reused
    adata.uns["tamclass"]["score"]["method"] = "module"
    tc.tl.gate(adata)
    assert "computed" in adata.uns["tamclass"]["gate"]["scores_from"]


def test_gate_groupby_and_copy(synth, tmp_path):
    import anndata as ad

    import tamclass as tc

    adata = synth.copy()
    adata.obs["cluster"] = adata.obs["program"].astype(str)
    out = tc.tl.gate(adata, groupby="cluster", copy=True)
    assert "tamclass_celltype" not in adata.obs  # original untouched with copy=True
    per = out.obs.groupby("cluster", observed=True)["tamclass_celltype"].nunique()
    assert (per == 1).all()
    assert out.uns["tamclass"]["gate"]["votes"]["smoothed"].all()
    out.write_h5ad(tmp_path / "v.h5ad")
    back = ad.read_h5ad(tmp_path / "v.h5ad")
    pd.testing.assert_frame_equal(back.uns["tamclass"]["gate"]["votes"], out.uns["tamclass"]["gate"]["votes"],
                                  check_dtype=False)
    with pytest.raises(InputError, match="groupby"):
        tc.tl.gate(adata, groupby="nope")
    with pytest.raises(InputError, match="smooth_k"):
        tc.tl.gate(adata, smooth_k=-1)
    plain = tc.tl.gate(adata, smooth_k=0, copy=True)  # per-cell scores, no smoothing
    assert plain.uns["tamclass"]["gate"]["n_smoothed"] == 0
    assert (plain.obs["tamclass_celltype"] == out.obs["tamclass_celltype"]).mean() > 0.9


def test_gate_does_not_clobber_user_columns(synth):
    import tamclass as tc

    adata = synth[:30].copy()
    adata.obs["tamclass_celltype"] = "mine"
    with pytest.raises(InputError, match="key_added"):
        tc.tl.gate(adata)
    assert (adata.obs["tamclass_celltype"] == "mine").all()
    tc.tl.gate(adata, key_added="tc2")
    assert "tc2_celltype" in adata.obs and (adata.obs["tamclass_celltype"] == "mine").all()


def test_gate_backed_equals_in_memory(synth, tmp_path):
    import anndata as ad

    import tamclass as tc

    small = synth[:300].copy()
    small.write_h5ad(tmp_path / "s.h5ad")
    mem = small.copy()
    tc.tl.gate(mem)
    backed = ad.read_h5ad(tmp_path / "s.h5ad", backed="r")
    tc.tl.gate(backed)
    pd.testing.assert_series_equal(mem.obs["tamclass_celltype"], backed.obs["tamclass_celltype"])
    assert not any(k.startswith("_tamclass_tmp") for k in list(backed.obsm) + list(backed.uns))
    backed.file.close()


def test_gate_pbmc68k_monocytes(pbmc68k):
    """pbmc68k_reduced (scanpy wheel): CD14+ monocytes are called myeloid, lymphocytes are not."""
    import tamclass as tc

    adata = pbmc68k.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.gate(adata)
    lab = adata.obs["bulk_labels"].astype(str)
    myeloid = adata.obs["tamclass_celltype"].isin(["macrophage", "monocyte"])
    assert myeloid[lab == "CD14+ Monocyte"].mean() >= 0.9
    lymph = lab.isin(["CD19+ B", "CD4+/CD25 T Reg", "CD4+/CD45RA+/CD25- Naive T", "CD4+/CD45RO+ Memory",
                      "CD56+ NK", "CD8+ Cytotoxic T", "CD8+/CD45RA+ Naive Cytotoxic"])
    assert myeloid[lymph].mean() <= 0.02
