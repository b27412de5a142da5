"""Run a scoring method over the row blocks of a matrix: optional statistics pass, then one scoring pass.

The blocks come through one seam (:mod:`tamclass.scoring._blocks`): a plain chunk stream or the adapter's
runner, sequential or dask; the passes below are the same for all of them.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from ._blocks import Blocks, ChunkStream
from ._registry import ScoringMethod
from ._sets import IndexedSet
from ._stats import ColumnStats

__all__ = ["column_stats", "score_chunks"]


def column_stats(blocks: Blocks, n_vars: int) -> ColumnStats:
    """Per-gene sums and sums of squares over all rows (one pass; partials merged in row order when parallel)."""
    return blocks.fold(ColumnStats.update, partial(ColumnStats, n_vars), ColumnStats.merge, desc="gene statistics")


def _kernel_rows(chunk, kernel, plan):
    return kernel(chunk, plan)


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
    in order; a block runner (``tamclass.scoring._blocks.Blocks``, e.g. from the adapter's
    ``MatrixSource.blocks()``, dask arrays included) is used as it is. Returns ``(scores float64 n_obs x n_sets, plan)``.
    """
    blocks = chunks if isinstance(chunks, Blocks) else Blocks(chunks)
    stats = column_stats(blocks, n_vars) if method.needs_stats else None
    plan = method.prepare(sets, n_vars, stats=stats, **params)
    out = np.empty((n_obs, len(sets)), dtype=np.float64)
    for start, stop, part in blocks.map(_kernel_rows, method.kernel, plan, desc=f"{method.name} scores"):
        out[start:stop] = part
    return out, plan
