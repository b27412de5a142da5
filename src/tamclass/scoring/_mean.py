"""Mean z-score: average over a set's genes of each gene's z-score across cells.

``z = (x - mean_gene) / sd_gene`` with ``sd`` over all cells (``ddof=1``, as ``sc.pp.scale``
without clipping; genes with ``sd = 0`` contribute 0). Signed sets score
``mean z(up) - mean z(down)``. Computed as one sparse product plus an offset, never densifying
the matrix. Depends on all cells (means and SDs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._errors import InputError
from ._kernels import weighted_sums
from ._sets import IndexedSet, csr_parts, slot_parts, union_plan

__all__ = ["MeanPlan", "prepare", "kernel"]


@dataclass(frozen=True)
class MeanPlan:
    col_to_union: np.ndarray
    P: np.ndarray
    offset: np.ndarray
    n_sets: int
    S: tuple  # slot_parts(col_to_union, csr_parts(P), n_sets): the layout slot_accumulate reads


def prepare(sets: list[IndexedSet], n_vars: int, *, stats=None, **_) -> MeanPlan:
    """Per-gene weights ``1 / (n sd)`` and per-set offsets ``-sum(mean / (n sd))``."""
    if stats is None:
        raise ValueError("mean z-score needs column statistics (a first pass over the matrix)")
    if stats.n < 2:
        raise InputError("method='mean' needs at least 2 cells to compute per-gene standard deviations")
    mean = stats.mean
    sd = np.sqrt(stats.var)
    inv = np.divide(1.0, sd, out=np.zeros_like(sd), where=sd > 0)
    parts, weights, offset = [], [], np.zeros(len(sets))
    for j, s in enumerate(sets):
        cols, vals = [], []
        for genes, sign in ((s.up, 1.0), (s.down, -1.0)):
            if len(genes):
                w = sign * inv[genes] / len(genes)
                cols.append(genes)
                vals.append(w)
                offset[j] -= float(np.sum(w * mean[genes]))
        parts.append(np.concatenate(cols) if cols else np.zeros(0, np.int64))
        weights.append(np.concatenate(vals) if vals else np.zeros(0))
    col_to_union, _, P = union_plan(parts, n_vars, weights)
    return MeanPlan(col_to_union, P, offset, len(sets), slot_parts(col_to_union, csr_parts(P), len(sets)))


def kernel(chunk: sp.csr_matrix, plan: MeanPlan) -> np.ndarray:
    """Mean z-scores of one CSR chunk: ``(n_rows, n_sets)`` float64."""
    out = weighted_sums(chunk, plan.S if plan.P.shape[0] else (), plan.n_sets)
    out += plan.offset
    return out
