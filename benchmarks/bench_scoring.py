"""Time tc.tl.score against its peers on the same data, in one process, and print ratios.

Generated data (benchmarks/_generate.py; NOT real): 20,000 cells x 20,000 genes, integer UMIs with
~1,500 detected genes per cell, normalize_total(1e4) + log1p, CSR float32; 20 random signatures of
30 genes. Real data: 10x PBMC 3k (../shared/data/singlecell/pbmc3k_lognorm.h5ad) with the library's
"all" sets, when present.

    python benchmarks/bench_scoring.py                     # default shape
    python benchmarks/bench_scoring.py --cells 2000        # quick
    python benchmarks/bench_scoring.py --full-aucell       # also run decoupler on every cell

Peers: pyucell 0.8.0 compute_ucell_scores (n_jobs=-1), scanpy 1.11 tl.score_genes (one call per
signature), decoupler 2.2.0 mt.aucell (timed on --aucell-cells cells and scaled linearly unless
--full-aucell). numba kernels - tamclass's and the peers' - are compiled/loaded by a warm-up call before timing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
from _shared import SHARED_DATA

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import anndata as ad
import scanpy as sc
from benchmarks._generate import generate, signatures

import tamclass as tc


def _t(fn):
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def _ours(adata, sigs, **kw):
    tmp = ad.AnnData(adata.X, obs=pd.DataFrame(index=adata.obs_names), var=pd.DataFrame(index=adata.var_names))
    dt, _ = _t(lambda: tc.tl.score(tmp, sigs, **kw))
    return dt, tmp.obsm["tamclass_scores"]


def bench(adata, sigs, label, *, aucell_cells, full_aucell, rows):
    import decoupler as dc
    import pyucell

    n = adata.n_obs
    # warm-up (numba load/compile), not timed - for tamclass AND every peer (pyucell and decoupler use numba
    # too: timing their first call would count their JIT compilation and inflate the speed-ups)
    for m in ("rank", "module", "aucell", "mean"):
        tc.tl.score(adata[:50].copy(), sigs, method=m, min_genes=1)
    small = ad.AnnData(
        adata.X[:50], obs=pd.DataFrame(index=adata.obs_names[:50]), var=pd.DataFrame(index=adata.var_names)
    )
    pyucell.compute_ucell_scores(small.copy(), sigs, max_rank=1500)
    first = next(iter(sigs.items()))
    sc.tl.score_genes(small.copy(), [g for g in first[1] if g in small.var_names], use_raw=False)
    warm_net = pd.DataFrame(
        [(s, g) for s, gs in sigs.items() for g in gs if g in adata.var_names], columns=["source", "target"]
    )
    dc.mt.aucell(small.copy(), warm_net, tmin=1, empty=False)

    t_rank, ours = _ours(adata, sigs, method="rank", max_rank=1500)
    peer = ad.AnnData(adata.X, obs=pd.DataFrame(index=adata.obs_names), var=pd.DataFrame(index=adata.var_names))
    t_ucell, _ = _t(lambda: pyucell.compute_ucell_scores(peer, sigs, max_rank=1500))
    diff = np.abs(ours.to_numpy() - peer.obs[[f"{k}_UCell" for k in sigs]].to_numpy()).max()
    rows.append((label, "rank (UCell)", "pyucell.compute_ucell_scores", n, t_rank, t_ucell, diff))

    t_mod, ours_m = _ours(adata, sigs, method="module")
    peer = ad.AnnData(adata.X, obs=pd.DataFrame(index=adata.obs_names), var=pd.DataFrame(index=adata.var_names))

    def run_sg():
        for k, genes in sigs.items():
            sc.tl.score_genes(peer, [g for g in genes if g in peer.var_names], score_name=k, use_raw=False)

    t_sg, _ = _t(run_sg)
    # random control draws differ (scanpy uses the global RNG): report correlation, not max diff
    r = min(np.corrcoef(ours_m[k], peer.obs[k])[0, 1] for k in sigs)
    rows.append((label, "module", f"{len(sigs)} x scanpy.tl.score_genes", n, t_mod, t_sg, f"min r={r:.4f}"))

    t_mean, _ = _ours(adata, sigs, method="mean")
    rows.append((label, "mean z", "(no peer)", n, t_mean, float("nan"), ""))

    t_auc, ours_a = _ours(adata, sigs, method="aucell")
    k = n if full_aucell else min(aucell_cells, n)
    sub = adata[:k].copy()
    sub = ad.AnnData(sub.X, obs=pd.DataFrame(index=sub.obs_names), var=pd.DataFrame(index=sub.var_names))
    net = pd.DataFrame(
        [(s, g) for s, gs in sigs.items() for g in gs if g in adata.var_names], columns=["source", "target"]
    )
    t_dc, _ = _t(lambda: dc.mt.aucell(sub, net, tmin=1, empty=False))
    diff = np.abs(ours_a.iloc[:k].to_numpy() - sub.obsm["score_aucell"][list(sigs)].to_numpy()).max()
    t_dc_full = t_dc * n / k
    note = "" if k == n else f" (timed on {k} cells, x{n / k:.0f})"
    rows.append((label, "aucell", "decoupler.mt.aucell" + note, n, t_auc, t_dc_full, diff))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--cells", type=int, default=20_000)
    p.add_argument("--genes", type=int, default=20_000)
    p.add_argument("--n-sigs", type=int, default=20)
    p.add_argument("--sig-size", type=int, default=30)
    p.add_argument("--aucell-cells", type=int, default=2000)
    p.add_argument("--full-aucell", action="store_true")
    p.add_argument("--no-real", action="store_true")
    a = p.parse_args()
    rows = []
    t, adata = _t(lambda: generate(a.cells, a.genes, seed=0))
    nnz = adata.X.getnnz(axis=1)
    print(f"generated {adata.n_obs} x {adata.n_vars} in {t:.1f} s; detected genes/cell median {np.median(nnz):.0f}")
    sigs = signatures(adata, a.n_sigs, a.sig_size)
    bench(adata, sigs, "generated", aucell_cells=a.aucell_cells, full_aucell=a.full_aucell, rows=rows)
    del adata
    real = SHARED_DATA / "singlecell" / "pbmc3k_lognorm.h5ad"
    if real.exists() and not a.no_real:
        pb = ad.read_h5ad(real)
        lib = tc.signatures.load("all")
        sigs = {}
        for name, s in lib.items():
            found, _ = tc.signatures.match_genes(s.up, pb.var_names)
            if found:
                sigs[name] = list(found.values())
        bench(pb, sigs, f"pbmc3k ({len(sigs)} library sets)", aucell_cells=a.aucell_cells, full_aucell=True, rows=rows)
    df = pd.DataFrame(rows, columns=["data", "method", "peer", "cells", "tamclass_s", "peer_s", "max|diff|"])
    df["speedup"] = df["peer_s"] / df["tamclass_s"]
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(df.to_string(index=False, float_format=lambda v: f"{v:.3g}"))


if __name__ == "__main__":
    main()
