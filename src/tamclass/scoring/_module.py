"""Module scores as ``scanpy.tl.score_genes`` (scanpy 1.11, ``ctrl_as_ref=True``) computes them.

Score = mean expression of the set's genes minus the mean of control genes. Control genes:
all genes are binned by their mean expression over *all cells* (rank-based cut into
``round(n_genes / (n_bins - 1))``-gene bins); for every distinct bin holding a set gene,
``ctrl_size`` genes of that bin are drawn (all of them when the bin is smaller: then no random
draw happens and the result equals scanpy's exactly), set genes are removed, and the union of
all bins is the control set. Draws use ``numpy.random.default_rng([random_state, crc32(name)])``
per set and direction, never the global RNG, so a set's controls do not depend on which other
sets are scored. Signed sets score ``score(up) - score(down)``. Depends on all cells (bins).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.stats import rankdata

from .._errors import InputError
from ._kernels import weighted_sums
from ._registry import CTRL_SIZE, N_BINS
from ._sets import IndexedSet, csr_parts, slot_parts, union_plan

__all__ = ["ModulePlan", "prepare", "kernel", "control_genes"]


@dataclass(frozen=True)
class ModulePlan:
    col_to_union: np.ndarray
    P: np.ndarray  # n_union x n_sets weights
    n_controls: tuple  # per set: (n_ctrl_up, n_ctrl_down)
    n_sets: int
    S: tuple  # slot_parts(col_to_union, csr_parts(P), n_sets): the layout slot_accumulate reads


def _rng(random_state, name: str, part: int):
    if random_state is None:
        return np.random.default_rng()
    if isinstance(random_state, np.random.Generator):
        return random_state
    return np.random.default_rng([int(random_state), part, zlib.crc32(name.encode())])


def gene_cuts(mean: np.ndarray, n_bins: int) -> np.ndarray:
    """Scanpy's expression bins: ``rank(mean, method="min") // round(n / (n_bins - 1))``."""
    if n_bins < 2:
        raise InputError(f"n_bins must be at least 2, got {n_bins}")
    n_items = int(np.round(len(mean) / (n_bins - 1)))
    n_items = max(n_items, 1)
    return rankdata(mean, method="min") // n_items


def _bin_members(cuts: np.ndarray) -> dict:
    order = np.argsort(cuts, kind="stable")
    values, starts = np.unique(cuts[order], return_index=True)
    return dict(zip(values.tolist(), np.split(order, starts[1:]), strict=False))


def control_genes(genes: np.ndarray, cuts: np.ndarray, ctrl_size: int, rng, members: dict | None = None) -> np.ndarray:
    """Control gene columns for one gene set (scanpy ``_score_genes_bins`` with ``ctrl_as_ref=True``)."""
    if members is None:
        members = _bin_members(cuts)
    controls = []
    is_gene = np.zeros(len(cuts), dtype=bool)
    is_gene[genes] = True
    for cut in np.unique(cuts[genes]).tolist():
        candidates = members[cut]  # unique, ascending
        if ctrl_size < len(candidates):
            candidates = np.sort(rng.choice(candidates, ctrl_size, replace=False))
        controls.append(candidates[~is_gene[candidates]])  # = np.setdiff1d(candidates, genes)
    return np.unique(np.concatenate(controls)) if controls else np.zeros(0, dtype=np.int64)


def prepare(
    sets: list[IndexedSet],
    n_vars: int,
    *,
    stats=None,
    ctrl_size: int = CTRL_SIZE,
    n_bins: int = N_BINS,
    random_state=0,
    **_,
) -> ModulePlan:
    """Draw control genes and build the weight matrix (needs :class:`ColumnStats` of all cells)."""
    if stats is None:
        raise ValueError("module scoring needs column statistics (a first pass over the matrix)")
    if int(ctrl_size) < 1:
        raise InputError(f"ctrl_size must be a positive integer, got {ctrl_size!r}")
    cuts = gene_cuts(stats.mean, int(n_bins))
    members = _bin_members(cuts)
    parts, weights, n_controls = [], [], []
    for s in sets:
        counts = []
        w_set_cols, w_set_vals = [], []
        for part, (genes, sign) in enumerate(((s.up, 1.0), (s.down, -1.0))):
            if len(genes) == 0:
                counts.append(0)
                continue
            ctrl = control_genes(genes, cuts, int(ctrl_size), _rng(random_state, s.name, part), members)
            if len(ctrl) == 0:
                raise InputError(
                    f"no control genes found for set {s.name!r}: every gene in its expression bins is a set gene; "
                    "score on a matrix with more genes (e.g. use_raw=True) or use method='rank'"
                )
            counts.append(len(ctrl))
            w_set_cols += [genes, ctrl]
            w_set_vals += [np.full(len(genes), sign / len(genes)), np.full(len(ctrl), -sign / len(ctrl))]
        parts.append(np.concatenate(w_set_cols) if w_set_cols else np.zeros(0, np.int64))
        weights.append(np.concatenate(w_set_vals) if w_set_vals else np.zeros(0))
        n_controls.append(tuple(counts))
    col_to_union, _, P = union_plan(parts, n_vars, weights)
    return ModulePlan(col_to_union, P, tuple(n_controls), len(sets), slot_parts(col_to_union, csr_parts(P), len(sets)))


def kernel(chunk: sp.csr_matrix, plan: ModulePlan) -> np.ndarray:
    """Module scores of one CSR chunk: ``(n_rows, n_sets)`` float64."""
    return weighted_sums(chunk, plan.S if plan.P.shape[0] else (), plan.n_sets)
