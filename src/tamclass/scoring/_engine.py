"""Run a scoring method over a stream of CSR chunks: optional statistics pass, then one scoring pass."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import scipy.sparse as sp

from ._registry import ScoringMethod
from ._sets import IndexedSet
from ._stats import ColumnStats

__all__ = ["score_chunks"]

ChunkStream = Callable[[str], Iterator[tuple[int, int, sp.csr_matrix]]]


def score_chunks(
    method: ScoringMethod,
    sets: list[IndexedSet],
    chunks: ChunkStream,
    n_obs: int,
    n_vars: int,
    params: dict,
) -> tuple[np.ndarray, object]:
    """Score all ``sets`` in one pass over the chunks (two for methods that need gene statistics).

    ``chunks(desc)`` must return a fresh iterator of ``(start, stop, csr_chunk)`` covering the rows
    in order. Returns ``(scores float64 n_obs x n_sets, plan)``.
    """
    stats = None
    if method.needs_stats:
        stats = ColumnStats(n_vars)
        for _, _, chunk in chunks("gene statistics"):
            stats.update(chunk)
    plan = method.prepare(sets, n_vars, stats=stats, **params)
    kernel = method.kernel
    out = np.empty((n_obs, len(sets)), dtype=np.float64)
    for start, stop, chunk in chunks(f"{method.name} scores"):
        out[start:stop] = kernel(chunk, plan)
    return out, plan
