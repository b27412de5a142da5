"""Get rank (UCell) scores of library signatures for gate/classify without clobbering user data.

Reuses ``obsm[f"{key}_scores"]`` when it already holds every needed set and was computed with the
rank method; otherwise scores internally with :func:`tamclass.tl.score` on a shallow AnnData that
shares the expression matrix (in-memory data) or under a temporary key that is removed afterwards
(backed data). Either way the caller's ``obs``/``obsm``/``uns`` end up exactly as they were.
"""
from __future__ import annotations

import uuid

import numpy as np
import pandas as pd

from .._errors import InputError
from .._settings import logger


def _recorded_method(adata, key: str):
    info = adata.uns.get(key, {})
    if isinstance(info, dict):
        score = info.get("score", {})
        if isinstance(score, dict):
            return score.get("method")
    return None


def reusable_scores(adata, key: str, names, optional=()) -> pd.DataFrame | None:
    """The stored rank scores for ``names`` (plus those of ``optional`` that are stored) if
    ``obsm[f"{key}_scores"]`` has all of ``names``, else None."""
    frame = adata.obsm.get(f"{key}_scores") if f"{key}_scores" in adata.obsm else None
    if not isinstance(frame, pd.DataFrame) or not set(names) <= set(map(str, frame.columns)):
        return None
    method = _recorded_method(adata, key)
    if method not in (None, "rank"):
        logger.info(f"obsm['{key}_scores'] was computed with method={method!r}; re-scoring with the rank method")
        return None
    cols = set(map(str, frame.columns))
    return frame.loc[:, list(names) + [n for n in optional if n in cols]].astype(np.float64)


def compute_scores(
    adata,
    names,
    *,
    key: str = "tamclass",
    mask: np.ndarray | None = None,
    layer=None,
    use_raw=None,
    gene_symbols=None,
    species: str = "human",
    random_state: int = 0,
    progress=None,
    reuse: bool = True,
    min_genes: int = 1,
    optional=(),
) -> tuple[pd.DataFrame, str]:
    """Rank scores (cells x names) for the cells in ``mask`` (all when None) and where they came from.

    ``optional`` sets are computed when scoring internally, and taken from stored scores only if there
    (stored scores lacking them are still reused)."""
    import tamclass as tc

    optional = [n for n in optional if n not in names]
    if reuse:
        frame = reusable_scores(adata, key, list(names), optional)
        if frame is not None:
            if mask is not None:
                frame = frame.loc[np.asarray(mask, dtype=bool)]
            return frame, f"obsm['{key}_scores']"
    names = list(names) + list(optional)
    sigs = tc.signatures.load(names, species=species)
    present, found = genes_present(adata, sigs, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols,
                                   species=species)
    # absent genes stay in the sets: UCell ranks them last, which shrinks the scores of poorly covered
    # sets (a conservative call; restricting sets to present genes made 2-gene sets noisy on Hao 2021)
    scorable = {n: s for n, s in sigs.items() if present[n] >= min_genes}
    if not scorable:
        frame = pd.DataFrame(np.nan, index=pd.Index(adata.obs_names), columns=names)
        if mask is not None:
            frame = frame.loc[np.asarray(mask, dtype=bool)]
        return frame, "none of the signatures has enough genes in the data (all NaN)"
    unscored = [f"{n} ({present[n]})" for n in names if n not in scorable]
    if unscored:  # one line, not one per set: notebooks showed a wall of near-identical messages
        need = "no genes" if min_genes <= 1 else f"fewer than {min_genes} genes"
        logger.warning(f"{len(unscored)} signature(s) have {need} in the data, so their scores are NaN "
                       f"(genes found): {', '.join(unscored)}")
    frame = score_signatures(adata, scorable, mask=mask, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols,
                             species=species, random_state=random_state, progress=progress)
    frame = frame.reindex(columns=names)
    return frame.loc[:, names].astype(np.float64), "computed internally (rank method)"


def score_signatures(adata, sigs: dict, *, mask=None, layer=None, use_raw=None, gene_symbols=None, species="human",
                     random_state: int = 0, progress=None) -> pd.DataFrame:
    """Rank (UCell) scores of the given :class:`~tamclass.signatures.Signature` objects for the cells in
    ``mask``, computed without touching ``adata``'s obs/obsm/uns (a shallow copy in memory, a temporary
    key that is removed again for backed data)."""
    import tamclass as tc

    kwargs = dict(method="rank", layer=layer, use_raw=use_raw, gene_symbols=gene_symbols, random_state=random_state,
                  species=species, progress=progress)
    if adata.isbacked:
        tmp = f"_tamclass_tmp_{uuid.uuid4().hex[:8]}"
        try:
            tc.tl.score(adata, sigs, key_added=tmp, **kwargs)
            frame = adata.obsm[f"{tmp}_scores"].copy()
        finally:
            if f"{tmp}_scores" in adata.obsm:
                del adata.obsm[f"{tmp}_scores"]
            adata.uns.pop(tmp, None)
        if mask is not None:
            frame = frame.loc[np.asarray(mask, dtype=bool)]
        return frame
    work = shallow(adata, mask=mask, layer=layer)
    tc.tl.score(work, sigs, key_added="tamclass", **kwargs)
    return work.obsm["tamclass_scores"].copy()


def genes_present(adata, sigs, *, layer=None, use_raw=None, gene_symbols=None, species="human") -> tuple[dict[str, int], dict]:
    """Number of each signature's genes found in the matrix that will be scored (aliases included)."""
    from .._data import map_genes, resolve_matrix

    source = resolve_matrix(adata, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols)
    all_genes = list(dict.fromkeys(g for s in sigs.values() for g in s.genes))
    found, _ = map_genes(all_genes, source, species=species)
    return {n: sum(g in found for g in dict.fromkeys(s.genes)) for n, s in sigs.items()}, found


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
