"""Expression-matched random gene sets: a per-cell null for a signature score.

A rank score (UCell) of a set is high when the set's genes are among the cell's most expressed. Genes that
are highly expressed everywhere (ribosomal, S100A8/9, APOE in macrophages) give high scores to any set that
holds them, whatever the cell's state. The null asks how high the score of a *random* set with the same
expression profile would be in the same cell: for every signature gene a control gene is drawn from the same
expression bin (bins of equal size over the mean expression of all genes in all cells of the object), ``n_sets``
times (scDRS, Zhang et al. 2022 Nat Genet 54:1572, match control genes on mean expression and variance; we
match on the mean). The evidence for a set in a cell is then ``z = (score - mean(null)) / sd(null)``: an
absolute per-cell measure that does not depend on which other cells are in the object or how many there are.
Pure numpy; the random draw uses its own seeded generator.
"""

from __future__ import annotations

import numpy as np

#: the standard deviation of the null is floored at this many UCell units, so a set whose controls are all
#: unexpressed (sd 0) does not turn a tiny score into a huge z
SD_FLOOR = 0.01


def expression_bins(means: np.ndarray, n_bins: int) -> np.ndarray:
    """Bin index per gene.

    ``n_bins`` bins of (nearly) equal size by rank of the mean expression (ties broken by position, so many
    unexpressed genes share the lowest bins instead of one giant bin).
    """
    means = np.asarray(means, dtype=np.float64)
    order = np.argsort(means, kind="stable")
    bins = np.empty(len(means), dtype=np.int64)
    bins[order] = (np.arange(len(means)) * n_bins) // max(len(means), 1)
    return bins


def matched_control_sets(
    set_idx: dict[str, np.ndarray],
    means: np.ndarray,
    *,
    n_sets: int,
    n_bins: int,
    rng: np.random.Generator,
    eligible: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """For each set (gene column indices), ``n_sets`` x len(set) control gene indices.

    Each control gene comes from the bin of the signature gene it stands for, never from any of the sets themselves
    nor from genes outside ``eligible`` (default: all genes may serve).
    """
    bins = expression_bins(means, n_bins)
    excluded = np.zeros(len(means), dtype=bool) if eligible is None else ~np.asarray(eligible, dtype=bool)
    for idx in set_idx.values():
        excluded[idx] = True
    pool = {b: np.flatnonzero((bins == b) & ~excluded) for b in range(n_bins)}
    out = {}
    for name, idx in set_idx.items():
        cols = []
        for g in idx:
            candidates = pool[bins[g]]
            if len(candidates) == 0:  # a bin made only of signature genes: take the whole non-signature pool
                candidates = np.flatnonzero(~excluded)
            cols.append(rng.choice(candidates, size=n_sets, replace=True))
        out[name] = np.column_stack(cols) if cols else np.zeros((n_sets, 0), dtype=np.int64)
    return out


def null_z(score: np.ndarray, null: np.ndarray) -> np.ndarray:
    """``score`` (cells) against ``null`` (cells x n_sets): z with the sd floored at :data:`SD_FLOOR`."""
    null = np.asarray(null, dtype=np.float64)
    sd = np.maximum(null.std(axis=1, ddof=1), SD_FLOOR)
    return (np.asarray(score, dtype=np.float64) - null.mean(axis=1)) / sd
