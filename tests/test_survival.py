"""Cox / Kaplan-Meier wrappers against direct lifelines fits, and bad-input errors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tamclass._errors import SurvivalDataError, TamclassWarning
from tamclass.prognosis import cox, km

pytestmark = pytest.mark.xdist_group("prognosis_survival")


@pytest.fixture(scope="module")
def cohort():
    """Generated survival data with a true log HR of 0.5 per SD of `m2` (exponential hazards)."""
    rng = np.random.default_rng(1)
    n = 300
    m2 = rng.normal(2.0, 3.0, n)
    age = rng.normal(60, 10, n)
    z = (m2 - 2.0) / 3.0
    t_event = rng.exponential(1 / (0.1 * np.exp(0.5 * z + 0.02 * (age - 60))))
    t_cens = rng.uniform(2, 20, n)
    return pd.DataFrame(
        {
            "m2": m2,
            "m1": rng.normal(size=n),
            "age": age,
            "time": np.minimum(t_event, t_cens),
            "event": (t_event <= t_cens).astype(int),
        }
    )


def test_cox_matches_lifelines_direct(cohort):
    from lifelines import CoxPHFitter

    res = cox(cohort, "time", "event", ["m2", "m1"], covariates="age")
    for f in ("m2", "m1"):
        d = cohort[["time", "event", f, "age"]].copy()
        d[f] = (d[f] - d[f].mean()) / d[f].std(ddof=1)
        ref = CoxPHFitter().fit(d, "time", "event")
        s = ref.summary.loc[f]
        row = res.summary.loc[f]
        assert row["log_hr"] == pytest.approx(s["coef"], rel=1e-8)
        assert row["se"] == pytest.approx(s["se(coef)"], rel=1e-8)
        assert row["ci_lower"] == pytest.approx(s["exp(coef) lower 95%"], rel=1e-8)
        assert row["p"] == pytest.approx(s["p"], rel=1e-6)
        assert res.concordance[f] == pytest.approx(ref.concordance_index_)
        assert row["n"] == len(cohort) and row["events"] == cohort.event.sum()
    # per-SD HR recovers the simulated effect
    assert res.summary.loc["m2", "log_hr"] == pytest.approx(0.5, abs=0.25)  # ~3 SE
    assert "not a per-patient risk prediction" in res.summary["note"].iloc[0]
    assert res.univariable and set(res.ph_test["model"]) == {"m2", "m1"}


def test_cox_standardize_false_and_multivariable(cohort):
    from lifelines import CoxPHFitter

    raw = cox(cohort, "time", "event", "m2", standardize=False)
    ref = CoxPHFitter().fit(cohort[["time", "event", "m2"]], "time", "event")
    assert raw.summary.loc["m2", "log_hr"] == pytest.approx(ref.params_["m2"], rel=1e-8)
    per_sd = cox(cohort, "time", "event", "m2")
    assert per_sd.summary.loc["m2", "log_hr"] == pytest.approx(raw.summary.loc["m2", "log_hr"] * cohort.m2.std(ddof=1))
    multi = cox(cohort, "time", "event", ["m2", "m1"], multivariable=True)
    assert list(multi.models) == ["multivariable"]
    d = cohort[["time", "event", "m2", "m1"]].copy()
    d[["m2", "m1"]] = (d[["m2", "m1"]] - d[["m2", "m1"]].mean()) / d[["m2", "m1"]].std(ddof=1)
    ref2 = CoxPHFitter().fit(d, "time", "event")
    assert multi.summary.loc["m1", "log_hr"] == pytest.approx(ref2.params_["m1"], rel=1e-8)


def test_cox_ph_test_matches_lifelines(cohort):
    from lifelines import CoxPHFitter
    from lifelines.statistics import proportional_hazard_test

    res = cox(cohort, "time", "event", "m2")
    d = cohort[["time", "event", "m2"]].copy()
    d["m2"] = (d.m2 - d.m2.mean()) / d.m2.std(ddof=1)
    cph = CoxPHFitter().fit(d, "time", "event")
    ref = proportional_hazard_test(cph, d, time_transform="rank").summary
    assert res.summary.loc["m2", "ph_p"] == pytest.approx(ref.loc["m2", "p"])


def test_cox_accepts_bulk_anndata(cohort):
    import anndata as ad

    a = ad.AnnData(
        np.zeros((len(cohort), 1), dtype=np.float32),
        obs=cohort[["time", "event", "age"]].set_axis([f"t{i}" for i in range(len(cohort))]),
    )
    a.obsm["tamclass_scores"] = pd.DataFrame({"m2": cohort.m2.to_numpy()}, index=a.obs_names)
    res = cox(a, "time", "event", "m2")
    assert res.summary.loc["m2", "log_hr"] == pytest.approx(
        cox(cohort, "time", "event", "m2").summary.loc["m2", "log_hr"]
    )


def test_km_matches_lifelines(cohort):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    res = km(cohort, "time", "event", "m2")
    high = cohort.m2 > cohort.m2.median()
    ref = logrank_test(cohort.time[high], cohort.time[~high], cohort.event[high], cohort.event[~high])
    assert res.p == pytest.approx(ref.p_value)
    assert res.logrank["test_statistic"] == pytest.approx(ref.test_statistic)
    kmf = KaplanMeierFitter().fit(cohort.time[high], cohort.event[high])
    got = res.curves[res.curves.group == "high"]
    assert got["survival"].to_numpy() == pytest.approx(kmf.survival_function_.iloc[:, 0].to_numpy())
    assert res.summary.loc["high", "n"] == high.sum()
    assert res.p < 0.05  # the simulated effect is strong


def test_km_quantile_and_threshold_splits(cohort):
    from lifelines.statistics import multivariate_logrank_test

    res = km(cohort, "time", "event", "m2", split=(1 / 3, 2 / 3))
    assert list(res.fitters) == ["Q1", "Q2", "Q3"]
    assert res.summary["n"].sum() == len(cohort)
    ref = multivariate_logrank_test(cohort.time, res.groups.reindex(cohort.index), cohort.event)
    assert res.p == pytest.approx(ref.p_value)
    thr = km(cohort, "time", "event", "m2", split=5.0)
    assert thr.summary.loc["high", "n"] == int((cohort.m2 > 5.0).sum())


def test_km_and_forest_plots(cohort, tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    import tamclass as tc

    res = km(cohort, "time", "event", "m2")
    ax = tc.pl.km(res, show=False, save=tmp_path / "km.png")
    assert (tmp_path / "km.png").stat().st_size > 0
    assert len(ax.get_lines()) >= 2
    ax2 = cox(cohort, "time", "event", ["m2", "m1"]).plot(show=False)
    assert [t.get_text().split(" ")[0] for t in ax2.get_yticklabels()] == ["m2", "m1"]


# ------------------------------------------------------------------------------------------------
# bad input
# ------------------------------------------------------------------------------------------------
def test_negative_duration(cohort):
    d = cohort.copy()
    d.loc[0, "time"] = -1.0
    with pytest.raises(SurvivalDataError, match="negative durations"):
        cox(d, "time", "event", "m2")
    with pytest.raises(SurvivalDataError, match="negative durations"):
        km(d, "time", "event", "m2")


def test_missing_duration_raises_or_drops(cohort):
    d = cohort.copy()
    d.loc[[0, 1], "time"] = np.nan
    with pytest.raises(SurvivalDataError, match="missing values.*dropna=True"):
        cox(d, "time", "event", "m2")
    res = cox(d, "time", "event", "m2", dropna=True)
    assert res.summary.loc["m2", "n"] == len(d) - 2


def test_events_not_binary(cohort):
    d = cohort.copy()
    d.loc[0, "event"] = 2
    with pytest.raises(SurvivalDataError, match=r"must be 0 \(censored\) or 1"):
        cox(d, "time", "event", "m2")
    d["event"] = np.where(cohort.event == 1, "dead", "alive")
    with pytest.raises(SurvivalDataError, match="must be 0"):
        cox(d, "time", "event", "m2")


def test_no_events(cohort):
    d = cohort.assign(event=0)
    with pytest.raises(SurvivalDataError, match="no events"):
        cox(d, "time", "event", "m2")
    with pytest.raises(SurvivalDataError, match="no events"):
        km(d, "time", "event", "m2")


def test_constant_feature_and_missing_column(cohort):
    with pytest.raises(SurvivalDataError, match="constant"):
        cox(cohort.assign(c=1.0), "time", "event", "c")
    with pytest.raises(SurvivalDataError, match="not found"):
        cox(cohort, "time", "event", "nope")


def test_few_events_warns(cohort):
    d = cohort.copy()
    d["event"] = 0
    d.loc[d.index[:5], "event"] = 1
    with pytest.warns(TamclassWarning, match="only 5 events"):
        cox(d, "time", "event", "m2")
