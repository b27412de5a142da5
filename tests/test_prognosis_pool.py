"""pool_cohorts on the raw Ali 2016 table against the 29-cohort fixture (and bad input)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tamclass._errors import SurvivalDataError, TamclassWarning
from tamclass.prognosis import meta_analysis, pool_cohorts

pytestmark = pytest.mark.xdist_group("prognosis_pool")


@pytest.fixture(scope="module")
def ali():
    from conftest import shared_path

    df = pd.read_csv(shared_path("survival/ali2016_cibersort_survival_10988.tsv"), sep="\t")
    # Ali HR et al. 2016 PLoS Med 13:e1002194: consolidated survival (years) and events
    return df[df["surv"].notna() & df["events"].notna() & (df["surv"] > 0)]


def test_ali2016_m2_pooled_hr(ali, shared_data):
    fixture = pd.read_csv(shared_data("meta_analysis/tam_m2_ali2016_29cohorts.tsv"), sep="\t").set_index("dataset")
    with pytest.warns(TamclassWarning, match="skipped 3 of 32 cohorts"):
        res = pool_cohorts(ali, "surv", "events", "macrophagesm2", cohort_key="dataset", min_events=20, method="DL")
    # published-fixture pooled HR 1.068 (1.019-1.120), to +/-0.005
    assert res.hr == pytest.approx(1.068, abs=0.005)
    assert res.hr_ci[0] == pytest.approx(1.019, abs=0.005)
    assert res.hr_ci[1] == pytest.approx(1.120, abs=0.005)
    inc = res.cohorts[res.cohorts["included"]]
    assert set(inc.index) == set(fixture.index) and res.k == 29
    # per-cohort log HRs / SEs equal the fixture's 4-decimal values
    assert np.abs(inc["log_hr"] - fixture["log_hr"].reindex(inc.index)).max() < 1e-4
    assert np.abs(inc["se"] - fixture["se"].reindex(inc.index)).max() < 1e-4
    assert (inc["events"] == fixture["events"].reindex(inc.index)).all()
    skipped = res.skipped
    assert len(skipped) == 3 and (skipped["events"] < 20).all()
    assert res.cohorts.loc[inc.index, "weight_percent"].sum() == pytest.approx(100)
    s = res.summary
    assert s.loc["pooled", "n_events"] == inc["events"].sum()
    assert "not a per-patient risk prediction" in s.loc["pooled", "note"]


def test_pool_dict_input_equals_table_input(ali):
    sub = ali[ali.dataset.isin(["VDX", "NKI", "TCGA", "WIMM"])]
    a = pool_cohorts(sub, "surv", "events", "macrophagesm2", cohort_key="dataset", method="REML")
    b = pool_cohorts({k: v for k, v in sub.groupby("dataset")}, "surv", "events", "macrophagesm2", method="REML")  # noqa: C416 (a GroupBy is not a mapping)
    assert a.estimate == pytest.approx(b.estimate)
    ref = meta_analysis(a.cohorts.reset_index(), effect="log_hr", se="se", method="REML")
    assert a.estimate == pytest.approx(ref.estimate) and a.tau2 == pytest.approx(ref.tau2)


def test_pool_plot(ali, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    sub = ali[ali.dataset.isin(["VDX", "NKI", "TCGA"])]
    res = pool_cohorts(sub, "surv", "events", "macrophagesm2", cohort_key="dataset")
    ax = res.plot(show=False, save=tmp_path / "forest.pdf")
    assert (tmp_path / "forest.pdf").exists()
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[:3] == ["NKI", "TCGA", "VDX"] and labels[-1].startswith("DL pooled")


def _toy(seed=0, n=120, cohorts=("A", "B", "C")):
    rng = np.random.default_rng(seed)
    rows = []
    for c in cohorts:
        x = rng.normal(size=n)
        t = rng.exponential(1 / (0.2 * np.exp(0.3 * x)))
        cens = rng.uniform(1, 10, n)
        rows.append(pd.DataFrame({"cohort": c, "x": x, "t": np.minimum(t, cens), "e": (t <= cens).astype(int)}))
    return pd.concat(rows, ignore_index=True)


def test_cohort_with_no_events_is_skipped_and_recorded():
    df = _toy()
    df.loc[df.cohort == "C", "e"] = 0
    with pytest.warns(TamclassWarning, match="C: 0 events"):
        res = pool_cohorts(df, "t", "e", "x", cohort_key="cohort")
    assert res.k == 2 and not res.cohorts.loc["C", "included"]


def test_all_cohorts_without_enough_events():
    df = _toy().assign(e=0)
    with pytest.raises(SurvivalDataError, match="no cohort has >= 20 events"), pytest.warns(TamclassWarning):
        pool_cohorts(df, "t", "e", "x", cohort_key="cohort")


def test_pool_bad_inputs():
    df = _toy()
    with pytest.raises(SurvivalDataError, match="cohort_key"):
        pool_cohorts(df, "t", "e", "x")
    bad = df.copy()
    bad.loc[0, "t"] = -3
    with pytest.raises(SurvivalDataError, match="negative durations in 't' in cohort 'A'"):
        pool_cohorts(bad, "t", "e", "x", cohort_key="cohort")
    bad = df.copy()
    bad.loc[0, "e"] = 5
    with pytest.raises(SurvivalDataError, match="must be 0"):
        pool_cohorts(bad, "t", "e", "x", cohort_key="cohort")


def test_pool_dict_of_anndata_uses_obs_and_scores():
    """Bulk cohorts as AnnData: survival in obs, the feature in obsm['tamclass_scores']."""
    import anndata as ad

    df = _toy(seed=3)
    cohorts = {}
    for name, g in df.groupby("cohort"):
        a = ad.AnnData(
            np.zeros((len(g), 1), dtype=np.float32), obs=g[["t", "e"]].set_axis([f"{name}{i}" for i in range(len(g))])
        )
        a.obsm["tamclass_scores"] = pd.DataFrame({"x": g["x"].to_numpy()}, index=a.obs_names)
        cohorts[name] = a
    res = pool_cohorts(cohorts, "t", "e", "x", method="PM")
    ref = pool_cohorts(df, "t", "e", "x", cohort_key="cohort", method="PM")
    assert res.estimate == pytest.approx(ref.estimate)
    assert res.cohorts["log_hr"].to_numpy() == pytest.approx(ref.cohorts["log_hr"].to_numpy())
    # simulated log HR 0.3 per unit of a standard-normal feature
    assert res.estimate == pytest.approx(0.3, abs=0.2)
