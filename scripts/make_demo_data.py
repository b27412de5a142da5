#!/usr/bin/env python
"""Build ``src/tamclass/datasets/data/demo.h5ad`` from the sample matrix shipped in the CellTypist wheel.

Source
------
``celltypist/data/samples/sample_cell_by_gene.csv`` inside the ``celltypist`` wheel (1.7.1 used here),
559 cells x 32,786 genes of raw UMI counts, human gene symbols. CellTypist is MIT-licensed
(Copyright (c) 2020 Teichmann Lab, https://github.com/Teichlab/celltypist), so the matrix may be
redistributed with attribution. CellTypist reference: Dominguez Conde C, et al. Cross-tissue immune cell
analysis reveals tissue-specific features in humans. Science 2022;376:eabl5197.
doi:10.1126/science.abl5197.

What the script does (deterministic; re-running gives the same file contents)
----------------------------------------------------------------------------
1. Reads the CSV (cells x genes) and rounds the values to integers (the CSV stores counts as decimal
   text with ~1e-11 float noise, e.g. ``0.999999999999999``; the maximum deviation is checked < 1e-6).
2. Keeps the genes detected in >= 1 cell (9,810 of 32,786; the same set as >= 3 cells) and all 559 cells.
3. Stores the counts as CSR float32 (exact integers) in ``layers["counts"]`` and log1p(CP10k) in ``X``.
4. Adds an *illustrative* ``obs["sample"]``: the file carries no donor/sample labels, so the cells are
   split into three equal-sized consecutive blocks by their order in the file (Cell_1..Cell_187 ->
   ``demo_1``, ...). This is NOT a biological sample assignment; it only lets the per-sample summary and
   its plots run on the demo.
5. Adds a 2-D UMAP (``obsm["X_umap"]``) and Leiden clusters (``obs["leiden"]``) computed with scanpy
   (HVG 2,000 -> PCA 30 -> kNN 15 -> UMAP / Leiden, random_state=0) so the plotting functions can be
   shown without extra steps.
6. Writes the h5ad with gzip compression (level 9; the file is ~4.6 MB) and records provenance in ``uns["tamclass_demo"]``.

Usage::

    python scripts/make_demo_data.py                 # finds the CSV in the installed celltypist
    python scripts/make_demo_data.py --csv PATH -o src/tamclass/datasets/data/demo.h5ad
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "src" / "tamclass" / "datasets" / "data" / "demo.h5ad"
N_PSEUDO_SAMPLES = 3

CITATION = (
    "Dominguez Conde C, Xu C, Jarvis LB, et al. Cross-tissue immune cell analysis reveals "
    "tissue-specific features in humans. Science 2022;376(6594):eabl5197."
)


def _default_csv() -> Path:
    spec = importlib.util.find_spec("celltypist")
    if spec is None or spec.origin is None:
        raise SystemExit("celltypist is not installed; pass --csv PATH to sample_cell_by_gene.csv")
    return Path(spec.origin).parent / "data" / "samples" / "sample_cell_by_gene.csv"


def build(csv: Path):
    import anndata as ad
    import scanpy as sc

    df = pd.read_csv(csv, index_col=0)
    values = df.to_numpy(dtype=np.float64)
    rounded = np.rint(values)
    deviation = float(np.abs(values - rounded).max())
    if deviation > 1e-6:
        raise SystemExit(f"the CSV does not hold integer counts (max deviation {deviation})")
    if (rounded < 0).any():
        raise SystemExit("the CSV holds negative values")

    detected = (rounded > 0).sum(axis=0)
    keep = detected >= 1
    counts = sp.csr_matrix(rounded[:, keep].astype(np.float32))
    counts.sort_indices()
    genes = df.columns[keep].astype(str)
    cells = df.index.astype(str)

    obs = pd.DataFrame(index=pd.Index(cells, name=None))
    obs["n_counts"] = np.asarray(counts.sum(axis=1)).ravel().astype(np.float32)
    obs["n_genes"] = np.diff(counts.indptr).astype(np.int32)
    # illustrative pseudo-samples: consecutive equal blocks in file order (see module docstring)
    block = np.arange(len(cells)) * N_PSEUDO_SAMPLES // len(cells)
    obs["sample"] = pd.Categorical([f"demo_{b + 1}" for b in block])
    var = pd.DataFrame(index=pd.Index(genes, name=None))
    var["n_cells"] = detected[keep].astype(np.int32)

    adata = ad.AnnData(X=counts.copy(), obs=obs, var=var)
    adata.layers["counts"] = counts
    sc.pp.normalize_total(adata, target_sum=1e4)
    sc.pp.log1p(adata)
    adata.X = sp.csr_matrix(adata.X, dtype=np.float32)
    adata.uns.pop("log1p", None)

    # embedding + clusters for the plotting examples (work on a copy, keep only the results)
    work = adata.copy()
    sc.pp.highly_variable_genes(work, n_top_genes=2000)
    work = work[:, work.var["highly_variable"]].copy()
    sc.pp.scale(work, max_value=10)
    sc.pp.pca(work, n_comps=30, random_state=0)
    sc.pp.neighbors(work, n_neighbors=15, random_state=0)
    sc.tl.umap(work, random_state=0)
    sc.tl.leiden(work, resolution=0.5, random_state=0, flavor="igraph", n_iterations=2, directed=False)
    adata.obsm["X_umap"] = work.obsm["X_umap"].astype(np.float32)
    adata.obs["leiden"] = work.obs["leiden"].astype("category")

    sha = hashlib.sha256(Path(csv).read_bytes()).hexdigest()
    adata.uns["tamclass_demo"] = {
        "description": (
            "559 myeloid-rich human immune cells (raw UMI counts) from the sample matrix shipped in the "
            "CellTypist wheel; genes detected in >= 1 cell kept; X = log1p(counts / total * 1e4), "
            "layers['counts'] = raw counts."
        ),
        "source": "celltypist wheel: celltypist/data/samples/sample_cell_by_gene.csv",
        "source_sha256": sha,
        "source_url": "https://github.com/Teichlab/celltypist",
        "licence": "MIT (Copyright (c) 2020 Teichmann Lab), redistributed with attribution",
        "citation": CITATION,
        "doi": "10.1126/science.abl5197",
        "sample_note": (
            "obs['sample'] is an ILLUSTRATIVE split, not biology: the source file has no sample labels, "
            "so cells were cut into 3 equal consecutive blocks in file order (demo_1, demo_2, demo_3)."
        ),
        "embedding_note": (
            "obsm['X_umap'] and obs['leiden'] were computed by scripts/make_demo_data.py with scanpy "
            "(2,000 HVG, PCA 30, 15 neighbours, UMAP, Leiden resolution 0.5, random_state=0)."
        ),
        "script": "scripts/make_demo_data.py",
    }
    return adata


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--csv", type=Path, default=None, help="path to sample_cell_by_gene.csv")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    adata = build(args.csv or _default_csv())
    args.output.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.output.with_name(args.output.name + ".tmp")
    adata.write_h5ad(tmp, compression="gzip", compression_opts=9)
    tmp.replace(args.output)
    print(f"wrote {args.output} ({adata.n_obs} cells x {adata.n_vars} genes, {args.output.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
