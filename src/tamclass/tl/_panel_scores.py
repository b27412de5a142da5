"""Rank (UCell) scores of signatures for gate/classify without clobbering user data.

Scores with :func:`tamclass.tl.score` on a shallow AnnData that shares the expression matrix (in-memory
data) or under a temporary key that is removed afterwards (backed data). Either way the caller's
``obs``/``obsm``/``uns`` end up exactly as they were.
"""

from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

from .._errors import InputError
from .._keys import DEFAULT_KEY, keys
from ._score import score


def score_signatures(
    adata,
    sigs: dict,
    *,
    mask=None,
    layer=None,
    use_raw=None,
    gene_symbols=None,
    species="human",
    random_state: int = 0,
    progress=None,
) -> pd.DataFrame:
    """Rank (UCell) scores of the given :class:`~tamclass.signatures.Signature` objects for the cells in ``mask``.

    Computed without touching ``adata``'s obs/obsm/uns (a shallow copy in memory, a temporary key that is
    removed again for backed data).
    """
    kwargs = {
        "method": "rank",
        "layer": layer,
        "use_raw": use_raw,
        "gene_symbols": gene_symbols,
        "random_state": random_state,
        "species": species,
        "progress": progress,
    }
    if adata.isbacked:
        tmp = f"_tamclass_tmp_{uuid.uuid4().hex[:8]}"
        column = keys(tmp).scores
        try:
            score(adata, sigs, key_added=tmp, **kwargs)
            frame = adata.obsm[column].copy()
        finally:
            if column in adata.obsm:
                del adata.obsm[column]
            adata.uns.pop(tmp, None)
        if mask is not None:
            frame = frame.loc[np.asarray(mask, dtype=bool)]
        return frame
    work = shallow(adata, mask=mask, layer=layer)
    score(work, sigs, key_added=DEFAULT_KEY, **kwargs)
    return work.obsm[keys(DEFAULT_KEY).scores].copy()


def shallow(adata, *, mask=None, layer=None):
    """An AnnData sharing ``adata``'s matrices (rows restricted by ``mask``), with empty obs/obsm/uns."""
    import anndata as ad

    sub = adata if mask is None or bool(np.all(mask)) else adata[np.asarray(mask, dtype=bool)]
    work = ad.AnnData(X=sub.X, obs=pd.DataFrame(index=pd.Index(sub.obs_names).copy()), var=sub.var.copy())
    if layer is not None:
        if layer not in adata.layers:
            raise InputError(f"layer {layer!r} not found; available layers: {list(adata.layers)}.")
        work.layers[layer] = sub.layers[layer]
    if adata.raw is not None:
        work.raw = ad.AnnData(X=sub.raw.X, var=sub.raw.var.copy(), obs=pd.DataFrame(index=work.obs_names))
    return work
