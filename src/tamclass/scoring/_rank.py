"""UCell scores (Andreatta & Carmona 2021): Mann-Whitney U of a set's per-cell gene ranks.

Matches ``pyucell.compute_ucell_scores`` (pyucell 0.8.0, ``ties_method="average"``,
``missing_genes="impute"``): in every cell the non-zero genes are ranked by decreasing
expression (average ranks for ties), ranks above ``max_rank`` and zeros count as ``max_rank``,
and genes of the set absent from the data are imputed as ``max_rank``. For a set of ``n`` genes
with rank sum ``R``: ``U = 1 - (R - n(n+1)/2) / (n * max_rank - n(n+1)/2)``. Signed sets score
``U(up) - w_neg * U(down)``, clipped at 0. A cell's score depends on that cell alone.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._errors import InputError
from ._kernels import csr_arrays, ucell_accumulate, value_bits
from ._registry import MAX_RANK, W_NEG
from ._sets import IndexedSet, csr_parts, union_plan

__all__ = ["RankPlan", "prepare", "kernel"]


@dataclass(frozen=True)
class RankPlan:
    col_to_union: np.ndarray
    P: np.ndarray  # n_union x (2 * n_sets): up parts then down parts
    lengths: np.ndarray  # genes per part, missing genes included
    max_rank: int
    w_neg: float
    n_sets: int
    Pc: tuple = ()


def prepare(
    sets: list[IndexedSet], n_vars: int, *, stats=None, max_rank: int = MAX_RANK, w_neg: float = W_NEG, **_
) -> RankPlan:
    """Build the plan (union genes, membership, set sizes) for :func:`kernel`."""
    if int(max_rank) != max_rank or max_rank < 1:
        raise InputError(f"max_rank must be a positive integer, got {max_rank!r}")
    parts = [s.up for s in sets] + [s.down for s in sets]
    lengths = np.array(
        [len(s.up) + s.n_up_missing for s in sets] + [len(s.down) + s.n_down_missing for s in sets], dtype=np.float64
    )
    col_to_union, _, P = union_plan(parts, n_vars)
    return RankPlan(col_to_union, P, lengths, int(max_rank), float(w_neg), len(sets), csr_parts(P))


def u_statistic(rank_sum: np.ndarray, lengths: np.ndarray, max_rank: int) -> np.ndarray:
    """Normalised U from rank sums (columns = parts); parts of size 0 score 0."""
    n = lengths
    s_min = n * (n + 1) / 2.0
    s_max = n * max_rank
    denom = s_max - s_min
    ok = (n > 0) & (denom != 0)
    out = np.zeros_like(rank_sum)
    out[:, ok] = 1.0 - (rank_sum[:, ok] - s_min[ok]) / denom[ok]
    return out


def kernel(chunk: sp.csr_matrix, plan: RankPlan) -> np.ndarray:
    """UCell scores of one CSR chunk: ``(n_rows, n_sets)`` float64."""
    acc = np.zeros((chunk.shape[0], plan.P.shape[1]), dtype=np.float64)
    if plan.P.shape[0]:
        indptr, indices, data = csr_arrays(chunk)
        ucell_accumulate(indptr, indices, data, value_bits(data), plan.col_to_union, *plan.Pc, plan.max_rank, acc)
    rank_sum = acc + plan.lengths * plan.max_rank
    u = u_statistic(rank_sum, plan.lengths, plan.max_rank)
    k = plan.n_sets
    score = u[:, :k] - plan.w_neg * u[:, k:]
    np.maximum(score, 0.0, out=score)
    return score
