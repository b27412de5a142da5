"""The macrophage gate's decision rule and cluster majority vote. Pure numpy/pandas, no AnnData.

Rule (UCell scores in [0, 1], scGate-like positive/negative gating; Andreatta et al. 2022,
Bioinformatics 38:2642, who gate UCell scores at 0.2):

1. identity = max(Macrophage_identity, Monocyte_classical, Monocyte_nonclassical, Dendritic_cell);
   negative = max over the negative-lineage sets (T, B, NK, plasma, epithelial, fibroblast, endothelial).
2. A cell is myeloid when identity >= ``min_score`` AND identity - negative >= ``margin``.
3. A myeloid cell is called by its best identity set: macrophage (Macrophage_identity),
   monocyte (either monocyte set) or dendritic (Dendritic_cell). Everything else is "other".
"""
from __future__ import annotations

import numpy as np
import pandas as pd

CELLTYPES = ("macrophage", "monocyte", "dendritic", "other")


def gate_rule(mac, mono, dc, neg, *, min_score: float, margin: float) -> np.ndarray:
    """Integer codes into :data:`CELLTYPES` per cell."""
    ident = np.column_stack([mac, mono, dc]).astype(np.float64)
    ident = np.where(np.isfinite(ident), ident, -np.inf)
    neg = np.where(np.isfinite(neg), np.asarray(neg, dtype=np.float64), 0.0)
    best = ident.max(axis=1)
    myeloid = (best >= min_score) & (best - neg >= margin)
    codes = np.where(myeloid, ident.argmax(axis=1), 3)
    return codes.astype(np.int64)


def majority_vote(codes: np.ndarray, groups, *, min_fraction: float) -> tuple[np.ndarray, pd.DataFrame]:
    """CellTypist-style smoothing: every cell of a group gets the group's majority call when that call
    holds >= ``min_fraction`` of the group's cells and is the unique maximum; otherwise (a tie or a
    too-small majority) the group's cells keep their per-cell calls.

    Returns the smoothed codes and a per-group table (n_cells, majority, fraction, smoothed)."""
    groups = pd.Series(pd.Categorical(groups)).reset_index(drop=True)
    out = codes.copy()
    rows = []
    for g in groups.cat.categories:
        idx = np.flatnonzero((groups == g).to_numpy())
        if len(idx) == 0:
            continue
        counts = np.bincount(codes[idx], minlength=len(CELLTYPES))
        top = counts.max()
        winners = np.flatnonzero(counts == top)
        frac = top / len(idx)
        smoothed = len(winners) == 1 and frac >= min_fraction
        if smoothed:
            out[idx] = winners[0]
        rows.append(
            {"group": str(g), "n_cells": int(len(idx)), "majority": CELLTYPES[winners[0]] if len(winners) == 1 else "tie",
             "fraction": float(frac), "smoothed": bool(smoothed)}
        )
    return out, pd.DataFrame(rows, columns=["group", "n_cells", "majority", "fraction", "smoothed"])
