"""tc.pl.embedding / scores / score_distribution / polarization."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

import tamclass as tc
from tamclass._errors import InputError

SIGS = ["Cheng2021_M1", "Cheng2021_M2", "Macrophage_identity"]


@pytest.fixture(scope="module")
def scored():
    adata = tc.datasets.demo()
    tc.tl.score(adata, SIGS)
    rng = np.random.default_rng(0)
    pol = rng.uniform(-1, 1, adata.n_obs)
    pol[rng.random(adata.n_obs) < 0.3] = np.nan  # non-macrophages
    adata.obs["tamclass_polarization"] = pol
    return adata


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def _snapshot(adata):
    return list(adata.obs.columns), sorted(adata.uns.keys()), list(adata.obsm.keys())


def test_embedding_leaves_nothing_behind(scored):
    before = _snapshot(scored)
    obs_before = scored.obs.copy()
    axes = tc.pl.embedding(scored, "umap", ["Cheng2021_M1", "Cheng2021_M2"], color="leiden", show=False)
    assert [a.get_title() for a in axes] == ["Cheng2021_M1", "Cheng2021_M2", "leiden"]
    assert _snapshot(scored) == before
    pd.testing.assert_frame_equal(scored.obs, obs_before)
    # colours really are the scores: the first scatter's array equals the score column (order may be sorted by value)
    arr = np.asarray(axes[0].collections[0].get_array(), dtype=float)
    np.testing.assert_allclose(
        np.sort(arr), np.sort(scored.obsm["tamclass_scores"]["Cheng2021_M1"].to_numpy()), rtol=1e-5
    )


def test_embedding_name_clash_keeps_user_column(scored):
    scored.obs["Cheng2021_M1"] = "user data"
    try:
        ax = tc.pl.embedding(scored, "umap", "Cheng2021_M1", show=False)
        assert ax.get_title() == "Cheng2021_M1"
        assert (scored.obs["Cheng2021_M1"] == "user data").all()
        assert "score: Cheng2021_M1" not in scored.obs.columns
    finally:
        del scored.obs["Cheng2021_M1"]


def test_embedding_errors(scored):
    with pytest.raises(InputError, match="embedding 'tsne' not found"):
        tc.pl.embedding(scored, "tsne", show=False)
    with pytest.raises(InputError, match="were not scored"):
        tc.pl.embedding(scored, "umap", ["NotScored"], show=False)
    with pytest.raises(InputError, match="run tamclass.tl.score"):
        tc.pl.embedding(scored, "umap", key_added="other", show=False)


def test_scores_heatmap_means(scored, tmp_path):
    ax = tc.pl.scores(scored, "leiden", show=False, save=str(tmp_path / "heat.png"))
    means = ax.tamclass_means
    scores = scored.obsm["tamclass_scores"]
    for g in scored.obs["leiden"].cat.categories:
        mask = (scored.obs["leiden"] == g).to_numpy()
        np.testing.assert_allclose(means.loc[g].to_numpy(), scores.to_numpy()[mask].mean(axis=0), rtol=1e-6)
    assert (tmp_path / "heat.png").read_bytes()[:4] == b"\x89PNG"
    img = ax.images[0].get_array()
    assert img.shape == (len(scored.obs["leiden"].cat.categories), len(SIGS))
    ax2 = tc.pl.scores(scored, "leiden", standard_scale="var", show=False)
    scaled = np.asarray(ax2.images[0].get_array())
    np.testing.assert_allclose(np.nanmin(scaled, axis=0), 0)
    np.testing.assert_allclose(np.nanmax(scaled, axis=0), 1)
    with pytest.raises(InputError, match="standard_scale"):
        tc.pl.scores(scored, "leiden", standard_scale="rows", show=False)
    with pytest.raises(InputError, match="no groupby given"):
        tc.pl.scores(scored, show=False)
    with pytest.raises(InputError, match="not a column of obs"):
        tc.pl.scores(scored, "nope", show=False)


def test_score_distribution(scored):
    axes = tc.pl.score_distribution(scored, "leiden", SIGS[:2], show=False)
    assert [a.get_title() for a in axes] == SIGS[:2]
    labels = [t.get_text() for t in axes[0].get_xticklabels()]
    assert labels == list(scored.obs["leiden"].cat.categories)
    ax = tc.pl.score_distribution(scored, "sample", "Cheng2021_M1", kind="box", show=False)
    assert ax.get_title() == "Cheng2021_M1"
    with pytest.raises(InputError, match="single signature"):
        fig, one = plt.subplots()
        tc.pl.score_distribution(scored, "leiden", SIGS, ax=one, show=False)
    with pytest.raises(InputError, match="kind"):
        tc.pl.score_distribution(scored, "leiden", kind="swarm", show=False)


def test_polarization(scored):
    ax = tc.pl.polarization(scored, show=False)
    heights = sum(p.get_height() for p in ax.patches)
    n_finite = int(np.isfinite(scored.obs["tamclass_polarization"]).sum())
    assert heights == n_finite
    assert f"n = {n_finite:,}" in ax.get_title()
    ax = tc.pl.polarization(scored, groupby="sample", show=False)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["demo_1", "demo_2", "demo_3"]
    del_col = scored.obs.pop("tamclass_polarization")
    try:
        with pytest.raises(InputError, match="tl.classify"):
            tc.pl.polarization(scored, show=False)
    finally:
        scored.obs["tamclass_polarization"] = del_col
