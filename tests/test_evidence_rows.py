"""Every evidence row's printed sentence says what the row (and so the paper) says.

The checks here re-derive the expected wording from the raw TSV (not from the sentence builder's own
code): direction word vs the sign of log(effect) and the outcome wording, counts never 0 and never
claimed for a subgroup, and an identifier on every row.
"""

from __future__ import annotations

import csv
import math
import re
import warnings
from importlib import resources

import numpy as np
import pandas as pd
import pytest

import tamclass as tc
from tamclass._errors import TamclassWarning
from tamclass.prognosis._evidence import SURVIVAL_OUTCOMES, EvidenceTableError, link, sentence

pytestmark = pytest.mark.xdist_group("prognosis_evidence")


def _raw_rows() -> list[dict]:
    path = resources.files("tamclass.prognosis").joinpath("data/evidence.tsv")
    with path.open("r", encoding="utf-8") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


RAW = _raw_rows()
EV = tc.prognosis.evidence(_keep_text=True)


def _expected_phrase(raw: dict) -> str:
    """The direction phrase the sentence must contain, from the sign of log(effect) when the ratio is defined
    on the outcome, else from the authors' stated direction."""
    outcome = raw["outcome"]
    survival = outcome in SURVIVAL_OUTCOMES
    if raw["ratio_refers_to_outcome"] == "yes":
        lo, hi = math.log(float(raw["ci_lower"])), math.log(float(raw["ci_upper"]))
        sign = 1 if lo > 0 else (-1 if hi < 0 else 0)
    else:
        sign = {"worse": 1, "higher": 1, "better": -1, "lower": -1, "none": 0}[raw["direction_as_reported"]]
    if sign == 0:
        return f"not significantly associated with {outcome}"
    if survival:
        return f"associated with {'worse' if sign > 0 else 'better'} {outcome}"
    return f"associated with {outcome}" if sign > 0 else f"associated with a lower frequency of {outcome}"


@pytest.mark.parametrize("raw", RAW, ids=[r["id"] for r in RAW])
def test_every_row_sentence(raw):
    s = sentence(EV.loc[raw["id"]])
    # the direction word matches log(effect) (or the authors' statement when the ratio's comparison is not stated)
    assert _expected_phrase(raw) in s, s
    # ... and no opposite word slipped in
    opposite = {"worse": "better", "better": "worse"}
    for word, other in opposite.items():
        if f"associated with {word} " in s:
            assert f"associated with {other} " not in s
    assert "lower risk" not in s and "higher risk" not in s
    if raw["ratio_refers_to_outcome"] != "yes":
        assert "does not say which category this ratio compares" in s
        # the stated direction is backed by the authors' words naming the same outcome
        assert raw["outcome"].lower() in raw["finding_as_reported"].lower()
    # the effect printed is the row's, as printed in the source
    m = re.search(r"pooled (HR|RR) ([0-9.]+), 95% CI ([0-9.]+)\u2013([0-9.]+)", s)
    assert m and m.group(1) == raw["measure"]
    assert [m.group(2), m.group(3), m.group(4)] == [raw["hr"], raw["ci_lower"], raw["ci_upper"]]
    # counts are never 0, and empty means "not reported"
    for c in ("n_studies", "n_patients", "subgroup_n_studies", "subgroup_n_patients"):
        assert raw[c] == "" or int(raw[c]) > 0, (c, raw[c])
    assert not re.search(r"\b0 (studies|patients)\b", s)
    if raw["n_studies"] == "" and raw["n_patients"] == "":
        assert "not reported" in s
    # a subgroup row never prints the whole meta-analysis's counts as its own
    if raw["subgroup"] not in ("", "all"):
        if raw["subgroup_n_studies"] == "" and raw["subgroup_n_patients"] == "":
            assert (
                f"the size of the {raw['subgroup']} is not reported" in s
                or f"nor the size of the {raw['subgroup']}" in s
            ), s
        if raw["n_studies"]:
            assert f"meta-analysis of {int(raw['n_studies']):,} studies" in s and " in all" in s
            assert f"({int(raw['n_studies']):,} studies" not in s
    # every row has a DOI or a PMID
    assert raw["doi"].startswith("10.") or raw["pmid"].isdigit()
    # and names its population (cancer type), so a breast sentence never reads as generic
    assert f"in {raw['population']}, " in s


def test_ni_2019_says_what_the_abstract_says():
    """Ni 2019: TAMs go *with* low hormonal receptor levels (the old table printed 'a lower risk of' them)."""
    for rid, (hr, lo, hi) in {
        "ni2019_cd68_hr_low": ("0.75", "0.69", "0.82"),
        "ni2019_cd163_hr_low": ("0.82", "0.74", "0.90"),
    }.items():
        s = sentence(EV.loc[rid])
        assert "were associated with low hormonal receptor levels" in s
        assert f"pooled RR {hr}, 95% CI {lo}\u2013{hi}" in s
        assert "lower" not in s


def test_identifiers_from_the_audit():
    ev = tc.prognosis.evidence()
    ding = ev.loc[ev["short_citation"] == "Ding 2019"]
    assert set(ding["doi"]) == {"10.1371/journal.pone.0223971"} and set(ding["pmid"]) == {"31618252"}
    assert set(ev.loc[ev["short_citation"] == "Yuan 2017", "pmid"]) == {"28698008"}
    shen = ev.loc[ev["short_citation"] == "Shen 2021"]
    assert set(shen["doi"]) == {"10.3389/fonc.2021.657318"} and set(shen["pmid"]) == {"34026635"}
    zq = ev.loc[ev["short_citation"] == "Zhang QW 2012"]
    assert set(zq["pmid"]) == {"23284651"} and zq["id_note"].str.contains("corroborated").all()
    # Zhang QW: counts not reported are empty, never 0; the 55 studies are the whole (all solid tumours) analysis
    assert (zq["n_studies"] == 55).all() and zq["subgroup_n_studies"].isna().all()
    for rid in ("ding2019_hcc_cd204_os", "ding2019_hcc_cd206_os", "ding2019_hcc_cd169_os"):
        assert "intratumoural" in ev.loc[rid, "marker"] and "intratumoural" in ev.loc[rid, "exposure"]


def test_seed_reviews_cited_in_full():
    r = tc.prognosis.reviews()
    assert r.loc["Melwani 2024", "doi"] == "10.1007/978-3-031-65944-7_8" and r.loc["Melwani 2024", "pmid"] == "39406907"
    assert r.loc["Melwani 2024", "citation"] == (
        "Melwani PK, Checker R, Balla MMS, Pandey BN. Results Probl Cell Differ 2024;74:213-238"
    )
    assert r.loc["Jin 2025", "doi"] == "10.3389/fimmu.2025.1560393" and r.loc["Jin 2025", "pmid"] == "40092996"
    assert r.loc["Jin 2025", "citation"] == "Jin H, Meng X, Feng J. Front Immunol 2025;16:1560393"
    assert "no pooled numbers" in r.loc["Jin 2025", "role"]
    # no evidence row is sourced from either review
    assert not tc.prognosis.evidence()["doi"].isin(r["doi"]).any()


def _row(**change) -> pd.Series:
    r = EV.loc["allison2023_cd163_os"].copy()
    for k, v in change.items():
        r[k] = v
    return r


@pytest.mark.parametrize(
    "change, match",
    [
        ({"direction_as_reported": ""}, "no direction_as_reported"),
        ({"direction_as_reported": "better"}, "contradicts its own 95% CI"),
        ({"direction_as_reported": "higher"}, "does not fit outcome"),
        ({"finding_as_reported": ""}, "no finding_as_reported"),
        ({"n_studies": 0}, "leave it empty"),
        ({"subgroup_n_patients": 0}, "leave it empty"),
    ],
)
def test_builder_refuses_what_the_row_does_not_state(change, match):
    with pytest.raises(EvidenceTableError, match=match):
        sentence(_row(**change))


def test_subgroup_own_counts_are_printed_only_when_given():
    s = sentence(_row(subgroup_n_studies=7, subgroup_n_patients=1234))
    assert "(CD163+ marker subgroup: 7 studies, 1,234 patients, within a meta-analysis of 32 studies" in s


def test_link_cancer_type_filter_and_messages():
    with pytest.warns(TamclassWarning, match="no row for cancer type 'glioma'"):
        t = link(["macrophage_fraction"], cancer_type="glioma")
    assert t.empty and "breast" in t.attrs["messages"][0]
    t = link(["macrophage_fraction"], cancer_type="liver")
    assert set(t["cancer_type"]) == {"hepatocellular carcinoma"}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        t = link(["macrophage_fraction"])
    # default: every cancer type, grouped (breast first) and labelled, with the note saying so
    assert "No cancer type was given" in t.attrs["messages"][0]
    types = list(dict.fromkeys(t["cancer_type"]))
    assert types[0] == "breast" and len(types) > 1
    assert t["cancer_type"].tolist() == sorted(t["cancer_type"], key=types.index)


def test_link_skips_unmeasured_features():
    summary = pd.DataFrame(
        {
            "macrophage_fraction": [0.2, 0.4],
            "state_fraction_M2-like": [np.nan, np.nan],
            "m2_m1_ratio": [np.nan, np.nan],
            "score_NotInTable": [0.1, 0.2],
        },
        index=["s1", "s2"],
    )
    t = link(summary, cancer_type="breast")
    assert set(t["feature"]) == {"macrophage_fraction"}
    assert t.attrs["not_measured"] == ["state_fraction_M2-like", "m2_m1_ratio"]
    assert t.attrs["no_evidence"] == ["score_NotInTable"]
    assert any("not measured" in m for m in t.attrs["messages"])
