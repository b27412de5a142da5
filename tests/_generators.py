"""Generated data for tests and benchmarks - not real data, and not part of the installed package.

``synthetic_macrophages``: generated macrophage-like UMI data.

Cells get integer UMI counts (Poisson around a per-cell profile; about 1,500 detected genes per cell at
the default depth) over the library's signature genes plus filler genes. Each cell follows one program:
``"macrophage"`` cells boost Macrophage_identity and, in proportion to a per-cell polarization
``p ~ U(-1, 1)``, the Cheng2021_M1 + Ma2022_IFN_TAM genes (p < 0) or the Cheng2021_M2 + Ma2022_LA_TAM /
Ma2022_RTM_TAM genes (p > 0); ``"monocyte"`` cells boost Monocyte_classical; ``"tcell"`` cells Neg_T_cell.
Seeded with :func:`numpy.random.default_rng`.

``pseudocells``: pseudo-cells from bulk profiles by multinomial thinning (for validation and benchmarks).

Each pseudo-cell of a sample draws ``depth`` UMIs (uniform integer in ``depth``) from the sample's
expression profile treated as a probability vector over genes (Multinomial(depth, profile / sum)),
so its counts look like a droplet cell at single-cell depth while keeping the sample's biology.
Seeded with :func:`numpy.random.default_rng`; no global RNG is used.

The benchmarks import this module with ``tests/`` on ``sys.path`` (``benchmarks/_shared.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from tamclass._errors import InputError

__all__ = ["pseudocells", "synthetic_macrophages"]


def _stack_csr(blocks: list, n_cols: int) -> sp.csr_matrix:
    """Row-stack CSR blocks into preallocated arrays, freeing each block once copied (peak ~ result + 1 block)."""
    nnz = sum(b.nnz for b in blocks)
    n_rows = sum(b.shape[0] for b in blocks)
    data = np.empty(nnz, dtype=np.float32)
    indices = np.empty(nnz, dtype=np.int32)
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    pos = row = 0
    while blocks:
        b = blocks.pop(0)
        data[pos : pos + b.nnz] = b.data
        indices[pos : pos + b.nnz] = b.indices
        indptr[row + 1 : row + 1 + b.shape[0]] = b.indptr[1:] + pos
        pos += b.nnz
        row += b.shape[0]
        del b
    return sp.csr_matrix((data, indices, indptr), shape=(n_rows, n_cols))


def synthetic_macrophages(
    n_cells: int = 2000,
    *,
    n_genes: int = 4000,
    fractions: dict | None = None,
    depth: tuple[int, int] = (3000, 7000),
    random_state: int = 0,
    chunk: int = 5000,
    lognormalize: bool = False,
):
    """AnnData with raw counts in ``X`` (or, with ``lognormalize=True``, log1p(counts / total * 1e4) per cell,
    i.e. scanpy's ``normalize_total(target_sum=1e4)`` + ``log1p``, done block by block to save memory) and ``obs['program']`` (macrophage / monocyte / tcell) and
    ``obs['true_polarization']`` (in [-1, 1] for macrophages, NaN otherwise).
    """
    import anndata as ad

    import tamclass as tc

    rng = np.random.default_rng(random_state)
    sigs = tc.signatures.load("all")
    lib_genes = list(dict.fromkeys(g for s in sigs.values() for g in s.genes))
    n_fill = max(n_genes - len(lib_genes), 0)
    genes = lib_genes + [f"GENE{i:05d}" for i in range(n_fill)]
    pos = {g: i for i, g in enumerate(genes)}

    def idx(*names):
        return np.array(sorted({pos[g] for n in names for g in sigs[n].up if g in pos}), dtype=np.int64)

    base = rng.lognormal(mean=0.0, sigma=1.6, size=len(genes))
    mac, mono, tcell = idx("Macrophage_identity"), idx("Monocyte_classical"), idx("Neg_T_cell")
    # marker genes of lineages no program models (B, NK, plasma, stroma, granulocytes, platelets, red cells)
    # are nearly silent in every cell, as in real cells, instead of drawing a random baseline
    other = np.setdiff1d(idx(*[n for n, s in sigs.items() if s.category == "negative_lineage"]), tcell)
    base[other] *= 0.01
    base /= base.sum()
    m1, m2 = idx("Cheng2021_M1", "Ma2022_IFN_TAM"), idx("Cheng2021_M2", "Ma2022_LA_TAM", "Ma2022_RTM_TAM")
    fractions = fractions or {"macrophage": 1.0}
    progs = list(fractions)
    prob = np.array([fractions[p] for p in progs], dtype=float)
    program = rng.choice(len(progs), size=n_cells, p=prob / prob.sum())
    pol = rng.uniform(-1.0, 1.0, size=n_cells)
    blocks = []
    for start in range(0, n_cells, chunk):
        stop = min(start + chunk, n_cells)
        m = stop - start
        P = np.tile(base.astype(np.float32), (m, 1))
        prg = np.asarray(progs, dtype=object)[program[start:stop]]
        pp = pol[start:stop]
        ismac = prg == "macrophage"
        P[np.ix_(ismac, mac)] *= 30.0
        P[np.ix_(prg == "monocyte", mono)] *= 30.0
        P[np.ix_(prg == "tcell", tcell)] *= 30.0
        f1 = np.where(ismac, 1.0 + 20.0 * np.clip(-pp, 0, None), 1.0)
        f2 = np.where(ismac, 1.0 + 20.0 * np.clip(pp, 0, None), 1.0)
        P[:, m1] *= f1[:, None]
        P[:, m2] *= f2[:, None]
        P *= rng.lognormal(0.0, 0.3, size=P.shape).astype(np.float32)  # gene-level cell-to-cell noise
        P /= P.sum(axis=1, keepdims=True)
        d = rng.integers(depth[0], depth[1] + 1, size=m)
        counts = rng.poisson(P * d[:, None].astype(np.float32)).astype(np.float32)
        del P
        block = sp.csr_matrix(counts)
        if lognormalize:
            totals = np.asarray(block.sum(axis=1)).ravel().astype(np.float64)
            scale = np.repeat(1e4 / np.maximum(totals, 1.0), np.diff(block.indptr))
            block.data = np.log1p(block.data * scale).astype(np.float32)
        blocks.append(block)
        del counts
    X = _stack_csr(blocks, len(genes))
    names = np.asarray(progs, dtype=object)[program]
    obs = pd.DataFrame(
        {
            "program": pd.Categorical(names, categories=progs),
            "true_polarization": np.where(names == "macrophage", pol, np.nan),
        },
        index=[f"cell{i}" for i in range(n_cells)],
    )
    return ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=pd.Index(genes)))


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
    >>> from _generators import pseudocells  # with tests/ on sys.path
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
