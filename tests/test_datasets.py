"""The bundled demo dataset: real, small, integer counts, X = log1p(CP10k), cited, fresh copy per call."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp

import tamclass as tc
from tamclass.datasets._demo import DEMO_PATH


def test_demo_file_small_and_shipped():
    assert DEMO_PATH.is_file()
    assert DEMO_PATH.stat().st_size < 5 * 1024 * 1024
    # the file is inside the package data pattern of pyproject ("datasets/data/*")
    assert DEMO_PATH.parent.name == "data" and DEMO_PATH.parent.parent.name == "datasets"


def test_demo_contents():
    adata = tc.datasets.demo()
    assert adata.shape == (559, 9810)
    assert adata.var_names.is_unique and adata.obs_names.is_unique
    counts = adata.layers["counts"]
    assert sp.issparse(counts) and counts.format == "csr"
    data = counts.data
    assert np.all(data == np.round(data)) and data.min() >= 1
    # every kept gene is detected in at least one cell
    assert (np.asarray((counts > 0).sum(axis=0)).ravel() >= 1).all()
    # X is log1p(counts / total * 1e4), recomputed independently here
    totals = np.asarray(counts.sum(axis=1)).ravel()
    expected = sp.diags(1e4 / totals) @ counts.astype(np.float64)
    expected.data = np.log1p(expected.data)
    diff = abs(adata.X.astype(np.float64) - expected)
    assert diff.max() < 1e-5
    np.testing.assert_allclose(np.expm1(adata.X.toarray().astype(np.float64)).sum(axis=1), 1e4, rtol=1e-4)
    # the cells really are myeloid-rich (anchors.md: CD68 detected in 375 cells, LYZ in 492)
    det = lambda g: int((counts[:, adata.var_names.get_loc(g)] > 0).sum())
    assert det("CD68") == 375 and det("LYZ") == 492


def test_demo_pseudo_samples_and_provenance():
    adata = tc.datasets.demo()
    s = adata.obs["sample"]
    assert list(s.cat.categories) == ["demo_1", "demo_2", "demo_3"]
    # consecutive equal blocks in file order
    assert s.iloc[0] == "demo_1" and s.iloc[-1] == "demo_3"
    codes = s.cat.codes.to_numpy()
    assert (np.diff(codes) >= 0).all()
    assert sorted(s.value_counts().tolist()) == [186, 186, 187]
    meta = adata.uns["tamclass_demo"]
    assert meta["doi"] == "10.1126/science.abl5197"
    assert "MIT" in meta["licence"]
    assert "ILLUSTRATIVE" in meta["sample_note"]
    assert adata.obsm["X_umap"].shape == (559, 2)


def test_demo_fresh_copy_each_call():
    a = tc.datasets.demo()
    a.obs["x"] = 1
    a.X = a.X * 0
    b = tc.datasets.demo()
    assert "x" not in b.obs.columns
    assert b.X.sum() > 0


@pytest.mark.slow
@pytest.mark.skipif(importlib.util.find_spec("celltypist") is None, reason="celltypist not installed")
def test_demo_rebuild_matches(tmp_path):
    """scripts/make_demo_data.py rebuilds the shipped matrix: counts and samples exactly, X up to float32 rounding."""
    import anndata as ad

    spec = importlib.util.spec_from_file_location(
        "make_demo_data", Path(__file__).resolve().parents[1] / "scripts" / "make_demo_data.py"
    )
    if spec is None:
        pytest.skip("scripts/make_demo_data.py not found (installed package without the repository)")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = tmp_path / "demo.h5ad"
    mod.main(["-o", str(out)])
    new, old = ad.read_h5ad(out), tc.datasets.demo()
    assert (new.var_names == old.var_names).all() and (new.obs_names == old.obs_names).all()
    assert abs(new.layers["counts"] - old.layers["counts"]).max() == 0
    # X = log1p(CP10k) in float32: the same non-zero pattern, values equal up to float32 rounding. scanpy's
    # normalize_total divides in float32 along a BLAS/SIMD path that can differ by machine (seen: 4.8e-7 at a
    # value ~6, i.e. one float32 ulp), so allow 2 ulp of each value -- far below any biological difference
    # and far below the 1e-5 by which test_demo_contents checks X against a float64 recomputation.
    assert (new.X.indptr == old.X.indptr).all() and (new.X.indices == old.X.indices).all()
    assert new.X.dtype == old.X.dtype == np.float32
    np.testing.assert_array_max_ulp(new.X.data, old.X.data, maxulp=2)
    assert (new.obs["sample"] == old.obs["sample"]).all()
