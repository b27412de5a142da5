"""The one seam between a matrix and the scoring engine: its row blocks, run one after the other or in parallel.

A *block runner* has three ways in, all in row order:

* ``blocks(desc)`` iterates ``(start, stop, csr_chunk)``;
* ``blocks.map(fn, *shared, desc=...)`` yields ``(start, stop, fn(csr_chunk, *shared))``;
* ``blocks.fold(step, init, merge, desc=...)`` reduces the blocks to one value.

:class:`Blocks` runs a chunk stream (a callable ``desc -> iterator``) in the calling thread: ``fold`` keeps one
running accumulator (``acc = step(acc, chunk)``). :class:`tamclass._dask.DaskBlocks` runs the same functions as
dask tasks, one per block (``step(init(), chunk)``, partials merged in block order on the client). The input
adapter (:meth:`tamclass._data.MatrixSource.blocks`) picks the runner and checks the values; the engine
(:func:`tamclass.scoring.score_chunks`) only calls ``map`` and ``fold``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import scipy.sparse as sp

__all__ = ["Blocks", "ChunkStream"]

ChunkStream = Callable[[str], Iterator[tuple[int, int, sp.csr_matrix]]]


class Blocks:
    """Row blocks of a matrix from a chunk stream, run sequentially in the calling thread.

    Parameters
    ----------
    stream
        ``stream(desc)`` returns a fresh iterator of ``(start, stop, csr_chunk)`` covering the rows in order.
    """

    def __init__(self, stream: ChunkStream):
        self._stream = stream

    def __call__(self, desc: str) -> Iterator[tuple[int, int, sp.csr_matrix]]:
        return self._stream(desc)

    def map(self, fn: Callable, *shared, desc: str) -> Iterator[tuple[int, int, Any]]:
        """``(start, stop, fn(chunk, *shared))`` per block, in row order."""
        for start, stop, chunk in self(desc):
            yield start, stop, fn(chunk, *shared)

    def fold(self, step: Callable, init: Callable, merge: Callable, *, desc: str):
        """``step(... step(step(init(), block0), block1) ...)``; ``merge`` (of two partials) is for parallel runners."""
        acc = init()
        for _, _, chunk in self(desc):
            acc = step(acc, chunk)
        return acc
