"""Pseudo-cells from bulk profiles by multinomial thinning (for validation and benchmarks).

Each pseudo-cell of a sample draws ``depth`` UMIs (uniform integer in ``depth``) from the sample's
expression profile treated as a probability vector over genes (Multinomial(depth, profile / sum)),
so its counts look like a droplet cell at single-cell depth while keeping the sample's biology.
Seeded with :func:`numpy.random.default_rng`; no global RNG is used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from .._errors import InputError


def pseudocells(
    profiles: pd.DataFrame,
    *,
    n_cells: int = 200,
    depth: tuple[int, int] = (2000, 5000),
    random_state: int = 0,
    sample_key: str = "sample",
):
    """Generate pseudo-cells from bulk ``profiles`` (DataFrame genes x samples, non-negative counts,
    TPM or other linear-scale expression).

    Returns
    -------
    AnnData with raw integer UMI counts in ``X`` (CSR, float32), ``obs[sample_key]`` (categorical, the
    profile column each cell was drawn from) and ``obs['n_counts']``.

    Examples
    --------
    >>> from tamclass.classifier._pseudocells import pseudocells
    >>> pc = pseudocells(bulk_counts, n_cells=200, random_state=0)  # doctest: +SKIP
    """
    import anndata as ad

    if not isinstance(profiles, pd.DataFrame) or profiles.shape[0] == 0 or profiles.shape[1] == 0:
        raise InputError("profiles must be a non-empty DataFrame of genes (rows) x samples (columns).")
    values = profiles.to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(values)) or (values < 0).any():
        raise InputError("profiles must be finite and non-negative (linear-scale counts or TPM, not log values).")
    lo, hi = int(depth[0]), int(depth[1])
    if not 0 < lo <= hi:
        raise InputError(f"depth must be (low, high) with 0 < low <= high, got {depth!r}.")
    rng = np.random.default_rng(random_state)
    blocks, labels, totals = [], [], []
    for j, sample in enumerate(profiles.columns):
        col = values[:, j]
        total = col.sum()
        if total <= 0:
            raise InputError(f"profile {sample!r} is all zero.")
        nz = np.flatnonzero(col > 0)
        p = col[nz] / col[nz].sum()
        depths = rng.integers(lo, hi + 1, size=n_cells)
        counts = rng.multinomial(depths, p)  # n_cells x len(nz)
        m = sp.csr_matrix(counts.astype(np.float32))
        m = sp.csr_matrix((m.data, nz[m.indices], m.indptr), shape=(n_cells, values.shape[0]))
        blocks.append(m)
        labels.extend([sample] * n_cells)
        totals.append(depths)
    X = sp.vstack(blocks, format="csr")
    obs = pd.DataFrame(
        {sample_key: pd.Categorical(labels, categories=list(profiles.columns)), "n_counts": np.concatenate(totals)},
        index=[f"pc{i}" for i in range(X.shape[0])],
    )
    var = pd.DataFrame(index=pd.Index([str(g) for g in profiles.index]))
    return ad.AnnData(X=X, obs=obs, var=var)
