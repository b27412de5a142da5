"""The literature evidence table shipped with tamclass (``tamclass/prognosis/data/evidence.tsv``).

Every row is a pooled effect as printed in a published abstract (the sources consulted did not
provide full texts), with its citation, DOI/PMID and the tamclass summary features it corresponds
to. Research use only: these are population-level associations, never a per-patient risk prediction.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources


import pandas as pd

from .._errors import InputError
from ._meta import RESEARCH_NOTE

_NUMERIC = ("hr", "ci_lower", "ci_upper", "n_studies", "n_patients")


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    path = resources.files("tamclass.prognosis").joinpath("data/evidence.tsv")
    with path.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, sep="\t", dtype=str, keep_default_na=False)
    for c in ("hr", "ci_lower", "ci_upper"):
        df[f"{c}_text"] = df[c]  # as printed in the source (keeps trailing zeros)
    for c in _NUMERIC:
        df[c] = pd.to_numeric(df[c])
    # nullable integers: an empty cell means "not reported", never 0
    df[["n_studies", "n_patients"]] = df[["n_studies", "n_patients"]].astype("Int64")
    return df.set_index("id")


def _feature_matches(column: str, feature_field: str) -> bool:
    """A summary column matches an evidence feature if equal or if it ends with ``_<feature>``
    (``score_IHC_CD163`` and ``score_macrophage_IHC_CD163`` both match ``IHC_CD163``)."""
    for f in feature_field.split(";"):
        f = f.strip()
        if f and (column == f or column.endswith("_" + f)):
            return True
    return False


def evidence(feature: str | None = None, *, outcome: str | None = None, cancer_type: str | None = None,
             measure: str | None = None, _keep_text: bool = False) -> pd.DataFrame:
    """Published pooled effects of TAM markers on outcome (the table shipped as package data).

    Parameters
    ----------
    feature
        Keep rows linked to this tamclass feature: a feature key (``"macrophage_fraction"``,
        ``"state_fraction_M2-like"``, ``"m2_m1_ratio"``, a signature such as ``"IHC_CD163"``) or a
        :func:`tamclass.tl.summarize` column (``"score_macrophage_IHC_CD163"`` matches ``IHC_CD163``).
    outcome, cancer_type, measure
        Case-insensitive filters (e.g. ``"OS"``, ``"breast"``, ``"HR"``); ``cancer_type`` matches a substring.

    Returns
    -------
    DataFrame
        Indexed by row id; columns ``marker, exposure, feature`` (``;``-separated tamclass features),
        ``outcome, measure`` (HR or RR), ``hr`` (the pooled effect, HR or RR as ``measure`` says),
        ``ci_lower, ci_upper, n_studies, n_patients`` (<NA> = not reported), ``subgroup, cancer_type,
        short_citation, citation, doi, pmid, notes``. ``df.attrs["note"]`` carries the research-use note.

    Examples
    --------
    >>> import tamclass as tc
    >>> ev = tc.prognosis.evidence("IHC_CD163", outcome="OS")
    >>> [float(v) for v in ev.loc["allison2023_cd163_os", ["hr", "ci_lower", "ci_upper"]]]
    [2.24, 1.71, 2.92]
    """
    df = _load().copy()
    if feature is not None:
        df = df.loc[[_feature_matches(str(feature), f) for f in df["feature"]]]
    if outcome is not None:
        df = df.loc[df["outcome"].str.lower() == str(outcome).lower()]
    if measure is not None:
        df = df.loc[df["measure"].str.lower() == str(measure).lower()]
    if cancer_type is not None:
        df = df.loc[df["cancer_type"].str.lower().str.contains(str(cancer_type).lower(), regex=False)]
    if not _keep_text:
        df = df.drop(columns=[c for c in df.columns if c.endswith("_text")])
    df.attrs["note"] = RESEARCH_NOTE
    return df


def _fmt_int(n: int) -> str:
    return f"{n:,}"


def sentence(row: pd.Series) -> str:
    """One descriptive, cited sentence for an evidence row."""
    n = []
    if pd.notna(row["n_studies"]):
        n.append(f"{_fmt_int(int(row['n_studies']))} studies")
    if pd.notna(row["n_patients"]):
        n.append(f"{_fmt_int(int(row['n_patients']))} patients")
    where = f"In {row['short_citation']}" + (f" ({', '.join(n)})" if n else "")
    hr, lo, hi = float(row["hr"]), float(row["ci_lower"]), float(row["ci_upper"])
    t_hr, t_lo, t_hi = (row.get(f"{c}_text", f"{row[c]:g}") for c in ("hr", "ci_lower", "ci_upper"))
    outcome = row["outcome"]
    is_survival = outcome in ("OS", "PFS", "DFS", "RFS", "BCSS", "DMFS")
    if lo > 1:
        verb = f"was associated with worse {outcome}" if is_survival else f"was associated with a higher risk of {outcome}"
    elif hi < 1:
        verb = f"was associated with better {outcome}" if is_survival else f"was associated with a lower risk of {outcome}"
    else:
        verb = f"was not significantly associated with {outcome}"
    ctx = "" if row["cancer_type"].startswith("breast") else f" in {row['cancer_type']}"
    return (f"{where}, {row['exposure']}{ctx} {verb} (pooled {row['measure']} {t_hr}, "
            f"95% CI {t_lo}\u2013{t_hi}).")


def link(summary=None, *, outcome: str | None = None, cancer_type: str | None = None) -> pd.DataFrame:
    """Link summary features to the literature: one row per (feature, evidence row) with a sentence.

    Parameters
    ----------
    summary
        A :func:`tamclass.tl.summarize` table (its columns are matched), an AnnData holding
        ``uns["tamclass"]["samples"]``, a list of feature names, or ``None`` (every evidence row).

    Returns
    -------
    DataFrame
        Columns ``feature, evidence_id, outcome, measure, hr, ci_lower, ci_upper, cancer_type,
        citation, doi, pmid, sentence, note``. Every sentence describes a *published population-level*
        association; the ``note`` column says "research use only; not a per-patient risk prediction".

    Examples
    --------
    >>> import tamclass as tc
    >>> t = tc.prognosis.link(["macrophage_fraction"], outcome="OS", cancer_type="breast")
    >>> t["sentence"].iloc[0].startswith("In Allison 2023 (32 studies, 8,446 patients)")
    True
    """
    if summary is None:
        features = None
    elif isinstance(summary, pd.DataFrame):
        features = [str(c) for c in summary.columns]
    elif hasattr(summary, "uns"):
        try:
            features = [str(c) for c in summary.uns["tamclass"]["samples"].columns]
        except (KeyError, TypeError, AttributeError):
            raise InputError("the AnnData has no uns['tamclass']['samples']; run tc.tl.summarize first.") from None
    elif isinstance(summary, str):
        features = [summary]
    else:
        features = [str(c) for c in summary]
    ev = evidence(outcome=outcome, cancer_type=cancer_type, _keep_text=True)
    rows = []
    for eid, r in ev.iterrows():
        cols = [r["feature"].split(";")[0]] if features is None else [c for c in features if _feature_matches(c, r["feature"])]
        for c in cols:
            rows.append({"feature": c, "evidence_id": eid, "outcome": r["outcome"], "measure": r["measure"],
                         "hr": r["hr"], "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                         "cancer_type": r["cancer_type"], "citation": r["citation"], "doi": r["doi"],
                         "pmid": r["pmid"], "sentence": sentence(r), "note": RESEARCH_NOTE})
    out = pd.DataFrame(rows, columns=["feature", "evidence_id", "outcome", "measure", "hr", "ci_lower", "ci_upper",
                                      "cancer_type", "citation", "doi", "pmid", "sentence", "note"])
    if len(out):
        order = {f: i for i, f in enumerate(features or out["feature"].unique())}
        out = out.sort_values(["feature"], key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    out.attrs["note"] = RESEARCH_NOTE
    return out


__all__ = ["evidence", "link", "sentence"]

