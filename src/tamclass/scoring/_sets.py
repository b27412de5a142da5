"""Signatures as column indices: the only form of a signature the kernels see."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["IndexedSet", "union_plan", "csr_parts", "slot_parts"]


@dataclass(frozen=True)
class IndexedSet:
    """A signature mapped onto matrix columns.

    Attributes
    ----------
    name
        Set name (score column).
    up, down
        Column indices (into the streamed matrix) of the present up / down genes, unique.
    n_up_missing, n_down_missing
        How many up / down genes of the signature are absent from the data (UCell imputes
        them as unexpressed; the other methods ignore them).
    """

    name: str
    up: np.ndarray
    down: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    n_up_missing: int = 0
    n_down_missing: int = 0

    def __post_init__(self):
        object.__setattr__(
            self, "up", np.unique(np.asarray(self.up, dtype=np.int64)) if len(self.up) else np.zeros(0, np.int64)
        )
        object.__setattr__(
            self, "down", np.unique(np.asarray(self.down, dtype=np.int64)) if len(self.down) else np.zeros(0, np.int64)
        )

    @property
    def n_present(self) -> int:
        return len(self.up) + len(self.down)


def union_plan(parts: list[np.ndarray], n_vars: int, weights: list[np.ndarray] | None = None):
    """Columns used by any part, and a dense (n_union x n_parts) weight matrix.

    Returns ``(col_to_union, union_cols, P)``: ``col_to_union`` maps each of the ``n_vars`` matrix
    columns to its row in ``P`` (or -1), ``union_cols`` lists the matrix columns of ``P``'s rows.
    ``weights[j]`` (same length as ``parts[j]``) default to 1.
    """
    cols = np.unique(np.concatenate([np.asarray(p, dtype=np.int64) for p in parts])) if parts else np.zeros(0, np.int64)
    col_to_union = np.full(n_vars, -1, dtype=np.int64)
    col_to_union[cols] = np.arange(len(cols))
    P = np.zeros((len(cols), len(parts)), dtype=np.float64)
    for j, p in enumerate(parts):
        p = np.asarray(p, dtype=np.int64)
        if len(p):
            w = np.ones(len(p)) if weights is None else np.asarray(weights[j], dtype=np.float64)
            np.add.at(P[:, j], col_to_union[p], w)
    return col_to_union, cols, P


def csr_parts(P: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``P`` (n_union x n_parts) as CSR arrays ``(ptr, part_index, weight)``.

    Most union genes belong to one or two sets, so the kernels loop over those only.
    """
    import scipy.sparse as sp

    m = sp.csr_matrix(P)
    return m.indptr.astype(np.int64), m.indices.astype(np.int64), m.data.astype(np.float64)


def slot_parts(col_to_union: np.ndarray, Pc: tuple, n_parts: int) -> tuple:
    """Per-column weights for :func:`~tamclass.scoring._kernels.slot_accumulate`.

    From ``col_to_union`` and ``Pc = csr_parts(P)`` builds ``(slot_idx int32 n_vars x 4, slot_w float64
    n_vars x 2, ex_idx int32, ex_w float64)`` (the first two flattened in C order): the first two (part, weight) entries of each column's
    row of ``P`` (in part order) go to the slots (empty slots: dummy parts ``n_parts .. n_parts + 15``,
    weight 0); further entries go to ``ex_*`` at ``slot_idx[j, 2]`` (start) and ``slot_idx[j, 3]`` (count).
    """
    p_ptr, p_idx, p_w = Pc
    n_vars = len(col_to_union)
    slot_idx = np.zeros((n_vars, 4), dtype=np.int32)
    # empty slots add 0 to one of 16 dummy parts, spread over the columns so that consecutive
    # non-zeros do not chain their updates through one accumulator
    spread = np.arange(n_vars) % 8
    slot_idx[:, 0] = n_parts + spread
    slot_idx[:, 1] = n_parts + 8 + spread
    slot_w = np.zeros((n_vars, 2), dtype=np.float64)
    cols = np.flatnonzero(col_to_union >= 0)  # union row u is column cols[u] (union_plan sorts them)
    n_per = np.diff(p_ptr)
    rows = np.repeat(np.arange(len(n_per)), n_per)
    within = np.arange(len(p_idx)) - p_ptr[rows]
    c = cols[rows]
    first = within < 2
    slot_idx[c[first], within[first]] = p_idx[first]
    slot_w[c[first], within[first]] = p_w[first]
    extra = ~first  # in column order, then part order
    counts = np.bincount(c[extra], minlength=n_vars)
    slot_idx[:, 2] = np.cumsum(counts) - counts
    slot_idx[:, 3] = counts
    return slot_idx.ravel(), slot_w.ravel(), p_idx[extra].astype(np.int32), p_w[extra].astype(np.float64)
