#!/usr/bin/env python
"""Build the small, reproducible test inputs of the Galaxy wrapper (``galaxy/tamclass/test-data/``).

Usage::

    python scripts/make_galaxy_test_data.py            # writes galaxy/tamclass/test-data/*
    python scripts/make_galaxy_test_data.py --check    # rebuild in a temp dir, compare with the committed files

Files written (each < 1 MB, the IUC limit for test data):

``tam_small.h5ad``
    A subset of tamclass' bundled demo data (``src/tamclass/datasets/data/demo.h5ad``: real cells from the
    MIT-licensed CellTypist sample, Domínguez Conde C et al. 2022, Science 376:eabl5197,
    doi:10.1126/science.abl5197). Every 3rd cell (187 of 559, all pseudo-samples kept); genes: the 800 most
    expressed ones plus every gene of the signature library. ``X`` keeps
    the demo's log1p(CP10k) values *as computed on all genes* (sub-setting genes does not renormalise);
    the raw-count layer is dropped to stay small. Library genes that the CellTypist sample measured but never
    detected (e.g. MRC1, CCL18: zero in all 559 cells; the demo drops undetected genes) are added back as
    all-zero columns, exactly as in the source, so that every library set can be looked up. ``obs`` keeps the demo's ``sample`` (illustrative
    pseudo-samples) and ``leiden`` columns, ``obsm`` its ``X_umap``.
    If the demo file does not exist yet, scanpy's ``pbmc68k_reduced`` ``.raw`` (log-normalised,
    10x Genomics PBMC 68k, Zheng GXY et al. 2017 Nat Commun 8:14049, doi:10.1038/ncomms14049) is used
    instead and the file says so in ``uns["tamclass_galaxy_test_data"]``.
``studies.tsv``
    GENERATED (not real) per-study hazard ratios with 95% CIs for the meta-analysis tool test:
    8 studies, true log-HR 0.4, between-study SD 0.15, standard errors 0.12-0.35, drawn with
    ``numpy.random.default_rng(20261121)``. Columns: study, hr, lower, upper, log_hr, se.
``leiden_model.zip``
    A tamclass model (``tamclass train``, seed 0, CPU) trained on ``tam_small.h5ad``'s ``leiden`` labels, for
    the "apply a trained model" test of the score tool. Binary and time-stamped: not byte-reproducible.
``custom_signatures.gmt``
    Two user-style gene sets in GMT format for the "custom signatures" path of the score tool, copied from
    the library sets ``IHC_CD163`` + ``Macrophage_identity`` (renamed ``my_TAM_core``) and
    ``Neg_T_cell`` (renamed ``my_T_cell``); see the library manifest for their citations. If the library is
    not available yet, fixed fallback lists are used (CD68 CD163 C1QA C1QB C1QC APOE / CD3D CD3E CD2 TRAC).
"""

from __future__ import annotations

import argparse
import filecmp
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT_DIR = REPO / "galaxy" / "tamclass" / "test-data"
DEMO = REPO / "src" / "tamclass" / "datasets" / "data" / "demo.h5ad"
RESEARCH_SIGS = REPO.parent / "shared" / "research" / "signatures"
N_TOP = 800
CELL_STEP = 3
SEED = 20261121
MAX_BYTES = 1_000_000


def _library_genes() -> tuple[set[str], str]:
    """Every human gene of the tamclass library (or, before it exists, of the research gene lists)."""
    try:
        import tamclass as tc

        sigs = tc.signatures.load("all", species="human")
        genes: set[str] = set()
        for sig in sigs.values():
            genes.update(sig.genes)
        if genes:
            return genes, "tamclass.signatures.load('all')"
    except Exception as exc:  # noqa: BLE001 - library is being built in parallel
        print(
            f"note: signature library not usable yet ({type(exc).__name__}: {exc}); "
            "falling back to the research gene lists",
            file=sys.stderr,
        )
    genes = set()
    for tsv in sorted(RESEARCH_SIGS.glob("*.tsv")):
        if "mouse" in tsv.name or "coates" in tsv.name or "symbol_flags" in tsv.name:
            continue
        df = pd.read_csv(tsv, sep="\t", dtype=str)
        if "gene" in df.columns:
            genes.update(g for g in df["gene"].dropna() if g.isupper() or any(c.isdigit() for c in g))
    return genes, "research gene lists (fallback)"


def _measured_genes(is_demo: bool) -> set[str]:
    """Genes measured in the demo's source (header of the CellTypist sample CSV), or none."""
    if not is_demo:
        return set()
    try:
        import celltypist  # noqa: F401  (the MIT-licensed wheel that ships the sample)
    except ImportError:
        return set()
    import importlib.util

    spec = importlib.util.find_spec("celltypist")
    csv = Path(spec.origin).parent / "data" / "samples" / "sample_cell_by_gene.csv"
    if not csv.exists():
        return set()
    with open(csv) as fh:
        return set(fh.readline().rstrip("\n").split(",")[1:])


def _source_adata():
    import anndata as ad

    if DEMO.exists():
        adata = ad.read_h5ad(DEMO)
        source = (
            "tamclass demo data (CellTypist sample, Dominguez Conde C et al. 2022 Science 376:eabl5197, "
            "doi:10.1126/science.abl5197, MIT)"
        )
        return adata, source, True
    import scanpy as sc

    pbmc = sc.datasets.pbmc68k_reduced()
    adata = pbmc.raw.to_adata()
    adata.obs = pbmc.obs[["bulk_labels"]].copy()
    # pbmc68k_reduced has no sample column: an illustrative deterministic split by cell order.
    adata.obs["sample"] = pd.Categorical(np.where(np.arange(adata.n_obs) % 2 == 0, "S1", "S2"))
    source = (
        "TEMPORARY: scanpy pbmc68k_reduced .raw (Zheng GXY et al. 2017 Nat Commun 8:14049, "
        "doi:10.1038/ncomms14049); re-run once src/tamclass/datasets/data/demo.h5ad exists"
    )
    return adata, source, False


def make_h5ad(out: Path) -> None:
    import anndata as ad
    import scipy.sparse as sp

    adata, source, is_demo = _source_adata()
    lib_genes, lib_source = _library_genes()
    # cells: every CELL_STEP-th cell in file order (keeps every pseudo-sample represented)
    adata = adata[np.arange(0, adata.n_obs, CELL_STEP)]
    X = adata.X
    mean = np.asarray(X.mean(axis=0)).ravel()
    var_names = pd.Index(adata.var_names)
    # the N_TOP most expressed genes (independent of the library, so a library change only adds or removes
    # library genes) + every library gene of the source
    top = set(var_names[np.argsort(-mean, kind="stable")[:N_TOP]])
    keep_set = top | (set(var_names) & lib_genes)
    genes = [g for g in var_names if g in keep_set]  # original gene order
    sub = adata[:, genes]
    X = sp.csr_matrix(sub.X, dtype=np.float32)
    # Library genes that the source measured but never detected (the demo keeps only genes detected in
    # >= 1 cell) are restored as all-zero columns, exactly as they are in the source count matrix.
    restored = sorted((lib_genes & _measured_genes(is_demo)) - set(genes))
    if restored:
        X = sp.hstack([X, sp.csr_matrix((X.shape[0], len(restored)), dtype=np.float32)], format="csr")
        genes = genes + restored
    obs_cols = [c for c in ("sample", "leiden") if c in sub.obs.columns]
    obs = sub.obs[obs_cols].copy()
    for col in obs_cols:
        obs[col] = obs[col].astype(str).astype("category")
    out_ad = ad.AnnData(X=X, obs=obs, var=pd.DataFrame(index=pd.Index(genes, name=None)))
    if "X_umap" in sub.obsm:
        out_ad.obsm["X_umap"] = np.asarray(sub.obsm["X_umap"], dtype=np.float32)
    out_ad.obs_names = [str(x) for x in sub.obs_names]
    out_ad.uns["tamclass_galaxy_test_data"] = {
        "source": source,
        "cells": f"every {CELL_STEP}th cell of the source, in file order",
        "genes": f"{len(genes)} genes: the {N_TOP} most expressed + all library genes ({lib_source})",
        "X": "log1p(CP10k) of the source, computed on all genes before sub-setting",
        "restored_zero_genes": ", ".join(restored) if restored else "none",
        "made_by": "scripts/make_galaxy_test_data.py",
        "from_demo": int(is_demo),
    }
    out_ad.write_h5ad(out, compression="gzip")


def make_studies(out: Path) -> None:
    rng = np.random.default_rng(SEED)
    k = 8
    se = np.round(rng.uniform(0.12, 0.35, size=k), 3)
    theta = 0.4 + rng.normal(0.0, 0.15, size=k)
    y = np.round(theta + rng.normal(0.0, se), 4)
    z = 1.959963984540054
    df = pd.DataFrame(
        {
            "study": [f"study_{i + 1}" for i in range(k)],
            "hr": np.round(np.exp(y), 4),
            "lower": np.round(np.exp(y - z * se), 4),
            "upper": np.round(np.exp(y + z * se), 4),
            "log_hr": y,
            "se": se,
        }
    )
    df.to_csv(out, sep="\t", index=False, lineterminator="\n")


def make_gmt(out: Path) -> None:
    sets = {
        "my_TAM_core": ["CD68", "CD163", "C1QA", "C1QB", "C1QC", "APOE"],
        "my_T_cell": ["CD3D", "CD3E", "CD2", "TRAC"],
    }
    try:
        import tamclass as tc

        lib = tc.signatures.load(["IHC_CD163", "Macrophage_identity", "Neg_T_cell"])
        sets = {
            "my_TAM_core": list(dict.fromkeys([*lib["IHC_CD163"].up, *lib["Macrophage_identity"].up])),
            "my_T_cell": list(lib["Neg_T_cell"].up),
        }
    except Exception as exc:  # noqa: BLE001
        print(f"note: using fallback GMT lists ({type(exc).__name__})", file=sys.stderr)
    with open(out, "w", newline="\n") as fh:
        for name, genes in sets.items():
            fh.write("\t".join([name, "tamclass Galaxy test set", *genes]) + "\n")


def make_model(h5ad: Path, out: Path) -> None:
    """Train a small model on the test cells' leiden labels with the tamclass CLI (seed 0, CPU)."""
    import subprocess

    cmd = [
        sys.executable,
        "-c",
        "import sys; from tamclass.cli import main; sys.exit(main())",
        "train",
        str(h5ad),
        "--label-key",
        "leiden",
        "-o",
        str(out),
        "--device",
        "cpu",
        "--seed",
        "0",
        "-q",
    ]
    subprocess.run(cmd, check=True)
    out.chmod(0o644)  # the CLI writes models private (0600); test data is shared


def build(out_dir: Path, *, model: bool = True) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    files = [out_dir / "tam_small.h5ad", out_dir / "studies.tsv", out_dir / "custom_signatures.gmt"]
    make_h5ad(files[0])
    make_studies(files[1])
    make_gmt(files[2])
    if model:
        files.append(out_dir / "leiden_model.zip")
        make_model(files[0], files[3])
    for f in files:
        size = f.stat().st_size
        if size >= MAX_BYTES:
            raise SystemExit(f"{f} is {size} bytes, over the 1 MB test-data limit")
        print(f"wrote {f.relative_to(out_dir.parent.parent.parent) if out_dir == OUT_DIR else f} ({size:,} bytes)")
    return files


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out-dir", type=Path, default=OUT_DIR)
    p.add_argument("--no-model", action="store_true", help="do not (re)train leiden_model.zip")
    p.add_argument(
        "--check",
        action="store_true",
        help="rebuild into a temp dir and compare the text files with the committed ones",
    )
    a = p.parse_args(argv)
    if a.check:
        with tempfile.TemporaryDirectory() as tmp:
            files = build(Path(tmp), model=False)
            bad = [
                f.name for f in files if f.suffix != ".h5ad" and not filecmp.cmp(f, a.out_dir / f.name, shallow=False)
            ]
        if bad:
            print(f"differs from committed test-data: {bad}", file=sys.stderr)
            return 1
        return 0
    build(a.out_dir, model=not a.no_model)
    return 0


if __name__ == "__main__":
    sys.exit(main())
