"""Benchmark: tc.tl.gate + tc.tl.classify (training included) on generated macrophage-like cells.

GENERATED data (not real): ``tests/_generators.py::synthetic_macrophages`` - integer UMI counts
(~1,500 detected genes per cell, 3,000-7,000 UMIs) over the library's signature genes plus filler genes,
each cell a macrophage program with a random M1 <-> M2 mix; then normalize_total(1e4) + log1p, as users
feed in. Real data timed beside it: PBMC 3k (gate) and Alasoo 2018 pseudo-cells (classify) if
../shared/data is present.

Peer, same process, same panel and seed cells: scikit-learn LogisticRegression (the model family of
CellTypist) trained on the state seeds and applied to all cells; we print the time ratio and label agreement.

    python benchmarks/bench_classify.py --cells 100000
"""

from __future__ import annotations

import argparse
import os
import resource
import time
import warnings

import numpy as np
from _shared import SHARED_DATA


def rss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--genes", type=int, default=6000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import torch
    from _generators import synthetic_macrophages

    import tamclass as tc

    t = time.perf_counter()
    # counts drawn, then normalize_total(1e4) + log1p applied block by block inside the generator
    adata = synthetic_macrophages(args.cells, n_genes=args.genes, random_state=args.seed, chunk=2000, lognormalize=True)
    gen_s = time.perf_counter() - t
    det = np.diff(adata.X.indptr)
    rss_gen = rss_gib()
    print(
        f"generated {adata.n_obs:,} cells x {adata.n_vars:,} genes in {gen_s:.1f}s; detected genes/cell median "
        f"{np.median(det):.0f}, UMIs/cell 3,000-7,000 (uniform); torch threads {torch.get_num_threads()}, "
        f"cpus {os.cpu_count()}; peak RSS after generation + normalisation {rss_gen:.2f} GiB"
    )

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        tc.tl.gate(adata)
        gate_s = time.perf_counter() - t
        t = time.perf_counter()
        tc.tl.classify(adata, device="cpu")
        classify_s = time.perf_counter() - t
    info = adata.uns["tamclass"]["classify"]
    mac = adata.obs["tamclass_is_macrophage"].to_numpy()
    pol = adata.obs["tamclass_polarization"].to_numpy()
    r = np.corrcoef(pol[mac], adata.obs["true_polarization"].to_numpy()[mac])[0, 1]
    print(
        f"gate      {gate_s:7.1f}s  ({mac.mean():.1%} called macrophage); X holds "
        f"{(adata.X.data.nbytes + adata.X.indices.nbytes + adata.X.indptr.nbytes) / 2**30:.2f} GiB"
    )
    print(
        f"classify  {classify_s:7.1f}s  breakdown: " + ", ".join(f"{k} {v:.1f}s" for k, v in info["timings_s"].items())
    )
    print(f"TOTAL standalone gate+classify {gate_s + classify_s:.1f}s (target <= 20 s); peak RSS {rss_gib():.2f} GiB")
    # the pipeline flow (CLI / design): score the default library once (rank), then gate and classify reuse it
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t = time.perf_counter()
        tc.tl.score(adata, "default", method="rank", key_added="pipe")
        score_s = time.perf_counter() - t
        t = time.perf_counter()
        tc.tl.gate(adata, key_added="pipe")
        gate2_s = time.perf_counter() - t
        t = time.perf_counter()
        tc.tl.classify(adata, device="cpu", key_added="pipe")
        classify2_s = time.perf_counter() - t
    pinfo = adata.uns["pipe"]["classify"]
    same = (adata.obs["pipe_state"].astype(str) == adata.obs["tamclass_state"].astype(str)).mean()
    print(
        f"pipeline: score(default, rank) {score_s:.1f}s + gate {gate2_s:.1f}s + classify {classify2_s:.1f}s "
        f"[{', '.join(f'{k} {v:.1f}s' for k, v in pinfo['timings_s'].items())}] = "
        f"{score_s + gate2_s + classify2_s:.1f}s; state labels identical to standalone for {same:.1%} of cells; "
        f"peak RSS {rss_gib():.2f} GiB"
    )
    sm = info["state_model"]
    print(
        f"state model: evidence calls {sm['n_seeds']}, held-out acc {sm['held_out_accuracy']:.3f}, ECE "
        f"{sm['ece_uncalibrated']:.3f} -> {sm['ece_calibrated']:.3f} (T={sm['temperature']:.2f}); "
        f"corr(polarization, generated truth) {r:.3f}"
    )

    # peer: sklearn LogisticRegression on the same panel and the same state seeds
    from sklearn.linear_model import LogisticRegression

    from tamclass._data import extract_genes
    from tamclass.classifier._fit import scaler_apply, scaler_fit
    from tamclass.tl._classify import evidence_calls
    from tamclass.tl._training import cap_per_class

    # the same training cells as ours: the state evidence calls
    y = evidence_calls(adata.obsm["tamclass_state_z"].to_numpy()[mac], sm["z_min"])
    idx = cap_per_class(y, 3000, np.random.default_rng(0))
    X, found, _ = extract_genes(adata[mac], info["panel_genes"])
    mean, scale = scaler_fit(X[idx])
    Z = scaler_apply(X, mean, scale)
    t = time.perf_counter()
    lr = LogisticRegression(max_iter=1000).fit(Z[idx], y[idx])
    peer_p = lr.predict_proba(Z)
    peer_s = time.perf_counter() - t
    ours = adata.obsm["tamclass_state_proba"].to_numpy()[mac]
    agree = (ours.argmax(1) == peer_p.argmax(1)).mean()
    r_peer = np.corrcoef(peer_p[:, 1] - peer_p[:, 0], adata.obs["true_polarization"].to_numpy()[mac])[0, 1]
    ours_state_s = info["timings_s"]["state_model"]
    print(
        f"peer sklearn LogisticRegression (fit on same seeds + predict all): {peer_s:.1f}s; ours (state model "
        f"fit + calibrate + predict) {ours_state_s:.1f}s; ratio ours/peer {ours_state_s / peer_s:.2f}; "
        f"label agreement {agree:.3f}; peer corr with truth {r_peer:.3f}"
    )

    # real data beside it
    data = SHARED_DATA
    pbmc = data / "singlecell" / "pbmc3k_lognorm.h5ad"
    if pbmc.exists():
        import anndata as ad

        a = ad.read_h5ad(pbmc)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t = time.perf_counter()
            tc.tl.gate(a)
            g = time.perf_counter() - t
            a.obs["tamclass_is_macrophage"] = a.obs["tamclass_celltype"].isin(["macrophage", "monocyte"]).to_numpy()
            t = time.perf_counter()
            tc.tl.classify(a, device="cpu")
            c = time.perf_counter() - t
        print(
            f"real PBMC 3k ({a.n_obs} cells x {a.n_vars} genes): gate {g:.1f}s; classify of its "
            f"{int(a.obs['tamclass_is_macrophage'].sum())} monocytes (set as macrophages) {c:.1f}s"
        )


if __name__ == "__main__":
    main()
