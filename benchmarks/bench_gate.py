"""Benchmark: cost of the gate's stage-2 kNN smoothing (``tc.tl.gate(smooth_k=10)``, the default) vs
``smooth_k=0`` on the same data in one process.

GENERATED data (not real): ``tests/_generators.py::synthetic_macrophages`` (integer UMI counts,
3,000-7,000 UMIs and ~1,700 detected genes per cell, normalize_total(1e4) + log1p), as in bench_classify.py.
Real data (PBMC 3k, Hao 2021) are timed beside it when ../shared/data is present.

    python benchmarks/bench_gate.py --cells 100000
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

from _shared import SHARED_DATA


def _time_gate(adata, **kw) -> float:
    import tamclass as tc

    t = time.perf_counter()
    tc.tl.gate(adata, **kw)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cells", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    import anndata as ad
    from _generators import synthetic_macrophages

    a = synthetic_macrophages(args.cells, n_genes=6000, random_state=args.seed, chunk=2000, lognormalize=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = _time_gate(a, smooth_k=0)
        calls0 = a.obs["tamclass_celltype"].copy()
        t1 = _time_gate(a)
        agree = float((calls0 == a.obs["tamclass_celltype"]).mean())
        print(
            f"generated {a.n_obs:,} cells: gate smooth_k=0 {t0:.1f} s, smooth_k=10 (default) {t1:.1f} s, "
            f"ratio {t1 / t0:.2f}; call agreement {agree:.4f}; counts {a.uns['tamclass']['gate']['counts']}; "
            f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB"
        )
        shared = SHARED_DATA / "singlecell"
        for name in ("pbmc3k_lognorm.h5ad", "hao2021_pbmc_small_counts.h5ad"):
            if (shared / name).exists():
                r = ad.read_h5ad(shared / name)
                _time_gate(r, smooth_k=0)  # warm-up
                s0 = min(_time_gate(r, smooth_k=0) for _ in range(2))
                s1 = min(_time_gate(r) for _ in range(2))
                print(f"real {name} ({r.n_obs:,} cells): smooth_k=0 {s0:.2f} s, smooth_k=10 {s1:.2f} s")


if __name__ == "__main__":
    main()
