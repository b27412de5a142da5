"""Benchmark the ``tamclass score`` command: in-memory vs ``--backed``, and the CLI vs the bare Python API.

Each configuration runs twice (fastest kept), each time in a fresh Python process, through a tiny wrapper
that reports wall time and the process's peak RSS (``VmHWM``); the ratios are what to look at (the machine is shared, absolute
times are noisy). Data:

* real: ``../shared/data/singlecell/pbmc3k_lognorm.h5ad`` (10x PBMC 3k, 2,638 cells; skipped when absent);
* generated (NOT real data; ``benchmarks/_generate.py``): integer UMI counts, ~1,500 detected genes per
  cell, log1p(CP10k) CSR float32, written chunk by chunk; the generator's gene names are replaced by the
  tamclass library's gene symbols (plus fillers) so the default signatures match.

The "api" configuration does what a Python user would write (read_h5ad -> tl.score/gate/classify ->
write_h5ad with gzip); "cli" is ``tamclass score IN -o OUT`` (validation, atomic write with fsync, same
compression); "cli --backed" opens X on disk and writes a copy of the input file plus the results.

Usage::

    python benchmarks/bench_cli.py --cells 30000 --tmp /tmp/tc_bench_cli
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from _shared import SHARED_DATA

REPO = Path(__file__).resolve().parents[1]
SHARED = SHARED_DATA

_WRAPPER = textwrap.dedent(
    """
    import json, sys, time, warnings
    warnings.simplefilter("ignore")
    mode, src, out = sys.argv[1], sys.argv[2], sys.argv[3]
    t0 = time.perf_counter()
    if mode == "api":
        import anndata as ad
        import tamclass as tc
        adata = ad.read_h5ad(src)
        tc.tl.score(adata)
        tc.tl.gate(adata)
        tc.tl.classify(adata)
        adata.write_h5ad(out, compression="gzip")
        rc = 0
    else:
        from tamclass.cli import main
        argv = ["-q", "score", src, "-o", out] + (["--backed"] if mode == "cli-backed" else [])
        rc = main(argv)
    wall = time.perf_counter() - t0
    # VmHWM: this process's own peak (ru_maxrss would carry the parent's peak across fork/exec on Linux)
    rss = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
    print("RESULT " + json.dumps({"rc": rc, "wall_s": wall, "peak_rss_mib": rss}))
    """
)


def run(mode: str, src: Path, out: Path) -> dict:
    if out.exists():
        out.unlink()
    env = {**os.environ, "MPLBACKEND": "Agg", "TAMCLASS_PROGRESS": "0"}
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, mode, str(src), str(out)], capture_output=True, text=True, env=env
    )
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise SystemExit(f"{mode} failed:\n{proc.stdout}\n{proc.stderr}")
    res = json.loads(line[-1][7:])
    res["out_mib"] = out.stat().st_size / 2**20
    return res


def make_generated(path: Path, n_cells: int) -> None:
    import anndata as ad
    import h5py
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(REPO))
    from benchmarks._generate import N_GENES, write_h5ad_streaming

    import tamclass as tc

    write_h5ad_streaming(path, n_cells, seed=0, chunk_cells=10_000)
    lib = sorted({g for s in tc.signatures.load("all").values() for g in s.genes})
    rng = np.random.default_rng(0)
    names = np.array([f"FILLER{j}" for j in range(N_GENES)], dtype=object)
    names[rng.choice(N_GENES, size=len(lib), replace=False)] = lib
    with h5py.File(path, "a") as f:
        del f["var"]
        ad.io.write_elem(f, "var", pd.DataFrame(index=pd.Index(names.astype(str))))


def bench(label: str, src: Path, tmp: Path, repeats: int = 2) -> list[str]:
    rows = {}
    for rep in range(repeats):
        for mode in ("api", "cli", "cli-backed"):
            res = run(mode, src, tmp / f"out_{mode}.h5ad")
            print(label, mode, rep, res, flush=True)
            if mode not in rows or res["wall_s"] < rows[mode]["wall_s"]:
                rows[mode] = res
    api, cli, backed = rows["api"], rows["cli"], rows["cli-backed"]
    in_mib = src.stat().st_size / 2**20
    return [
        f"| {label} | {in_mib:,.0f} | api | {api['wall_s']:.1f} | {api['peak_rss_mib']:,.0f} | {api['out_mib']:,.0f} | 1.00 |",
        f"| {label} | {in_mib:,.0f} | cli | {cli['wall_s']:.1f} | {cli['peak_rss_mib']:,.0f} | {cli['out_mib']:,.0f} | "
        f"{cli['wall_s'] / api['wall_s']:.2f} |",
        f"| {label} | {in_mib:,.0f} | cli --backed | {backed['wall_s']:.1f} | {backed['peak_rss_mib']:,.0f} | "
        f"{backed['out_mib']:,.0f} | {backed['wall_s'] / api['wall_s']:.2f} |",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=30_000, help="generated cells (0 = skip)")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp/tc_bench_cli"))
    args = parser.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    lines = [
        "| data | input MiB | mode | wall s (min of 2) | peak RSS MiB | output MiB | wall / api |",
        "|---|---|---|---|---|---|---|",
    ]
    real = SHARED / "singlecell" / "pbmc3k_lognorm.h5ad"
    if real.exists():
        lines += bench("pbmc3k (real, 2,638 cells)", real, args.tmp)
    else:
        print(f"skipping real data: {real} not found")
    if args.cells:
        gen = args.tmp / f"generated_{args.cells}.h5ad"
        if not gen.exists():
            make_generated(gen, args.cells)
        lines += bench(f"generated {args.cells:,} cells", gen, args.tmp)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
