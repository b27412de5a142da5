"""tc.tl.summarize on a hand-checkable example, bulk mode, missing keys, h5ad round-trip, composition plot."""

from __future__ import annotations

import anndata as ad
import numpy as np
import pandas as pd
import pytest

import tamclass as tc
from tamclass._errors import InputError, TamclassWarning

pytestmark = pytest.mark.xdist_group("summarize")


@pytest.fixture
def tiny():
    """8 cells in 3 patients; every expected value below is worked out by hand."""
    obs = pd.DataFrame(
        {
            "patient": ["P1"] * 4 + ["P2"] * 3 + ["P3"],
            "os_months": [10.0] * 4 + [20.0] * 3 + [30.0],  # patient-level -> carried over
            "batch": ["a", "b", "a", "b", "a", "a", "a", "b"],  # varies within P1 -> not carried
            "tamclass_celltype": pd.Categorical(
                ["macrophage", "macrophage", "macrophage", "other", "macrophage", "monocyte", "other", "other"],
                categories=["macrophage", "monocyte", "dendritic", "other"],
            ),
            "tamclass_is_macrophage": [True, True, True, False, True, False, False, False],
            "tamclass_state": pd.Categorical(
                [
                    "M1-like",
                    "M2-like",
                    "M2-like",
                    "not macrophage",
                    "unassigned",
                    "not macrophage",
                    "not macrophage",
                    "not macrophage",
                ],
                categories=["M1-like", "M2-like", "unassigned", "not macrophage"],
            ),
            "tamclass_polarization": [-0.6, 0.4, 0.8, np.nan, 0.1, np.nan, np.nan, np.nan],
            "tamclass_subset": pd.Categorical(
                [
                    "IFN_TAM",
                    "LA_TAM",
                    "LA_TAM",
                    "not macrophage",
                    "unassigned",
                    "not macrophage",
                    "not macrophage",
                    "not macrophage",
                ]
            ),
        },
        index=[f"c{i}" for i in range(8)],
    )
    a = ad.AnnData(np.zeros((8, 3), dtype=np.float32), obs=obs)
    a.obsm["tamclass_scores"] = pd.DataFrame({"IHC_CD163": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0]}, index=a.obs_names)
    return a


def test_hand_checked_values(tiny):
    df = tc.tl.summarize(tiny, "patient")
    assert list(df.index) == ["P1", "P2", "P3"]
    assert df["n_cells"].tolist() == [4, 3, 1]
    assert df["n_macrophages"].tolist() == [3, 1, 0]
    assert df["macrophage_fraction"].tolist() == pytest.approx([0.75, 1 / 3, 0.0])
    # P1 macrophages: M1, M2, M2 ; P2: unassigned ; P3: none (NaN)
    assert df.loc[
        "P1", ["state_fraction_M1-like", "state_fraction_M2-like", "state_fraction_unassigned"]
    ].tolist() == pytest.approx([1 / 3, 2 / 3, 0.0])
    assert df.loc["P2", "state_fraction_unassigned"] == 1.0
    # P2's one macrophage is "unassigned": its M1-like / M2-like fractions were not measured (NaN, not 0.0)
    assert df.loc["P2", ["state_fraction_M1-like", "state_fraction_M2-like"]].isna().all()
    assert df.loc["P3", ["state_fraction_M1-like", "state_fraction_M2-like"]].isna().all()
    assert df["n_state_classified"].tolist() == [3, 0, 0]
    # M2:M1 with pseudocount 0.5: P1 (2 + .5) / (1 + .5); P2 has no classified macrophage -> NaN (not 1.0)
    assert df.loc["P1", "m2_m1_ratio"] == pytest.approx(2.5 / 1.5)
    assert np.isnan(df.loc["P2", "m2_m1_ratio"]) and np.isnan(df.loc["P2", "log2_m2_m1_ratio"])
    assert np.isnan(df.loc["P3", "m2_m1_ratio"])
    assert df.loc["P1", "log2_m2_m1_ratio"] == pytest.approx(np.log2(2.5 / 1.5))
    assert df.loc["P1", "polarization_mean"] == pytest.approx((-0.6 + 0.4 + 0.8) / 3)
    assert df.loc["P1", "polarization_median"] == pytest.approx(0.4)
    assert df.loc["P1", "subset_fraction_LA_TAM"] == pytest.approx(2 / 3)
    assert df.loc["P1", "subset_fraction_IFN_TAM"] == pytest.approx(1 / 3)
    assert df.loc["P2", "subset_fraction_unassigned"] == 1.0
    assert df.loc["P2", ["subset_fraction_LA_TAM", "subset_fraction_IFN_TAM"]].isna().all()
    assert df.loc["P2", "celltype_fraction_monocyte"] == pytest.approx(1 / 3)
    # score means: all cells vs macrophages only
    assert df["score_IHC_CD163"].tolist() == pytest.approx([2.5, 6.0, 8.0])
    assert df.loc["P1", "score_macrophage_IHC_CD163"] == pytest.approx(2.0)
    assert df.loc["P2", "score_macrophage_IHC_CD163"] == pytest.approx(5.0)
    assert np.isnan(df.loc["P3", "score_macrophage_IHC_CD163"])
    # patient-level obs carried, cell-level not
    assert df["os_months"].tolist() == [10.0, 20.0, 30.0]
    assert "batch" not in df.columns
    prov = tiny.uns["tamclass"]["summarize"]
    assert prov["note"] == "research use only; not a per-patient risk prediction"
    assert prov["ratio_pseudocount"] == 0.5
    assert tiny.uns["tamclass"]["samples"] is df


def test_h5ad_round_trip(tiny, tmp_path):
    df = tc.tl.summarize(tiny, "patient")
    path = tmp_path / "s.h5ad"
    tiny.write_h5ad(path)
    back = ad.read_h5ad(path)
    pd.testing.assert_frame_equal(back.uns["tamclass"]["samples"], df, check_dtype=False)
    assert back.uns["tamclass"]["summarize"]["note"] == tiny.uns["tamclass"]["summarize"]["note"]


def test_missing_parts_warn_once_and_skip(tiny):
    for c in ("tamclass_state", "tamclass_subset", "tamclass_polarization"):
        del tiny.obs[c]
    with pytest.warns(TamclassWarning) as rec:
        df = tc.tl.summarize(tiny, "patient")
    assert len([r for r in rec if issubclass(r.category, TamclassWarning)]) == 1
    assert "M1/M2 state fractions" in str(rec[0].message) and "not measured" in str(rec[0].message)
    # macrophages were gated but never classified: the state columns exist and are all NaN (not 0.0 / 1.0)
    assert df[["state_fraction_M1-like", "state_fraction_M2-like", "m2_m1_ratio"]].isna().all().all()
    assert "n_macrophages" in df.columns
    assert "classify was not run" in tiny.uns["tamclass"]["summarize"]["not_measured"]


def test_missing_sample_key_lists_columns(tiny):
    with pytest.raises(InputError, match=r"'donor' is not a column of adata.obs; available columns: .*'patient'"):
        tc.tl.summarize(tiny, "donor")


def test_missing_sample_labels(tiny):
    tiny.obs["patient"] = tiny.obs["patient"].astype(object)
    tiny.obs.loc["c0", "patient"] = np.nan
    with pytest.raises(InputError, match="1 cells have no value"):
        tc.tl.summarize(tiny, "patient")


def test_bulk_mode_rows_are_samples():
    """Bulk: each row a tumour, sample_key=None; score columns are the per-tumour scores, obs kept."""
    obs = pd.DataFrame(
        {"os_time": [1.0, 2.0, 3.0], "os_event": [1, 0, 1], "er": ["pos", "neg", "pos"]}, index=["T1", "T2", "T3"]
    )
    a = ad.AnnData(np.zeros((3, 2), dtype=np.float32), obs=obs)
    a.obsm["tamclass_scores"] = pd.DataFrame({"Cheng2021_M2": [0.1, 0.5, 0.9]}, index=a.obs_names)
    with pytest.warns(TamclassWarning):
        df = tc.tl.summarize(a, None)
    assert list(df.index) == ["T1", "T2", "T3"]
    assert df["score_Cheng2021_M2"].tolist() == [0.1, 0.5, 0.9]
    assert df["os_event"].tolist() == [1, 0, 1] and list(df["er"]) == ["pos", "neg", "pos"]
    assert (df["n_cells"] == 1).all()


def test_inplace_false_leaves_adata(tiny):
    tc.tl.summarize(tiny, "patient", inplace=False)
    assert "tamclass" not in tiny.uns


def test_composition_plot(tiny, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    ax = tc.pl.composition(tiny, "patient", kind="state", show=False, save=tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 0
    assert [t.get_text() for t in ax.get_xticklabels()] == ["P1", "P2", "P3"]
    # bar heights of M2-like = the summary's fractions (P3 has no macrophages -> 0 height)
    bars = {c.get_label(): c for c in ax.containers}
    assert list(bars) == ["M1-like", "M2-like", "unassigned"]
    assert [p.get_height() for p in bars["M2-like"]] == pytest.approx([2 / 3, 0.0, 0.0])
    assert [p.get_y() for p in bars["M2-like"]] == pytest.approx([1 / 3, 0.0, 0.0])  # stacked on M1-like
    df = tc.tl.summarize(tiny, "patient")
    ax2 = tc.pl.composition(df, kind="subset", show=False, order="subset_fraction_LA_TAM")
    assert [t.get_text() for t in ax2.get_xticklabels()][0] == "P1"
    with pytest.raises(InputError, match="kind="):
        tc.pl.composition(df, kind="nope", show=False)


def test_nothing_classified_reads_as_not_measured(tiny):
    """classify trained nothing: every macrophage 'unassigned' -> no 0.0 / 1.0 anywhere, nothing linked."""
    st = tiny.obs["tamclass_state"].astype(str)
    tiny.obs["tamclass_state"] = pd.Categorical(
        st.where(st == "not macrophage", "unassigned"),
        categories=["M1-like", "M2-like", "unassigned", "not macrophage"],
    )
    with pytest.warns(TamclassWarning, match="not measured"):
        df = tc.tl.summarize(tiny, "patient")
    assert (
        df[["state_fraction_M1-like", "state_fraction_M2-like", "m2_m1_ratio", "log2_m2_m1_ratio"]].isna().all().all()
    )
    assert df.loc["P1", "state_fraction_unassigned"] == 1.0  # what *was* measured stays
    t = tc.prognosis.link(df, cancer_type="breast")
    assert not t["feature"].isin(["state_fraction_M2-like", "m2_m1_ratio"]).any()
    assert "state_fraction_M2-like" in t.attrs["not_measured"]


def test_demo_samples_are_labelled_illustrative():
    adata = tc.datasets.demo()
    adata.obs["tamclass_is_macrophage"] = True
    with pytest.warns(TamclassWarning):
        tc.tl.summarize(adata, "sample")
    assert "ILLUSTRATIVE" in adata.uns["tamclass"]["summarize"]["sample_note"]
