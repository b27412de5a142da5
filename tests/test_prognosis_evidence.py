"""The shipped literature evidence table and the summary-feature links."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import tamclass as tc
from tamclass.prognosis._evidence import link

pytestmark = pytest.mark.xdist_group("prognosis_evidence")

# values as printed in the abstracts (see shared/research/prognosis.md section 1.1)
PUBLISHED = {
    "allison2023_tam_os": (1.69, 1.37, 2.07),
    "allison2023_tam_pfs": (1.64, 1.35, 1.99),
    "allison2023_cd163_os": (2.24, 1.71, 2.92),
    "allison2023_cd68_os": (1.5, 1.12, 2.0),
    "allison2023_tnbc_os": (2.81, 1.35, 5.84),
    "wang2022_stromal_cd68_os": (2.46, 1.83, 3.31),
    "wang2022_stromal_cd68_dfs": (1.77, 1.08, 2.89),
    "zhao2017_tam_os": (1.504, 1.200, 1.884),
    "zhao2017_tam_dfs": (2.228, 1.716, 2.892),
    "zhangqw2012_breast_os": (8.62, 3.10, 23.95),
}


def test_published_values_and_citations():
    ev = tc.prognosis.evidence()
    for rid, vals in PUBLISHED.items():
        assert tuple(ev.loc[rid, ["hr", "ci_lower", "ci_upper"]]) == pytest.approx(vals)
    assert ev.loc["zhangqw2012_breast_os", "measure"] == "RR"
    assert (ev["ci_lower"] <= ev["hr"]).all() and (ev["hr"] <= ev["ci_upper"]).all()
    assert (ev["citation"].str.len() > 10).all()
    # every row has a DOI, a PMID or a PMC id in its citation
    has_id = (
        ev["doi"].str.startswith("10.") | ev["pmid"].str.fullmatch(r"\d+") | ev["citation"].str.contains("PMC|e\\d+")
    )
    assert has_id.all()
    assert ev.attrs["note"] == "research use only; not a per-patient risk prediction"
    required = {
        "marker",
        "feature",
        "outcome",
        "hr",
        "ci_lower",
        "ci_upper",
        "n_studies",
        "n_patients",
        "subgroup",
        "cancer_type",
        "citation",
        "doi",
        "pmid",
        "notes",
    }
    assert required <= set(ev.columns)


def test_feature_filters():
    cd163 = tc.prognosis.evidence("IHC_CD163", outcome="OS", cancer_type="breast")
    assert list(cd163.index) == ["allison2023_cd163_os"]
    # a summarize column matches its signature / feature key
    assert "allison2023_cd163_os" in tc.prognosis.evidence("score_macrophage_IHC_CD163").index
    mf = tc.prognosis.evidence("macrophage_fraction", measure="HR", cancer_type="breast")
    assert {"allison2023_tam_os", "zhao2017_tam_os", "wang2022_stromal_cd68_os"} <= set(mf.index)
    assert tc.prognosis.evidence("no_such_feature").empty


def test_link_sentences():
    summary = pd.DataFrame(columns=["n_cells", "macrophage_fraction", "score_IHC_CD163"])
    t = link(summary, outcome="OS", cancer_type="breast")
    assert set(t["feature"]) == {"macrophage_fraction", "score_IHC_CD163"}
    s = t.loc[t.evidence_id == "allison2023_cd163_os", "sentence"].iloc[0]
    # a subgroup estimate: the counts are the whole meta-analysis's, and the subgroup size is not reported
    assert s == (
        "In Allison 2023 (meta-analysis of 32 studies, 8,446 patients in all; the size of the CD163+ marker "
        "subgroup is not reported), in breast cancer, a high density of CD163+ TAMs was associated with "
        "worse OS (pooled HR 2.24, 95% CI 1.71\u20132.92)."
    )
    assert (t["note"] == "research use only; not a per-patient risk prediction").all()
    # numbers in each sentence are the row's numbers
    for _, r in t.iterrows():
        nums = [float(x) for x in re.findall(r"(?:HR|RR) ([0-9.]+), 95% CI ([0-9.]+)\u2013([0-9.]+)", r.sentence)[0]]
        assert nums == pytest.approx([r.hr, r.ci_lower, r.ci_upper])


def test_link_protective_direction():
    t = link(["IHC_CD169_SIGLEC1"])
    assert "associated with better OS" in t["sentence"].iloc[0]
