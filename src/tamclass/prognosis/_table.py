"""Turn the user's per-sample/per-tumour input into a validated survival table (no AnnData arithmetic)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._errors import SurvivalDataError
from .._keys import DEFAULT_KEY, keys


def as_table(obj, *, key: str = DEFAULT_KEY) -> pd.DataFrame:
    """DataFrame from a DataFrame, or from an AnnData: ``obs`` joined with ``obsm[f"{key}_scores"]``.

    For bulk AnnData (rows = tumours) this exposes the signature scores as feature columns next to
    the clinical ``obs`` columns (an ``obs`` column wins on a name clash).
    """
    if isinstance(obj, pd.DataFrame):
        return obj
    if hasattr(obj, "obs") and hasattr(obj, "obsm"):
        table = obj.obs.copy()
        scores = obj.obsm.get(keys(key).scores) if hasattr(obj.obsm, "get") else None
        if isinstance(scores, pd.DataFrame):
            extra = [c for c in scores.columns if c not in table.columns]
            table = table.join(scores[extra])
        return table
    raise SurvivalDataError(
        f"expected a pandas DataFrame (one row per patient/tumour) or an AnnData, got {type(obj).__name__}."
    )


def _as_list(x) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    if isinstance(x, Sequence) or isinstance(x, (pd.Index, np.ndarray)):
        return [str(c) for c in x]
    raise SurvivalDataError(f"expected a column name or a list of column names, got {x!r}.")


def survival_frame(
    table: pd.DataFrame,
    duration: str,
    event: str,
    columns: list[str],
    *,
    dropna: bool = False,
    where: str = "",
) -> pd.DataFrame:
    """Validate and return ``table[[duration, event, *columns]]`` with a 0/1 integer event column.

    Raises :class:`SurvivalDataError` for missing columns, missing/negative durations, events not in
    {0, 1}, non-numeric features, or no events at all. ``dropna=True`` drops incomplete rows instead
    of raising (the number dropped is logged by the caller).
    """
    tag = f" in {where}" if where else ""
    needed = [duration, event, *columns]
    missing = [c for c in dict.fromkeys(needed) if c not in table.columns]
    if missing:
        raise SurvivalDataError(
            f"column(s) {missing} not found{tag}; available columns: {list(map(str, table.columns))[:40]}."
        )
    df = table[list(dict.fromkeys(needed))].copy()
    for c in [duration, *columns]:
        if not pd.api.types.is_numeric_dtype(df[c]) or pd.api.types.is_bool_dtype(df[c]):
            if pd.api.types.is_bool_dtype(df[c]):
                df[c] = df[c].astype(float)
                continue
            converted = pd.to_numeric(df[c], errors="coerce")
            if converted.isna().sum() > df[c].isna().sum():
                raise SurvivalDataError(
                    f"column {c!r}{tag} is not numeric (e.g. {df[c].dropna().iloc[0]!r}); encode categorical "
                    "covariates as 0/1 indicator columns first."
                )
            df[c] = converted
    ev = df[event]
    if pd.api.types.is_bool_dtype(ev):
        ev = ev.astype(float)
    else:
        conv = pd.to_numeric(ev, errors="coerce")
        bad = conv.isna() & ev.notna()
        if bad.any():
            raise SurvivalDataError(
                f"events in {event!r}{tag} must be 0 (censored) or 1 (event); found {ev[bad].iloc[0]!r}. "
                "Recode e.g. 'dead' -> 1, 'alive' -> 0."
            )
        ev = conv
    df[event] = ev
    incomplete = df.isna().any(axis=1)
    if incomplete.any():
        if not dropna:
            counts = {c: int(df[c].isna().sum()) for c in df.columns if df[c].isna().any()}
            raise SurvivalDataError(
                f"{int(incomplete.sum())} rows{tag} have missing values {counts}; drop them first or pass dropna=True."
            )
        df = df.loc[~incomplete]
    d = df[duration].to_numpy(float)
    if (~np.isfinite(d)).any():
        raise SurvivalDataError(f"durations{tag} must be finite.")
    if (d < 0).any():
        raise SurvivalDataError(
            f"{int((d < 0).sum())} negative durations in {duration!r}{tag}; survival times must be >= 0 "
            "(check the units and the date arithmetic)."
        )
    e = df[event].to_numpy(float)
    if not np.isin(e, (0.0, 1.0)).all():
        bad = sorted(set(np.unique(e[~np.isin(e, (0.0, 1.0))]).tolist()))[:5]
        raise SurvivalDataError(
            f"events in {event!r}{tag} must be 0 (censored) or 1 (event); found {bad}. Recode e.g. 'dead' -> 1."
        )
    df[event] = e.astype(int)
    for c in columns:
        if (~np.isfinite(df[c].to_numpy(float))).any():
            raise SurvivalDataError(f"column {c!r}{tag} has infinite values.")
    if len(df) == 0:
        raise SurvivalDataError(f"no usable rows{tag} after removing incomplete ones.")
    return df


def zscore(x: pd.Series, *, name: str = "feature", where: str = "") -> pd.Series:
    """Z-score with the sample SD (ddof=1); constant input raises."""
    sd = float(x.std(ddof=1))
    if not np.isfinite(sd) or sd == 0:
        tag = f" in {where}" if where else ""
        raise SurvivalDataError(f"{name!r}{tag} is constant (SD = 0), so a per-SD hazard ratio is undefined.")
    return (x - x.mean()) / sd
