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
    from _generators import synthetic_macrophages

    import tamclass as tc

    adata = synthetic_macrophages(
        1500, n_genes=3000, fractions={"macrophage": 0.7, "monocyte": 0.15, "tcell": 0.15}, random_state=2
    )
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
        np.testing.assert_allclose(P[mac].sum(1), 1.0, rtol=1e-6)  # a network was trained on the evidence calls
    assert list(a.obsm["tamclass_state_proba"].columns) == ["M1-like", "M2-like"]
    # polarization is the evidence: tanh((z(M2) - z(M1)) / 4), recomputed from the z written to obsm
    Z = a.obsm["tamclass_state_z"].to_numpy()
    pol = a.obs["tamclass_polarization"].to_numpy()
    assert np.isnan(pol[~mac]).all() and (np.abs(pol[mac]) < 1).all()
    np.testing.assert_allclose(pol[mac], np.tanh((Z[mac, 1] - Z[mac, 0]) / 4))
    # every label has its source; evidence labels are the class with the largest z above the Bonferroni bar
    src = a.obs["tamclass_state_source"].astype(str).to_numpy()
    assert set(src[~mac]) == {"not macrophage"}
    ev = mac & (src == "evidence")
    z_min = a.uns["tamclass"]["classify"]["state_model"]["z_min"]
    assert z_min == pytest.approx(1.959964, abs=1e-5)
    best = np.where(Z[ev].argmax(1) == 0, "M1-like", "M2-like")
    assert (st[ev].astype(str).to_numpy() == best).all() and (Z[ev].max(1) >= z_min).all()
    none = mac & (src == "none")
    assert (st[none] == "unassigned").all()
    net = mac & (src == "network")
    conf = a.obs["tamclass_state_confidence"].to_numpy()
    assert (conf[net] >= 0.7).all() and (Z[net].max(1) < z_min).all()
    # the generated polarization is recovered
    true = a.obs["true_polarization"].to_numpy()
    both = mac & np.isfinite(true)
    assert np.corrcoef(true[both], pol[both])[0, 1] > 0.7


def test_evidence_calls_hand_computed():
    from tamclass.tl._classify import evidence_calls

    Z = np.array([[3.0, 1.0], [1.0, 2.5], [1.0, 1.5], [np.nan, 2.1], [np.nan, np.nan]])
    np.testing.assert_array_equal(evidence_calls(Z, 2.0), [0, 1, -1, 1, -1])


def test_matched_null_hand_checks():
    """Control genes come from the signature gene's own expression bin and never from a signature;
    the z uses the null's mean and (floored) sd; the draw is seeded."""
    from tamclass.scoring._null import SD_FLOOR, expression_bins, matched_control_sets, null_z

    means = np.arange(100, dtype=float)
    bins = expression_bins(means, 10)
    np.testing.assert_array_equal(bins, np.arange(100) // 10)
    sets = {"a": np.array([5, 55]), "b": np.array([95])}
    ctrl = matched_control_sets(sets, means, n_sets=200, n_bins=10, rng=np.random.default_rng(0))
    assert ctrl["a"].shape == (200, 2) and ctrl["b"].shape == (200, 1)
    assert set(np.unique(ctrl["a"][:, 0])) <= set(range(0, 10)) - {5}
    assert set(np.unique(ctrl["a"][:, 1])) <= set(range(50, 60)) - {55}
    assert 95 not in ctrl["b"]
    again = matched_control_sets(sets, means, n_sets=200, n_bins=10, rng=np.random.default_rng(0))
    np.testing.assert_array_equal(ctrl["a"], again["a"])
    null = np.array([[0.1, 0.2, 0.3], [0.5, 0.5, 0.5]])
    np.testing.assert_allclose(null_z(np.array([0.4, 0.6]), null), [(0.4 - 0.2) / 0.1, 0.1 / SD_FLOOR])


def test_small_sample_labelled_by_evidence_alone(gated):
    """Five macrophages: no network can be trained, and clear cells still get their label, identical to the
    evidence call they get inside the full sample (the null is per cell)."""
    import tamclass as tc

    mac = gated.obs_names[gated.obs["tamclass_is_macrophage"].to_numpy()]
    full = gated.copy()
    tc.tl.classify(full, device="cpu")
    few = gated[list(mac[:5])].copy()
    tc.tl.classify(few, device="cpu")
    info = few.uns["tamclass"]["classify"]
    assert "not trained" in info["state_model"]["status"] and "evidence only" in info["status"]
    assert few.obsm["tamclass_state_proba"].isna().all().all()
    src = few.obs["tamclass_state_source"].astype(str)
    assert set(src) <= {"evidence", "none"}
    labelled = src == "evidence"
    assert labelled.sum() >= 1
    ref = full.obsm["tamclass_state_z"].loc[few.obs_names]
    # the same cells' evidence differs only through the genes' mean expression bins (control draw)
    assert np.corrcoef(ref.to_numpy().ravel(), few.obsm["tamclass_state_z"].to_numpy().ravel())[0, 1] > 0.8


def test_provenance_and_h5ad_roundtrip(classified, tmp_path):
    import anndata as ad

    info = classified.uns["tamclass"]["classify"]
    sm = info["state_model"]
    assert sm["status"] == "trained" and sm["temperature"] > 0
    assert 0 <= sm["ece_calibrated"] <= 1 and 0 <= sm["ece_uncalibrated"] <= 1
    assert sm["n_calibration"] > 0 and sm["n_evaluation"] > 0 and "evaluation part" in sm["calibration_protocol"]
    assert sm["n_seeds"]["M1-like"] >= 10 and sm["n_seeds"]["M2-like"] >= 10
    assert sm["n_evidence_calls"] == sm["n_seeds"]
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
    del a.obs["tamclass_is_macrophage"], a.obs["tamclass_celltype"], a.obs["tamclass_lineage"]
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
    del small.obs["tamclass_lineage"]
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


def test_one_to_three_macrophages_and_one_subset(gated):
    """Two macrophages: evidence labels, no network, nothing invented; a sample whose macrophages all share one
    subset gets that subset only (no class is made to exist)."""
    import tamclass as tc

    mac = gated.obs_names[gated.obs["tamclass_is_macrophage"].to_numpy()]
    two = gated[list(mac[:2])].copy()
    tc.tl.classify(two, device="cpu")
    info = two.uns["tamclass"]["classify"]
    assert "evidence only" in info["status"] and info["n_macrophages"] == 2
    assert set(two.obs["tamclass_subset_source"].astype(str)) <= {"evidence", "none"}
    assert two.obs["tamclass_polarization"].notna().all()
    lab = gated.copy()
    tc.tl.classify(lab, device="cpu")
    is_mac = lab.obs["tamclass_is_macrophage"]
    # the same tumour with only its LA-TAMs left among the macrophages
    only_la = lab[((~is_mac) | (lab.obs["tamclass_subset"] == "LA-TAM")).to_numpy()].copy()
    only_la.obs["again_is_macrophage"] = only_la.obs["tamclass_is_macrophage"]
    tc.tl.classify(only_la, device="cpu", key_added="again")
    sub = only_la.obs.loc[only_la.obs["again_is_macrophage"].to_numpy(), "again_subset"].astype(str)
    called = sub[sub != "unassigned"]
    assert (called == "LA-TAM").mean() >= 0.9 and len(called) >= 0.8 * len(sub)
    assert not (called == "IFN-TAM").any()  # the opposite programme is never made to exist


def test_linear_scale_input_is_warned_in_uns(gated):
    import tamclass as tc
    from tamclass._errors import TamclassWarning

    a = gated[:300].copy()
    X = a.X.toarray()
    a.X = X / X.sum(1, keepdims=True) * 1e6 + 0.5
    with pytest.warns(TamclassWarning, match="TPM/CPM without a log"):
        tc.tl.classify(a, device="cpu")
    assert any("TPM/CPM" in w for w in a.uns["tamclass"]["classify"]["warnings"])


def test_user_model_on_all_cells(gated):
    """A model trained on every cell type labels every cell with cells='all'; by default only the gated
    macrophages, the rest 'not macrophage'; a bad choice is refused."""
    import tamclass as tc

    ref = gated.copy()
    model = tc.tl.train(
        ref,
        "program",
        genes=["Cheng2021_M1", "Cheng2021_M2", "Neg_T_cell", "Monocyte_classical"],
        epochs=10,
        device="cpu",
    )
    everyone = gated.copy()
    tc.tl.classify(everyone, model, cells="all", device="cpu", key_added="tamclass")
    lab = everyone.obs["tamclass_label"].astype(str)
    assert not (lab == "not macrophage").any()
    truth = everyone.obs["program"].astype(str)
    assert (lab[lab != "unassigned"] == truth[lab != "unassigned"]).mean() > 0.9
    assert everyone.uns["tamclass"]["classify"]["cells"] == "all"
    macs_only = gated.copy()
    tc.tl.classify(macs_only, model, device="cpu")
    mac = macs_only.obs["tamclass_is_macrophage"].to_numpy()
    assert (macs_only.obs["tamclass_label"][~mac] == "not macrophage").all()
    with pytest.raises(InputError, match="cells must be one of"):
        tc.tl.classify(gated.copy(), model, cells="some", device="cpu")
