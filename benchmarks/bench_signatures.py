"""Benchmark: signature library loading and gene matching (tc.signatures.match_genes).

Peer: the exact-membership filter scanpy's ``score_genes`` applies to a gene list
(``[g for g in genes if g in var_names]`` on a ``pd.Index``) - tamclass additionally resolves aliases.
Both run in this process on the same real var_names; the script prints ratios.

Real var_names: celltypist's sample (32,786 genes, GRCh38-era symbols, ships in the celltypist wheel) and
pbmc3k (13,714 genes, hg19-era symbols, ../shared/data, skipped when absent).

    python benchmarks/bench_signatures.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pandas as pd
from _shared import SHARED_DATA


def _best(fn, repeat=7, number=5):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(number):
            fn()
        times.append((time.perf_counter() - t0) / number)
    return min(times)


def main():
    t0 = time.perf_counter()
    import tamclass as tc

    sigs = tc.signatures.load("all")
    t_cold = time.perf_counter() - t0
    t_warm = _best(lambda: tc.signatures.load("default"))
    sets = list(sigs.values())[:40]
    n_genes = sum(s.n_genes for s in sets)
    print(
        f"library {tc.signatures.LIBRARY_VERSION}: {len(sigs)} human sets; import+load('all') cold {t_cold * 1e3:.0f} ms, "
        f"load('default') warm {t_warm * 1e3:.2f} ms"
    )

    var_sources = {}
    import celltypist

    p = Path(celltypist.__file__).parent / "data" / "samples" / "sample_cell_by_gene.csv"
    var_sources["celltypist sample (32,786 genes)"] = pd.read_csv(p, nrows=0, index_col=0).columns
    shared = SHARED_DATA
    f = shared / "singlecell" / "pbmc3k_lognorm.h5ad"
    if f.exists():
        import anndata as ad

        var_sources["pbmc3k (13,714 genes, hg19)"] = ad.read_h5ad(f, backed="r").var_names
    for label, var in var_sources.items():
        index = pd.Index(var)
        as_list = list(var)

        def ours(v=index):
            return [tc.signatures.match_genes(s.genes, v) for s in sets]

        def ours_list(v=as_list):
            return [tc.signatures.match_genes(s.genes, v) for s in sets]

        def peer(v=index):
            return [[g for g in s.genes if g in v] for s in sets]

        t_ours, t_list, t_peer = _best(ours), _best(ours_list, repeat=3, number=1), _best(peer)
        n_ours = sum(len(f) for f, _ in ours())
        n_peer = sum(len(x) for x in peer())
        print(
            f"{label}: {len(sets)} sets x {n_genes} genes -> matched tamclass {n_ours} (exact+alias) vs peer {n_peer} "
            f"(exact); time for {len(sets)} calls: tamclass {t_ours * 1e3:.2f} ms (pd.Index), {t_list * 1e3:.1f} ms (list input), "
            f"peer {t_peer * 1e3:.2f} ms; ratio tamclass/peer {t_ours / t_peer:.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
