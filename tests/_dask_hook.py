"""Test helper for tests/test_dask.py: which dask seams the adapter has.

Dask runs behind the one row-block seam (:meth:`tamclass._data.MatrixSource.blocks` returns a
:class:`tamclass._dask.DaskBlocks` for a dask array), so ``tc.tl.score`` and ``extract_genes`` take the dask path
without any patching.
"""

from __future__ import annotations


def views_detected() -> bool:
    """Whether the adapter recognises anndata's DaskArrayView (``adata[mask].X`` of a dask-backed AnnData)."""
    import anndata as ad
    import dask.array as da

    import tamclass._data as data_mod

    view = ad.AnnData(da.zeros((4, 3), chunks=(2, 3)))[:2]
    return bool(data_mod._is_dask(view.X))
