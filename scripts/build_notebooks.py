"""Build and execute the tutorial notebook(s) so that the committed outputs come from a real run.

Usage:  python scripts/build_notebooks.py            # writes notebooks/tutorial.ipynb with outputs
        python scripts/build_notebooks.py --check    # executes in a temp dir, writes nothing

The cells are defined here (plain Python strings) so that a diff of this script is the review of the
tutorial; tests/test_notebooks.py executes the committed notebook with nbclient so it cannot rot.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "notebooks" / "tutorial.ipynb"

md = nbformat.v4.new_markdown_cell
code = nbformat.v4.new_code_cell

CELLS = [
    md(
        "# tamclass tutorial: tumour-associated macrophages end to end\n\n"
        "load → score → gate → classify → plots → per-sample summary → literature evidence → "
        "survival and random-effects pooling.\n\n"
        "Sections 1-10 run offline on data shipped inside tamclass or scanpy. Section 11 (Cox and Kaplan–Meier on a "
        "bulk cohort) needs a public table that tamclass does **not** ship; without it, that section prints a note "
        "and is skipped. "
        "*Research use only: nothing here predicts an individual patient's risk.*"
    ),
    code(
        "%matplotlib inline\n"
        "import os\n"
        "import matplotlib.pyplot as plt\n"
        "import pandas as pd\n"
        "import scanpy as sc\n"
        "import tamclass as tc\n"
        "pd.set_option('display.width', 140)\n"
        "print('tamclass', tc.__version__, '| signature library', tc.signatures.LIBRARY_VERSION)"
    ),
    md(
        "## 1. The bundled demo data\n"
        "559 real myeloid-rich cells from the sample matrix in the CellTypist wheel (Domínguez Conde et al. 2022, "
        "*Science*; MIT licence). `X` is log1p(CP10k), raw counts are in `layers['counts']`, and `obs['sample']` is an "
        "illustrative three-way split (the source has no donor labels)."
    ),
    code("adata = tc.datasets.demo()\nadata"),
    md(
        "## 2. The signature library\nEvery set carries its citation, evidence grade (A = authors' own files, "
        "B = third-party transcription, D = derived) and curation notes."
    ),
    code(
        "lib = tc.signatures.available()\n"
        "lib.loc[lib['in_default'], ['category', 'n_genes', 'grade', 'citation']].head(12)"
    ),
    code("print(tc.signatures.show('Ma2022_LA_TAM'))"),
    md(
        "## 3. Score every cell against every default signature in one pass\n"
        "`method='rank'` is UCell (per-cell ranks, so a cell's score does not depend on the other cells). "
        "Results go to `obsm['tamclass_scores']`; provenance (genes used / missing per set) to `uns['tamclass']['score']`."
    ),
    code(
        "tc.tl.score(adata)\n"
        "scores = adata.obsm['tamclass_scores']\n"
        "print(scores.shape)\n"
        "scores[['Macrophage_identity', 'Monocyte_classical', 'Cheng2021_M1', 'Cheng2021_M2', 'Ma2022_LA_TAM']].describe().round(3)"
    ),
    md(
        "## 4. Gate macrophages, monocytes and dendritic cells\n"
        "From the identity and negative-lineage signatures; `groupby` smooths the calls per cluster "
        "(like CellTypist's majority voting)."
    ),
    code("tc.tl.gate(adata, groupby='leiden')\nadata.obs['tamclass_celltype'].value_counts()"),
    md(
        "## 5. Classify polarization state and TAM subset\n"
        "With no model given, tamclass trains a small network on this dataset from signature-seeded confident cells "
        "(the Garnett idea), calibrates it by temperature scaling, and labels the rest. Low-confidence cells stay "
        "`unassigned`; `obs['tamclass_polarization']` is a continuous M1 (−1) ↔ M2 (+1) index. "
        "Read any warning it prints: each one says what in the data limits the calls."
    ),
    code(
        "tc.tl.classify(adata, random_state=0)\n"
        "adata.obs[['tamclass_celltype', 'tamclass_state', 'tamclass_subset']].value_counts().head(10)"
    ),
    md("## 6. Plots"),
    code(
        "tc.pl.embedding(adata, basis='umap', signatures=['Macrophage_identity', 'Cheng2021_M2', 'Ma2022_LA_TAM'], show=False)\n"
        "plt.show()"
    ),
    code(
        "tc.pl.score_distribution(adata, 'tamclass_celltype', signatures=['Cheng2021_M1', 'Cheng2021_M2'], show=False)\n"
        "plt.show()"
    ),
    md(
        "## 7. Per-sample TAM profile\nOne row per sample: macrophage fraction, M1-like / M2-like fractions, M2:M1 ratio "
        "(pseudocount 0.5), mean polarization, subset fractions and mean scores; stored in `uns['tamclass']['samples']`."
    ),
    code(
        "summary = tc.tl.summarize(adata, 'sample')\n"
        "summary[['n_cells', 'n_macrophages', 'macrophage_fraction', 'm2_m1_ratio']]"
    ),
    code("tc.pl.composition(adata, 'sample', kind='celltype', show=False)\nplt.show()"),
    md(
        "## 8. What the literature links these features to\nDescriptive, cited sentences from the pooled "
        "meta-analyses (Allison et al. 2023 and others) — not a risk prediction for these samples."
    ),
    code("for s in tc.prognosis.link(summary)['sentence'].drop_duplicates().head(5):\n    print('-', s)"),
    md(
        "## 9. A negative control: blood, where there are no TAMs\n"
        "scanpy's `pbmc68k_reduced` (ships inside scanpy) has monocytes and dendritic cells but no tissue macrophages; "
        "the gate should find monocytes and leave lymphocytes alone."
    ),
    code(
        "pbmc = sc.datasets.pbmc68k_reduced()\n"
        "tc.tl.gate(pbmc)  # uses .raw (log-normalised), as scanpy does\n"
        "pd.crosstab(pbmc.obs['bulk_labels'], pbmc.obs['tamclass_celltype'])"
    ),
    md(
        "## 10. Random-effects meta-analysis across cohorts\n"
        "29 breast cancer cohorts of Ali et al. 2016 (*PLoS Med*): per-cohort Cox log HR per SD of the CIBERSORT M2 "
        "macrophage fraction, computed by `tc.prognosis.pool_cohorts` and shipped as summary statistics. "
        "DerSimonian–Laird pooling (τ² truncated at 0, as R metafor does). `exp=True` reports hazard ratios, and "
        "the forest plot shows the same hazard ratios (on a log-spaced axis, where a CI is symmetric):"
    ),
    code(
        "cohorts = tc.datasets.ali2016_m2_cohorts()\n"
        "res = tc.prognosis.meta_analysis(cohorts, effect='log_hr', se='se', method='DL', exp=True)\n"
        "res.summary"
    ),
    code("tc.pl.forest(res, show=False)\nplt.show()"),
    md(
        "## 11. Optional: a bulk cohort with survival — Cox and Kaplan–Meier (data not shipped)\n"
        "**tamclass ships no per-patient survival data**, so this section needs two files it does not include: a "
        "400-tumour subset of SCAN-B (GSE96058; breast cancer, overall survival), `scanb_gse96058_400_log2fpkm.csv.gz` "
        "and `scanb_gse96058_400_clinical.csv`, kept in the project's `shared/data/survival/` folder (not part of the "
        "package). Set the environment variable `TAMCLASS_SHARED_DATA` to that `data` folder (or put `shared/data` "
        "beside the checkout) to run it; otherwise the cells below print a note and do nothing. For your own cohort, "
        "put your bulk expression (tumours × genes) in `expr` and your clinical table in `clin`. Bulk rows are "
        "tumours, so the per-row signature scores are the features (`method='mean'` handles log2 FPKM, which can be "
        "negative)."
    ),
    code(
        "from pathlib import Path\n"
        "import anndata as ad\n"
        "shared = Path(os.environ.get('TAMCLASS_SHARED_DATA', '../../shared/data')) / 'survival'\n"
        "if not (shared / 'scanb_gse96058_400_log2fpkm.csv.gz').exists():\n"
        "    shared = Path('../shared/data/survival')\n"
        "if (shared / 'scanb_gse96058_400_log2fpkm.csv.gz').exists():\n"
        "    expr = pd.read_csv(shared / 'scanb_gse96058_400_log2fpkm.csv.gz', index_col=0)\n"
        "    clin = pd.read_csv(shared / 'scanb_gse96058_400_clinical.csv', index_col=0).set_index('title')\n"
        "    bulk = ad.AnnData(expr.astype('float32'), obs=clin.reindex(expr.index))\n"
        "    tc.tl.score(bulk, ['IHC_CD163', 'IHC_CD68', 'Macrophage_identity', 'Cheng2021_M2'], method='mean')\n"
        "    table = bulk.obs.join(bulk.obsm['tamclass_scores'])\n"
        "    print(len(table), 'tumours,', int(table['overall_survival_event'].sum()), 'deaths')\n"
        "else:\n"
        "    table = None\n"
        "    print('SCAN-B tables not found (set TAMCLASS_SHARED_DATA): skipping the optional cohort section')"
    ),
    code(
        "if table is not None:\n"
        "    dur, ev = 'overall_survival_days', 'overall_survival_event'\n"
        "    cox = tc.prognosis.cox(table, dur, ev, ['IHC_CD163', 'IHC_CD68', 'Macrophage_identity', 'Cheng2021_M2'])\n"
        "    display(cox.summary)\n"
        "    km = tc.prognosis.km(table, dur, ev, 'IHC_CD163', split='median')\n"
        "    km.plot(); plt.show()"
    ),
]


def build() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.cells = CELLS
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def execute(nb: nbformat.NotebookNode, cwd: Path, timeout: int = 900) -> nbformat.NotebookNode:
    NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(cwd)}}).execute()
    return scrub_paths(nb)


def _machine_prefixes() -> list[str]:
    """Folders of the machine that ran the notebook (warnings print the full path of the file they come from)."""
    import site
    import sysconfig

    paths = {
        *site.getsitepackages(),
        site.getusersitepackages(),
        sysconfig.get_paths()["purelib"],
        sysconfig.get_paths()["stdlib"],
        str(ROOT),
        sys.prefix,
        str(Path.home()),
    }
    return sorted((p.rstrip("/") + "/" for p in paths if p and p != "/"), key=len, reverse=True)


def scrub_paths(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Saved outputs name files relative to the repository / site-packages, never a developer's folders."""
    prefixes = _machine_prefixes()

    def clean(text: str) -> str:
        # a cell's code is compiled from a temporary file of the kernel: name it as what it is
        text = re.sub(r"\S*ipykernel_\d+[/\\]\d+\.py", "<cell>", text)
        for prefix in prefixes:
            text = text.replace(prefix, "")
        return text

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                out["text"] = clean(out["text"])
            for key, value in out.get("data", {}).items():
                if key.startswith("text/") and isinstance(value, str):
                    out["data"][key] = clean(value)
    return nb


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="execute without writing the notebook")
    args = parser.parse_args(argv)
    nb = execute(build(), OUT.parent)
    if not args.check:
        nbformat.write(nb, OUT)
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
