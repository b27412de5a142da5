"""The literature evidence table shipped with tamclass (``tamclass/prognosis/data/evidence.tsv``).

Every row is a pooled effect as printed in a published abstract (the sources consulted did not
provide full texts), with its citation, DOI/PMID, the finding in the authors' words
(``finding_as_reported``), the direction they state (``direction_as_reported``) and the tamclass summary
features it corresponds to. Sentences are built only from those columns: a row without an explicit
direction, or whose direction contradicts its own confidence interval, is refused when the table is
loaded. Research use only: these are population-level associations, never a per-patient risk prediction.
"""

from __future__ import annotations

import warnings
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .._errors import InputError, TamclassError, TamclassWarning
from .._keys import DEFAULT_KEY, UNS_SAMPLES
from .._settings import logger
from ._meta import RESEARCH_NOTE

if TYPE_CHECKING:
    from collections.abc import Sequence

    from anndata import AnnData

_NUMERIC = ("hr", "ci_lower", "ci_upper")
_COUNTS = ("n_studies", "n_patients", "subgroup_n_studies", "subgroup_n_patients")
#: outcomes read as survival (direction words "worse" / "better"); any other outcome is a category
#: (a clinicopathological feature), with direction words "higher" (more frequent) / "lower"
SURVIVAL_OUTCOMES = ("OS", "PFS", "DFS", "RFS", "BCSS", "DMFS")
#: sign of log(effect) that each direction implies when the row says the ratio refers to the outcome
_SIGN = {"worse": 1, "higher": 1, "better": -1, "lower": -1, "none": 0}
#: plain-word aliases accepted by ``cancer_type=`` (matched against the table's ``cancer_type`` column)
CANCER_TYPE_ALIASES = {
    "brca": "breast",
    "breast cancer": "breast",
    "tnbc": "breast",
    "liver": "hepatocellular carcinoma",
    "hcc": "hepatocellular carcinoma",
    "liver cancer": "hepatocellular carcinoma",
    "kidney": "renal cell carcinoma",
    "renal": "renal cell carcinoma",
    "rcc": "renal cell carcinoma",
    "ccrcc": "clear-cell renal cell carcinoma",
    "kidney cancer": "renal cell carcinoma",
    "ovary": "ovarian cancer",
    "ovarian": "ovarian cancer",
}
#: summary columns that describe TAMs (the kinds a user may expect evidence for)
_FEATURE_PREFIXES = (
    "macrophage_fraction",
    "state_fraction_",
    "subset_fraction_",
    "m2_m1_ratio",
    "log2_m2_m1_ratio",
    "polarization_",
    "score_",
)
NO_CANCER_TYPE_NOTE = (
    "No cancer type was given, so evidence rows of every cancer type in tamclass's table are shown, each labelled "
    "with its cancer type. Pass cancer_type= (CLI: --cancer-type) to keep only the evidence for your tumour type."
)

#: reviews that seeded tamclass's reading list; no pooled number in the evidence table comes from them
SEED_REVIEWS = pd.DataFrame(
    [
        {
            "short_citation": "Melwani 2024",
            "citation": "Melwani PK, Checker R, Balla MMS, Pandey BN. Results Probl Cell Differ 2024;74:213-238",
            "doi": "10.1007/978-3-031-65944-7_8",
            "pmid": "39406907",
            "role": "review chapter; cites Allison 2023, whose pooled HRs are rows of the evidence table",
        },
        {
            "short_citation": "Jin 2025",
            "citation": "Jin H, Meng X, Feng J. Front Immunol 2025;16:1560393",
            "doi": "10.3389/fimmu.2025.1560393",
            "pmid": "40092996",
            "role": "narrative review: no pooled numbers, so no evidence row comes from it",
        },
    ]
).set_index("short_citation")


class EvidenceTableError(TamclassError, ValueError):
    """An evidence row that cannot be turned into a true sentence (no direction, a zero count, no identifier...)."""


def _row_id(row: pd.Series) -> str:
    return str(row.get("id", row.name))


def _check_counts(row: pd.Series) -> None:
    """Counts are empty (= not reported) or positive integers; a 0 would print as a fact."""
    for c in _COUNTS:
        v = row.get(c, pd.NA)
        if pd.isna(v):
            continue
        if float(v) <= 0 or float(v) != int(v):
            raise EvidenceTableError(f"evidence row {_row_id(row)}: {c} = {v!r}; leave it empty when not reported.")


def _direction(row: pd.Series) -> str:
    """The direction the row states, checked against the outcome kind and (when defined) the CI."""
    rid = _row_id(row)
    d = str(row.get("direction_as_reported", "") or "").strip()
    if not d:
        raise EvidenceTableError(f"evidence row {rid}: no direction_as_reported; tamclass does not infer a direction.")
    if d not in _SIGN:
        raise EvidenceTableError(f"evidence row {rid}: direction_as_reported {d!r} is not one of {sorted(_SIGN)}.")
    survival = str(row["outcome"]) in SURVIVAL_OUTCOMES
    allowed = ("worse", "better", "none") if survival else ("higher", "lower", "none")
    if d not in allowed:
        raise EvidenceTableError(
            f"evidence row {rid}: direction {d!r} does not fit outcome {row['outcome']!r} (expected one of {allowed})."
        )
    if not str(row.get("finding_as_reported", "") or "").strip():
        raise EvidenceTableError(f"evidence row {rid}: no finding_as_reported (the authors' words) for its direction.")
    refers = str(row.get("ratio_refers_to_outcome", "") or "").strip()
    if refers == "yes":
        lo, hi = float(row["ci_lower"]), float(row["ci_upper"])
        implied = 1 if lo > 1 else (-1 if hi < 1 else 0)
        if implied != _SIGN[d]:
            raise EvidenceTableError(f"evidence row {rid}: direction {d!r} contradicts its own 95% CI {lo}-{hi}.")
    elif refers != "not stated":
        raise EvidenceTableError(
            f"evidence row {rid}: ratio_refers_to_outcome must be 'yes' or 'not stated', got {refers!r}."
        )
    return d


def _check_row(row: pd.Series) -> None:
    _check_counts(row)
    _direction(row)
    doi, pmid = str(row.get("doi", "") or ""), str(row.get("pmid", "") or "")
    if not (doi.startswith("10.") or pmid.isdigit()):
        raise EvidenceTableError(f"evidence row {_row_id(row)}: neither a DOI nor a PMID.")


@lru_cache(maxsize=1)
def _load() -> pd.DataFrame:
    path = resources.files("tamclass.prognosis").joinpath("data/evidence.tsv")
    with path.open("r", encoding="utf-8") as fh:
        df = pd.read_csv(fh, sep="\t", dtype=str, keep_default_na=False)
    for c in _NUMERIC:
        df[f"{c}_text"] = df[c]  # as printed in the source (keeps trailing zeros)
        df[c] = pd.to_numeric(df[c])
    for c in _COUNTS:
        # nullable integers: an empty cell means "not reported", never 0
        df[c] = pd.to_numeric(df[c].mask(df[c] == "")).astype("Int64")
    df = df.set_index("id")
    for _, row in df.iterrows():
        _check_row(row)
    return df


def _feature_matches(column: str, feature_field: str) -> bool:
    """A summary column matches an evidence feature if equal or if it ends with ``_<feature>``.

    ``score_IHC_CD163`` and ``score_macrophage_IHC_CD163`` both match ``IHC_CD163``.
    """
    for f in feature_field.split(";"):
        f = f.strip()
        if f and (column == f or column.endswith("_" + f)):
            return True
    return False


def _cancer_mask(types: pd.Series, cancer_type: str) -> pd.Series:
    """Rows whose cancer type contains the query (or an alias of it), or is contained in it."""
    q = " ".join(str(cancer_type).lower().split())
    q = CANCER_TYPE_ALIASES.get(q, q)
    low = types.str.lower()
    return low.str.contains(q, regex=False) | low.map(lambda t: t in q)


def evidence(
    feature: str | None = None,
    *,
    outcome: str | None = None,
    cancer_type: str | None = None,
    measure: str | None = None,
    _keep_text: bool = False,
) -> pd.DataFrame:
    """Published pooled effects of TAM markers on outcome (the table shipped as package data).

    Parameters
    ----------
    feature
        Keep rows linked to this tamclass feature: a feature key (``"macrophage_fraction"``,
        ``"state_fraction_M2-like"``, ``"m2_m1_ratio"``, a signature such as ``"IHC_CD163"``) or a
        :func:`tamclass.tl.summarize` column (``"score_macrophage_IHC_CD163"`` matches ``IHC_CD163``).
    outcome, measure
        Case-insensitive filters (e.g. ``"OS"``, ``"HR"``).
    cancer_type
        Case-insensitive; a row is kept when its ``cancer_type`` contains the query or is contained in it
        (``"breast"``, ``"hepatocellular carcinoma"``). Aliases: see ``CANCER_TYPE_ALIASES`` (``"liver"``,
        ``"kidney"``, ``"ovary"``, ...).

    Returns
    -------
    DataFrame
        Indexed by row id. Columns: ``marker, exposure, population, feature`` (``;``-separated tamclass
        features), ``outcome, measure`` (HR or RR), ``hr`` (the pooled effect, HR or RR as ``measure``
        says), ``ci_lower, ci_upper``, ``direction_as_reported`` (worse / better for survival, higher /
        lower for a clinicopathological category, none), ``ratio_refers_to_outcome`` ("yes" when the
        source defines the ratio so that > 1 means more of the outcome; "not stated" otherwise),
        ``finding_as_reported`` (the authors' words), ``n_studies, n_patients`` (the **whole**
        meta-analysis, as reported; <NA> = not reported), ``subgroup`` ("all" or the subgroup this
        estimate comes from), ``subgroup_n_studies, subgroup_n_patients`` (the subgroup's own counts,
        <NA> = not reported), ``cancer_type, short_citation, citation, doi, pmid, pmcid, id_note, notes``.
        ``df.attrs["note"]`` carries the research-use note.

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
        df = df.loc[_cancer_mask(df["cancer_type"], cancer_type)]
    if not _keep_text:
        df = df.drop(columns=[c for c in df.columns if c.endswith("_text")])
    df.attrs["note"] = RESEARCH_NOTE
    return df


def cancer_types() -> list[str]:
    """The cancer types the shipped evidence table covers (in table order)."""
    return list(dict.fromkeys(_load()["cancer_type"]))


def reviews() -> pd.DataFrame:
    """The reviews that seeded tamclass's reading list, cited in full (no evidence row's numbers come from them)."""
    return SEED_REVIEWS.copy()


def _n(v, word: str) -> str | None:
    return None if pd.isna(v) else f"{int(v):,} {word}"


def _counts_clause(row: pd.Series) -> str:
    """Whose counts are printed: the whole meta-analysis's, and the subgroup's own only when reported."""
    total = [x for x in (_n(row["n_studies"], "studies"), _n(row["n_patients"], "patients")) if x]
    sub = str(row.get("subgroup", "") or "").strip()
    if not total:
        none = "meta-analysis; numbers of studies and patients not reported in the abstract"
        return none if not sub or sub == "all" else f"{none}, nor the size of the {sub}"
    meta = "meta-analysis of " + ", ".join(total)
    if not sub or sub == "all":
        return meta
    own = [
        x
        for x in (
            _n(row.get("subgroup_n_studies", pd.NA), "studies"),
            _n(row.get("subgroup_n_patients", pd.NA), "patients"),
        )
        if x
    ]
    if own:
        return f"{sub}: {', '.join(own)}, within a {meta}"
    return f"{meta} in all; the size of the {sub} is not reported"


def _verb(direction: str, outcome: str, exposure: str) -> str:
    # "a high density of TAMs was ..." but "CD68-positive TAMs were ..." (as the authors wrote it)
    be = "was" if exposure.lower().startswith(("a ", "an ", "the ")) else "were"
    return {
        "worse": f"{be} associated with worse {outcome}",
        "better": f"{be} associated with better {outcome}",
        "higher": f"{be} associated with {outcome}",
        "lower": f"{be} associated with a lower frequency of {outcome}",
        "none": f"{be} not significantly associated with {outcome}",
    }[direction]


def sentence(row: pd.Series) -> str:
    """One descriptive, cited sentence for an evidence row, built only from what the row states.

    The direction word comes from ``direction_as_reported`` (never inferred); a row without one, or
    whose direction contradicts its own CI when the ratio is defined on the outcome, raises
    :class:`EvidenceTableError`. Counts are attributed to the whole meta-analysis; a subgroup row says
    that the subgroup's size is not reported unless the row gives it.
    """
    _check_counts(row)
    direction = _direction(row)
    t_hr, t_lo, t_hi = (str(row.get(f"{c}_text", "") or f"{float(row[c]):g}") for c in _NUMERIC)
    pop = str(row.get("population", "") or row.get("cancer_type", "")).strip()
    where = f"in {pop}, " if pop else ""
    effect = f"pooled {row['measure']} {t_hr}, 95% CI {t_lo}\u2013{t_hi}"
    if str(row.get("ratio_refers_to_outcome", "")).strip() == "not stated":
        effect += (
            ", as printed in the abstract, which does not say which category this ratio compares, "
            "so the direction given is the authors' statement"
        )
    return (
        f"In {row['short_citation']} ({_counts_clause(row)}), {where}{row['exposure']} "
        f"{_verb(direction, str(row['outcome']), str(row['exposure']))} ({effect})."
    )


def _features(summary) -> tuple[list[str] | None, list[str]]:
    """(features to link, features present but not measured: all-NaN numeric columns)."""
    if summary is None:
        return None, []
    if hasattr(summary, "uns") and not isinstance(summary, pd.DataFrame):
        try:
            summary = summary.uns[DEFAULT_KEY][UNS_SAMPLES]
        except (KeyError, TypeError, AttributeError):
            raise InputError("the AnnData has no uns['tamclass']['samples']; run tc.tl.summarize first.") from None
    if isinstance(summary, pd.DataFrame):
        if len(summary) == 0:  # an empty table only names its columns: treat them as requested features
            return [str(c) for c in summary.columns], []
        measured: list[str] = []
        unmeasured: list[str] = []
        for c in summary.columns:
            col = summary[c]
            if not pd.api.types.is_numeric_dtype(col) or pd.api.types.is_bool_dtype(col):
                continue  # carried clinical/categorical columns are not TAM features
            vals = pd.to_numeric(col, errors="coerce").to_numpy(dtype=float)
            (measured if np.isfinite(vals).any() else unmeasured).append(str(c))
        return measured, unmeasured
    if isinstance(summary, str):
        return [summary], []
    return [str(c) for c in summary], []


def _is_feature(c: str) -> bool:
    return c.startswith(_FEATURE_PREFIXES)


_LINK_COLUMNS = [
    "feature",
    "evidence_id",
    "outcome",
    "measure",
    "hr",
    "ci_lower",
    "ci_upper",
    "cancer_type",
    "population",
    "subgroup",
    "citation",
    "doi",
    "pmid",
    "finding_as_reported",
    "sentence",
    "note",
]


def link(
    summary: pd.DataFrame | AnnData | Sequence[str] | None = None,
    *,
    outcome: str | None = None,
    cancer_type: str | None = None,
) -> pd.DataFrame:
    """Link summary features to the literature: one row per (feature, evidence row) with a sentence.

    Only measured features are linked: a column of the summary that is NaN in every sample (e.g. the
    M1-like / M2-like fractions when classify could not classify anything) is listed in
    ``attrs["not_measured"]`` and linked to nothing.

    Parameters
    ----------
    summary
        A :func:`tamclass.tl.summarize` table (its columns are matched), an AnnData holding
        ``uns["tamclass"]["samples"]``, a list of feature names, or ``None`` (every evidence row).
    outcome
        Keep only this outcome (``"OS"``, ...).
    cancer_type
        Keep only evidence of this cancer type (see :func:`evidence`). When no row exists for it, the
        table is empty, ``attrs["messages"]`` says so and a :class:`~tamclass._errors.TamclassWarning` is
        issued. **Default (None): rows of every cancer type**, grouped by cancer type (breast first, the
        table's order), each labelled in ``cancer_type`` and in its sentence; ``attrs["messages"]`` says
        that no cancer type was given.

    Returns
    -------
    DataFrame
        Columns ``feature, evidence_id, outcome, measure, hr, ci_lower, ci_upper, cancer_type, population,
        subgroup, citation, doi, pmid, finding_as_reported, sentence, note``. Every sentence describes a
        *published population-level* association; ``note`` says "research use only; not a per-patient
        risk prediction". ``attrs``: ``note``, ``messages`` (what the caller should be told),
        ``not_measured`` and ``no_evidence`` (measured TAM features that no evidence row matches).

    Examples
    --------
    >>> import tamclass as tc
    >>> t = tc.prognosis.link(["macrophage_fraction"], outcome="OS", cancer_type="breast")
    >>> t["sentence"].iloc[0].startswith("In Allison 2023 (meta-analysis of 32 studies, 8,446 patients)")
    True
    """
    features, not_measured = _features(summary)
    ev = evidence(outcome=outcome, cancer_type=cancer_type, _keep_text=True)
    messages = []
    if cancer_type is None:
        messages.append(NO_CANCER_TYPE_NOTE)
    elif ev.empty:
        has_type = not evidence(cancer_type=cancer_type).empty
        msg = (
            f"tamclass's evidence table has no row for cancer type {cancer_type!r}"
            + (f" and outcome {outcome!r}" if has_type and outcome is not None else "")
            + f"; it covers: {', '.join(cancer_types())}. Nothing is linked."
        )
        messages.append(msg)
        warnings.warn(msg, TamclassWarning, stacklevel=2)
    if not_measured:
        messages.append("not measured, so not linked to any evidence: " + ", ".join(not_measured))
    rows = []
    for eid, r in ev.iterrows():
        cols = (
            [r["feature"].split(";")[0]]
            if features is None
            else [c for c in features if _feature_matches(c, r["feature"])]
        )
        for c in cols:
            rows.append(
                {
                    "feature": c,
                    "evidence_id": eid,
                    "outcome": r["outcome"],
                    "measure": r["measure"],
                    "hr": r["hr"],
                    "ci_lower": r["ci_lower"],
                    "ci_upper": r["ci_upper"],
                    "cancer_type": r["cancer_type"],
                    "population": r["population"],
                    "subgroup": r["subgroup"],
                    "citation": r["citation"],
                    "doi": r["doi"],
                    "pmid": r["pmid"],
                    "finding_as_reported": r["finding_as_reported"],
                    "sentence": sentence(r),
                    "note": RESEARCH_NOTE,
                }
            )
    out = pd.DataFrame(rows, columns=_LINK_COLUMNS)
    if len(out):
        ctype = {t: i for i, t in enumerate(cancer_types())}
        order = {f: i for i, f in enumerate(features or out["feature"].unique())}
        out = out.assign(_c=out["cancer_type"].map(ctype), _f=out["feature"].map(order))
        out = out.sort_values(["_c", "_f"], kind="stable").drop(columns=["_c", "_f"]).reset_index(drop=True)
    no_ev = [] if features is None else [c for c in features if _is_feature(c) and c not in set(out["feature"])]
    if no_ev and not ev.empty:
        messages.append(
            f"no evidence row matches these measured features ({len(no_ev)}): "
            + ", ".join(no_ev[:8])
            + (", ... (all in attrs['no_evidence'])" if len(no_ev) > 8 else "")
        )
    out.attrs.update(note=RESEARCH_NOTE, messages=messages, not_measured=not_measured, no_evidence=no_ev)
    logger.debug("prognosis.link: %d rows; %s", len(out), " | ".join(messages))
    return out


__all__ = ["evidence", "link", "sentence", "reviews", "cancer_types", "EvidenceTableError"]
