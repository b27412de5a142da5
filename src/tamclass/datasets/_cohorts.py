"""Small real cohort-level tables shipped with tamclass (summary statistics only)."""

from __future__ import annotations

from importlib import resources

import pandas as pd


def ali2016_m2_cohorts() -> pd.DataFrame:
    """Per-cohort Cox log HRs of the CIBERSORT M2 macrophage fraction in 29 breast cancer cohorts.

    One row per cohort (``n``, ``events``, ``log_hr`` per SD, ``se``), computed by tamclass with
    :func:`tamclass.prognosis.pool_cohorts` from the per-tumour table of Ali HR et al. 2016,
    *PLoS Med* 13:e1002194 (doi:10.1371/journal.pmed.1002194): univariable Cox per dataset with
    >= 20 events, M2 fraction z-scored within the dataset. Built by ``scripts/make_cohort_table.py``.
    Research use only.

    Examples
    --------
    >>> import tamclass as tc
    >>> cohorts = tc.datasets.ali2016_m2_cohorts()
    >>> res = tc.prognosis.meta_analysis(cohorts, effect="log_hr", se="se", method="DL")
    >>> round(res.hr, 3)
    1.068
    """
    path = resources.files("tamclass.datasets").joinpath("data/ali2016_m2_cohorts.tsv")
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, sep="\t", comment="#", index_col="dataset")
