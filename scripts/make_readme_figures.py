"""Regenerate the pictures in README.md from real runs (python scripts/make_readme_figures.py)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import tamclass as tc

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "images"


def plugin_figure() -> None:
    adata = tc.datasets.demo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tc.tl.score(adata)
        tc.tl.gate(adata, groupby="leiden")
        tc.tl.classify(adata, random_state=0)
    tc.pl.embedding(
        adata,
        basis="umap",
        signatures=["Macrophage_identity", "Cheng2021_M2"],
        color=["tamclass_celltype", "tamclass_polarization"],
        ncols=2,
        wspace=0.45,
        show=False,
    )
    plt.gcf().savefig(OUT / "demo_umap.png", dpi=90, bbox_inches="tight")
    plt.close("all")


def cli_figure() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        table = Path(tmp) / "cohorts.tsv"
        tc.datasets.ali2016_m2_cohorts().reset_index().to_csv(table, sep="\t", index=False)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "tamclass",
                "-q",
                "meta",
                str(table),
                "--effect",
                "log_hr",
                "--se",
                "se",
                "--study",
                "dataset",
                "-o",
                str(Path(tmp) / "pooled.tsv"),
                "--plot",
                str(OUT / "forest_ali2016.png"),
            ],
            check=True,
        )


if __name__ == "__main__":
    OUT.mkdir(parents=True, exist_ok=True)
    plugin_figure()
    cli_figure()
    print(f"wrote pictures to {OUT}")
