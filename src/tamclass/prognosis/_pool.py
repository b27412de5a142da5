"""Per-cohort Cox hazard ratios pooled by random-effects meta-analysis (two-stage IPD meta-analysis).

Research use only: the pooled HR describes the cohorts, not an individual patient's risk.
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
from ._meta import RESEARCH_NOTE, MetaResult, _normalise_method, meta_analysis
from ._survival import _coef_row, _fit_cph
from ._table import _as_list, as_table, survival_frame, zscore

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from anndata import AnnData


@dataclass
class PoolResult:
    """Result of :func:`pool_cohorts`.

    ``cohorts``: one row per cohort (n, events, log_hr, se, hr, ci_lower, ci_upper, p, included,
    reason); ``meta``: the :class:`~tamclass.prognosis._meta.MetaResult` over the included cohorts.
    Attribute access falls through to ``meta`` (``result.hr``, ``result.tau2``, ``result.I2`` ...).
    """

    meta: MetaResult
    cohorts: pd.DataFrame
    feature: str
    duration: str
    event: str
    covariates: list = field(default_factory=list)
    note: str = RESEARCH_NOTE

    def __getattr__(self, name):
        if name.startswith("_") or name == "meta":
            raise AttributeError(name)
        return getattr(self.meta, name)

    @property
    def skipped(self) -> pd.DataFrame:
        return self.cohorts.loc[~self.cohorts["included"]]

    @property
    def summary(self) -> pd.DataFrame:
        s = self.meta.to_hr().summary
        s.insert(0, "feature", self.feature)
        s.insert(1, "n_patients", int(self.cohorts.loc[self.cohorts["included"], "n"].sum()))
        s.insert(2, "n_events", int(self.cohorts.loc[self.cohorts["included"], "events"].sum()))
        return s

    def plot(self, **kwargs):
        from ..pl._forest import forest

        return forest(self, **kwargs)


def _split_cohorts(cohorts, cohort_key, key) -> dict[str, pd.DataFrame]:
    if isinstance(cohorts, pd.DataFrame) or (hasattr(cohorts, "obs") and hasattr(cohorts, "obsm")):
        table = as_table(cohorts, key=key)
        if cohort_key is None:
            raise SurvivalDataError("one table was given: say which column names the cohort with cohort_key=.")
        if cohort_key not in table.columns:
            raise SurvivalDataError(
                f"cohort_key {cohort_key!r} not found; available columns: {list(map(str, table.columns))[:40]}."
            )
        if table[cohort_key].isna().any():
            raise SurvivalDataError(f"cohort_key {cohort_key!r} has missing values; label or drop those rows.")
        return {str(name): sub for name, sub in table.groupby(cohort_key, observed=True, sort=True)}
    if isinstance(cohorts, dict):
        if not cohorts:
            raise SurvivalDataError("no cohorts given.")
        return {str(name): as_table(obj, key=key) for name, obj in cohorts.items()}
    raise SurvivalDataError(
        "cohorts must be a dict name -> AnnData/DataFrame, or one DataFrame/AnnData with cohort_key=."
    )


def pool_cohorts(
    cohorts: pd.DataFrame | AnnData | Mapping[str, pd.DataFrame | AnnData],
    duration: str,
    event: str,
    feature: str,
    *,
    cohort_key: str | None = None,
    min_events: int = 20,
    method: str = "DL",
    covariates: str | Sequence[str] | None = None,
    knapp_hartung: bool = False,
    dropna: bool = False,
    key: str = DEFAULT_KEY,
) -> PoolResult:
    """Pool a feature's per-SD hazard ratio over cohorts (per-cohort Cox, then random effects).

    For each cohort: rows validated (durations >= 0, events 0/1), the feature z-scored **within
    the cohort** with its sample SD (ddof = 1), a univariable Cox model fitted (lifelines, Efron
    ties; ``covariates`` added when given). Cohorts with fewer than ``min_events`` events are skipped
    (recorded in ``result.cohorts`` with a reason, and warned). The log HRs are then pooled with
    :func:`meta_analysis` (``method``: FE / DL / REML / PM).

    Parameters
    ----------
    cohorts
        dict name -> AnnData (``obs`` holding per-sample survival columns, e.g. a bulk cohort) or
        DataFrame (e.g. a :func:`tamclass.tl.summarize` table joined with clinical data); or one
        DataFrame/AnnData with ``cohort_key``.
    duration, event, feature
        Column names.
    cohort_key
        Cohort column when a single table is given.
    min_events
        Minimum events for a cohort to be included.
    dropna
        Drop incomplete rows within each cohort instead of raising.

    Returns
    -------
    PoolResult
        ``cohorts`` table, ``meta`` (pooled estimate on the log scale; ``hr``/``hr_ci`` on the HR
        scale), ``summary``, ``plot()`` (forest).

    Examples
    --------
    >>> import numpy as np, pandas as pd, tamclass as tc
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame(
    ...     {
    ...         "cohort": np.repeat(["A", "B", "C"], 150),
    ...         "m2": rng.normal(size=450),
    ...         "t": rng.exponential(5, 450),
    ...         "e": rng.integers(0, 2, 450),
    ...     }
    ... )
    >>> res = tc.prognosis.pool_cohorts(df, "t", "e", "m2", cohort_key="cohort")
    >>> res.k, list(res.cohorts.index)
    (3, ['A', 'B', 'C'])
    """
    method = _normalise_method(method)
    covs = _as_list(covariates)
    parts = _split_cohorts(cohorts, cohort_key, key)
    rows = []
    for name, table in parts.items():
        df = survival_frame(table, duration, event, [feature, *covs], dropna=dropna, where=f"cohort {name!r}")
        n_ev = int(df[event].sum())
        row = {
            "cohort": name,
            "n": int(len(df)),
            "events": n_ev,
            "log_hr": np.nan,
            "se": np.nan,
            "hr": np.nan,
            "ci_lower": np.nan,
            "ci_upper": np.nan,
            "p": np.nan,
            "included": False,
            "reason": "",
        }
        if n_ev < min_events:
            row["reason"] = f"{n_ev} events < min_events={min_events}"
            rows.append(row)
            continue
        try:
            df[feature] = zscore(df[feature], name=feature, where=f"cohort {name!r}")
            cph = _fit_cph(df, duration, event, penalizer=0.0)
        except SurvivalDataError as exc:
            row["reason"] = str(exc)
            rows.append(row)
            continue
        c = _coef_row(cph, feature)
        c.pop("z")
        row.update(**c, included=True, reason="")
        rows.append(row)
    table = pd.DataFrame(rows).set_index("cohort")
    skipped = table.loc[~table["included"]]
    if len(skipped):
        msg = "; ".join(f"{c}: {r}" for c, r in skipped["reason"].items())
        warnings.warn(
            f"pool_cohorts skipped {len(skipped)} of {len(table)} cohorts ({msg[:500]})", TamclassWarning, stacklevel=2
        )
    inc = table.loc[table["included"]]
    if len(inc) == 0:
        raise SurvivalDataError(
            f"no cohort has >= {min_events} events (and a usable {feature!r}); lower min_events or add cohorts."
        )
    if len(inc) < 2 and method != "FE":
        raise SurvivalDataError(
            f"only {len(inc)} cohort is usable (need >= 2 studies for {method} pooling); "
            f"see result cohorts / lower min_events={min_events}."
        )
    logger.info("pooling %d cohorts (%d skipped) with %s", len(inc), len(skipped), method)
    meta = meta_analysis(
        inc.reset_index(),
        effect="log_hr",
        se="se",
        study="cohort",
        method=method,
        knapp_hartung=knapp_hartung,
        exp=True,
    )
    w = meta.studies["weight_percent"]
    table["weight_percent"] = w.reindex(table.index).to_numpy()
    return PoolResult(meta=meta, cohorts=table, feature=feature, duration=duration, event=event, covariates=covs)
