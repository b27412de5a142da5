"""The input adapter: extract_genes, normalisation detection, chunked/backed streaming."""

from __future__ import annotations

import tracemalloc

import anndata as ad
import numpy as np
import pandas as pd
import pytest
import scanpy as sc
import scipy.sparse as sp

import tamclass as tc
from tamclass._data import extract_genes, resolve_matrix
from tamclass._errors import InputError


def _counts(n_cells=300, n_genes=400, seed=0):
    rng = np.random.default_rng(seed)
    means = rng.lognormal(-1.0, 1.5, size=n_genes)
    X = rng.poisson(means[None, :] * rng.uniform(0.5, 2.0, size=(n_cells, 1)))
    X[:, 0] = 0  # an all-zero gene
    return ad.AnnData(
        sp.csr_matrix(X.astype(np.float32)),
        obs=pd.DataFrame(index=[f"cell{i}" for i in range(n_cells)]),
        var=pd.DataFrame(index=[f"G{j}" for j in range(n_genes)]),
    )


def test_extract_genes_lognormalises_counts_like_scanpy():
    adata = _counts()
    genes = ["G5", "G1", "NOPE", "G300", "G0"]
    X, found, missing = extract_genes(adata, genes, chunk_size=37)
    assert found == ["G5", "G1", "G300", "G0"] and missing == ["NOPE"]
    ref = adata.copy()
    sc.pp.normalize_total(ref, target_sum=1e4)
    sc.pp.log1p(ref)
    expected = ref[:, found].X.toarray()
    assert X.dtype == np.float32 and X.shape == (adata.n_obs, 4)
    np.testing.assert_allclose(X, expected, rtol=1e-6, atol=1e-6)
    assert (adata.X.data == np.round(adata.X.data)).all()  # input not modified


def test_extract_genes_keeps_lognormalised_data(pbmc68k):
    X, found, missing = extract_genes(pbmc68k, ["LYZ", "CD3D", "CD14"])  # .raw by default
    assert found == ["LYZ", "CD3D"] and missing == ["CD14"]
    np.testing.assert_array_equal(X, pbmc68k.raw[:, found].X.toarray())
    X2, _, _ = extract_genes(pbmc68k, ["LYZ"], use_raw=False)
    np.testing.assert_array_equal(X2[:, 0], pbmc68k[:, "LYZ"].X.ravel())
    counts = _counts()
    raw, _, _ = extract_genes(counts, ["G5"], normalize=False)
    np.testing.assert_array_equal(raw[:, 0], counts[:, "G5"].X.toarray().ravel())


def test_extract_genes_backed_and_aliases(tmp_path):
    adata = _counts()
    adata.var_names = [*adata.var_names[:-1], "CXCL8"]
    path = tmp_path / "c.h5ad"
    adata.write_h5ad(path)
    mem, found, _ = extract_genes(adata, ["IL8", "G3"])
    assert found == ["IL8", "G3"]  # old symbol IL8 found as CXCL8
    backed = ad.read_h5ad(path, backed="r")
    got, found2, _ = extract_genes(backed, ["IL8", "G3"], chunk_size=50)
    assert found2 == found
    np.testing.assert_array_equal(got, mem)
    backed.file.close()


def test_detect_normalization(pbmc68k):
    counts = _counts()
    assert tc.pp.detect_normalization(counts) == "counts"
    assert tc.pp.detect_normalization(pbmc68k) == "log1p"
    assert tc.pp.detect_normalization(pbmc68k, use_raw=False) == "scaled"
    cp10k = counts.copy()
    sc.pp.normalize_total(cp10k, target_sum=1e4)
    assert tc.pp.detect_normalization(cp10k) == "unknown"
    sc.pp.log1p(cp10k)
    assert tc.pp.detect_normalization(cp10k) == "log1p"
    assert tc.pp.detect_normalization(cp10k.X) == "log1p"


def test_resolve_matrix_rules(pbmc68k):
    src = resolve_matrix(pbmc68k)
    assert src.where == "raw.X" and src.n_vars == pbmc68k.raw.n_vars
    src = resolve_matrix(pbmc68k, use_raw=False)
    assert src.where == "X" and src.kind == "dense"
    with pytest.raises(InputError, match="choose one"):
        resolve_matrix(pbmc68k, use_raw=True, layer="x")
    with pytest.raises(InputError, match="empty"):
        resolve_matrix(pbmc68k[:, []].copy())


def test_chunks_are_canonical_csr():
    dup = sp.csr_matrix((np.array([1.0, 2.0, 3.0]), np.array([1, 1, 0]), np.array([0, 2, 3])), shape=(2, 3))
    a = ad.AnnData(dup)
    chunks = list(resolve_matrix(a).iter_chunks(1))
    assert [c.shape for _, _, c in chunks] == [(1, 3), (1, 3)]
    assert chunks[0][2].has_canonical_format and chunks[0][2][0, 1] == 3.0
    ints = ad.AnnData(np.array([[1, 0], [0, 2]], dtype=np.int64))
    ((_, _, c),) = resolve_matrix(ints).iter_chunks()
    assert c.dtype == np.float64


@pytest.mark.slow
def test_backed_streaming_memory_stays_flat(tmp_path):
    """Scoring a backed file reads it chunk by chunk: peak Python-heap memory is a fraction of the matrix."""
    rng = np.random.default_rng(0)
    n_cells, n_genes = 20_000, 3_000
    X = sp.random(n_cells, n_genes, density=0.1, format="csr", dtype=np.float32, random_state=rng)
    X.data = np.log1p(np.ceil(X.data * 4)).astype(np.float32)
    adata = ad.AnnData(
        X,
        obs=pd.DataFrame(index=[f"c{i}" for i in range(n_cells)]),
        var=pd.DataFrame(index=[f"G{j}" for j in range(n_genes)]),
    )
    path = tmp_path / "big.h5ad"
    adata.write_h5ad(path)
    matrix_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    ref = adata.copy()
    sigs = {"a": [f"G{j}" for j in range(0, 60, 2)], "b": [f"G{j}" for j in range(100, 130)]}
    tc.tl.score(ref, sigs)
    del adata, X
    backed = ad.read_h5ad(path, backed="r")
    tracemalloc.start()
    tc.tl.score(backed, sigs, chunk_size=1000)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 0.2 * matrix_bytes, (peak, matrix_bytes)
    np.testing.assert_array_equal(backed.obsm["tamclass_scores"].to_numpy(), ref.obsm["tamclass_scores"].to_numpy())
    backed.file.close()


def test_real_counts_extract_and_rank_invariance(shared_data):
    """Hao et al. 2021 PBMC raw UMI counts: extract_genes log-normalises like scanpy; rank/aucell scores of
    counts equal those of their log1p(CP10k) (a per-cell monotone transform keeps ranks and ties)."""
    counts = ad.read_h5ad(shared_data("singlecell/hao2021_pbmc_small_counts.h5ad"))
    assert tc.pp.detect_normalization(counts) == "counts"
    genes = ["CD14", "LYZ", "FCGR3A", "CD3E", "MS4A1", "NKG7"]
    X, found, _ = extract_genes(counts, genes, chunk_size=200)
    ref = counts.copy()
    sc.pp.normalize_total(ref, target_sum=1e4)
    sc.pp.log1p(ref)
    np.testing.assert_allclose(X, ref[:, found].X.toarray(), rtol=1e-5, atol=1e-5)
    sigs = {"mono": ["CD14", "LYZ", "S100A8", "FCN1"], "T": ["CD3E", "CD3D", "IL7R"]}
    for method in ("rank", "aucell"):
        a, b = counts.copy(), ref.copy()
        tc.tl.score(a, sigs, method=method)
        tc.tl.score(b, sigs, method=method)
        np.testing.assert_allclose(a.obsm["tamclass_scores"], b.obsm["tamclass_scores"], atol=1e-12)
    mono = counts.obs["cell_type"].astype(str) == "Monocytes"
    assert a.obsm["tamclass_scores"].loc[mono, "mono"].mean() > a.obsm["tamclass_scores"].loc[~mono, "mono"].mean()


def test_extract_genes_dask_equals_in_memory():
    da = pytest.importorskip("dask.array")
    adata = _counts()
    ref, found, missing = extract_genes(adata, ["G5", "G1", "NOPE"])
    lazy = adata.copy()
    lazy.X = da.from_array(adata.X.toarray(), chunks=(64, -1))
    got, found2, missing2 = extract_genes(lazy, ["G5", "G1", "NOPE"])
    assert (found2, missing2) == (found, missing)
    np.testing.assert_array_equal(got, ref)
