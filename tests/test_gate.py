"""tc.tl.gate: the gating model file, the decision rule (hand-computed), smoothing, cluster vote, missing-gene
warnings, no clobbering, backed input. Real tumour data: tests/test_validation_tumour.py."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tamclass._errors import InputError, TamclassWarning

CATS = ["macrophage", "monocyte", "dendritic", "other"]


@pytest.fixture(scope="module")
def synth():
    from _generators import synthetic_macrophages

    return synthetic_macrophages(
        1200, n_genes=3000, fractions={"macrophage": 0.5, "monocyte": 0.25, "tcell": 0.25}, random_state=1
    )


def _panels():
    from tamclass.gating._panels import Panel

    return (
        Panel("myeloid", "myeloid", "myeloid", ("A",), ""),
        Panel("macrophage", "macrophage", "myeloid", ("B",), ""),
        Panel("monocyte", "monocyte", "myeloid", ("C",), ""),
        Panel("cDC2", "dendritic", "myeloid", ("D",), ""),
        Panel("T_cell", "other", "negative", ("E",), ""),
        Panel("mast", "other", "negative", ("F",), ""),
        Panel("erythrocyte", "other", "contaminant", ("G",), ""),
    )


def test_decide_hand_computed():
    from tamclass.gating._rules import decide

    nan = np.nan
    #               myeloid  mac   mono  cDC2   T     mast  erythrocyte
    S = np.array(
        [
            [0.30, 0.40, 0.20, 0.05, 0.00, 0.00, 0.00],  # macrophage: best lineage panel
            [0.30, 0.10, 0.35, 0.05, 0.00, 0.00, 0.00],  # monocyte
            [0.20, 0.05, 0.10, 0.30, 0.00, 0.00, 0.00],  # dendritic
            [0.30, 0.40, 0.10, 0.00, 0.00, 0.38, 0.00],  # mast leads within margin 0.05: not myeloid
            [0.05, 0.05, 0.05, 0.00, 0.40, 0.00, 0.00],  # T cell
            [0.30, 0.40, 0.10, 0.00, 0.00, 0.00, 0.90],  # ambient haemoglobin does not veto
            [0.02, 0.01, 0.01, 0.00, 0.00, 0.00, 0.60],  # a red cell
            [0.02, 0.01, 0.01, 0.00, 0.03, 0.00, 0.00],  # nothing: unresolved
            [0.40, nan, nan, nan, 0.00, nan, nan],
        ]
    )  # myeloid, no lineage panel scorable
    d = decide(S, _panels(), min_score=0.1, margin=0.05)
    np.testing.assert_array_equal(d.codes, [0, 1, 2, 3, 3, 0, 3, 3, 3])
    assert list(d.lineage) == [
        "macrophage",
        "monocyte",
        "cDC2",
        "mast",
        "T_cell",
        "macrophage",
        "erythrocyte",
        "unresolved",
        "myeloid",
    ]
    np.testing.assert_array_equal(d.myeloid, [1, 1, 1, 0, 0, 1, 0, 0, 1])


def test_gating_model_file_is_biologically_sound():
    """Cited panels; no gene both positive and negative evidence; the monocyte panel lacks what inflammatory
    TAMs keep (S100A8/9, LYZ); neutrophil and mast panels lack monocyte genes; every lineage 0.1.0 missed."""
    from tamclass.gating._panels import load_panels

    panels, by_case = load_panels("human")
    assert by_case == []
    names = {p.lineage: p for p in panels}
    for lineage in (
        "macrophage",
        "monocyte",
        "cDC1",
        "cDC2",
        "mregDC",
        "pDC",
        "neutrophil",
        "mast",
        "perivascular",
        "endothelial",
        "T_cell",
        "B_cell",
        "NK_cell",
        "plasma",
        "epithelial",
        "fibroblast",
    ):
        assert lineage in names, lineage
    for p in panels:
        assert len(p.genes) == len(set(p.genes)) >= 4 or p.role == "contaminant"
        assert p.source.startswith("scGate ") and p.call in CATS + ["myeloid"]
    pos = {g for p in panels if p.role == "myeloid" for g in p.genes}
    neg = {g for p in panels if p.role != "myeloid" for g in p.genes}
    assert not pos & neg
    assert sum("FLT3" in p.genes for p in panels) == 2  # cDC1 and cDC2 share the DC receptor on purpose
    assert not {"S100A8", "S100A9", "LYZ"} & set(names["monocyte"].genes)
    assert {"C1QA", "C1QB", "C1QC", "APOE"} <= set(names["macrophage"].genes)
    assert not {"S100A8", "S100A9", "S100A12", "FCN1", "VCAN", "CD14", "LYZ"} & set(names["neutrophil"].genes)
    assert {"ACKR1", "SELP"} <= set(names["endothelial"].genes) and {"RGS5", "PDGFRB"} <= set(
        names["perivascular"].genes
    )
    mouse, cased = load_panels("mouse")
    assert [p.lineage for p in mouse] == [p.lineage for p in panels]
    assert "C1qa" in {g for p in mouse for g in p.genes}
    assert all(g.isupper() for g in cased)


def test_gate_writes_contract_keys_and_round_trips(synth, tmp_path):
    import anndata as ad

    import tamclass as tc

    adata = synth.copy()
    obsm_before = set(adata.obsm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.gate(adata)
    ct = adata.obs["tamclass_celltype"]
    assert list(ct.cat.categories) == CATS
    assert adata.obs["tamclass_is_macrophage"].dtype == bool
    np.testing.assert_array_equal(adata.obs["tamclass_is_macrophage"].to_numpy(), (ct == "macrophage").to_numpy())
    # generated programs: macrophage cells boost C1Q/APOE, monocyte cells S100A8/9/12, FCN1, VCAN; T cells CD3
    truth = adata.obs["program"].map({"macrophage": "macrophage", "monocyte": "monocyte", "tcell": "other"}).astype(str)
    assert (ct.astype(str) == truth).mean() > 0.9
    assert set(adata.obsm) == obsm_before  # internal scores are not written
    info = adata.uns["tamclass"]["gate"]
    assert sum(info["counts"].values()) == adata.n_obs and info["min_score"] == 0.1
    assert info["panels"]["macrophage"]["n_present"] == len(info["panels"]["macrophage"]["genes_present"])
    lin = adata.obs["tamclass_lineage"]
    assert set(lin.astype(str)) <= set(lin.cat.categories)
    assert (lin[ct == "macrophage"] == "macrophage").all()
    path = tmp_path / "g.h5ad"
    adata.write_h5ad(path)
    back = ad.read_h5ad(path)
    assert back.uns["tamclass"]["gate"]["counts"] == info["counts"]
    assert back.uns["tamclass"]["gate"]["undecidable"] == info["undecidable"]
    assert list(back.obs["tamclass_celltype"].cat.categories) == CATS


def test_gate_names_undecidable_lineages_and_records_them(synth):
    """Genes of the mast and neutrophil panels removed: the warning says they cannot be excluded, uns keeps it."""
    import tamclass as tc
    from tamclass.gating._panels import load_panels

    panels, _ = load_panels()
    drop = {g for p in panels if p.lineage in ("mast", "neutrophil", "cDC1") for g in p.genes}
    adata = synth[:, [g for g in synth.var_names if g not in drop]].copy()
    with pytest.warns(TamclassWarning, match=r"cannot be excluded: neutrophil \(0/10\), mast \(0/10\)"):
        tc.tl.gate(adata)
    info = adata.uns["tamclass"]["gate"]
    assert info["undecidable"]["mast"] == "0/10" and info["undecidable"]["cDC1"] == "0/7"
    assert any("cannot be identified: cDC1" in w for w in info["warnings"])


def test_gate_warns_on_linear_scale_input(synth):
    import tamclass as tc

    adata = synth[:300].copy()
    X = adata.X.toarray()
    adata.X = X / X.sum(1, keepdims=True) * 1e6 + 0.5  # TPM-like, no log
    with pytest.warns(TamclassWarning, match="TPM/CPM without a log"):
        tc.tl.gate(adata)
    assert any("TPM/CPM" in w for w in adata.uns["tamclass"]["gate"]["warnings"])


def test_gate_refuses_scaled_and_unscorable_data(synth):
    import tamclass as tc

    scaled = synth[:50].copy()
    scaled.X = scaled.X.toarray() - 1.0
    with pytest.raises(InputError, match="negative values"):
        tc.tl.gate(scaled)
    blank = synth[:50, [g for g in synth.var_names if g.startswith("GENE")]].copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(InputError, match="none of the myeloid panels"):
            tc.tl.gate(blank)


def test_gate_groupby_and_copy(synth, tmp_path):
    import anndata as ad

    import tamclass as tc

    adata = synth.copy()
    adata.obs["cluster"] = adata.obs["program"].astype(str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = tc.tl.gate(adata, groupby="cluster", copy=True)
        plain = tc.tl.gate(adata, smooth_k=0, copy=True)  # per-cell scores, no smoothing
    assert "tamclass_celltype" not in adata.obs  # original untouched with copy=True
    per = out.obs.groupby("cluster", observed=True)["tamclass_celltype"].nunique()
    assert (per == 1).all()
    votes = out.uns["tamclass"]["gate"]["votes"]
    assert votes["smoothed"].all()
    # a cell moved by the vote takes a lineage that agrees with its new call
    moved = out.obs["tamclass_celltype"] == "macrophage"
    assert (out.obs.loc[moved, "tamclass_lineage"] == "macrophage").all()
    out.write_h5ad(tmp_path / "v.h5ad")
    back = ad.read_h5ad(tmp_path / "v.h5ad")
    pd.testing.assert_frame_equal(back.uns["tamclass"]["gate"]["votes"], votes, check_dtype=False)
    with pytest.raises(InputError, match="groupby"):
        tc.tl.gate(adata, groupby="nope")
    with pytest.raises(InputError, match="smooth_k"):
        tc.tl.gate(adata, smooth_k=-1)
    assert plain.uns["tamclass"]["gate"]["n_smoothed"] == 0


def test_gate_mouse_symbols(synth):
    """The same generated cells with mouse symbols (shipped ortholog table) gate as with human symbols."""
    import tamclass as tc
    from tamclass.signatures._genes import human_to_mouse, ortholog_table

    known = set(ortholog_table()["human_gene"])
    genes = [g for g in synth.var_names if g in known]
    m = human_to_mouse(genes)
    keep = [g for g in genes if len(m[g]) == 1]
    human = synth[:600, keep].copy()
    mouse = human.copy()
    mouse.var_names = [m[g][0] for g in keep]
    mouse.var_names_make_unique()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.gate(human)
        tc.tl.gate(mouse, species="mouse")
    agree = (human.obs["tamclass_celltype"].to_numpy() == mouse.obs["tamclass_celltype"].to_numpy()).mean()
    assert agree > 0.95


def test_knn_smooth_hand_computed():
    from tamclass.gating._smooth import knn_smooth

    emb = np.array([[0.0], [1.0], [3.0], [7.0]])
    vals = np.array([[1.0], [2.0], [4.0], [8.0]])
    out = knn_smooth(vals, emb, k=1, decay=0.5)  # self weight 1, nearest neighbour 0.5 -> (v + 0.5 v_nn) / 1.5
    np.testing.assert_allclose(
        out[:, 0], [(1 + 0.5 * 2) / 1.5, (2 + 0.5 * 1) / 1.5, (4 + 0.5 * 2) / 1.5, (8 + 0.5 * 4) / 1.5]
    )


def test_knn_smooth_reference_subsample():
    """Above max_reference the neighbours come from a systematic subsample; with the subsample = all cells
    the result equals the exact all-cell smoothing."""
    from tamclass.gating._smooth import knn_smooth

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


def test_majority_vote_hand_computed():
    from tamclass.gating._rules import majority_vote

    codes = np.array([0, 0, 1, 3, 3, 1, 1, 0, 0])
    groups = np.array(["a", "a", "a", "b", "b", "c", "c", "c", "c"])
    out, table = majority_vote(codes, groups, min_fraction=0.6)
    # a: 2/3 macrophage >= 0.6 -> all macrophage; b: all other; c: tie 2-2 -> per cell kept
    np.testing.assert_array_equal(out, [0, 0, 0, 3, 3, 1, 1, 0, 0])
    assert table.set_index("group").loc["c", "majority"] == "tie"
    out2, _ = majority_vote(codes, groups, min_fraction=0.7)  # a's 2/3 is now too weak
    np.testing.assert_array_equal(out2[:3], [0, 0, 1])


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
    lymph = lab.isin(
        [
            "CD19+ B",
            "CD4+/CD25 T Reg",
            "CD4+/CD45RA+/CD25- Naive T",
            "CD4+/CD45RO+ Memory",
            "CD56+ NK",
            "CD8+ Cytotoxic T",
            "CD8+/CD45RA+ Naive Cytotoxic",
        ]
    )
    assert myeloid[lymph].mean() <= 0.02
