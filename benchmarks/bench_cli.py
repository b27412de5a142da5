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

``--e2e`` (issue 12 part 4) instead times the installed console script end to end, ``tamclass -q score IN -o OUT``
(and ``... --model MODEL``, a saved model applied without training), best of ``--repeats`` fresh processes, and
then runs each configuration once more under ``python -X importtime`` to say how much of a run is imports, whether
torch was imported (and its import time) and how long the classifier training (``fit_classifier``) took.
``--demo`` adds the bundled demo (559 real cells) and ``--macrophages N`` N generated macrophage-like cells
(``tests/_generators.py``, NOT real), the one input here on which the default pipeline trains its network.
``--before-src DIR`` also times the tamclass in DIR (first on PYTHONPATH; e.g. the ``src/`` of a second worktree
at the commit before a change), alternating run by run with this checkout so both see the same machine load::

    git worktree add /tmp/wt-before main
    python benchmarks/bench_cli.py --e2e --demo --cells 100000 --tmp /tmp/tc_bench_e2e --before-src /tmp/wt-before/src
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


# ------------------------------------------------------------------------------------------ --e2e (issue 12 part 4)
#: run by ``python -X importtime -c``: the CLI's main() with fit_classifier timed; prints one RESULT line
_INSTRUMENTED = textwrap.dedent(
    """
    import json, sys, time
    t0 = time.perf_counter()
    import tamclass.classifier._fit as fit
    spent = {"fit_s": 0.0, "fits": 0}
    orig = fit.fit_classifier
    def timed(*a, **k):
        t = time.perf_counter()
        try:
            return orig(*a, **k)
        finally:
            spent["fit_s"] += time.perf_counter() - t
            spent["fits"] += 1
    fit.fit_classifier = timed
    from tamclass.cli import main
    rc = main(sys.argv[1:])
    import tamclass
    print("RESULT " + json.dumps({"rc": rc, "main_s": time.perf_counter() - t0, "torch": "torch" in sys.modules,
                                  "tamclass": tamclass.__file__, **spent}))
    """
)


def _env(src: Path | None) -> dict:
    env = {**os.environ, "MPLBACKEND": "Agg", "TAMCLASS_PROGRESS": "0"}
    if src is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    return env


def parse_importtime(stderr: str) -> dict:
    """Total import time (sum of the top-level ``-X importtime`` entries) and torch's cumulative import time (s)."""
    total = torch = 0.0
    top = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        _, cumulative, name = (part for part in line[len("import time:") :].split("|"))
        depth = (len(name) - len(name.lstrip(" "))) // 2
        if depth == 0:
            total += int(cumulative) / 1e6
            top.append((int(cumulative) / 1e6, name.strip()))
        if name.strip() == "torch":
            torch = int(cumulative) / 1e6
    top = sorted(top, reverse=True)[:8]
    return {"imports_s": total, "torch_import_s": torch, "top_imports": [f"{n} {t:.2f}" for t, n in top]}


def _timed_run(argv: list[str], out: Path, src: Path | None) -> float:
    """Wall seconds of one ``tamclass -q ARGV -o OUT`` run of the console script in a fresh process."""
    import time

    if out.exists():
        out.unlink()
    exe = Path(sys.executable).with_name("tamclass")
    t = time.perf_counter()
    proc = subprocess.run([str(exe), "-q", *argv, "-o", str(out)], capture_output=True, text=True, env=_env(src))
    wall = time.perf_counter() - t
    if proc.returncode != 0:
        raise SystemExit(f"{argv} failed:\n{proc.stdout}\n{proc.stderr}")
    return wall


def _instrumented_run(argv: list[str], out: Path, src: Path | None) -> dict:
    """One run under ``python -X importtime``: imports, torch, training time (see _INSTRUMENTED)."""
    import time

    if out.exists():
        out.unlink()
    t = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", _INSTRUMENTED, "-q", *argv, "-o", str(out)],
        capture_output=True,
        text=True,
        env=_env(src),
    )
    wall = time.perf_counter() - t
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not line:
        raise SystemExit(f"{argv} (instrumented) failed:\n{proc.stdout}\n{proc.stderr[-3000:]}")
    return {"instrumented_s": wall, **json.loads(line[-1][7:]), **parse_importtime(proc.stderr)}


def ensure_model(path: Path, src: Path | None) -> Path:
    """A saved model to apply with ``--model``: ``tamclass train`` on pbmc3k's labels (``obs['classified']``)."""
    if not path.exists():
        exe = Path(sys.executable).with_name("tamclass")
        real = SHARED / "singlecell" / "pbmc3k_lognorm.h5ad"
        subprocess.run(
            [str(exe), "-q", "train", str(real), "--label-key", "classified", "-o", str(path), "--device", "cpu"],
            check=True,
            env=_env(src),
        )
    return path


def e2e(args) -> None:
    """Time each input x configuration: ``--repeats`` runs per version, best kept, then one instrumented run each.

    With ``--before-src`` the two versions alternate run by run, so both see the same machine load.
    """
    from tamclass.datasets._demo import demo_path

    inputs = []
    real = SHARED / "singlecell" / "pbmc3k_lognorm.h5ad"
    if real.exists():
        inputs.append(("pbmc3k (real, 2,638 cells)", real))
    else:
        print(f"skipping real data: {real} not found")
    if args.demo:
        inputs.append(("demo (real, bundled, 559 cells)", demo_path()))
    if args.macrophages:
        mac = args.tmp / f"generated_macrophages_{args.macrophages}.h5ad"
        if not mac.exists():
            from _generators import synthetic_macrophages  # tests/_generators.py (on the path via _shared)

            synthetic_macrophages(args.macrophages, random_state=0, lognormalize=True).write_h5ad(mac)
        inputs.append((f"generated {args.macrophages:,} macrophage-like cells", mac))
    if args.cells:
        gen = args.tmp / f"generated_{args.cells}.h5ad"
        if not gen.exists():
            make_generated(gen, args.cells)
        inputs.append((f"generated {args.cells:,} cells", gen))
    model = ensure_model(args.tmp / "pbmc3k_classified.tcmodel", None) if real.exists() else None
    versions = [("after", REPO / "src")]
    if args.before_src is not None:
        versions.insert(0, ("before", args.before_src))
    load = os.getloadavg()
    print(f"load average at start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}", flush=True)
    rows = [
        f"| data | command | version | wall s (best of {args.repeats}; all runs) | imports s | "
        "torch imported (its import s) | training s (fits) | load 1/5/15 min after |",
        "|---|---|---|---|---|---|---|---|",
    ]
    out = args.tmp / "out_e2e.h5ad"
    first = True
    for label, path in inputs:
        configs = [("tamclass score IN -o OUT", ["score", str(path)])]
        if model is not None:
            configs.append(("tamclass score IN -o OUT --model M", ["score", str(path), "--model", str(model)]))
        for name, argv in configs:
            if first:  # one untimed run per version first (cold file cache, byte-compiling)
                for _, src in versions:
                    _timed_run(argv, out, src)
                first = False
            walls = {v: [] for v, _ in versions}
            for _ in range(args.repeats):
                for v, src in versions:
                    walls[v].append(_timed_run(argv, out, src))
            for v, src in versions:
                r = {"label": f"{label}: {name}", "version": v, "walls": walls[v], "best_s": min(walls[v])}
                r.update(_instrumented_run(argv, out, src))
                print("E2E " + json.dumps(r), flush=True)
                la = os.getloadavg()
                torch = f"yes ({r['torch_import_s']:.2f})" if r["torch"] else "no"
                rows.append(
                    f"| {label} | `{name}` | {v} | {r['best_s']:.2f} ({', '.join(f'{w:.2f}' for w in r['walls'])}) | "
                    f"{r['imports_s']:.2f} | {torch} | {r['fit_s']:.2f} ({r['fits']}) | "
                    f"{la[0]:.1f} / {la[1]:.1f} / {la[2]:.1f} |"
                )
            print("\n".join(rows), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cells", type=int, default=30_000, help="generated cells (0 = skip)")
    parser.add_argument("--tmp", type=Path, default=Path("/tmp/tc_bench_cli"))
    parser.add_argument("--e2e", action="store_true", help="time the console script end to end (issue 12 part 4)")
    parser.add_argument("--repeats", type=int, default=3, help="--e2e: runs per configuration (best kept)")
    parser.add_argument(
        "--before-src",
        type=Path,
        default=None,
        help="--e2e: also time the tamclass found in this folder (put first on PYTHONPATH; e.g. the src/ of a "
        "worktree at the commit before a change), alternating with this checkout's",
    )
    parser.add_argument("--demo", action="store_true", help="--e2e: also time the bundled demo (559 cells)")
    parser.add_argument(
        "--macrophages",
        type=int,
        default=0,
        help="--e2e: also time N generated macrophage-like cells (tests/_generators.py; the default pipeline "
        "trains its network there)",
    )
    args = parser.parse_args()
    args.tmp.mkdir(parents=True, exist_ok=True)
    if args.e2e:
        e2e(args)
        return
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
