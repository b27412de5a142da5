"""tc.tl.classify on generated data: keys, NaN handling, calibration record, determinism, user models."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from tamclass._errors import DeviceError, GeneOverlapError, InputError, NotMacrophageWarning

STATE_CATS = ["M1-like", "M2-like", "unassigned", "not macrophage"]


@pytest.fixture(scope="module")
def gated():
    import tamclass as tc
    from tamclass.classifier._synthetic import synthetic_macrophages

    adata = synthetic_macrophages(1500, n_genes=3000, fractions={"macrophage": 0.7, "monocyte": 0.15, "tcell": 0.15},
                                  random_state=2)
    tc.tl.gate(adata)
    return adata


@pytest.fixture(scope="module")
def classified(gated):
    import tamclass as tc

    adata = gated.copy()
    tc.tl.classify(adata, device="cpu")
    return adata


def test_keys_and_values(classified):
    a = classified
    mac = a.obs["tamclass_is_macrophage"].to_numpy()
    assert mac.sum() > 900
    st = a.obs["tamclass_state"]
    assert list(st.cat.categories) == STATE_CATS
    assert (st[~mac] == "not macrophage").all() and not (st[mac] == "not macrophage").any()
    sub = a.obs["tamclass_subset"]
    assert {"unassigned", "not macrophage"} <= set(sub.cat.categories)
    for k in ("tamclass_state_proba", "tamclass_subset_proba"):
        P = a.obsm[k]
        assert isinstance(P, pd.DataFrame) and list(P.index) == list(a.obs_names)
        assert P[~mac].isna().all().all()
        np.testing.assert_allclose(P[mac].sum(1), 1.0, rtol=1e-6)
    assert list(a.obsm["tamclass_state_proba"].columns) == ["M1-like", "M2-like"]
    pol = a.obs["tamclass_polarization"].to_numpy()
    assert np.isnan(pol[~mac]).all() and (np.abs(pol[mac]) <= 1).all()
    P = a.obsm["tamclass_state_proba"].to_numpy()
    np.testing.assert_allclose(pol[mac], P[mac, 1] - P[mac, 0])
    conf = a.obs["tamclass_state_confidence"].to_numpy()
    assert ((st[mac] == "unassigned").to_numpy() == (conf[mac] < 0.7)).all()
    # the generated polarization is recovered
    true = a.obs["true_polarization"].to_numpy()
    both = mac & np.isfinite(true)
    assert np.corrcoef(true[both], pol[both])[0, 1] > 0.7


def test_provenance_and_h5ad_roundtrip(classified, tmp_path):
    import anndata as ad

    info = classified.uns["tamclass"]["classify"]
    sm = info["state_model"]
    assert sm["status"] == "trained" and sm["temperature"] > 0
    assert 0 <= sm["ece_calibrated"] <= 1 and 0 <= sm["ece_uncalibrated"] <= 1
    assert sm["n_calibration"] > 0 and sm["n_evaluation"] > 0 and "evaluation part" in sm["calibration_protocol"]
    assert sm["n_seeds"]["M1-like"] >= 10 and sm["n_seeds"]["M2-like"] >= 10
    assert len(info["panel_genes"]) > 50
    path = tmp_path / "c.h5ad"
    classified.write_h5ad(path)
    back = ad.read_h5ad(path)
    assert back.uns["tamclass"]["classify"]["state_model"]["temperature"] == pytest.approx(sm["temperature"])
    pd.testing.assert_frame_equal(back.obsm["tamclass_state_proba"], classified.obsm["tamclass_state_proba"])
    assert list(back.obs["tamclass_state"].cat.categories) == STATE_CATS


def test_deterministic(gated, classified):
    import tamclass as tc

    again = gated.copy()
    tc.tl.classify(again, device="cpu")
    pd.testing.assert_series_equal(again.obs["tamclass_state"], classified.obs["tamclass_state"])
    pd.testing.assert_frame_equal(again.obsm["tamclass_state_proba"], classified.obsm["tamclass_state_proba"])
    pd.testing.assert_frame_equal(again.obsm["tamclass_subset_proba"], classified.obsm["tamclass_subset_proba"])


def test_no_macrophages_warns_and_writes_only_nan(gated):
    import tamclass as tc

    t = gated[gated.obs["program"] == "tcell"].copy()
    assert not t.obs["tamclass_is_macrophage"].any()
    with pytest.warns(NotMacrophageWarning, match="no macrophages"):
        tc.tl.classify(t, device="cpu")
    assert (t.obs["tamclass_state"] == "not macrophage").all()
    assert t.obsm["tamclass_state_proba"].isna().all().all()
    assert t.obs["tamclass_polarization"].isna().all()
    assert "no macrophages" in t.uns["tamclass"]["classify"]["status"]


def test_runs_gate_when_missing(gated):
    import tamclass as tc

    a = gated[:400].copy()
    del a.obs["tamclass_is_macrophage"], a.obs["tamclass_celltype"]
    del a.uns["tamclass"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.classify(a, device="cpu")
    assert "tamclass_is_macrophage" in a.obs and "gate" in a.uns["tamclass"]


def test_refuses_to_clobber_and_bad_args(gated):
    import torch

    import tamclass as tc

    a = gated[:200].copy()
    a.obs["tamclass_state"] = "mine"
    with pytest.raises(InputError, match="key_added"):
        tc.tl.classify(a, device="cpu")
    with pytest.raises(InputError, match="state_threshold"):
        tc.tl.classify(a, state_threshold=2)
    if not torch.cuda.is_available():
        with pytest.raises(DeviceError):
            tc.tl.classify(a, device="cuda", key_added="x")


def test_user_model_path(gated, tmp_path):
    """A model trained on M1-like/M2-like labels fills label, state and polarization keys."""
    import tamclass as tc

    ref = gated[gated.obs["tamclass_is_macrophage"].to_numpy()].copy()
    ref.obs["state"] = np.where(ref.obs["true_polarization"] < 0, "M1-like", "M2-like")
    model = tc.tl.train(ref, "state", genes=["Cheng2021_M1", "Cheng2021_M2"], epochs=15, device="cpu")
    assert model.kind == "state"
    path = model.save(tmp_path / "state.tamclass")
    q = gated.copy()
    tc.tl.classify(q, str(path), device="cpu", key_added="tamclass")
    mac = q.obs["tamclass_is_macrophage"].to_numpy()
    lab = q.obs["tamclass_label"]
    assert (lab[~mac] == "not macrophage").all()
    np.testing.assert_allclose(q.obsm["tamclass_label_proba"][mac].sum(1), 1.0, rtol=1e-6)
    truth = np.where(q.obs["true_polarization"] < 0, "M1-like", "M2-like")[mac]
    called = lab[mac].astype(str).to_numpy()
    assert (called == truth)[called != "unassigned"].mean() > 0.85
    pol = q.obs["tamclass_polarization"].to_numpy()
    assert np.corrcoef(pol[mac], q.obs["true_polarization"].to_numpy()[mac])[0, 1] > 0.7
    assert q.uns["tamclass"]["classify"]["overlap"]["fraction_found"] == 1.0
    # a query without the panel genes is refused
    other = q[:, [g for g in q.var_names if g not in set(model.genes)]].copy()
    for k in [k for k in other.obs if k.startswith("tamclass_label")]:
        del other.obs[k]
    with pytest.raises(GeneOverlapError):
        tc.tl.classify(other, model, device="cpu", key_added="q2")


def test_backed_equals_in_memory(gated, tmp_path):
    import anndata as ad

    import tamclass as tc

    small = gated[:500].copy()
    del small.uns["tamclass"], small.obs["tamclass_celltype"], small.obs["tamclass_is_macrophage"]
    small.write_h5ad(tmp_path / "s.h5ad")
    mem = small.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.gate(mem)
        tc.tl.classify(mem, device="cpu")
        backed = ad.read_h5ad(tmp_path / "s.h5ad", backed="r")
        tc.tl.gate(backed)
        tc.tl.classify(backed, device="cpu")
    pd.testing.assert_series_equal(mem.obs["tamclass_state"], backed.obs["tamclass_state"])
    pd.testing.assert_frame_equal(mem.obsm["tamclass_state_proba"], backed.obsm["tamclass_state_proba"])
    backed.file.close()


def test_is_macrophage_column_must_be_boolean(gated):
    import tamclass as tc

    a = gated[:100].copy()
    a.obs["tamclass_is_macrophage"] = np.where(np.arange(100) < 50, True, np.nan).astype(object)
    with pytest.raises(InputError, match="boolean"):
        tc.tl.classify(a, device="cpu")
