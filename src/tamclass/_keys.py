"""Names tamclass writes into an AnnData and the words its labels use, spelled once for every module.

**Keys.** Every tool writes under a prefix, its ``key_added`` argument (default :data:`DEFAULT_KEY`).
:func:`keys` spells the ``obs`` / ``obsm`` names of a prefix (``keys("tamclass").state`` is
``"tamclass_state"``). ``uns[prefix]`` is a dict holding one provenance record per step (:data:`STEP_SCORE`,
:data:`STEP_GATE`, :data:`STEP_CLASSIFY`, :data:`STEP_SUMMARIZE`), the per-sample table of ``tl.summarize``
(:data:`UNS_SAMPLES`) and the ``obs`` columns tamclass wrote and may replace (:data:`UNS_OBS_COLUMNS`).

=====================  =======  =================================================================
name                   where    written by
=====================  =======  =================================================================
``scores``             obsm     ``tl.score`` (cells x signatures DataFrame)
``celltype``           obs      ``tl.gate``: :data:`CELLTYPES`
``is_macrophage``      obs      ``tl.gate``: bool
``lineage``            obs      ``tl.gate``: a gating panel's lineage or :data:`UNRESOLVED`
``state``              obs      ``tl.classify``: :data:`STATE_CLASSES`, :data:`UNASSIGNED`, :data:`NOT_MACROPHAGE`
``subset``             obs      ``tl.classify``: :data:`SUBSET_CLASSES`, :data:`UNASSIGNED`, :data:`NOT_MACROPHAGE`
``label``              obs      ``tl.classify`` with a model: its classes, :data:`UNASSIGNED`, :data:`NOT_MACROPHAGE`
``<kind>_confidence``  obs      ``tl.classify`` (kind = state, subset, label)
``<kind>_source``      obs      ``tl.classify`` without a model (kind = state, subset): :data:`SOURCE_CATEGORIES`
``polarization``       obs      ``tl.classify``
``<kind>_proba``       obsm     ``tl.classify`` (kind = state, subset, label)
``<kind>_z``           obsm     ``tl.classify`` without a model (kind = state, subset)
=====================  =======  =================================================================

**Vocabulary.** The categories of those columns, and the columns of the per-sample table of
``tl.summarize`` (``uns[key]["samples"]``: fixed names ``COL_*`` and per-category prefixes ``PREFIX_*``, e.g.
``PREFIX_STATE_FRACTION + M2_LIKE`` is ``"state_fraction_M2-like"``). Pure constants: importing this module
imports nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

__all__ = [
    "CELLTYPES",
    "DEFAULT_KEY",
    "DENDRITIC",
    "COL_LOG2_M2_M1_RATIO",
    "COL_M2_M1_RATIO",
    "COL_MACROPHAGE_FRACTION",
    "COL_N_CELLS",
    "COL_N_MACROPHAGES",
    "COL_N_STATE_CLASSIFIED",
    "COL_POLARIZATION_MEAN",
    "COL_POLARIZATION_MEDIAN",
    "M1_LIKE",
    "M2_LIKE",
    "MACROPHAGE",
    "MONOCYTE",
    "NAMES",
    "NOT_MACROPHAGE",
    "OTHER",
    "PREFIX_CELLTYPE_FRACTION",
    "PREFIX_SCORE",
    "PREFIX_SCORE_MACROPHAGE",
    "PREFIX_STATE_FRACTION",
    "PREFIX_SUBSET_FRACTION",
    "SOURCES",
    "SOURCE_CATEGORIES",
    "SOURCE_EVIDENCE",
    "SOURCE_NETWORK",
    "SOURCE_NONE",
    "STATE_CLASSES",
    "STEPS",
    "STEP_CLASSIFY",
    "STEP_GATE",
    "STEP_SCORE",
    "STEP_SUMMARIZE",
    "SUBSET_CLASSES",
    "UNASSIGNED",
    "UNRESOLVED",
    "UNS_OBS_COLUMNS",
    "UNS_SAMPLES",
    "Keys",
    "keys",
]

#: default ``key_added`` of every tool (the prefix of the keys written and read)
DEFAULT_KEY = "tamclass"

# ------------------------------------------------------------------------------------------------ uns
#: ``uns[key][step]``: the provenance record of each step (also what ``check_no_clobber`` looks for)
STEP_SCORE = "score"
STEP_GATE = "gate"
STEP_CLASSIFY = "classify"
STEP_SUMMARIZE = "summarize"
STEPS = (STEP_SCORE, STEP_GATE, STEP_CLASSIFY, STEP_SUMMARIZE)
#: ``uns[key]["samples"]``: the per-sample table of ``tl.summarize``
UNS_SAMPLES = "samples"
#: ``uns[key]["obs_columns"]``: the ``obs`` columns tamclass wrote (``tl.score(obs_columns=...)``,
#: ``get.scores_to_obs``), the only ones it may replace
UNS_OBS_COLUMNS = "obs_columns"

# ------------------------------------------------------------------------------------------ vocabulary
#: coarse cell types of ``obs[f"{key}_celltype"]``, in category order (a contract of ``tl.gate``)
MACROPHAGE = "macrophage"
MONOCYTE = "monocyte"
DENDRITIC = "dendritic"
OTHER = "other"
CELLTYPES = (MACROPHAGE, MONOCYTE, DENDRITIC, OTHER)
#: ``obs[f"{key}_lineage"]`` of a cell with neither myeloid nor any negative lineage's evidence
UNRESOLVED = "unresolved"

#: macrophage states (``obs[f"{key}_state"]``), in the order of the manifest's ``state`` sets
M1_LIKE = "M1-like"
M2_LIKE = "M2-like"
STATE_CLASSES = (M1_LIKE, M2_LIKE)
#: Ma et al. 2022 TAM subsets (``obs[f"{key}_subset"]``), in the order of the manifest's ``subset`` sets
SUBSET_CLASSES = ("IFN-TAM", "Reg-TAM", "Inflam-TAM", "LA-TAM", "Angio-TAM", "RTM-TAM", "Prolif-TAM")
#: a classified cell without a label (no evidence call, no confident network call, below a model's threshold)
UNASSIGNED = "unassigned"
#: a cell outside the classified set (not gated as a macrophage)
NOT_MACROPHAGE = "not macrophage"

#: which step labelled a cell (``obs[f"{key}_state_source"]`` / ``_subset_source``)
SOURCE_EVIDENCE = "evidence"
SOURCE_NETWORK = "network"
SOURCE_NONE = "none"
SOURCES = (SOURCE_EVIDENCE, SOURCE_NETWORK, SOURCE_NONE)
#: the categories of a source column: the sources, then :data:`NOT_MACROPHAGE`
SOURCE_CATEGORIES = (*SOURCES, NOT_MACROPHAGE)

# ------------------------------------------------------------------------- tl.summarize's sample table
#: cells, gated macrophages, their share, macrophages with a state other than unassigned (per sample)
COL_N_CELLS = "n_cells"
COL_N_MACROPHAGES = "n_macrophages"
COL_MACROPHAGE_FRACTION = "macrophage_fraction"
COL_N_STATE_CLASSIFIED = "n_state_classified"
#: (n_M2-like + 0.5) / (n_M1-like + 0.5) among macrophages, and its log2
COL_M2_M1_RATIO = "m2_m1_ratio"
COL_LOG2_M2_M1_RATIO = "log2_m2_m1_ratio"
#: mean / median polarization index over the sample's macrophages
COL_POLARIZATION_MEAN = "polarization_mean"
COL_POLARIZATION_MEDIAN = "polarization_median"
#: + a cell type / state / subset: its fraction (cell types among all cells, the others among macrophages)
PREFIX_CELLTYPE_FRACTION = "celltype_fraction_"
PREFIX_STATE_FRACTION = "state_fraction_"
PREFIX_SUBSET_FRACTION = "subset_fraction_"
#: + a signature: its mean score over all cells / over the macrophages of the sample
PREFIX_SCORE = "score_"
PREFIX_SCORE_MACROPHAGE = "score_macrophage_"


# ------------------------------------------------------------------------------------------------ keys
@dataclass(frozen=True)
class Keys:
    """The ``obs`` / ``obsm`` keys of one prefix (build it with :func:`keys`).

    ``K["state_confidence"]`` is ``K.state_confidence``, so a loop over kinds can spell
    ``K[f"{kind}_proba"]``.
    """

    prefix: str
    scores: str
    celltype: str
    is_macrophage: str
    lineage: str
    state: str
    state_confidence: str
    state_source: str
    state_proba: str
    state_z: str
    subset: str
    subset_confidence: str
    subset_source: str
    subset_proba: str
    subset_z: str
    polarization: str
    label: str
    label_confidence: str
    label_proba: str

    def __getitem__(self, name: str) -> str:
        if name == "prefix" or name not in NAMES:
            raise KeyError(f"{name!r} is not a tamclass key name; names: {', '.join(NAMES)}")
        return getattr(self, name)

    @property
    def gate_obs(self) -> tuple[str, ...]:
        """The ``obs`` columns ``tl.gate`` writes."""
        return (self.celltype, self.is_macrophage, self.lineage)


#: every key name (the suffix after ``f"{prefix}_"``)
NAMES = tuple(f.name for f in fields(Keys) if f.name != "prefix")


def keys(prefix: str = DEFAULT_KEY) -> Keys:
    """The keys written under ``prefix``: ``keys(p).<name> == f"{p}_<name>"`` for every name in :data:`NAMES`."""
    return Keys(prefix, **{name: f"{prefix}_{name}" for name in NAMES})
