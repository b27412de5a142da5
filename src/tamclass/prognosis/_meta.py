"""Inverse-variance meta-analysis: fixed effect (FE), DerSimonian-Laird (DL), REML, Paule-Mandel (PM).

Pure numpy/scipy kernels plus a small result object. Numbers match R ``metafor`` 3.8.1 ``rma()``
(``method="EE"|"DL"|"REML"|"PM"``, ``test="z"|"knha"``), which is the reference implementation:

* DL's tau^2 is truncated at 0 (metafor, Stata ``metan``); statsmodels 0.15 ``combine_effects``
  does *not* truncate, so its DL interval can be narrower than the fixed-effect one when Q < k - 1.
* I^2 and H^2 follow metafor: for FE the Q-based ``(Q - df) / Q`` (truncated at 0); for the
  random-effects methods the tau^2-based ``tau^2 / (tau^2 + s^2)`` with the "typical" within-study
  variance ``s^2 = (k - 1) / (sum w - sum w^2 / sum w)`` (identical to the Q-based value for DL).
* Knapp-Hartung (``test="knha"`` in metafor): SE multiplied by ``sqrt(q)``,
  ``q = sum w*(y - mu)^2 / (k - 1)`` *without* truncating q at 1 (metafor's default), and the
  t distribution with k - 1 degrees of freedom for the test, CI and prediction interval.
* Prediction interval: ``mu +/- crit * sqrt(tau^2 + SE^2)`` with crit from N(0, 1) (or t_{k-1} under
  Knapp-Hartung), as metafor's ``predict.rma``.

Research use only: pooled literature or cohort hazard ratios describe populations, never one patient.
"""

from __future__ import annotations

import copy as _copy
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy import optimize, stats

from .._errors import SurvivalDataError

#: the disclaimer every prognosis output carries
RESEARCH_NOTE = "research use only; not a per-patient risk prediction"
METHODS = ("FE", "DL", "REML", "PM")
_ALIASES = {
    "FE": "FE",
    "EE": "FE",
    "FIXED": "FE",
    "DL": "DL",
    "DERSIMONIAN-LAIRD": "DL",
    "REML": "REML",
    "PM": "PM",
    "PAULE-MANDEL": "PM",
    "ITERATED": "PM",
}
Z975 = stats.norm.ppf(0.975)  # 1.959963984540054


# --------------------------------------------------------------------------------------------------
# kernels (arrays only)
# --------------------------------------------------------------------------------------------------
def _pool(y: np.ndarray, v: np.ndarray, tau2: float) -> tuple[float, float, np.ndarray]:
    w = 1.0 / (v + tau2)
    mu = float(np.sum(w * y) / np.sum(w))
    return mu, float(np.sqrt(1.0 / np.sum(w))), w


def _q_stat(y: np.ndarray, v: np.ndarray) -> float:
    mu, _, w = _pool(y, v, 0.0)
    return float(np.sum(w * (y - mu) ** 2))


def tau2_dl(y: np.ndarray, v: np.ndarray) -> float:
    """DerSimonian-Laird moment estimator, truncated at 0 (metafor / Stata convention)."""
    k = y.size
    w = 1.0 / v
    c = np.sum(w) - np.sum(w**2) / np.sum(w)
    return float(max(0.0, (_q_stat(y, v) - (k - 1)) / c)) if c > 0 else 0.0


def tau2_pm(y: np.ndarray, v: np.ndarray, tol: float = 1e-12) -> float:
    """Paule-Mandel: the tau^2 >= 0 at which the generalised Q equals k - 1."""
    k = y.size

    def gen_q(t2: float) -> float:
        mu, _, w = _pool(y, v, t2)
        return float(np.sum(w * (y - mu) ** 2)) - (k - 1)

    if gen_q(0.0) <= 0:
        return 0.0
    hi = max(1e-4, float(np.var(y, ddof=1)) * 10 + float(np.max(v)))
    while gen_q(hi) > 0:
        hi *= 10
        if hi > 1e12:  # pragma: no cover - pathological
            raise SurvivalDataError("Paule-Mandel tau^2 did not converge; check the effects and SEs for outliers.")
    return float(optimize.brentq(gen_q, 0.0, hi, xtol=tol, rtol=1e-14, maxiter=1000))


def tau2_reml(y: np.ndarray, v: np.ndarray, tol: float = 1e-12, maxiter: int = 1000) -> float:
    """REML by Fisher scoring with step halving (as metafor ``rma(method="REML")``), tau^2 >= 0.

    Falls back to bounded Brent minimisation of the negative restricted log-likelihood if the
    scoring iterations do not converge.
    """
    tau2 = max(0.0, tau2_dl(y, v))  # metafor starts from a moment estimator
    for _ in range(maxiter):
        w = 1.0 / (v + tau2)
        sw = np.sum(w)
        mu = np.sum(w * y) / sw
        r = y - mu
        # P = W - w w' / sum(w); score/information for tau^2 under REML
        py = w * r  # P y
        tr_p = sw - np.sum(w**2) / sw
        tr_pp = np.sum(w**2) - 2 * np.sum(w**3) / sw + (np.sum(w**2) / sw) ** 2
        adj = (np.sum(py**2) - tr_p) / tr_pp
        new = tau2 + adj
        while new < 0:  # step halving, as metafor
            adj /= 2
            new = tau2 + adj
            if abs(adj) < tol:
                new = 0.0
                break
        if abs(new - tau2) < tol:
            return float(max(0.0, new))
        tau2 = new

    def nll(t2: float) -> float:  # pragma: no cover - fallback
        w = 1.0 / (v + t2)
        mu = np.sum(w * y) / np.sum(w)
        return 0.5 * (np.sum(np.log(v + t2)) + np.log(np.sum(w)) + np.sum(w * (y - mu) ** 2))

    res = optimize.minimize_scalar(
        nll, bounds=(0.0, 100 * (np.var(y) + np.max(v))), method="bounded", options={"xatol": tol}
    )  # pragma: no cover
    return float(max(0.0, res.x))  # pragma: no cover


def fit_arrays(y, v, *, method: str = "DL", knapp_hartung: bool = False, level: float = 0.95) -> dict[str, Any]:
    """Core computation on arrays of effects ``y`` and within-study variances ``v``; returns a dict."""
    y = np.asarray(y, dtype=float)
    v = np.asarray(v, dtype=float)
    k = y.size
    if method == "FE":
        tau2 = 0.0
    elif method == "DL":
        tau2 = tau2_dl(y, v)
    elif method == "PM":
        tau2 = tau2_pm(y, v)
    elif method == "REML":
        tau2 = tau2_reml(y, v)
    else:  # pragma: no cover - validated earlier
        raise SurvivalDataError(f"unknown method {method!r}; use one of {METHODS}.")
    mu, se, w = _pool(y, v, tau2)
    q = _q_stat(y, v) if k > 1 else 0.0
    df = k - 1
    q_p = float(stats.chi2.sf(q, df)) if df > 0 else float("nan")
    wf = 1.0 / v
    c = np.sum(wf) - np.sum(wf**2) / np.sum(wf)
    if method == "FE":
        i2 = max(0.0, (q - df) / q) * 100 if q > 0 and df > 0 else 0.0
        h2 = q / df if df > 0 else float("nan")
    else:
        s2 = df / c if c > 0 else float("nan")  # typical within-study variance
        i2 = 100 * tau2 / (tau2 + s2) if df > 0 else 0.0
        h2 = (tau2 + s2) / s2 if df > 0 else float("nan")
    alpha = 1 - level
    if knapp_hartung:
        if df < 1:
            raise SurvivalDataError("Knapp-Hartung needs at least 2 studies.")
        kh = float(np.sum(w * (y - mu) ** 2) / df)  # not truncated at 1 (metafor default)
        se = se * np.sqrt(kh)
        crit = float(stats.t.ppf(1 - alpha / 2, df))
        stat = mu / se if se > 0 else float("nan")
        p = float(2 * stats.t.sf(abs(stat), df))
        dist = f"t({df})"
    else:
        crit = float(stats.norm.ppf(1 - alpha / 2))
        stat = mu / se if se > 0 else float("nan")
        p = float(2 * stats.norm.sf(abs(stat)))
        dist = "normal"
    pi_se = float(np.sqrt(tau2 + se**2))
    wt = w / np.sum(w) * 100
    return {
        "estimate": mu,
        "se": float(se),
        "ci_lower": mu - crit * se,
        "ci_upper": mu + crit * se,
        "stat": float(stat),
        "p": p,
        "tau2": float(tau2),
        "tau": float(np.sqrt(tau2)),
        "Q": float(q),
        "Q_df": int(df),
        "Q_p": q_p,
        "I2": float(i2),
        "H2": float(h2),
        "pi_lower": mu - crit * pi_se,
        "pi_upper": mu + crit * pi_se,
        "k": int(k),
        "weights": wt,
        "distribution": dist,
    }


# --------------------------------------------------------------------------------------------------
# input handling
# --------------------------------------------------------------------------------------------------
def _column(data, spec, what: str) -> np.ndarray:
    if isinstance(spec, str):
        if data is None:
            raise SurvivalDataError(f"{what}={spec!r} names a column, but no `data` table was given.")
        if spec not in data.columns:
            raise SurvivalDataError(
                f"column {spec!r} (for {what}) not found; available columns: {list(map(str, data.columns))}."
            )
        values = data[spec]
    else:
        values = spec
    try:
        arr = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError) as exc:
        raise SurvivalDataError(f"{what} must be numeric ({exc}).") from None
    return arr


def _prepare(data, effect, se, ci, variance, study, ci_level):
    """Return (y, v, names, ratio_input: bool) on the analysis (log) scale, validated."""
    if isinstance(data, pd.DataFrame) or data is None:
        table = data
    else:
        try:
            table = pd.DataFrame(data)
        except Exception:  # noqa: BLE001
            raise SurvivalDataError("`data` must be a pandas DataFrame (or None with array inputs).") from None
    if effect is None:
        raise SurvivalDataError("give `effect=` (a column name or an array of log HRs / HRs).")
    y = _column(table, effect, "effect")
    n_given = sum(x is not None for x in (se, ci, variance))
    if n_given != 1:
        raise SurvivalDataError(
            "give exactly one of `se=` (standard errors of log effects), `variance=`, or "
            "`ci=(lower, upper)` (a 95% CI on the ratio scale, with `effect` a ratio such as an HR)."
        )
    ratio = ci is not None
    if ratio:
        if not (isinstance(ci, (tuple, list)) and len(ci) == 2):
            raise SurvivalDataError("`ci` must be a pair (lower, upper) of column names or arrays.")
        lo = _column(table, ci[0], "ci lower")
        hi = _column(table, ci[1], "ci upper")
        if not (lo.size == hi.size == y.size):
            raise SurvivalDataError("effect and CI bounds have different lengths.")
        bad = ~np.isfinite(y) | ~np.isfinite(lo) | ~np.isfinite(hi)
        if bad.any():
            raise SurvivalDataError(
                f"{int(bad.sum())} studies have a missing or infinite HR or CI bound; drop or fix them first."
            )
        if (y <= 0).any() or (lo <= 0).any() or (hi <= 0).any():
            raise SurvivalDataError(
                "with `ci=`, effects and CI bounds are ratios (HR/RR/OR) and must be > 0; "
                "for log-scale effects pass `se=` instead."
            )
        outside = (lo > y) | (hi < y) | (hi <= lo)
        if outside.any():
            idx = np.flatnonzero(outside)[:5].tolist()
            raise SurvivalDataError(
                f"the CI does not contain the estimate (or upper <= lower) for studies at positions {idx}; "
                "check for swapped columns or a typo."
            )
        zc = stats.norm.ppf(0.5 + ci_level / 2)
        v = ((np.log(hi) - np.log(lo)) / (2 * zc)) ** 2
        y = np.log(y)
    elif se is not None:
        s = _column(table, se, "se")
        if s.size != y.size:
            raise SurvivalDataError("effect and se have different lengths.")
        if (~np.isfinite(s)).any() or (s <= 0).any():
            raise SurvivalDataError(
                "standard errors must be finite and > 0 (found zero, negative or missing); "
                "a study with SE <= 0 cannot be weighted."
            )
        v = s**2
    else:
        v = _column(table, variance, "variance")
        if v.size != y.size:
            raise SurvivalDataError("effect and variance have different lengths.")
        if (~np.isfinite(v)).any() or (v <= 0).any():
            raise SurvivalDataError("variances must be finite and > 0.")
    if (~np.isfinite(y)).any():
        raise SurvivalDataError("effects must be finite (found NaN or infinite values); drop those studies first.")
    if y.size == 0:
        raise SurvivalDataError("no studies given.")
    if study is None:
        names = [str(i) for i in (table.index if table is not None else range(y.size))]
    elif isinstance(study, str) and table is not None and study in table.columns:
        names = table[study].astype(str).tolist()
    else:
        names = [str(s) for s in (table[study] if isinstance(study, str) and table is not None else study)]
    if len(names) != y.size:
        raise SurvivalDataError("`study` labels and effects have different lengths.")
    return y, v, names, ratio, table


# --------------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------------
@dataclass
class MetaResult:
    """Result of :func:`meta_analysis` (lifelines / statsmodels style).

    Effects are on the analysis scale (log HR for hazard ratios). With ``exp=True`` the summary, the
    per-study table and the forest plot are shown back-transformed (HR scale).
    """

    estimate: float
    se: float
    ci_lower: float
    ci_upper: float
    stat: float
    p: float
    tau2: float
    tau: float
    Q: float
    Q_df: int
    Q_p: float
    I2: float
    H2: float
    pi_lower: float
    pi_upper: float
    k: int
    method: str
    knapp_hartung: bool
    level: float
    distribution: str
    exp: bool
    studies: pd.DataFrame
    effect_label: str = "log HR"
    subgroups: dict = field(default_factory=dict)
    subgroup_test: dict = field(default_factory=dict)
    note: str = RESEARCH_NOTE
    _y: np.ndarray | None = field(default=None, repr=False)
    _v: np.ndarray | None = field(default=None, repr=False)

    # back-transformed convenience values ---------------------------------------------------------
    @property
    def hr(self) -> float:
        return float(np.exp(self.estimate))

    @property
    def hr_ci(self) -> tuple[float, float]:
        return float(np.exp(self.ci_lower)), float(np.exp(self.ci_upper))

    @property
    def z(self) -> float:
        return self.stat

    @property
    def t(self) -> float:
        return self.stat

    def to_hr(self) -> MetaResult:
        """A copy whose summary / studies / plot are shown on the exponentiated (HR) scale."""
        out = _copy.copy(self)
        out.exp = True
        out.subgroups = {g: r.to_hr() for g, r in self.subgroups.items()}
        return out

    @property
    def summary(self) -> pd.DataFrame:
        """The pooled result as a one-row DataFrame (estimate, SE, CI, test, heterogeneity, prediction interval)."""
        row = {
            "k": self.k,
            "method": self.method + ("+KH" if self.knapp_hartung else ""),
            "estimate": self.estimate,
            "se": self.se,
            "ci_lower": self.ci_lower,
            "ci_upper": self.ci_upper,
            ("t" if self.knapp_hartung else "z"): self.stat,
            "p": self.p,
            "tau2": self.tau2,
            "Q": self.Q,
            "Q_df": self.Q_df,
            "Q_p": self.Q_p,
            "I2": self.I2,
            "H2": self.H2,
            "pi_lower": self.pi_lower,
            "pi_upper": self.pi_upper,
        }
        if self.exp:
            row.update(
                {
                    "exp_estimate": self.hr,
                    "exp_ci_lower": self.hr_ci[0],
                    "exp_ci_upper": self.hr_ci[1],
                    "exp_pi_lower": float(np.exp(self.pi_lower)),
                    "exp_pi_upper": float(np.exp(self.pi_upper)),
                }
            )
        row["note"] = self.note
        return pd.DataFrame([row], index=["pooled"])

    @property
    def per_study(self) -> pd.DataFrame:
        """Alias of :attr:`studies`, back-transformed columns added when ``exp``."""
        df = self.studies.copy()
        if self.exp:
            for c in ("effect", "ci_lower", "ci_upper"):
                df[f"exp_{c}"] = np.exp(df[c])
        return df

    def leave_one_out(self) -> pd.DataFrame:
        """Re-pool omitting each study in turn (one row per omitted study)."""
        if self.k < 3 and self.method != "FE":
            raise SurvivalDataError("leave-one-out with a random-effects method needs at least 3 studies.")
        if self.k < 2:
            raise SurvivalDataError("leave-one-out needs at least 2 studies.")
        if self._y is None or self._v is None:
            raise SurvivalDataError("this result holds no per-study effects to re-pool (built outside meta_analysis).")
        y, v = self._y, self._v
        rows = []
        names = list(self.studies.index)
        for i, _name in enumerate(names):
            keep = np.arange(self.k) != i
            r = fit_arrays(y[keep], v[keep], method=self.method, knapp_hartung=self.knapp_hartung, level=self.level)
            row = {k: r[k] for k in ("estimate", "se", "ci_lower", "ci_upper", "stat", "p", "tau2", "Q", "Q_p", "I2")}
            if self.exp:
                row.update(
                    exp_estimate=np.exp(r["estimate"]),
                    exp_ci_lower=np.exp(r["ci_lower"]),
                    exp_ci_upper=np.exp(r["ci_upper"]),
                )
            rows.append(row)
        out = pd.DataFrame(rows, index=pd.Index(names, name="omitted"))
        return out

    def to_dict(self) -> dict:
        """Plain dict (h5ad-safe: numbers and strings only)."""
        d = {
            k: getattr(self, k)
            for k in (
                "estimate",
                "se",
                "ci_lower",
                "ci_upper",
                "stat",
                "p",
                "tau2",
                "Q",
                "Q_df",
                "Q_p",
                "I2",
                "H2",
                "pi_lower",
                "pi_upper",
                "k",
                "method",
                "level",
                "distribution",
                "note",
            )
        }
        d["knapp_hartung"] = bool(self.knapp_hartung)
        return {k: (float(v) if isinstance(v, (np.floating,)) else v) for k, v in d.items()}

    def to_table(self) -> pd.DataFrame:
        """One tidy table: a row per study, then the pooled row (and one per subgroup).

        Columns: ``row_type`` (study / pooled / subgroup), ``study``, ``effect`` (log scale; the pooled
        estimate on pooled rows), ``se``, ``ci_lower``, ``ci_upper``, ``weight_percent``, ``exp_*`` (hazard-ratio
        scale) and, on pooled rows, ``k, method, z|t, p, tau2, Q, Q_df, Q_p, I2, H2, pi_lower, pi_upper``. What
        ``tamclass meta`` writes.
        """

        def has_exp(df: pd.DataFrame) -> bool:
            return any(str(c).startswith("exp_") for c in df.columns)

        def pooled_rows(res: MetaResult, row_type: str, label: str) -> pd.DataFrame:
            summ = res.to_hr().summary if not has_exp(res.summary) and has_exp(self.per_study) else res.summary
            summ = summ.rename(columns={"estimate": "effect", "exp_estimate": "exp_effect"}).reset_index(drop=True)
            summ.insert(0, "study", label)
            summ.insert(0, "row_type", row_type)
            summ["weight_percent"] = 100.0
            return summ

        studies = self.per_study.reset_index()
        if "study" not in studies.columns:
            studies = studies.rename(columns={studies.columns[0]: "study"})
        studies.insert(0, "row_type", "study")
        parts = [studies, pooled_rows(self, "pooled", f"pooled ({self.method})")]
        for name, sub in (self.subgroups or {}).items():
            rows = pooled_rows(sub, "subgroup", f"pooled ({self.method})")
            rows["subgroup"] = str(name)
            parts.append(rows)
        table = pd.concat(parts, ignore_index=True, sort=False)
        test = self.subgroup_test or {}
        if test:
            table["subgroup_Q_between"] = [
                test.get("Q_between") if rt == "pooled" else None for rt in table["row_type"]
            ]
            table["subgroup_p"] = [test.get("p") if rt == "pooled" else None for rt in table["row_type"]]
        return table

    def plot(self, **kwargs):
        """Forest plot (:func:`tamclass.pl.forest`)."""
        from ..pl._forest import forest

        return forest(self, **kwargs)

    def __repr__(self) -> str:  # pragma: no cover - cosmetic
        scale = "HR" if self.exp else "estimate"
        est, lo, hi = (self.hr, *self.hr_ci) if self.exp else (self.estimate, self.ci_lower, self.ci_upper)
        return (
            f"<MetaResult {self.method}{'+KH' if self.knapp_hartung else ''} k={self.k}: {scale} {est:.4g} "
            f"({lo:.4g}-{hi:.4g}), p={self.p:.3g}, tau2={self.tau2:.4g}, I2={self.I2:.1f}% — {self.note}>"
        )


def _result_from_arrays(y, v, names, *, method, knapp_hartung, level, exp, effect_label) -> MetaResult:
    r = fit_arrays(y, v, method=method, knapp_hartung=knapp_hartung, level=level)
    se_i = np.sqrt(v)
    zc = stats.norm.ppf(0.5 + level / 2)
    studies = pd.DataFrame(
        {
            "effect": y,
            "se": se_i,
            "ci_lower": y - zc * se_i,
            "ci_upper": y + zc * se_i,
            "weight_percent": r.pop("weights"),
        },
        index=pd.Index(names, name="study"),
    )
    return MetaResult(
        method=method,
        knapp_hartung=bool(knapp_hartung),
        level=level,
        exp=bool(exp),
        studies=studies,
        effect_label=effect_label,
        _y=y,
        _v=v,
        **r,
    )


def _normalise_method(method: str) -> str:
    m = _ALIASES.get(str(method).upper())
    if m is None:
        raise SurvivalDataError(f"unknown meta-analysis method {method!r}; choose one of {', '.join(METHODS)}.")
    return m


def meta_analysis(
    data: pd.DataFrame | None = None,
    *,
    effect: str | Any = "log_hr",
    se: str | Any | None = None,
    ci: tuple | None = None,
    variance: str | Any | None = None,
    study: str | Any | None = None,
    method: str = "DL",
    knapp_hartung: bool = False,
    level: float = 0.95,
    ci_level: float = 0.95,
    exp: bool | None = None,
    subgroup: str | None = None,
) -> MetaResult:
    """Inverse-variance meta-analysis of log hazard ratios (or any effect with a standard error).

    Parameters
    ----------
    data
        Table with one row per study (or ``None`` when ``effect``/``se`` are arrays).
    effect
        Column name (or array) of effects: log HRs with ``se=``/``variance=``, or HRs with ``ci=``.
    se, variance, ci
        Exactly one. ``se``: standard errors of the log effects (> 0). ``ci=("lower", "upper")``:
        a ``ci_level`` (default 95%) confidence interval on the ratio scale; then ``effect`` is a ratio,
        both are logged and ``SE = (log U - log L) / (2 * 1.959964)``.
    study
        Column (or list) of study labels; default: the table index.
    method
        ``"FE"`` (fixed / equal effect), ``"DL"`` (DerSimonian-Laird, tau^2 truncated at 0),
        ``"REML"`` (Fisher scoring, as metafor) or ``"PM"`` (Paule-Mandel).
    knapp_hartung
        Knapp-Hartung(-Sidik-Jonkman) adjustment: t distribution with k - 1 df, SE scaled by the
        (untruncated) weighted residual variance, as metafor ``test="knha"``.
    level
        Confidence level of the pooled CI and the prediction interval.
    exp
        Report back-transformed (HR) values in ``summary`` and the forest plot. Default: ``True``
        with ``ci=`` (ratio inputs), else ``False`` (call ``.to_hr()`` for log-HR inputs).
    subgroup
        Column: pool each subgroup separately (``result.subgroups``) and test for subgroup
        differences (``result.subgroup_test``: Cochran's Q between the subgroup estimates, df = G - 1,
        the "test for subgroup differences" of RevMan / meta's ``byvar``). Each subgroup gets its own
        tau^2; a subgroup with a single study is reported as that study (fixed effect of one).

    Returns
    -------
    MetaResult
        ``estimate, se, ci_lower, ci_upper, z (t), p, tau2, Q, Q_p, I2, H2, pi_lower, pi_upper, k``,
        ``studies`` (effect, se, CI, weight %), ``summary``, ``leave_one_out()``, ``to_hr()``, ``plot()``.
        Research use only: a pooled HR describes populations, not an individual patient's risk.

    Raises
    ------
    SurvivalDataError
        Fewer than 2 studies for a random-effects method or Knapp-Hartung ("need >= 2 studies"),
        SE <= 0, a CI that does not contain its estimate, non-finite inputs, unknown method.

    Examples
    --------
    >>> import pandas as pd, tamclass as tc
    >>> df = pd.DataFrame({"hr": [1.5, 2.0, 1.2], "lo": [1.1, 1.2, 0.8], "hi": [2.0, 3.3, 1.8]})
    >>> res = tc.prognosis.meta_analysis(df, effect="hr", ci=("lo", "hi"), method="DL")
    >>> round(res.hr, 3), res.k
    (1.488, 3)
    """
    method = _normalise_method(method)
    if not 0 < level < 1 or not 0 < ci_level < 1:
        raise SurvivalDataError("`level` and `ci_level` must be between 0 and 1 (e.g. 0.95).")
    y, v, names, ratio, table = _prepare(data, effect, se, ci, variance, study, ci_level)
    if exp is None:
        exp = ratio
    k = y.size
    if (method != "FE" or knapp_hartung) and k < 2:
        raise SurvivalDataError(
            f"need >= 2 studies for a {method}{' + Knapp-Hartung' if knapp_hartung else ''} meta-analysis "
            f"(got {k}); with one study report its own estimate, or use method='FE'."
        )
    label = "log HR" if (ratio or exp) else "effect"
    res = _result_from_arrays(
        y, v, names, method=method, knapp_hartung=knapp_hartung, level=level, exp=exp, effect_label=label
    )
    if subgroup is not None:
        if table is None or subgroup not in table.columns:
            raise SurvivalDataError(f"subgroup column {subgroup!r} not found in `data`.")
        groups = table[subgroup].astype(str).to_numpy()
        if pd.isna(table[subgroup]).any():
            raise SurvivalDataError(f"subgroup column {subgroup!r} has missing values; label or drop them.")
        res.studies.insert(0, "subgroup", groups)
        sub: dict[str, MetaResult] = {}
        for g in pd.unique(groups):
            m = groups == g
            if m.sum() < 2 and (method != "FE" or knapp_hartung):
                # one-study subgroup: report the study itself (fixed effect of one)
                sub[g] = _result_from_arrays(
                    y[m],
                    v[m],
                    [n for n, mm in zip(names, m, strict=False) if mm],
                    method="FE",
                    knapp_hartung=False,
                    level=level,
                    exp=exp,
                    effect_label=label,
                )
            else:
                sub[g] = _result_from_arrays(
                    y[m],
                    v[m],
                    [n for n, mm in zip(names, m, strict=False) if mm],
                    method=method,
                    knapp_hartung=knapp_hartung,
                    level=level,
                    exp=exp,
                    effect_label=label,
                )
        res.subgroups = sub
        if len(sub) >= 2:
            est = np.array([r.estimate for r in sub.values()])
            var = np.array([r.se**2 for r in sub.values()])
            qb = _q_stat(est, var)
            dfb = len(sub) - 1
            res.subgroup_test = {"Q_between": qb, "df": dfb, "p": float(stats.chi2.sf(qb, dfb))}
    return res
