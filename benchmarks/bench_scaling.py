"""Scaling of ``tc.tl.score`` with the number of cells: in memory, ``backed="r"`` and dask (lazy h5ad).

Data
----
* GENERATED (not real) cells from :mod:`benchmarks._generate`: integer UMI counts, ~1,500 detected genes
  per cell out of 20,000, long-tailed gene abundances (many 1-3 UMI ties), normalize_total(1e4) + log1p,
  CSR float32; written with its streaming h5ad writer (10k, 100k, 1M cells). Signatures: 20 random sets
  of 30 genes detected in >= 1% of cells (``_generate.signatures``, seed 1).
* REAL cells: PBMC 3k (10x Genomics; ../shared/data/singlecell/pbmc3k_lognorm.h5ad, 2,638 cells) resampled
  with replacement to 100,000 cells (seed 0); signatures = tamclass's default library.

Every run is a fresh subprocess (``child`` sub-command) that opens the file, scores it with
``method="rank"`` (UCell) and reports wall time of the whole call (open + score), of the scoring alone,
and its own peak RSS (``VmHWM`` from /proc/self/status). Modes:

``memory``  ``anndata.read_h5ad(path)`` then ``tc.tl.score``
``backed``  ``anndata.read_h5ad(path, backed="r")`` then ``tc.tl.score`` (streams 10,000-cell chunks)
``dask``    ``anndata.experimental.read_elem_lazy(f["X"], chunks=(10_000, n_genes))`` then ``tc.tl.score``
            (dask's threaded scheduler; blocks scored in parallel by ``tamclass._dask``)
``cluster``  the same on a ``dask.distributed.LocalCluster(n_workers=2, threads_per_worker=1)``: blocks are
            read and scored in the worker processes (peak RSS reported for the client and each worker)

Usage (files go to /tmp/tamclass_bench/, delete them afterwards)::

    python benchmarks/bench_scaling.py prepare --sizes 10000 100000 1000000 --real --tile-from 100000
    python benchmarks/bench_scaling.py run --sizes 10000 100000 1000000 --modes memory backed dask --real
    python benchmarks/bench_scaling.py report      # -> benchmarks/scaling.png + a markdown table
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from _shared import SHARED_DATA

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORK = Path(os.environ.get("TAMCLASS_BENCH_DIR", "/tmp/tamclass_bench"))
RESULTS = WORK / "scaling_results.jsonl"
SHARED = SHARED_DATA
CHUNK = 10_000


def gen_path(n: int) -> Path:
    return WORK / f"gen_{n}.h5ad"


def real_path(n: int) -> Path:
    return WORK / f"pbmc3k_resampled_{n}.h5ad"


# ------------------------------------------------------------------------------------------ prepare
def tile(src: Path, copies: int, dst: Path, chunk: int = 20_000) -> None:
    """``dst`` = the cells of ``src`` repeated ``copies`` times (new unique names), streamed chunk by chunk.

    Used for the 1M-cell file (10 x the generated 100k file) because generating 1M cells from scratch
    takes > 1 h on the shared 2-core machine; the per-cell data (nnz, ties, value distribution) are exactly
    those of the generated 100k cells, so time and memory per cell are representative.
    """
    import anndata as ad
    import h5py
    import pandas as pd

    s = ad.read_h5ad(src, backed="r")
    n = s.n_obs
    tmp = dst.with_suffix(".partial")
    first = True
    for _c in range(copies):
        for a in range(0, n, chunk):
            X = s.X[a : min(a + chunk, n)]
            if first:
                obs = pd.DataFrame(index=[f"cell{i}" for i in range(X.shape[0])])
                ad.AnnData(X, obs=obs, var=s.var.copy()).write_h5ad(tmp)
                first = False
            else:
                with h5py.File(tmp, "a") as f:
                    ad.io.sparse_dataset(f["X"]).append(X)
    obs = pd.concat([s.obs] * copies)
    obs.index = [f"cell{i}" for i in range(n * copies)]
    with h5py.File(tmp, "a") as f:
        del f["obs"]
        ad.io.write_elem(f, "obs", obs)
        ad.io.write_elem(
            f,
            "uns",
            {"generated": {"note": f"generated cells (benchmarks/_generate.py, seed 0), {src.name} tiled {copies}x"}},
        )
    s.file.close()
    tmp.rename(dst)


def prepare(sizes, real: bool, tile_from: int | None = None):
    sys.path.insert(0, str(ROOT))
    from benchmarks import _generate

    WORK.mkdir(parents=True, exist_ok=True)
    for n in sizes:
        p = gen_path(n)
        if not p.exists() and tile_from and n > tile_from and n % tile_from == 0 and gen_path(tile_from).exists():
            t = time.perf_counter()
            tile(gen_path(tile_from), n // tile_from, p)
            print(f"tiled {tile_from} cells x{n // tile_from} -> {p} ({time.perf_counter() - t:.0f} s)", flush=True)
        if not p.exists():
            t = time.perf_counter()
            _generate.write_h5ad_streaming(p, n, seed=0)
            print(f"generated {n} cells -> {p} ({time.perf_counter() - t:.0f} s)", flush=True)
    sig_file = WORK / "gen_signatures.json"
    if not sig_file.exists():
        import anndata as ad

        a = ad.read_h5ad(gen_path(min(sizes)), backed="r")
        sig_file.write_text(json.dumps(_generate.signatures(a, n=20, size=30, seed=1)))
        a.file.close()
    if real:
        p = real_path(100_000)
        if not p.exists():
            import anndata as ad
            import numpy as np

            src = ad.read_h5ad(SHARED / "singlecell" / "pbmc3k_lognorm.h5ad")
            idx = np.random.default_rng(0).integers(0, src.n_obs, size=100_000)
            out = src[idx].copy()
            out.obs_names = [f"cell{i}" for i in range(out.n_obs)]
            out.uns = {"note": "real PBMC 3k cells resampled with replacement (seed 0) for benchmarking"}
            out.write_h5ad(p)
            print(f"resampled pbmc3k to {out.n_obs} cells -> {p}", flush=True)


# -------------------------------------------------------------------------------------------- child
def _install_dask_hook():
    """Route dask inputs through tamclass._dask if the lead has not wired the hook yet (same as the tests)."""
    sys.path.insert(0, str(ROOT / "tests"))
    import _dask_hook

    class _MP:  # minimal monkeypatch
        def setattr(self, obj, name, value):
            setattr(obj, name, value)

    _dask_hook.install(_MP())
    return _dask_hook.score_hook_applied()


def _peak_rss_mib() -> float:
    """This process's peak RSS: VmHWM (Linux; ru_maxrss can carry a parent's peak across fork/exec)."""
    try:
        with open("/proc/self/status") as fh:
            return next(int(ln.split()[1]) for ln in fh if ln.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(mode: str, path: str, signatures: str, method: str):
    import warnings

    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    import anndata as ad

    import tamclass as tc

    sigs = json.loads(Path(signatures).read_text()) if signatures.endswith(".json") else signatures
    hook = None
    f = None
    t_open = time.perf_counter()
    if mode == "memory":
        adata = ad.read_h5ad(path)
    elif mode == "backed":
        adata = ad.read_h5ad(path, backed="r")
    elif mode in ("dask", "cluster"):
        import h5py

        hook = _install_dask_hook()
        if mode == "cluster":
            from dask.distributed import Client, LocalCluster

            cluster = LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, memory_limit="3GiB"
            )
            client = Client(cluster)
        f = h5py.File(path, "r")
        adata = ad.AnnData(obs=ad.io.read_elem(f["obs"]), var=ad.io.read_elem(f["var"]))
        adata.X = ad.experimental.read_elem_lazy(f["X"], chunks=(CHUNK, adata.n_vars))
    else:
        raise SystemExit(f"unknown mode {mode}")
    t_score = time.perf_counter()
    tc.tl.score(adata, sigs, method=method, chunk_size=CHUNK if mode != "dask" else None)
    t_end = time.perf_counter()
    workers_rss = None
    if mode == "cluster":
        workers_rss = sorted(client.run(_peak_rss_mib).values())
        client.close()
        cluster.close()
    scores = adata.obsm["tamclass_scores"]
    out = {
        "mode": mode,
        "file": Path(path).name,
        "n_cells": int(adata.n_obs),
        "n_genes": int(adata.n_vars),
        "n_signatures": int(scores.shape[1]),
        "method": method,
        "open_s": t_score - t_open,
        "score_s": t_end - t_score,
        "total_s": t_end - t_open,
        "import_s": t_open - t0,
        "peak_rss_mib": _peak_rss_mib(),
        "checksum": float(scores.to_numpy().sum()),
        "dask_hook_in_score": hook,
        "workers_peak_rss_mib": workers_rss,
    }
    if f is not None:
        f.close()
    if getattr(adata, "file", None) is not None and mode == "backed":
        adata.file.close()
    print("RESULT " + json.dumps(out), flush=True)


# ---------------------------------------------------------------------------------------------- run
def run_one(mode, path, signatures, method="rank", timeout=3600):
    cmd = [sys.executable, str(Path(__file__).resolve()), "child", mode, str(path), str(signatures), method]
    t = time.perf_counter()
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    wall = time.perf_counter() - t
    line = [ln for ln in res.stdout.splitlines() if ln.startswith("RESULT ")]
    if res.returncode != 0 or not line:
        rec = {"mode": mode, "file": Path(path).name, "error": res.stderr[-1500:], "rc": res.returncode}
    else:
        rec = json.loads(line[0][7:])
        rec["process_wall_s"] = wall
    rec["when"] = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    with open(RESULTS, "a") as fh:
        fh.write(json.dumps(rec) + "\n")
    print(json.dumps(rec), flush=True)
    return rec


def run(sizes, modes, real: bool, memory_limit_cells: int):
    sig = WORK / "gen_signatures.json"
    for n in sizes:
        for mode in modes:
            if mode == "memory" and n > memory_limit_cells:
                print(f"skip memory mode for {n} cells (would need ~{n * 1500 * 8 / 1e9:.0f} GB)", flush=True)
                continue
            run_one(mode, gen_path(n), sig)
    if real:
        for mode in modes:
            run_one(mode, real_path(100_000), "default")


# ------------------------------------------------------------------------------------------- report
def report(out_png: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    recs = [json.loads(ln) for ln in RESULTS.read_text().splitlines() if ln.strip()]
    df = pd.DataFrame([r for r in recs if "error" not in r])
    df = df.drop_duplicates(subset=["mode", "file"], keep="last")
    df["data"] = df["file"].map(lambda f: "real (pbmc3k resampled)" if f.startswith("pbmc3k") else "generated")
    df["cells_per_s"] = df["n_cells"] / df["total_s"]
    if "workers_peak_rss_mib" not in df:
        df["workers_peak_rss_mib"] = None
    df["worker_peak_mib"] = df["workers_peak_rss_mib"].map(
        lambda w: max(w) if isinstance(w, list) and w else float("nan")
    )
    gen = df[df["data"] == "generated"].sort_values(["mode", "n_cells"])
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for mode, g in gen.groupby("mode"):
        axes[0].plot(g["n_cells"], g["total_s"], "o-", label=mode)
        peak = g["peak_rss_mib"].where(g["worker_peak_mib"].isna(), g[["peak_rss_mib", "worker_peak_mib"]].max(axis=1))
        axes[1].plot(
            g["n_cells"], peak / 1024, "o-", label=mode if mode != "cluster" else "cluster (max of client, workers)"
        )
    xs = sorted(gen["n_cells"].unique())
    if len(xs) > 1 and len(gen[gen["mode"] == "backed"]):
        b = gen[gen["mode"] == "backed"].set_index("n_cells")["total_s"]
        x0 = b.index.min()
        axes[0].plot(xs, [b[x0] * x / x0 for x in xs], "k:", label="linear (from backed)")
    axes[0].set(
        xscale="log",
        yscale="log",
        xlabel="cells (generated, 20,000 genes, ~1,500 detected/cell)",
        ylabel="wall time, open + score (s)",
        title="tc.tl.score, method='rank', 20 signatures",
    )
    axes[1].set(xscale="log", xlabel="cells", ylabel="peak RSS (GiB)", title="peak memory (fresh process)")
    axes[1].axhline(2, color="grey", ls="--", lw=0.8)
    for ax in axes:
        ax.legend(fontsize=8)
        ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(out_png, dpi=120)
    cols = [
        "data",
        "mode",
        "n_cells",
        "n_signatures",
        "open_s",
        "score_s",
        "total_s",
        "cells_per_s",
        "peak_rss_mib",
        "worker_peak_mib",
    ]
    table = df.sort_values(["data", "n_cells", "mode"])[cols]

    def fmt(v):
        if isinstance(v, float):
            return "" if v != v else (f"{v:,.0f}" if abs(v) >= 100 else f"{v:.1f}")
        return f"{v:,}" if isinstance(v, int) else str(v)

    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(fmt(v) for v in row) + " |" for row in table.itertuples(index=False)]
    print("\n".join(lines))


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    q = sub.add_parser("prepare")
    q.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    q.add_argument("--real", action="store_true")
    q.add_argument(
        "--tile-from",
        type=int,
        default=None,
        help="build larger sizes by tiling this generated size (e.g. 1M = 10 x 100k)",
    )
    q = sub.add_parser("run")
    q.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    q.add_argument("--modes", nargs="+", default=["memory", "backed", "dask"])
    q.add_argument("--real", action="store_true")
    q.add_argument(
        "--memory-limit-cells",
        type=int,
        default=200_000,
        help="skip in-memory runs above this many cells (1M x 1,500 nnz ~ 12 GB)",
    )
    q = sub.add_parser("child")
    q.add_argument("mode")
    q.add_argument("path")
    q.add_argument("signatures")
    q.add_argument("method", nargs="?", default="rank")
    q = sub.add_parser("report")
    q.add_argument("--png", default=str(HERE / "scaling.png"))
    a = p.parse_args()
    if a.cmd == "prepare":
        prepare(a.sizes, a.real, a.tile_from)
    elif a.cmd == "run":
        run(a.sizes, a.modes, a.real, a.memory_limit_cells)
    elif a.cmd == "child":
        child(a.mode, a.path, a.signatures, a.method)
    else:
        report(Path(a.png))


if __name__ == "__main__":
    main()
