"""Garnett-style seed selection from signature scores (Pliner et al. 2019, Nat Methods 16:983: train on
cells that marker genes call confidently, then classify all cells). Pure numpy, no AnnData.

Scores are z-scored across the macrophages first (so signatures of different sizes are comparable),
which makes the seeds - and therefore the labels - relative to the macrophages being classified.
"""
from __future__ import annotations

import numpy as np


def zscore(S: np.ndarray) -> np.ndarray:
    S = np.asarray(S, dtype=np.float64)
    mu = np.nanmean(S, axis=0)
    sd = np.nanstd(S, axis=0)
    sd[~np.isfinite(sd) | (sd < 1e-12)] = 1.0
    Z = (S - mu) / sd
    Z[~np.isfinite(Z)] = 0.0
    return Z


def state_difference(m1: np.ndarray, m2: np.ndarray) -> np.ndarray:
    """d = z(M2 score) - z(M1 score): negative = M1-like, positive = M2-like (the score 'argmax')."""
    Z = zscore(np.column_stack([m1, m2]))
    return Z[:, 1] - Z[:, 0]


def state_seeds(m1: np.ndarray, m2: np.ndarray, *, quantile: float = 0.2) -> np.ndarray:
    """Seed labels: 0 = M1-like (the ``quantile`` lowest d, d < 0), 1 = M2-like (the ``quantile`` highest
    d, d > 0), -1 = not a seed. Ties at the cut are all included (deterministic)."""
    d = state_difference(m1, m2)
    out = np.full(d.shape[0], -1, dtype=np.int64)
    if d.shape[0] == 0:
        return out
    lo, hi = np.quantile(d, [quantile, 1.0 - quantile])
    out[(d <= lo) & (d < 0)] = 0
    out[(d >= hi) & (d > 0)] = 1
    return out


def subset_seeds(S: np.ndarray, *, quantile: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Seed labels for k subsets from a cells x k score matrix: a cell seeds subset j when j is its highest
    z-scored subset, its specificity ``z_j - max_{other} z`` is > 0 and in the top ``quantile`` of the
    macrophages for subset j. Returns (labels with -1 = no seed, specificity)."""
    Z = zscore(S)
    n, k = Z.shape
    out = np.full(n, -1, dtype=np.int64)
    spec = np.zeros(n)
    if n == 0 or k < 2:
        return out, spec
    best = Z.argmax(axis=1)
    for j in range(k):
        others = np.delete(Z, j, axis=1).max(axis=1)
        s = Z[:, j] - others
        cut = np.quantile(s, 1.0 - quantile)
        sel = (best == j) & (s > 0) & (s >= cut)
        out[sel] = j
        spec[best == j] = s[best == j]
    return out, spec


def cap_per_class(labels: np.ndarray, max_per_class: int | None, rng: np.random.Generator) -> np.ndarray:
    """Indices of seed cells with at most ``max_per_class`` of each class (random, seeded)."""
    idx = []
    for c in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == c)
        if max_per_class is not None and len(members) > max_per_class:
            members = np.sort(rng.choice(members, size=max_per_class, replace=False))
        idx.append(members)
    return np.sort(np.concatenate(idx)) if idx else np.zeros(0, dtype=np.int64)
