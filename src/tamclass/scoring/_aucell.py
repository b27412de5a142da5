"""AUCell (Aibar et al. 2017) exactly as ``decoupler.mt.aucell`` 2.2.0 computes it.

Per cell, genes are ranked by decreasing expression with *ordinal* ranks; ties are broken by a
seeded shuffle of the genes (decoupler's ``pp.data._break_ties``: ``default_rng(0).choice``
over the gene positions). The score of a set is the area under its recovery curve up to rank
``n_up``, divided by the largest area possible for a set of that size; it lies in [0, 1].
Default ``n_up = ceil(5% of the genes)``, clipped to ``[2, n_genes]`` (decoupler's default).

decoupler first drops genes that are zero in *every* cell of the object, which makes a cell's
score depend on the other cells; tamclass keeps all genes so a cell's score depends on that cell
alone. Results equal ``decoupler.mt.aucell(..., empty=False)`` (and the default call whenever no
gene is all-zero). Signed sets score ``AUC(up) - AUC(down)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from .._errors import InputError
from ._aucell_kernels import aucell_accumulate
from ._kernels import csr_arrays, value_bits
from ._sets import IndexedSet, csr_parts, union_plan

__all__ = ["AUCellPlan", "prepare", "kernel", "default_n_up", "tie_positions"]


@dataclass(frozen=True)
class AUCellPlan:
    col_to_union: np.ndarray
    union_cols: np.ndarray
    pos: np.ndarray
    P: np.ndarray  # n_union x (2 * n_sets)
    max_auc: np.ndarray
    n_up: int
    n_vars: int
    n_sets: int
    Pc: tuple
    code: np.ndarray  # pos | (union row + 1) << 32, per column (one lookup in the kernel)
    union_at_pos: np.ndarray  # union row of the gene at each shuffle position (-1: none)
    union_bits: np.ndarray  # bitmap over shuffle positions: the union genes


def default_n_up(n_vars: int, n_up: float | None = None) -> int:
    """Decoupler's ``_validate_n_up``: ``ceil(0.05 * n_vars)`` clipped to ``[2, n_vars]``."""
    if n_up is None:
        value = int(np.clip(np.ceil(0.05 * n_vars), 2, n_vars))
    else:
        value = int(np.ceil(n_up))
    if not (n_vars >= value > 1):
        raise InputError(
            f"n_up={n_up!r} is out of range for {n_vars} genes: it must be between 2 and the number of genes"
        )
    return value


def tie_positions(n_vars: int, seed: int = 0) -> np.ndarray:
    """Position of each gene in decoupler's tie-breaking shuffle (``pos[gene]``)."""
    rng = np.random.default_rng(seed=seed)
    idx = np.arange(n_vars)
    perm = rng.choice(idx, n_vars, replace=False)
    pos = np.empty(n_vars, dtype=np.int64)
    pos[perm] = np.arange(n_vars)
    return pos


def max_auc(n_genes: np.ndarray, n_up: int) -> np.ndarray:
    """Largest recovery area for sets of ``n_genes`` genes (decoupler's ``max_auc``)."""
    m = np.minimum(n_genes, n_up - 1).astype(np.float64)
    return m * n_up - m * (m + 1) / 2.0


def prepare(
    sets: list[IndexedSet], n_vars: int, *, stats=None, n_up: float | None = None, random_state: int | None = 0, **_
) -> AUCellPlan:
    """Build the plan for :func:`kernel` (``random_state`` seeds the tie-breaking shuffle; 0 = decoupler)."""
    n_up = default_n_up(n_vars, n_up)
    parts = [s.up for s in sets] + [s.down for s in sets]
    col_to_union, union_cols, P = union_plan(parts, n_vars)
    sizes = np.array([len(p) for p in parts], dtype=np.int64)
    seed = 0 if random_state is None else random_state
    pos = tie_positions(n_vars, seed)
    code = pos | ((col_to_union + 1) << 32)
    union_at_pos = np.empty(n_vars, dtype=np.int64)
    union_at_pos[pos] = col_to_union
    union_bits = np.zeros((n_vars + 63) // 64, dtype=np.uint64)
    union_pos = pos[union_cols]
    np.bitwise_or.at(union_bits, union_pos >> 6, np.left_shift(np.uint64(1), (union_pos & 63).astype(np.uint64)))
    return AUCellPlan(
        col_to_union,
        union_cols,
        pos,
        P,
        max_auc(sizes, n_up),
        n_up,
        n_vars,
        len(sets),
        csr_parts(P),
        code,
        union_at_pos,
        union_bits,
    )


def kernel(chunk: sp.csr_matrix, plan: AUCellPlan) -> np.ndarray:
    """AUCell scores of one CSR chunk: ``(n_rows, n_sets)`` float64."""
    acc = np.zeros((chunk.shape[0], plan.P.shape[1]), dtype=np.float64)
    if plan.P.shape[0]:
        indptr, indices, data = csr_arrays(chunk)  # float32/float64: MatrixSource / to_csr convert the rest
        aucell_accumulate(
            indptr,
            indices,
            data,
            value_bits(data),
            plan.code,
            plan.col_to_union,
            plan.union_cols,
            plan.pos,
            plan.union_at_pos,
            plan.union_bits,
            *plan.Pc,
            plan.n_up,
            plan.n_vars,
            acc,
        )
    auc = np.divide(acc, plan.max_auc, out=np.zeros_like(acc), where=plan.max_auc > 0)
    k = plan.n_sets
    return auc[:, :k] - auc[:, k:]
