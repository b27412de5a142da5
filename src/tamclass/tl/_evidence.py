"""Per-cell evidence for the state and subset signatures: rank scores against expression-matched nulls.

The adapter between AnnData and :mod:`tamclass.scoring._null`: mean expression of every gene over all
the cells of the object (streamed in row chunks, backed data included), control sets drawn with a seeded
generator, and one scoring pass for the signatures and all their controls.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._data import map_genes, resolve_matrix
from ..scoring._null import matched_control_sets, null_z
from ..signatures._signature import Signature
from ._panel_scores import score_signatures

#: a signature needs this many genes in the data to be tested (fewer = one dropout decides)
MIN_SET_GENES = 3


def _gene_means(source, mask: np.ndarray, progress=None) -> np.ndarray:
    sums = np.zeros(source.n_vars)
    for start, stop, chunk in source.iter_chunks(progress=progress, desc="gene means"):
        rows = np.flatnonzero(mask[start:stop])
        if len(rows):
            sums += np.asarray(chunk[rows].sum(axis=0)).ravel()
    return sums / max(int(mask.sum()), 1)


def evidence_z(
    adata,
    mask,
    sigs: dict[str, Signature],
    *,
    n_controls: int,
    n_bins: int,
    random_state: int,
    layer=None,
    use_raw=None,
    gene_symbols=None,
    species="human",
    progress=None,
):
    """Z of each signature in each masked cell against ``n_controls`` matched random sets.

    Returns ``(z, scores, genes_used)``: ``z`` and ``scores`` are DataFrames (masked cells x signatures; NaN
    for a signature with fewer than :data:`MIN_SET_GENES` genes in the data), ``genes_used`` the genes of
    each set found in the data.
    """
    mask = np.asarray(mask, dtype=bool)
    source = resolve_matrix(adata, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols)
    found, _ = map_genes(list(dict.fromkeys(g for s in sigs.values() for g in s.up)), source, species=species)
    genes_used = {n: [g for g in s.up if g in found] for n, s in sigs.items()}
    testable = {n: np.asarray([found[g] for g in genes_used[n]]) for n in sigs if len(genes_used[n]) >= MIN_SET_GENES}
    obs = pd.Index(adata.obs_names)[mask]
    z = pd.DataFrame(np.nan, index=obs, columns=list(sigs))
    scores = z.copy()
    if not testable:
        return z, scores, genes_used
    # bins from every cell of the object, not only the cells classified: a sample whose macrophages are all
    # of one kind would otherwise rank that kind's genes at the top of its own null
    means = _gene_means(source, np.ones(adata.n_obs, dtype=bool), progress=progress)
    eligible = ~pd.Index(source.var_names).duplicated(keep=False)  # ambiguous names never serve as controls
    controls = matched_control_sets(
        testable, means, n_sets=n_controls, n_bins=n_bins, eligible=eligible, rng=np.random.default_rng(random_state)
    )
    names = np.asarray(source.var_names, dtype=object)
    to_score = {n: Signature(name=n, up=tuple(genes_used[n])) for n in testable}
    for n, ctrl in controls.items():
        for k, row in enumerate(ctrl):
            to_score[f"{n}__null{k}"] = Signature(name=f"{n}__null{k}", up=tuple(dict.fromkeys(names[row])))
    frame = score_signatures(
        adata,
        to_score,
        mask=mask,
        layer=layer,
        use_raw=use_raw,
        gene_symbols=gene_symbols,
        species=species,
        random_state=random_state,
        progress=progress,
    )
    for n in testable:
        null = frame[[f"{n}__null{k}" for k in range(n_controls)]].to_numpy(dtype=np.float64)
        scores[n] = frame[n].to_numpy(dtype=np.float64)
        z[n] = null_z(scores[n].to_numpy(), null)
    return z, scores, genes_used
