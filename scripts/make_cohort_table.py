"""Build src/tamclass/datasets/data/ali2016_m2_cohorts.tsv: per-cohort Cox summary statistics.

Source: Ali HR, Chlon L, Pharoah PDP, Markowetz F, Caldas C. "Patterns of immune infiltration in
breast cancer and their clinical implications: a gene-expression-based retrospective study."
PLoS Med 2016;13(12):e1002194, doi:10.1371/journal.pmed.1002194 (CC BY 4.0 article; the per-tumour
table is in github cclab-brca/Patterns-Immune-Infiltration). We ship only summary statistics that
tamclass computes from it — one row per cohort — never the per-patient table.

Rule (same as the validation test): rows with ``surv`` and ``events`` present and ``surv`` > 0; per
dataset with >= 20 events, a univariable Cox model of the CIBERSORT M2 macrophage fraction z-scored
within the dataset (sample SD).

Usage: python scripts/make_cohort_table.py [PATH/TO/ali2016_cibersort_survival_10988.tsv]
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pandas as pd

import tamclass as tc

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SOURCE = ROOT.parent / "shared" / "data" / "survival" / "ali2016_cibersort_survival_10988.tsv"
OUT = ROOT / "src" / "tamclass" / "datasets" / "data" / "ali2016_m2_cohorts.tsv"


def main(source: Path = DEFAULT_SOURCE) -> None:
    table = pd.read_csv(source, sep="\t")
    table = table[table["surv"].notna() & table["events"].notna() & (table["surv"] > 0)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = tc.prognosis.pool_cohorts(table, "surv", "events", "macrophagesm2", cohort_key="dataset", min_events=20)
    cohorts = res.cohorts.loc[res.cohorts["included"], ["n", "events", "log_hr", "se"]]
    cohorts.index.name = "dataset"
    OUT.write_text(
        "# Per-cohort Cox log hazard ratio per SD of the CIBERSORT M2 macrophage fraction (univariable, z-scored within cohort).\n"
        "# Computed by tamclass (scripts/make_cohort_table.py) from Ali HR et al. 2016 PLoS Med 13:e1002194, "
        "doi:10.1371/journal.pmed.1002194; cohorts with >= 20 events.\n" + cohorts.round(6).to_csv(sep="\t")
    )
    print(f"wrote {OUT} ({len(cohorts)} cohorts); pooled DL HR {res.hr:.3f} ({res.hr_ci[0]:.3f}-{res.hr_ci[1]:.3f})")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SOURCE)
