"""Validation of tc.tl.gate and tc.tl.classify on every real labelled set we have (no tuning happens here).

Prints, per dataset, macrophage-only F1, myeloid (macrophage + monocyte + dendritic) F1 and the full table of
author / tool label x tamclass call, then the subset calls on the macrophages. Datasets: Puram 2017 HNSCC
(author labels, gene-filtered), CosMx NSCLC Lung5 (960-gene panel, labels from two tools: ProFAST and
SpaTopic/Azimuth), the bundled demo (clusters annotated by markers, docs/demo_annotation.md), PBMC 3k and
Hao 2021 (blood: no macrophages), and pseudo-cells of the immucellai2 sorted references (if installed).

    python benchmarks/validate_tumour.py            # ../shared/data (or TAMCLASS_SHARED_DATA)
"""

from __future__ import annotations

import sys
import warnings

import numpy as np
import pandas as pd
from _shared import SHARED_DATA

MYELOID = ["macrophage", "monocyte", "dendritic"]


def f1(truth, pred):
    truth, pred = np.asarray(truth, bool), np.asarray(pred, bool)
    return 2 * np.sum(truth & pred) / max(truth.sum() + pred.sum(), 1)


def datasets():
    import anndata as ad

    import tamclass as tc

    sc_dir = SHARED_DATA / "singlecell"
    if (sc_dir / "puram2017_hnscc_180cells.h5ad").exists():
        a = ad.read_h5ad(sc_dir / "puram2017_hnscc_180cells.h5ad")
        yield "Puram 2017 HNSCC (author labels)", a, "celltypes", {"Macrophage": "macrophage", "Dendritic": "dendritic"}
    cosmx = SHARED_DATA / "spatial" / "profast_cosmx_nsclc_lung5.h5ad"
    if cosmx.exists():
        a = ad.read_h5ad(cosmx)
        yield (
            "CosMx NSCLC vs ProFAST labels",
            a,
            "cell_type",
            {"macrophage": "macrophage", "monocyte": "monocyte", "mDC": "dendritic", "pDC": None},
        )
        yield (
            "CosMx NSCLC vs SpaTopic labels",
            a.copy(),
            "spatopic_type",
            {
                "Macrophage": "macrophage",
                "Proliferating Macrophage": "macrophage",
                "CD14+ Monocyte": "monocyte",
                "CD16+ Monocyte": "monocyte",
                "Dendritic": "dendritic",
                "Plasmacytoid Dendritic": None,
            },
        )
    a = tc.datasets.demo()
    a.obs["marker_annotation"] = (
        a.obs["leiden"].astype(str).map({"0": "B cells", "1": "monocytes", "2": "T/NK", "3": "LA-TAMs"})
    )
    yield "demo (marker-annotated clusters)", a, "marker_annotation", {"monocytes": "monocyte", "LA-TAMs": "macrophage"}
    if (sc_dir / "pbmc3k_lognorm.h5ad").exists():
        a = ad.read_h5ad(sc_dir / "pbmc3k_lognorm.h5ad")
        yield (
            "PBMC 3k (blood)",
            a,
            "classified",
            {"CD14+ Mono": "monocyte", "FCGR3A+ Mono": "monocyte", "DC": "dendritic"},
        )
    if (sc_dir / "hao2021_pbmc_small_counts.h5ad").exists():
        a = ad.read_h5ad(sc_dir / "hao2021_pbmc_small_counts.h5ad")
        yield "Hao 2021 PBMC (blood)", a, "cell_type", {"Monocytes": "monocyte", "mDC": "dendritic", "pDC": "dendritic"}
    from importlib import resources

    from _generators import pseudocells  # tests/_generators.py (on the path via _shared)

    try:
        ref_file = resources.files("immucellai2").joinpath("myconfig").joinpath("reference_tumorCelltypes.txt")
    except ModuleNotFoundError:
        print("immucellai2 not installed: sorted-reference pseudo-cells skipped", file=sys.stderr)
        return
    with ref_file.open() as fh:
        ref = pd.read_csv(fh, sep="\t", index_col=0)
    kinds = {
        "TAM": "macrophage",
        "CMonocyte": "monocyte",
        "IMonocyte": "monocyte",
        "NMonocyte": "monocyte",
        "cDC1": "dendritic",
        "cDC2": "dendritic",
        "pDC": "dendritic",
        "neutrophils": "other",
        "mast_cell": "other",
        "basophils": "other",
        "eosinophils": "other",
        "CD4Tnaive": "other",
        "CD8Tem": "other",
        "cytotoxicNK": "other",
        "Bnaive": "other",
        "plasma": "other",
    }
    ref = ref[list(kinds)].fillna(0).clip(lower=0)
    ref = ref[ref.index.notna()].groupby(level=0).sum()
    a = pseudocells(ref, n_cells=60, depth=(1500, 4000), random_state=0, sample_key="type")
    yield (
        "immucellai2 sorted references (pseudo-cells)",
        a,
        "type",
        {k: v for k, v in kinds.items() if v != "other"},
    )


def main():
    import tamclass as tc

    pd.set_option("display.width", 200)
    for name, adata, key, truth_map in datasets():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tc.tl.gate(adata)
        lab = adata.obs[key].astype(str)
        truth = lab.map(lambda x, truth_map=truth_map: truth_map.get(x, "other")).to_numpy(dtype=object)
        keep = np.array([t is not None for t in truth])
        truth = np.where(keep, truth, "excluded").astype(str)
        ct = adata.obs["tamclass_celltype"].astype(str).to_numpy()
        line = f"== {name}: {adata.n_obs} cells x {adata.n_vars} genes"
        if (truth == "macrophage").any():
            line += f"; macrophage F1 {f1(truth[keep] == 'macrophage', ct[keep] == 'macrophage'):.3f}"
        else:
            line += f"; cells called macrophage {(ct == 'macrophage').sum()}"
        line += f"; myeloid F1 {f1(np.isin(truth[keep], MYELOID), np.isin(ct[keep], MYELOID)):.3f}"
        print(line)
        print("   undecidable:", adata.uns["tamclass"]["gate"]["undecidable"])
        print(pd.crosstab(lab, adata.obs["tamclass_lineage"].astype(str)).to_string())
        mac = adata.obs["tamclass_is_macrophage"].to_numpy()
        if mac.sum() >= 1 and "blood" not in name:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                tc.tl.classify(adata, device="cpu")
            info = adata.uns["tamclass"]["classify"]
            print(f"   classify: {info['status']}; subset evidence calls {info['subset_model']['n_evidence_calls']}")
            print(
                "   subsets of the macrophages:",
                adata.obs.loc[mac, "tamclass_subset"].astype(str).value_counts().to_dict(),
                "| median polarization",
                round(float(np.median(adata.obs.loc[mac, "tamclass_polarization"])), 3),
            )


if __name__ == "__main__":
    main()
