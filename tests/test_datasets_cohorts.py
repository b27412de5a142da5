"""The shipped cohort table equals what the package computes from the raw Ali 2016 data."""

import numpy as np
import pandas as pd
import pytest

import tamclass as tc


def test_shipped_table_pools_to_the_published_fixture_value():
    cohorts = tc.datasets.ali2016_m2_cohorts()
    assert len(cohorts) == 29 and (cohorts["events"] >= 20).all()
    res = tc.prognosis.meta_analysis(cohorts, effect="log_hr", se="se", method="DL")
    # fixture tam_m2_ali2016_29cohorts.tsv: pooled HR 1.068 (1.019-1.120), R metafor 3.8.1 DL
    assert res.hr == pytest.approx(1.068, abs=0.0005)
    assert res.hr_ci == pytest.approx((1.019, 1.120), abs=0.0006)


def test_shipped_table_matches_the_shared_fixture(shared_data):
    fixture = pd.read_csv(shared_data("meta_analysis/tam_m2_ali2016_29cohorts.tsv"), sep="\t", index_col="dataset")
    shipped = tc.datasets.ali2016_m2_cohorts().reindex(fixture.index)
    assert np.abs(shipped["log_hr"] - fixture["log_hr"]).max() < 1e-4
    assert np.abs(shipped["se"] - fixture["se"]).max() < 1e-4
    assert (shipped["events"] == fixture["events"]).all()
