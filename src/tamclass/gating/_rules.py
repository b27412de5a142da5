"""The lineage gate's decision rule and the cluster majority vote. Pure numpy / pandas, no AnnData.

Input: per cell, one score per panel of the gating model (UCell over the panel genes present in the
data, kNN-smoothed; NaN where too few genes are present to score). Two questions, in scGate's
positive / negative style (Andreatta et al. 2022):

1. **Myeloid or not.** The best myeloid panel (the common monocyte/macrophage/DC panel, or any one
   lineage's) must reach ``min_score`` and lead the best negative lineage (T, NK, B, plasma, epithelial,
   fibroblast, endothelial incl. post-capillary venules, perivascular, neutrophil, mast/basophil, platelet)
   by ``margin``. Neutrophils and mast cells are lineages of their own here, never "not quite monocytes":
   their panels hold only genes the monocyte/macrophage programme lacks. The erythrocyte panel is a
   *contaminant*: it names cells without myeloid evidence but does not veto a myeloid call, because
   ambient haemoglobin sticks to every droplet of a bloody tumour.
2. **Which myeloid lineage.** The lineage panel (macrophage, monocyte, cDC1, cDC2, mregDC, pDC) with the
   highest score wins. The panels are built so that this is a comparison of programmes, not of how
   abundant a gene is: the macrophage panel is the tissue programme (C1Q, APOE/APOC1, CD163, MRC1,
   SLC40A1, SELENOP, FOLR2, ...) that blood monocytes lack, and the monocyte panel is the blood-monocyte
   end (FCN1, VCAN, S100A12, SELL, CCR2, ...) *without* S100A8/9 and LYZ, which inflammatory,
   interferon-high and cycling TAMs keep (Cheng et al. 2021 Cell 184:792). So a TAM that still
   expresses S100A8 and IL1B is called from its C1Q/APOE evidence, not lost to "monocyte".

Every cell also gets a finer ``lineage``: the winning panel's name, or "unresolved" for a cell with
neither myeloid nor negative evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._keys import OTHER, UNRESOLVED
from ._panels import CALL_MYELOID, CELLTYPES, ROLE_CONTAMINANT, ROLE_MYELOID, ROLE_NEGATIVE, Panel


@dataclass
class Decision:
    """Result of :func:`decide`.

    Codes into :data:`CELLTYPES`, the finer lineage name per cell, and the myeloid mask of question 1.
    """

    codes: np.ndarray
    lineage: np.ndarray
    myeloid: np.ndarray

    @staticmethod
    def lineage_categories(panels) -> list[str]:
        """The categories of ``obs[f"{key}_lineage"]``: every panel's lineage, then "unresolved"."""
        return [p.lineage for p in panels] + [UNRESOLVED]


def _best(S: np.ndarray, cols: list[int], fill: float) -> tuple[np.ndarray, np.ndarray]:
    """Row-wise max and argmax (as panel index) over ``cols``; NaN counts as ``fill``."""
    if not cols:
        return np.full(S.shape[0], fill), np.full(S.shape[0], -1)
    sub = np.where(np.isfinite(S[:, cols]), S[:, cols], fill)
    arg = sub.argmax(axis=1)
    return sub[np.arange(S.shape[0]), arg], np.asarray(cols)[arg]


def decide(S, panels: tuple[Panel, ...], *, min_score: float, margin: float) -> Decision:
    """Apply the two questions of the module docstring to ``S`` (cells x panels)."""
    S = np.asarray(S, dtype=np.float64)
    positive = [i for i, p in enumerate(panels) if p.role == ROLE_MYELOID]
    specific = [i for i in positive if panels[i].call != CALL_MYELOID]
    negative = [i for i, p in enumerate(panels) if p.role == ROLE_NEGATIVE]
    non_myeloid = negative + [i for i, p in enumerate(panels) if p.role == ROLE_CONTAMINANT]
    best_pos, _ = _best(S, positive, -np.inf)
    best_neg, _ = _best(S, negative, 0.0)
    myeloid = (best_pos >= min_score) & (best_pos - best_neg >= margin)
    best_other, neg_arg = _best(S, non_myeloid, 0.0)
    spec_val, spec_arg = _best(S, specific, -np.inf)
    # a myeloid cell with no scorable lineage panel keeps the common panel's name and the call "other"
    common = next((i for i in positive if panels[i].call == CALL_MYELOID), len(panels))
    spec_arg = np.where(np.isfinite(spec_val), spec_arg, common)
    names = np.asarray([p.lineage for p in panels] + [UNRESOLVED], dtype=object)
    other = CELLTYPES.index(OTHER)
    calls = np.asarray([CELLTYPES.index(p.call) if p.call in CELLTYPES else other for p in panels] + [other])
    other_lineage = np.where((best_other >= min_score) & (neg_arg >= 0), neg_arg, len(panels))
    lineage_idx = np.where(myeloid, spec_arg, other_lineage)
    codes = np.where(myeloid, calls[spec_arg], other).astype(np.int64)
    return Decision(codes=codes, lineage=names[lineage_idx], myeloid=myeloid)


def majority_vote(codes: np.ndarray, groups, *, min_fraction: float) -> tuple[np.ndarray, pd.DataFrame]:
    """CellTypist-style smoothing of the per-cell calls within groups (clusters).

    Every cell of a group gets the group's majority call when that call holds >= ``min_fraction`` of the
    group's cells and is the unique maximum; otherwise (a tie or a too-small majority) the group's cells
    keep their per-cell calls.

    Returns the smoothed codes and a per-group table (n_cells, majority, fraction, smoothed).
    """
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
            {
                "group": str(g),
                "n_cells": len(idx),
                "majority": CELLTYPES[winners[0]] if len(winners) == 1 else "tie",
                "fraction": float(frac),
                "smoothed": bool(smoothed),
            }
        )
    return out, pd.DataFrame(rows, columns=["group", "n_cells", "majority", "fraction", "smoothed"])
