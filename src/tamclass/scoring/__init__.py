"""Scoring kernels (no AnnData here): one small module per method plus a registry.

=========  ==============================================  ==========================================
method     what                                            peer it matches
=========  ==============================================  ==========================================
``rank``   UCell Mann-Whitney U (``_rank.py``)             ``pyucell.compute_ucell_scores``
``module`` scanpy/Seurat module score (``_module.py``)     ``scanpy.tl.score_genes``
``aucell`` AUCell recovery AUC (``_aucell.py``)            ``decoupler.mt.aucell``
``mean``   mean per-gene z-score (``_mean.py``)            mean of ``sc.pp.scale`` columns
=========  ==============================================  ==========================================

The numba loops live in ``_kernels.py`` (shared, rank, module/mean weighted sums) and
``_aucell_kernels.py`` (AUCell's two row routes); the method modules only build plans and call them.

>>> import tamclass as tc
>>> tc.scoring.methods()
"""

from .._lazy import lazy_namespace

_EXPORTS = {
    "methods": "._registry",
    "show": "._registry",
    "get_method": "._registry",
    "ScoringMethod": "._registry",
    "IndexedSet": "._sets",
    "score_chunks": "._engine",
    "ColumnStats": "._stats",
}
__all__ = list(_EXPORTS)
__getattr__, __dir__ = lazy_namespace(__name__, _EXPORTS)
