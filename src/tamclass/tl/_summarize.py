"""Per-sample summary of the TAM pipeline's per-cell results (``tc.tl.summarize``)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from .._errors import InputError, TamclassWarning
from .._keys import (
    COL_LOG2_M2_M1_RATIO,
    COL_M2_M1_RATIO,
    COL_MACROPHAGE_FRACTION,
    COL_N_CELLS,
    COL_N_MACROPHAGES,
    COL_N_STATE_CLASSIFIED,
    COL_POLARIZATION_MEAN,
    COL_POLARIZATION_MEDIAN,
    DEFAULT_KEY,
    M1_LIKE,
    M2_LIKE,
    MACROPHAGE,
    NOT_MACROPHAGE,
    PREFIX_CELLTYPE_FRACTION,
    PREFIX_SCORE,
    PREFIX_SCORE_MACROPHAGE,
    PREFIX_STATE_FRACTION,
    PREFIX_SUBSET_FRACTION,
    STATE_CLASSES,
    STEP_SUMMARIZE,
    UNASSIGNED,
    UNS_SAMPLES,
    keys,
)
from .._settings import logger
from .._version import __version__

#: pseudocount added to both counts of the M2:M1 ratio: (n_M2 + 0.5) / (n_M1 + 0.5)
#: (the Haldane-Anscombe 0.5 correction, so the ratio is finite when a sample has no M1-like cells)
RATIO_PSEUDOCOUNT = 0.5
RESEARCH_NOTE = "research use only; not a per-patient risk prediction"
_STATES = (*STATE_CLASSES, UNASSIGNED)


def _labels(series: pd.Series) -> pd.Series:
    """Categorical/str labels with NaN kept."""
    return series.astype("object").where(series.notna())


def _classified_macrophages(labels: pd.Series, mac: np.ndarray | None) -> np.ndarray:
    """Cells with a state/subset label other than "not macrophage" (and gated macrophages, if known)."""
    in_mac = (labels.notna() & (labels != NOT_MACROPHAGE)).to_numpy()
    return in_mac & mac if mac is not None else in_mac


def _fractions(labels: pd.Series, groups: pd.Series, mask: np.ndarray, order, prefix: str) -> pd.DataFrame:
    """Per-group fraction of each label among the cells in ``mask`` (NaN for groups with none)."""
    lab = labels[mask]
    grp = groups[mask]
    counts = pd.crosstab(grp, lab) if len(lab) else pd.DataFrame(index=pd.Index([], name=grp.name))
    counts = counts.reindex(index=groups.cat.categories, columns=list(order), fill_value=0)
    denom = counts.sum(axis=1).replace(0, np.nan)
    frac = counts.div(denom, axis=0)
    frac.columns = [f"{prefix}{c}" for c in frac.columns]
    return frac, counts


def summary_table(
    obs: pd.DataFrame,
    scores: pd.DataFrame | None,
    sample_key: str | None,
    *,
    key: str = DEFAULT_KEY,
    keep_obs: bool = True,
) -> tuple[pd.DataFrame, dict, list[str]]:
    """Compute the per-sample table from ``obs`` (and the score DataFrame); returns (table, provenance).

    No AnnData here (the API layer passes ``adata.obs`` and ``adata.obsm[f"{key}_scores"]``).
    """
    if sample_key is None:
        groups = pd.Series(obs.index.astype(str), index=obs.index, name="obs")
    else:
        if sample_key not in obs.columns:
            raise InputError(
                f"sample_key {sample_key!r} is not a column of adata.obs; available columns: "
                f"{list(map(str, obs.columns))}. Pass the column that names each sample/patient "
                "(or sample_key=None when each row is already one tumour, e.g. bulk data)."
            )
        groups = obs[sample_key]
        if groups.isna().any():
            raise InputError(
                f"{int(groups.isna().sum())} cells have no value in obs[{sample_key!r}]; label or drop them first."
            )
        groups = groups.astype(str).rename(str(sample_key))
    if len(obs) == 0:
        raise InputError("the AnnData has no observations to summarise.")
    cats = list(pd.unique(groups)) if sample_key is None else sorted(pd.unique(groups))
    if sample_key is not None and isinstance(obs[sample_key].dtype, pd.CategoricalDtype):
        present = set(groups)
        cats = [str(c) for c in obs[sample_key].cat.categories if str(c) in present]
    groups = pd.Series(pd.Categorical(groups, categories=cats), index=obs.index, name=groups.name)

    used, skipped = [], []
    out = pd.DataFrame(index=pd.Index(cats, name=groups.name))
    out[COL_N_CELLS] = groups.value_counts().reindex(cats).astype(int).to_numpy()

    # which cells are macrophages -------------------------------------------------------------------
    K = keys(key)
    c_mac, c_type, c_state, c_sub, c_pol = K.is_macrophage, K.celltype, K.state, K.subset, K.polarization
    mac = None
    if c_mac in obs.columns:
        mac = obs[c_mac].fillna(False).astype(bool).to_numpy()
        mac_def = f"obs[{c_mac!r}]"
    elif c_type in obs.columns:
        mac = (_labels(obs[c_type]) == MACROPHAGE).to_numpy()
        mac_def = f"obs[{c_type!r}] == {MACROPHAGE!r}"
    elif c_state in obs.columns:
        st = _labels(obs[c_state])
        mac = (st.notna() & (st != NOT_MACROPHAGE)).to_numpy()
        mac_def = f"obs[{c_state!r}] not {NOT_MACROPHAGE!r}"
    else:
        mac_def = "none (no gate/classify keys)"
    if mac is not None:
        used.append("gate")
        n_mac = pd.Series(mac, index=obs.index).groupby(groups, observed=False).sum().reindex(cats)
        out[COL_N_MACROPHAGES] = n_mac.astype(int).to_numpy()
        out[COL_MACROPHAGE_FRACTION] = out[COL_N_MACROPHAGES] / out[COL_N_CELLS]
    else:
        skipped.append(f"macrophage counts (no obs[{c_mac!r}] / obs[{c_type!r}] / obs[{c_state!r}])")

    if c_type in obs.columns:
        lab = _labels(obs[c_type])
        order = (
            list(obs[c_type].cat.categories)
            if isinstance(obs[c_type].dtype, pd.CategoricalDtype)
            else sorted(lab.dropna().unique())
        )
        frac, _ = _fractions(lab, groups, lab.notna().to_numpy(), order, PREFIX_CELLTYPE_FRACTION)
        out = out.join(frac)
        used.append("celltype")
    else:
        skipped.append(f"cell-type fractions (no obs[{c_type!r}])")

    # M1/M2 states among macrophages --------------------------------------------------------------
    not_measured = []
    if c_state in obs.columns:
        st = _labels(obs[c_state])
        in_mac = _classified_macrophages(st, mac)
        extra = sorted(set(st[in_mac].dropna().unique()) - set(_STATES))
        frac, counts = _fractions(st, groups, in_mac, [*_STATES, *extra], PREFIX_STATE_FRACTION)
        # a state fraction or ratio is measured only in samples where at least one macrophage got a state;
        # with every macrophage "unassigned" (or no state model), 0.0 and 1.0 would be made-up numbers
        n_states = counts.drop(columns=[UNASSIGNED]).sum(axis=1).to_numpy()
        frac.loc[n_states == 0, [c for c in frac.columns if c != PREFIX_STATE_FRACTION + UNASSIGNED]] = np.nan
        out = out.join(frac)
        out[COL_N_STATE_CLASSIFIED] = n_states.astype(int)
        n1, n2 = counts[M1_LIKE].to_numpy(float), counts[M2_LIKE].to_numpy(float)
        ratio = np.where(n_states > 0, (n2 + RATIO_PSEUDOCOUNT) / (n1 + RATIO_PSEUDOCOUNT), np.nan)
        out[COL_M2_M1_RATIO] = ratio
        out[COL_LOG2_M2_M1_RATIO] = np.log2(ratio)
        used.append("state")
        idle = (n_states == 0) & (counts.sum(axis=1).to_numpy() > 0)  # macrophages, none classified
        if idle.any():
            names = [str(c) for c in np.asarray(cats, dtype=object)[idle]]
            not_measured.append(
                "M1/M2 state fractions and M2:M1 ratio in samples whose macrophages are all "
                f"'unassigned' ({', '.join(names[:10])}{', ...' if len(names) > 10 else ''})"
            )
    else:
        skipped.append(f"M1/M2 state fractions and M2:M1 ratio (no obs[{c_state!r}])")
        if mac is not None:
            # macrophages were gated but not classified: the columns exist and read as not measured (NaN)
            for c in (*(PREFIX_STATE_FRACTION + s for s in STATE_CLASSES), COL_M2_M1_RATIO, COL_LOG2_M2_M1_RATIO):
                out[c] = np.nan
            not_measured.append("M1/M2 state fractions and M2:M1 ratio (classify was not run)")

    if c_pol in obs.columns:
        pol = pd.to_numeric(obs[c_pol], errors="coerce")
        if mac is not None:
            pol = pol.where(mac)
        g = pol.groupby(groups, observed=False)
        out[COL_POLARIZATION_MEAN] = g.mean().reindex(cats).to_numpy()
        out[COL_POLARIZATION_MEDIAN] = g.median().reindex(cats).to_numpy()
        used.append("polarization")
    else:
        skipped.append(f"polarization index (no obs[{c_pol!r}])")

    if c_sub in obs.columns:
        sb = _labels(obs[c_sub])
        in_mac = _classified_macrophages(sb, mac)
        order = [
            c
            for c in (
                obs[c_sub].cat.categories
                if isinstance(obs[c_sub].dtype, pd.CategoricalDtype)
                else sorted(sb[in_mac].dropna().unique())
            )
            if c != NOT_MACROPHAGE
        ]
        frac, counts = _fractions(sb, groups, in_mac, order, PREFIX_SUBSET_FRACTION)
        named = counts.drop(columns=[c for c in counts.columns if c == UNASSIGNED]).sum(axis=1).to_numpy()
        frac.loc[named == 0, [c for c in frac.columns if c != PREFIX_SUBSET_FRACTION + UNASSIGNED]] = np.nan
        out = out.join(frac)
        used.append("subset")
        if ((named == 0) & (counts.sum(axis=1).to_numpy() > 0)).any():
            not_measured.append("TAM-subset fractions in samples whose macrophages are all 'unassigned'")
    else:
        skipped.append(f"TAM-subset fractions (no obs[{c_sub!r}])")

    # signature scores -----------------------------------------------------------------------------
    if isinstance(scores, pd.DataFrame) and scores.shape[1] > 0:
        sc = scores.reindex(obs.index).apply(pd.to_numeric, errors="coerce")
        means = sc.groupby(groups, observed=False).mean().reindex(cats)
        means.columns = [f"{PREFIX_SCORE}{c}" for c in means.columns]
        out = out.join(means)
        if mac is not None and sample_key is not None:
            mm = sc.where(pd.Series(mac, index=obs.index), axis=0).groupby(groups, observed=False).mean().reindex(cats)
            mm.columns = [f"{PREFIX_SCORE_MACROPHAGE}{c}" for c in mm.columns]
            out = out.join(mm)
        used.append("scores")
    else:
        skipped.append(f"signature score means (no obsm[{K.scores!r}])")

    # sample-level obs columns (constant within every sample) ----------------------------------------
    carried = []
    if keep_obs:
        for c in obs.columns:
            if str(c).startswith(f"{key}_") or c == sample_key or str(c) in out.columns:
                continue
            col = obs[c]
            if sample_key is not None:
                nun = col.astype("object").groupby(groups, observed=True).nunique(dropna=False)
                if (nun > 1).any():
                    continue
                vals = (
                    col.groupby(groups, observed=True).first()
                    if not isinstance(col.dtype, pd.CategoricalDtype)
                    else col.astype("object").groupby(groups, observed=True).first()
                )
                vals = vals.reindex(cats)
            else:
                vals = pd.Series(col.to_numpy(), index=cats)
            if vals.dtype == object or isinstance(col.dtype, pd.CategoricalDtype):
                vals = vals.astype("category")  # h5ad-safe strings with missing values
            out[str(c)] = vals.to_numpy() if not isinstance(vals.dtype, pd.CategoricalDtype) else vals.values
            carried.append(str(c))
    out.index = out.index.astype(str)
    prov = {
        "sample_key": "" if sample_key is None else str(sample_key),
        "n_samples": int(len(out)),
        "parts_used": ",".join(used),
        "parts_skipped": "; ".join(skipped),
        "macrophage_definition": mac_def,
        "ratio": f"m2_m1_ratio = (n_M2-like + {RATIO_PSEUDOCOUNT}) / (n_M1-like + {RATIO_PSEUDOCOUNT}) among macrophages",
        "ratio_pseudocount": RATIO_PSEUDOCOUNT,
        "score_means": "score_<set>: mean over all cells of the sample; score_macrophage_<set>: mean over its macrophages",
        "carried_obs_columns": ",".join(carried),
        "not_measured": "; ".join(not_measured),
        "unmeasured_values": "NaN = not measured: no macrophage of the sample was classified (all 'unassigned'), "
        "or the step did not run; never 0",
        "note": RESEARCH_NOTE,
    }
    return out, prov, skipped


def _sample_note(adata, sample_key: str | None) -> str:
    """What the dataset itself says about its sample column (the bundled demo's samples are illustrative)."""
    demo = adata.uns.get("tamclass_demo") if hasattr(adata.uns, "get") else None
    if sample_key == "sample" and isinstance(demo, dict) and demo.get("sample_note"):
        return str(demo["sample_note"])
    return ""


def summarize(
    adata, sample_key: str | None, *, key_added: str = DEFAULT_KEY, keep_obs: bool = True, inplace: bool = True
) -> pd.DataFrame:
    """Summarise per-cell TAM results per sample (patient / tumour), one row per sample.

    Uses whatever per-cell results exist under ``key_added`` and skips the rest (one warning lists
    what was skipped):

    ================================  =================================================================
    column                            meaning
    ================================  =================================================================
    ``n_cells``                       cells in the sample
    ``n_macrophages``                 cells gated as macrophages (``obs[f"{k}_is_macrophage"]``, else
                                      ``obs[f"{k}_celltype"] == "macrophage"``, else state not
                                      "not macrophage")
    ``macrophage_fraction``           n_macrophages / n_cells
    ``celltype_fraction_<type>``      fraction of all cells per ``obs[f"{k}_celltype"]`` category
    ``state_fraction_<state>``        M1-like / M2-like / unassigned fraction **among macrophages**;
                                      M1-like / M2-like are NaN (not measured) in a sample where no
                                      macrophage got a state (all "unassigned"), and all-NaN columns
                                      when the gate ran but classify did not
    ``n_state_classified``            macrophages with a state other than "unassigned"
    ``m2_m1_ratio``                   (n_M2-like + 0.5) / (n_M1-like + 0.5) among macrophages (0.5 =
                                      Haldane-Anscombe pseudocount, finite with zero counts); NaN
                                      when ``n_state_classified`` is 0; ``log2_m2_m1_ratio`` its log2
    ``polarization_mean|_median``     of ``obs[f"{k}_polarization"]`` over macrophages
    ``subset_fraction_<subset>``      TAM-subset fraction among macrophages (NaN where no macrophage of
                                      the sample got a subset)
    ``score_<set>``                   mean signature score over **all cells** of the sample
    ``score_macrophage_<set>``        mean score over the sample's **macrophages** only (when gated)
    other ``obs`` columns             columns constant within every sample (e.g. patient survival,
                                      cohort) are carried over (``keep_obs=True``)
    ================================  =================================================================

    Fractions are NaN for a sample without macrophages. NaN always means "not measured", never 0; what
    was not measured is listed in ``uns[key_added]["summarize"]["not_measured"]`` and in one
    :class:`~tamclass.errors.TamclassWarning`. When the dataset says its sample column is illustrative (the
    bundled demo), that note is kept in ``uns[key_added]["summarize"]["sample_note"]``. Bulk data: with ``sample_key=None`` every
    row of ``adata`` is its own sample (a tumour), so the ``score_<set>`` columns are the per-tumour
    signature scores and all ``obs`` columns are kept: the table feeds :func:`tamclass.prognosis.cox`.

    Parameters
    ----------
    adata
        AnnData after :func:`tamclass.tl.score` (and optionally ``gate`` / ``classify``).
    sample_key
        ``obs`` column naming each cell's sample, or ``None`` (one row per observation).
    key_added
        Prefix of the per-cell results (default ``"tamclass"``).
    keep_obs
        Carry over ``obs`` columns that are constant within each sample.
    inplace
        Store the table in ``adata.uns[key_added]["samples"]`` and provenance in
        ``adata.uns[key_added]["summarize"]`` (set False to only return it).

    Returns
    -------
    DataFrame indexed by sample. Research use only; not a per-patient risk prediction.

    Raises
    ------
    InputError
        ``sample_key`` not in ``adata.obs`` (the message lists the available columns), cells without a
        sample label, or an empty AnnData.

    Examples
    --------
    >>> import tamclass as tc
    >>> tc.tl.score(adata)  # obsm["tamclass_scores"]
    >>> tc.tl.gate(adata)
    ... tc.tl.classify(adata)  # obs["tamclass_is_macrophage"], obs["tamclass_state"], ...
    >>> df = tc.tl.summarize(adata, "patient")
    >>> df is adata.uns["tamclass"]["samples"] or df.equals(adata.uns["tamclass"]["samples"])
    True
    >>> adata.uns["tamclass"]["summarize"]["note"]
    'research use only; not a per-patient risk prediction'
    """
    if not (hasattr(adata, "obs") and hasattr(adata, "obsm")):
        raise InputError(f"summarize expects an AnnData, got {type(adata).__name__}.")
    scores = _score_table(adata, key_added)
    table, prov, skipped = summary_table(adata.obs, scores, sample_key, key=key_added, keep_obs=keep_obs)
    _warn_gaps(skipped, prov)
    note = _sample_note(adata, sample_key)
    if note:
        prov["sample_note"] = note
    prov["tamclass_version"] = __version__
    if inplace:
        _store(adata, key_added, table, prov)
    logger.info("summarize: %d samples, parts: %s", len(table), prov["parts_used"])
    return table


def _score_table(adata, key: str) -> pd.DataFrame | None:
    """``obsm[f"{key}_scores"]`` as a DataFrame (a bare array gets columns s0, s1, ...), or None."""
    name = keys(key).scores
    scores = adata.obsm[name] if name in adata.obsm.keys() else None
    if scores is not None and not isinstance(scores, pd.DataFrame):
        scores = pd.DataFrame(
            np.asarray(scores), index=adata.obs_names, columns=[f"s{i}" for i in range(np.asarray(scores).shape[1])]
        )
    return scores


def _warn_gaps(skipped: list[str], prov: dict) -> None:
    """One TamclassWarning listing the parts skipped and what was not measured (NaN)."""
    said = (["skipped " + "; ".join(skipped)] if skipped else []) + (
        [f"not measured (NaN, never 0): {prov['not_measured']}"] if prov["not_measured"] else []
    )
    if said:
        warnings.warn("summarize: " + " | ".join(said), TamclassWarning, stacklevel=3)


def _store(adata, key: str, table: pd.DataFrame, prov: dict) -> None:
    """``uns[key]["samples"]`` and ``uns[key]["summarize"]``; refuses a ``uns[key]`` that is not a dict."""
    store = adata.uns.get(key)
    if store is None:
        adata.uns[key] = {}
    elif not isinstance(store, dict):
        raise InputError(f"adata.uns[{key!r}] exists and is not a dict; pass another key_added.")
    adata.uns[key][UNS_SAMPLES] = table
    adata.uns[key][STEP_SUMMARIZE] = prov
