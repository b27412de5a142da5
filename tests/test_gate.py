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
    path = tmp_path / "g.h5ad"
    adata.write_h5ad(path)
    back = ad.read_h5ad(path)
    assert back.uns["tamclass"]["gate"]["counts"] == info["counts"]
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
