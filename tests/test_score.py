"""tc.tl.score: what it writes, input handling, determinism, errors."""

from __future__ import annotations

import warnings

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

import tamclass as tc
from tamclass._errors import GeneOverlapError, InputError, NormalizationError, SignatureError, TamclassWarning

SIGS = {
    "mono": ["CD14", "LYZ", "S100A8", "FCN1", "CST3", "TYROBP"],
    "T": ["CD3D", "CD3E", "IL7R", "LDHB"],
    "signed": ["LYZ+", "CST3", "CD3D-", "CD3E-"],
}
METHODS = ["rank", "module", "aucell", "mean"]


@pytest.fixture
def lognorm(pbmc68k):
    """pbmc68k_reduced's log-normalised .raw as a plain AnnData (CSR float32)."""
    return ad.AnnData(
        pbmc68k.raw.X.copy(),
        obs=pbmc68k.obs[["bulk_labels"]].copy(),
        var=pd.DataFrame(index=pbmc68k.raw.var_names.copy()),
    )


def _scores(adata, sigs=SIGS, key="tamclass", **kw):
    tc.tl.score(adata, sigs, key_added=key, **kw)
    return adata.obsm[f"{key}_scores"]


@pytest.mark.parametrize("method", METHODS)
def test_writes_obsm_and_uns_and_roundtrips(lognorm, method, tmp_path):
    X_before = lognorm.X.copy()
    assert tc.tl.score(lognorm, SIGS, method=method) is None
    df = lognorm.obsm["tamclass_scores"]
    assert isinstance(df, pd.DataFrame) and list(df.columns) == list(SIGS)
    assert df.index.equals(lognorm.obs_names) and (df.dtypes == np.float64).all()
    assert np.isfinite(df.to_numpy()).all()
    prov = lognorm.uns["tamclass"]["score"]
    assert prov["method"] == method
    assert prov["signatures"]["mono"]["genes_missing"] == ["CD14"]  # CD14 is not among pbmc68k's 765 genes
    assert prov["signatures"]["signed"]["n_up"] == 2 and prov["signatures"]["signed"]["n_down"] == 2
    assert prov["input"]["matrix"] == "X" and prov["library_version"]
    assert (lognorm.X != X_before).nnz == 0  # input matrix untouched
    path = tmp_path / "scored.h5ad"
    lognorm.write_h5ad(path)
    back = ad.read_h5ad(path)
    pd.testing.assert_frame_equal(back.obsm["tamclass_scores"], df)
    assert back.uns["tamclass"]["score"]["method"] == method
    assert list(back.uns["tamclass"]["score"]["signatures"]["T"]["genes_used"]) == SIGS["T"]


def test_scores_separate_monocytes_from_t_cells(lognorm):
    df = _scores(lognorm)
    labels = lognorm.obs["bulk_labels"].astype(str)
    mono = labels == "CD14+ Monocyte"
    t = labels.str.contains("CD4+|CD8+", regex=True)
    assert df.loc[mono, "mono"].mean() > df.loc[t, "mono"].mean() + 0.2
    assert df.loc[t, "T"].mean() > df.loc[mono, "T"].mean() + 0.1


def test_copy_returns_scored_copy(lognorm):
    out = tc.tl.score(lognorm, SIGS, copy=True)
    assert isinstance(out, ad.AnnData) and "tamclass_scores" in out.obsm
    assert "tamclass_scores" not in lognorm.obsm and "tamclass" not in lognorm.uns


@pytest.mark.parametrize("method", METHODS)
def test_bit_identical_reruns(lognorm, method):
    a = _scores(lognorm.copy(), method=method, ctrl_size=5).to_numpy()  # small ctrl_size: random draws happen
    b = _scores(lognorm.copy(), method=method, ctrl_size=5).to_numpy()
    assert np.array_equal(a, b)


def test_random_state_changes_module_draws_only_via_local_rng(lognorm):
    state = np.random.get_state()
    a = _scores(lognorm.copy(), method="module", ctrl_size=5, random_state=0)
    b = _scores(lognorm.copy(), method="module", ctrl_size=5, random_state=1)
    _scores(lognorm.copy(), method="aucell", random_state=3)
    after = np.random.get_state()
    assert state[0] == after[0] and np.array_equal(state[1], after[1]) and state[2:] == after[2:]
    assert not np.allclose(a.to_numpy(), b.to_numpy())


def test_module_controls_of_a_set_do_not_depend_on_other_sets(lognorm):
    alone = _scores(lognorm.copy(), {"mono": SIGS["mono"]}, method="module", ctrl_size=5)
    together = _scores(lognorm.copy(), method="module", ctrl_size=5)
    np.testing.assert_array_equal(alone["mono"].to_numpy(), together["mono"].to_numpy())


@pytest.mark.parametrize("method", ["rank", "aucell"])
def test_cell_scores_do_not_depend_on_other_cells(lognorm, method):
    full = _scores(lognorm.copy(), method=method)
    cells = lognorm.obs_names[[5, 77, 300, 699]]
    for cell in cells:
        alone = _scores(lognorm[[cell]].copy(), method=method)
        np.testing.assert_array_equal(alone.to_numpy(), full.loc[[cell]].to_numpy())
    # and in a larger object (cells duplicated twice over, reordered)
    big = ad.concat([lognorm[::-1], lognorm], index_unique="-")
    np.testing.assert_array_equal(_scores(big, method=method).to_numpy()[lognorm.n_obs :], full.to_numpy())


@pytest.mark.parametrize("method", METHODS)
def test_matrix_formats_agree(lognorm, method):
    ref = _scores(lognorm.copy(), method=method).to_numpy()
    X = lognorm.X
    for variant in (X.tocsc(), X.toarray(), X.astype(np.float64), X.toarray().astype(np.float64), sp.csr_array(X)):
        other = lognorm.copy()
        other.X = variant
        got = _scores(other, method=method, chunk_size=123).to_numpy()
        np.testing.assert_allclose(got, ref, atol=1e-12, rtol=0)


def test_layer_and_use_raw(pbmc68k, lognorm):
    ref = _scores(lognorm.copy())
    raw_default = _scores(pbmc68k.copy())  # .raw is used by default (X is scaled)
    np.testing.assert_array_equal(raw_default.to_numpy(), ref.to_numpy())
    assert pbmc68k.copy().raw is not None
    layered = lognorm.copy()
    layered.layers["lognorm"] = layered.X.copy()
    layered.X = sp.csr_matrix(layered.X.shape, dtype=np.float32)
    np.testing.assert_array_equal(_scores(layered, layer="lognorm").to_numpy(), ref.to_numpy())
    with pytest.raises(NormalizationError, match="use_raw=True"):
        tc.tl.score(pbmc68k.copy(), SIGS, use_raw=False)  # scaled X has negative values
    with pytest.raises(InputError, match="layer 'nope' not found"):
        tc.tl.score(lognorm, SIGS, layer="nope")
    with pytest.raises(InputError, match="adata.raw is empty"):
        tc.tl.score(lognorm, SIGS, use_raw=True)


def test_gene_symbols_with_ensembl_var_names(lognorm):
    ref = _scores(lognorm.copy())
    ens = lognorm.copy()
    ens.var["symbol"] = ens.var_names.to_numpy()
    ens.var_names = [f"ENSG{i:011d}" for i in range(ens.n_vars)]
    got = _scores(ens, gene_symbols="symbol")
    np.testing.assert_array_equal(got.to_numpy(), ref.to_numpy())
    assert ens.uns["tamclass"]["score"]["input"]["gene_symbols"] == "symbol"
    with pytest.raises(GeneOverlapError, match="Ensembl IDs: pass gene_symbols="):
        tc.tl.score(ens, SIGS)
    with pytest.raises(InputError, match="not a column"):
        tc.tl.score(ens, SIGS, gene_symbols="gene_name")


def test_alias_symbols_are_matched(lognorm):
    renamed = lognorm.copy()
    names = renamed.var_names.to_list()
    assert "CXCL8" not in names
    i = names.index("LYZ")
    # an old symbol in the signature finds the current symbol in the data (IL8 -> CXCL8)
    names[i] = "CXCL8"
    renamed.var_names = names
    tc.tl.score(renamed, {"x": ["IL8", "CST3"]})
    assert renamed.uns["tamclass"]["score"]["signatures"]["x"]["genes_matched"] == ["CXCL8", "CST3"]


def test_existing_columns_are_kept_and_replaced(lognorm):
    tc.tl.score(lognorm, {"mono": SIGS["mono"], "T": SIGS["T"]})
    first_T = lognorm.obsm["tamclass_scores"]["T"].copy()
    tc.tl.score(lognorm, {"mono": ["LYZ", "CST3"], "B": ["CD79A", "MS4A1"]}, method="aucell")
    df = lognorm.obsm["tamclass_scores"]
    assert list(df.columns) == ["mono", "T", "B"]
    pd.testing.assert_series_equal(df["T"], first_T)
    sigs = lognorm.uns["tamclass"]["score"]["signatures"]
    assert sigs["T"]["method"] == "rank" and sigs["mono"]["method"] == "aucell"
    # another key_added leaves these alone
    tc.tl.score(lognorm, SIGS, key_added="other")
    assert list(lognorm.obsm["tamclass_scores"].columns) == ["mono", "T", "B"]
    assert "other_scores" in lognorm.obsm


def test_library_default_skips_absent_sets_with_warning(lognorm):
    with pytest.warns(TamclassWarning, match="skipped"):
        tc.tl.score(lognorm)  # pbmc68k has 765 genes: several library sets have none
    prov = lognorm.uns["tamclass"]["score"]
    assert len(prov["skipped"]) > 0
    assert set(prov["skipped"]).isdisjoint(lognorm.obsm["tamclass_scores"].columns)
    assert "Cheng2021_M1" in lognorm.obsm["tamclass_scores"].columns


def test_explicit_set_with_too_few_genes_raises(lognorm):
    with pytest.raises(GeneOverlapError, match="'none_here' \\(0 of 2\\)"):
        tc.tl.score(lognorm, {"ok": ["LYZ"], "none_here": ["NOTAGENE1", "NOTAGENE2"]})
    with pytest.raises(GeneOverlapError, match="min_genes=3"):
        tc.tl.score(lognorm, {"two": ["LYZ", "CST3", "NOTAGENE"]}, min_genes=3)
    # named library set (not from "default"): an error too
    with pytest.raises(GeneOverlapError, match="IHC_CD68"):
        tc.tl.score(lognorm, ["IHC_CD68"])


def test_no_overlap_message_suggests_species(lognorm):
    mouse = lognorm.copy()
    mouse.var_names = [n.capitalize() + "x" for n in mouse.var_names]
    with pytest.raises(GeneOverlapError, match="species='mouse'"):
        tc.tl.score(mouse, "default")


def test_bad_inputs(lognorm):
    nan = lognorm.copy()
    nan.X = nan.X.copy()
    nan.X.data[10] = np.nan
    with pytest.raises(InputError, match="non-finite"):
        tc.tl.score(nan, SIGS)
    with pytest.raises(InputError, match="empty"):
        tc.tl.score(lognorm[:0].copy(), SIGS)
    dup = lognorm.copy()
    names = dup.var_names.to_list()
    names[names.index("CST3")] = "LYZ"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        dup.var_names = names
    with pytest.raises(InputError, match="var_names_make_unique"):
        tc.tl.score(dup, SIGS)
    tc.tl.score(dup, {"T": SIGS["T"]})  # duplicates among genes not used are harmless
    neg = ad.concat([lognorm, lognorm], index_unique="-")
    neg.X = neg.X.copy()
    neg.X.data[neg.X.indptr[1200]] = -1.0  # one negative value beyond the cells sampled up front
    with pytest.raises(NormalizationError, match="needs non-negative values.*cell '.*-1'"):
        tc.tl.score(neg, SIGS, method="rank", chunk_size=100)
    with pytest.raises(InputError, match="unknown scoring method"):
        tc.tl.score(lognorm, SIGS, method="ucell2")
    with pytest.raises(SignatureError):
        tc.tl.score(lognorm, {"x": "LYZ"})
    with pytest.raises(InputError, match="AnnData"):
        tc.tl.score(lognorm.X, SIGS)
    with pytest.raises(InputError, match="n_up"):
        tc.tl.score(lognorm, SIGS, method="aucell", n_up=1)
    with pytest.raises(InputError, match="chunk_size"):
        tc.tl.score(lognorm, SIGS, chunk_size=0)


def test_counts_warn_for_module(lognorm):
    counts = lognorm.copy()
    counts.X = sp.csr_matrix(np.round(np.expm1(counts.X.toarray())))
    with pytest.warns(TamclassWarning, match="counts"):
        tc.tl.score(counts, SIGS, method="module")


@pytest.mark.parametrize("method", METHODS)
def test_backed_equals_in_memory(lognorm, tmp_path, method):
    path = tmp_path / "x.h5ad"
    lognorm.write_h5ad(path)
    ref = _scores(lognorm.copy(), method=method).to_numpy()
    backed = ad.read_h5ad(path, backed="r")
    got = _scores(backed, method=method, chunk_size=64).to_numpy()
    np.testing.assert_array_equal(got, ref)
    assert backed.uns["tamclass"]["score"]["input"]["backed"] is True
    backed.file.close()
    with pytest.raises(InputError, match="backed"):
        tc.tl.score(ad.read_h5ad(path, backed="r"), SIGS, copy=True)


def test_backed_dense_and_raw(pbmc68k, tmp_path):
    path = tmp_path / "raw.h5ad"
    pbmc68k.write_h5ad(path)
    ref = _scores(pbmc68k.copy()).to_numpy()
    backed = ad.read_h5ad(path, backed="r")
    np.testing.assert_array_equal(_scores(backed, chunk_size=100).to_numpy(), ref)
    dense = ad.AnnData(
        pbmc68k.raw.X.toarray(),
        obs=pd.DataFrame(index=pbmc68k.obs_names),
        var=pd.DataFrame(index=pbmc68k.raw.var_names),
    )
    path2 = tmp_path / "dense.h5ad"
    dense.write_h5ad(path2)
    np.testing.assert_array_equal(_scores(ad.read_h5ad(path2, backed="r"), chunk_size=50).to_numpy(), ref)


def test_dask_backed_matrix(lognorm):
    da = pytest.importorskip("dask.array")
    ref = _scores(lognorm.copy(), method="rank").to_numpy()
    lazy = lognorm.copy()
    lazy.X = da.from_array(lognorm.X.toarray(), chunks=(128, -1))
    np.testing.assert_array_equal(_scores(lazy, method="rank").to_numpy(), ref)
    assert lazy.uns["tamclass"]["score"]["input"]["format"] == "dask"


def test_slash_in_set_name_is_refused(lognorm):
    with pytest.raises(SignatureError, match="'/'"):
        tc.tl.score(lognorm, {"M1/M2": ["LYZ", "CST3"]})
