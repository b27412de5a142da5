"""Generated single-cell data for benchmarks (seeded; NOT real data - say so wherever it is used).

What users feed in: integer UMI counts with ~1,500 detected genes per cell out of 20,000, gene
abundances with a long (log-normal) tail so most detected genes have 1-3 UMIs and tie heavily,
a few "cell types" with their own up-weighted gene programs, then ``normalize_total(1e4)`` +
``log1p`` stored as CSR float32 (what scanpy produces).

* :func:`generate` -> in-memory AnnData (``X`` log-normalised, ``layers["counts"]`` optional).
* :func:`write_h5ad_streaming` -> a large backed-readable ``.h5ad`` written chunk by chunk with
  bounded memory (for 1M-cell runs): the first chunk creates the file, later ones are appended
  to ``X`` with ``anndata.io.sparse_dataset(...).append``.
* :func:`signatures` -> ``n`` random signatures of ``size`` genes drawn from the expressed genes.

Example::

    python -m benchmarks._generate --cells 1000000 --out /tmp/1M.h5ad
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

N_GENES = 20_000


def _gene_weights(n_genes: int, n_types: int, rng: np.random.Generator) -> np.ndarray:
    """Per-type gene sampling probabilities (n_types x n_genes): long-tailed base + type programs."""
    base = rng.lognormal(mean=0.0, sigma=1.7, size=n_genes)
    weights = np.tile(base, (n_types, 1))
    for t in range(n_types):
        program = rng.choice(n_genes, size=200, replace=False)
        weights[t, program] *= rng.uniform(3.0, 20.0, size=200)
    return weights / weights.sum(axis=1, keepdims=True)


def _counts_chunk(n_cells, cdf_all, n_genes, rng, umis_median, block=1000):
    """Multinomial UMI sampling per cell: CSR counts (float32 integers) and the cell types."""
    n_types = cdf_all.size // n_genes
    types = rng.integers(0, n_types, size=n_cells)
    totals = np.maximum(200, rng.lognormal(np.log(umis_median), 0.35, size=n_cells)).astype(np.int64)
    parts = []
    for b in range(0, n_cells, block):
        t_b, n_b = types[b : b + block], totals[b : b + block]
        cell_of = np.repeat(np.arange(len(n_b)), n_b)
        # one searchsorted over the types' stacked CDFs (type t's CDF shifted by t, so it is monotone)
        u = rng.random(cell_of.size) + t_b[cell_of]
        genes = np.searchsorted(cdf_all, u, side="right") - t_b[cell_of] * n_genes
        np.clip(genes, 0, n_genes - 1, out=genes)
        dense = np.bincount(cell_of * n_genes + genes, minlength=len(n_b) * n_genes).reshape(len(n_b), n_genes)
        parts.append(sp.csr_matrix(dense.astype(np.float32)))
    return sp.vstack(parts, format="csr"), types


def lognormalize(counts: sp.csr_matrix, target_sum: float = 1e4) -> sp.csr_matrix:
    """``sc.pp.normalize_total(target_sum=1e4)`` + ``sc.pp.log1p`` on a CSR matrix, float32."""
    totals = np.asarray(counts.sum(axis=1)).ravel().astype(np.float64)
    scale = np.divide(target_sum, totals, out=np.zeros_like(totals), where=totals > 0)
    X = counts.astype(np.float32, copy=True)
    X.data *= np.repeat(scale, np.diff(X.indptr)).astype(np.float32)
    np.log1p(X.data, out=X.data)
    return X


def _chunks(n_cells, n_genes, seed, chunk_cells, n_types=6, umis_median=2300):
    rng = np.random.default_rng(seed)
    cdfs = np.cumsum(_gene_weights(n_genes, n_types, rng), axis=1)
    cdfs /= cdfs[:, -1:]
    cdf_all = (cdfs + np.arange(n_types)[:, None]).ravel()
    done = 0
    while done < n_cells:
        m = min(chunk_cells, n_cells - done)
        counts, types = _counts_chunk(m, cdf_all, n_genes, rng, umis_median)
        yield done, counts, types
        done += m


def _frames(start, n, types, n_genes):
    obs = pd.DataFrame(
        {"cell_type": pd.Categorical([f"type{t}" for t in types], categories=[f"type{t}" for t in range(6)])},
        index=[f"cell{start + i}" for i in range(n)],
    )
    var = pd.DataFrame(index=[f"GENE{j}" for j in range(n_genes)])
    return obs, var


def generate(
    n_cells: int, n_genes: int = N_GENES, *, seed: int = 0, counts_layer: bool = False, chunk_cells: int = 5000
):
    """In-memory AnnData: ``X`` = log1p(CP10k) CSR float32 (generated data)."""
    import anndata as ad

    Xs, Cs, obs_parts = [], [], []
    for start, counts, types in _chunks(n_cells, n_genes, seed, chunk_cells):
        Xs.append(lognormalize(counts))
        if counts_layer:
            Cs.append(counts)
        obs_parts.append(_frames(start, counts.shape[0], types, n_genes)[0])
    obs = pd.concat(obs_parts)
    var = _frames(0, 0, [], n_genes)[1]
    adata = ad.AnnData(sp.vstack(Xs, format="csr"), obs=obs, var=var)
    if counts_layer:
        adata.layers["counts"] = sp.vstack(Cs, format="csr")
    adata.uns["generated"] = {"generator": "benchmarks/_generate.py", "seed": seed, "note": "generated, not real data"}
    return adata


def write_h5ad_streaming(
    path, n_cells: int, n_genes: int = N_GENES, *, seed: int = 0, chunk_cells: int = 20_000
) -> None:
    """Write a large generated ``.h5ad`` chunk by chunk; memory stays ~ one chunk."""
    import anndata as ad
    import h5py

    obs_parts = []
    for start, counts, types in _chunks(n_cells, n_genes, seed, chunk_cells):
        X = lognormalize(counts)
        obs, var = _frames(start, X.shape[0], types, n_genes)
        obs_parts.append(obs)
        if start == 0:
            first = ad.AnnData(X, obs=obs, var=var)
            first.uns["generated"] = {
                "generator": "benchmarks/_generate.py",
                "seed": seed,
                "note": "generated, not real data",
            }
            first.write_h5ad(path)
        else:
            with h5py.File(path, "a") as f:
                ad.io.sparse_dataset(f["X"]).append(X)
    with h5py.File(path, "a") as f:
        del f["obs"]
        ad.io.write_elem(f, "obs", pd.concat(obs_parts))


def signatures(adata, n: int = 20, size: int = 30, *, seed: int = 1) -> dict[str, list[str]]:
    """``n`` random gene sets of ``size`` genes among genes detected in >= 1% of cells."""
    rng = np.random.default_rng(seed)
    X = adata.X
    detected = np.asarray((X[: min(5000, X.shape[0])] > 0).mean(axis=0)).ravel()
    pool = np.flatnonzero(detected >= 0.01)
    return {f"sig{i:02d}": list(adata.var_names[rng.choice(pool, size, replace=False)]) for i in range(n)}


def main():  # pragma: no cover - CLI
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cells", type=int, required=True)
    p.add_argument("--genes", type=int, default=N_GENES)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True)
    a = p.parse_args()
    t = time.perf_counter()
    write_h5ad_streaming(a.out, a.cells, a.genes, seed=a.seed)
    print(f"wrote {a.cells} x {a.genes} generated cells to {a.out} in {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":  # pragma: no cover
    main()
