"""Cox proportional-hazards (per SD) and Kaplan-Meier / log-rank summaries, on lifelines.

Research use only: hazard ratios from a cohort describe that cohort; they are not a per-patient
risk prediction.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._errors import SurvivalDataError, TamclassWarning
from .._keys import DEFAULT_KEY
from .._settings import logger
from ._meta import RESEARCH_NOTE
from ._table import _as_list, as_table, survival_frame, zscore

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anndata import AnnData


# --------------------------------------------------------------------------------------------------
# Cox
# --------------------------------------------------------------------------------------------------
@dataclass
class CoxResult:
    """Result of :func:`cox`.

    Attributes
    ----------
    summary
        One row per feature: ``log_hr, se, hr, ci_lower, ci_upper`` (HR scale), ``z, p, n, events,
        concordance, ph_p`` (Schoenfeld-residual test of the feature's proportional-hazards assumption).
        With ``standardize=True`` HRs are per 1 sample-SD of the feature.
    concordance
        Harrell's C of each model (Series indexed by feature).
    ph_test
        lifelines ``proportional_hazard_test`` (rank time transform) for every term of every model.
    models
        The fitted lifelines ``CoxPHFitter`` objects (feature -> model; ``"multivariable"`` when
        ``multivariable=True``).
    """

    summary: pd.DataFrame
    concordance: pd.Series
    ph_test: pd.DataFrame
    models: dict = field(repr=False, default_factory=dict)
    univariable: bool = True
    standardize: bool = True
    covariates: list = field(default_factory=list)
    note: str = RESEARCH_NOTE

    def plot(self, **kwargs):
        """Forest plot of the per-feature HRs (:func:`tamclass.pl.forest`)."""
        from ..pl._forest import forest

        return forest(self, **kwargs)


def _fit_cph(df: pd.DataFrame, duration: str, event: str, *, penalizer: float, strata=None):
    from lifelines import CoxPHFitter

    cph = CoxPHFitter(penalizer=penalizer)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines' convergence chatter; we check the result
        try:
            cph.fit(df, duration_col=duration, event_col=event, strata=strata)
        except Exception as exc:  # noqa: BLE001 - lifelines raises ConvergenceError and numpy/scipy errors alike
            raise SurvivalDataError(
                f"the Cox model did not converge ({type(exc).__name__}: {str(exc).splitlines()[0]}); "
                "a feature may perfectly separate events, or be nearly constant."
            ) from None
    return cph


def _coef_row(cph, name: str) -> dict:
    """Log HR, SE, Wald 95% CI (HR scale), z and p of one term, without lifelines' (slow) ``summary``."""
    from scipy import stats

    b = float(cph.params_[name])
    se = float(cph.standard_errors_[name])
    zc = stats.norm.ppf(0.975)
    z = b / se
    return {
        "log_hr": b,
        "se": se,
        "hr": float(np.exp(b)),
        "ci_lower": float(np.exp(b - zc * se)),
        "ci_upper": float(np.exp(b + zc * se)),
        "z": z,
        "p": float(2 * stats.norm.sf(abs(z))),
    }


def _ph_rows(cph, df, label: str) -> pd.DataFrame:
    from lifelines.statistics import proportional_hazard_test

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = proportional_hazard_test(cph, df, time_transform="rank")
        out = res.summary[["test_statistic", "p"]].copy()
    except Exception as exc:  # noqa: BLE001 - the PH check is advisory
        logger.info("proportional-hazards test failed for %s: %s", label, exc)
        out = pd.DataFrame({"test_statistic": [np.nan], "p": [np.nan]}, index=[label])
    out.index = pd.Index([str(i) for i in out.index], name="term")
    out.insert(0, "model", label)
    return out.reset_index()


def cox(
    table: pd.DataFrame | AnnData,
    duration: str,
    event: str,
    features: str | Sequence[str],
    *,
    covariates: str | Sequence[str] | None = None,
    standardize: bool = True,
    multivariable: bool = False,
    strata: str | Sequence[str] | None = None,
    penalizer: float = 0.0,
    dropna: bool = False,
    key: str = DEFAULT_KEY,
) -> CoxResult:
    """Cox proportional-hazards models of survival on summary features (lifelines ``CoxPHFitter``).

    By default each feature gets its **own univariable model** (plus ``covariates``, added to every
    model); ``multivariable=True`` fits all features together in one model.

    Parameters
    ----------
    table
        DataFrame with one row per patient/tumour (e.g. :func:`tamclass.tl.summarize` output joined
        with clinical data), or a bulk AnnData whose ``obs`` holds survival columns (the signature
        scores in ``obsm[f"{key}_scores"]`` become usable feature columns).
    duration, event
        Column names: time (>= 0, no missing values) and event indicator (1 = event, 0 = censored).
    features
        Column name or list: the exposures of interest.
    covariates
        Adjustment columns (numeric; encode categories as 0/1 first), added unstandardised.
    standardize
        Z-score each feature with its sample SD (ddof = 1) over the rows used, so the HR is per SD.
    strata
        Column(s) for a stratified Cox model (separate baseline hazards), passed to lifelines.
    dropna
        Drop rows with missing duration/event/feature/covariates (per model) instead of raising.

    Returns
    -------
    CoxResult
        ``.summary`` (HR per SD, 95% CI, p, n, events, concordance, PH-test p), ``.concordance``,
        ``.ph_test``, ``.models``, ``.plot()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, tamclass as tc
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame(
    ...     {"m2": rng.normal(size=200), "time": rng.exponential(5, 200), "dead": rng.integers(0, 2, 200)}
    ... )
    >>> res = tc.prognosis.cox(df, "time", "dead", "m2")
    >>> list(res.summary.columns[:5])
    ['log_hr', 'se', 'hr', 'ci_lower', 'ci_upper']
    """
    table = as_table(table, key=key)
    feats = _as_list(features)
    covs = _as_list(covariates)
    strata_cols = _as_list(strata)
    if not feats:
        raise SurvivalDataError("give at least one feature column.")
    overlap = set(feats) & set(covs)
    if overlap:
        raise SurvivalDataError(f"columns {sorted(overlap)} are both features and covariates.")
    groups = [feats] if multivariable else [[f] for f in feats]
    rows, ph, conc, models = [], [], {}, {}
    for group in groups:
        label = "multivariable" if multivariable else group[0]
        df = survival_frame(table, duration, event, [*group, *covs, *strata_cols], dropna=dropna)
        n_events = int(df[event].sum())
        if n_events == 0:
            raise SurvivalDataError(f"no events in {event!r} (all censored); a Cox model cannot be fitted.")
        if n_events < 10:
            warnings.warn(
                f"only {n_events} events for {label!r}: the hazard ratio is very imprecise.",
                TamclassWarning,
                stacklevel=2,
            )
        if standardize:
            for f in group:
                df[f] = zscore(df[f], name=f)
        cph = _fit_cph(df, duration, event, penalizer=penalizer, strata=strata_cols or None)
        models[label] = cph
        conc[label] = float(cph.concordance_index_)
        ph_df = _ph_rows(cph, df, label)
        ph.append(ph_df)
        for f in group:
            ph_p = ph_df.loc[ph_df["term"] == f, "p"]
            rows.append(
                {
                    "feature": f,
                    **_coef_row(cph, f),
                    "n": int(len(df)),
                    "events": n_events,
                    "concordance": conc[label],
                    "ph_p": float(ph_p.iloc[0]) if len(ph_p) else np.nan,
                }
            )
    summary = pd.DataFrame(rows).set_index("feature")
    summary["note"] = RESEARCH_NOTE
    return CoxResult(
        summary=summary,
        concordance=pd.Series(conc, name="concordance"),
        ph_test=pd.concat(ph, ignore_index=True),
        models=models,
        univariable=not multivariable,
        standardize=standardize,
        covariates=covs,
    )


# --------------------------------------------------------------------------------------------------
# Kaplan-Meier
# --------------------------------------------------------------------------------------------------
@dataclass
class KMResult:
    """Result of :func:`km`.

    Attributes
    ----------
    groups
        Series (index = rows used) with the group label of each patient.
    fitters
        Group label -> lifelines ``KaplanMeierFitter``.
    curves
        Long DataFrame: group, time, survival, ci_lower, ci_upper.
    logrank
        dict: test_statistic, p, df, test ("logrank" for 2 groups, "multivariate logrank" otherwise).
    summary
        Per group: n, events, median survival (NaN when not reached), threshold range.
    """

    groups: pd.Series
    fitters: dict
    curves: pd.DataFrame
    logrank: dict
    summary: pd.DataFrame
    feature: str
    split: str
    duration: str = "duration"
    note: str = RESEARCH_NOTE

    @property
    def p(self) -> float:
        return self.logrank["p"]

    def plot(self, **kwargs):
        """Kaplan-Meier curves with the log-rank p (:func:`tamclass.pl.km`)."""
        from ..pl._km import km as km_plot

        return km_plot(self, **kwargs)


def _split_groups(x: pd.Series, split) -> tuple[pd.Series, str]:
    if isinstance(split, str):
        if split != "median":
            raise SurvivalDataError(f"split={split!r}: use 'median', a tuple of quantiles, or a number.")
        thr = float(x.median())
        lab = pd.Series(np.where(x > thr, "high", "low"), index=x.index)
        return lab, f"median ({thr:.4g})"
    if isinstance(split, (tuple, list)):
        qs = [float(q) for q in split]
        if not qs or any(not 0 < q < 1 for q in qs) or sorted(qs) != qs:
            raise SurvivalDataError(
                "split quantiles must be increasing numbers strictly between 0 and 1, e.g. (0.25, 0.75) or (1/3, 2/3)."
            )
        cuts = [float(x.quantile(q)) for q in qs]
        bins = np.digitize(x.to_numpy(float), cuts, right=True)  # bin 0: <= first cut
        n = len(cuts) + 1
        names = ["low", "high"] if n == 2 else [f"Q{i + 1}" for i in range(n)]
        lab = pd.Series([names[b] for b in bins], index=x.index)
        return lab, "quantiles " + ", ".join(f"{q:g}" for q in qs)
    if isinstance(split, (int, float, np.number)) and not isinstance(split, bool):
        lab = pd.Series(np.where(x > float(split), "high", "low"), index=x.index)
        return lab, f"threshold {float(split):.4g}"
    raise SurvivalDataError(f"split={split!r}: use 'median', a tuple of quantiles, or a number.")


def km(
    table: pd.DataFrame | AnnData,
    duration: str,
    event: str,
    feature: str,
    *,
    split: str | float = "median",
    dropna: bool = False,
    key: str = DEFAULT_KEY,
) -> KMResult:
    """Kaplan-Meier curves of groups defined by a feature, with a log-rank test (lifelines).

    Parameters
    ----------
    table
        DataFrame (one row per patient) or bulk AnnData (see :func:`cox`).
    duration, event
        Time (>= 0) and event (0/1) columns.
    feature
        Numeric column used to form the groups.
    split
        ``"median"``: ``high`` = above the median, ``low`` = at or below it; a tuple of quantiles,
        e.g. ``(1/3, 2/3)`` -> three groups ``Q1..Q3`` (two quantile cut points -> ``low/high`` only
        for a single cut point); or a number: ``high`` = above that value.

    Returns
    -------
    KMResult
        ``groups``, ``fitters``, ``curves``, ``logrank`` (2 groups: ``lifelines.statistics.logrank_test``;
        more: ``multivariate_logrank_test``), ``summary``, ``plot()``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, tamclass as tc
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"m2": rng.normal(size=100), "t": rng.exponential(5, 100), "e": rng.integers(0, 2, 100)})
    >>> res = tc.prognosis.km(df, "t", "e", "m2")
    >>> sorted(res.fitters)
    ['high', 'low']
    """
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test, multivariate_logrank_test

    table = as_table(table, key=key)
    df = survival_frame(table, duration, event, [feature], dropna=dropna)
    if int(df[event].sum()) == 0:
        raise SurvivalDataError(f"no events in {event!r} (all censored); the log-rank test is undefined.")
    groups, desc = _split_groups(df[feature], split)
    order = [g for g in ("low", "high") if g in set(groups)] or sorted(set(groups))
    if set(groups) - set(order):
        order = sorted(set(groups), key=lambda s: (len(s), s))
    if len(order) < 2:
        raise SurvivalDataError(f"the split {desc} puts every patient in one group; choose another split.")
    fitters, curves, summ = {}, [], []
    for g in order:
        m = (groups == g).to_numpy()
        kmf = KaplanMeierFitter(label=str(g))
        kmf.fit(df.loc[m, duration], df.loc[m, event])
        fitters[g] = kmf
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        curves.append(
            pd.DataFrame(
                {
                    "group": g,
                    "time": sf.index.to_numpy(float),
                    "survival": sf.to_numpy(),
                    "ci_lower": ci.iloc[:, 0].to_numpy(),
                    "ci_upper": ci.iloc[:, 1].to_numpy(),
                }
            )
        )
        med = kmf.median_survival_time_
        summ.append(
            {
                "group": g,
                "n": int(m.sum()),
                "events": int(df.loc[m, event].sum()),
                "median_survival": float(med) if np.isfinite(med) else np.nan,
                "feature_min": float(df.loc[m, feature].min()),
                "feature_max": float(df.loc[m, feature].max()),
            }
        )
    if len(order) == 2:
        a, b = ((groups == g).to_numpy() for g in order)
        res = logrank_test(df.loc[a, duration], df.loc[b, duration], df.loc[a, event], df.loc[b, event])
        lr = {"test": "logrank", "test_statistic": float(res.test_statistic), "p": float(res.p_value), "df": 1}
    else:
        res = multivariate_logrank_test(df[duration], groups, df[event])
        lr = {
            "test": "multivariate logrank",
            "test_statistic": float(res.test_statistic),
            "p": float(res.p_value),
            "df": len(order) - 1,
        }
    return KMResult(
        groups=groups.rename("group"),
        fitters=fitters,
        curves=pd.concat(curves, ignore_index=True),
        logrank=lr,
        summary=pd.DataFrame(summ).set_index("group"),
        feature=feature,
        split=desc,
        duration=duration,
    )
