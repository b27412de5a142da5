"""``tc.tl.gate``: call macrophages, monocytes, dendritic cells and other cells in tumours.

Resolve the inputs -> score the gating panels -> smooth -> decide -> write. The decision itself and
the gating model live in :mod:`tamclass.gating`; this module only moves data in and out of AnnData.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import InputError
from .._keys import CELLTYPES, DEFAULT_KEY, MACROPHAGE, OTHER, STEP_GATE, keys
from .._settings import logger
from ..gating._panels import MODEL_FILE, ROLE_CONTAMINANT, ROLE_MYELOID, ROLE_NEGATIVE, load_panels
from ..gating._rules import Decision, decide, majority_vote
from ..gating._smooth import knn_smooth, pca_embedding
from ..signatures._signature import Signature
from ._common import (
    check_no_clobber,
    check_normalization,
    library_version,
    require_finite,
    resolve_adata,
    store,
    warn,
)

#: UCell SmoothKNN decay (pyucell default), principal components of the embedding
SMOOTH_DECAY = 0.1
N_PCS = 20
#: beyond this many cells, smoothing neighbours are searched in a systematic subsample of this size
MAX_SMOOTH_REFERENCE = 10_000
#: genes a panel needs in the data to be scored: two for positive evidence (one gene is one dropout or
#: one ambient transcript away from a wrong call), one for a lineage to exclude (one T-cell gene is
#: enough to doubt that a cell is a macrophage)
MIN_GENES = {ROLE_MYELOID: 2, ROLE_NEGATIVE: 1, ROLE_CONTAMINANT: 1}
RULE = (
    "panels of the gating model (tamclass/gating/data/human_tme.tsv) scored with UCell over the genes present "
    "(pyucell missing_genes='skip'), kNN-smoothed (k=smooth_k, decay smooth_decay, PCA of the panel genes); "
    "myeloid when the best myeloid panel >= min_score and >= margin above the best negative lineage; among myeloid "
    "cells the lineage panel with the highest score (macrophage, monocyte, cDC1, cDC2, mregDC, pDC) gives the call"
)


def gate(
    adata,
    *,
    groupby: str | None = None,
    key_added: str = DEFAULT_KEY,
    min_score: float = 0.1,
    margin: float = 0.05,
    min_fraction: float = 0.5,
    smooth_k: int = 10,
    layer: str | None = None,
    use_raw: bool | None = None,
    gene_symbols: str | None = None,
    species: str = "human",
    random_state: int = 0,
    progress: bool | None = None,
    copy: bool = False,
):
    """Gate macrophages, monocytes and dendritic cells in tumour (or blood) single-cell data.

    A hierarchical positive / negative marker gate in the style of scGate (Andreatta et al. 2022,
    Bioinformatics 38:2642), with its model as a data file (``tamclass/gating/data/human_tme.tsv``, every
    panel cited to the scGate model table it comes from and every change to it explained):

    1. **Panels.** Each cell is scored with UCell (rank method, ``max_rank=1500``) on a panel per lineage,
       over the panel genes present in the data (so 300-1,000-gene imaging panels and gene-filtered matrices
       are gated on what they have): myeloid lineages -- a common monocyte/macrophage/DC panel, macrophage,
       monocyte, cDC1, cDC2, mregDC, pDC -- and lineages to exclude -- T, NK, B, plasma, epithelial,
       fibroblast, endothelial (with post-capillary venules), perivascular (pericytes, smooth muscle),
       neutrophil, mast/basophil, platelet -- and a contaminant (red cells: it names cells without myeloid
       evidence but does not veto a myeloid call, since ambient haemoglobin sticks to every droplet). A myeloid panel
       needs 2 genes in the data, a negative one 1; a panel below that is *undecidable* and a :class:`~tamclass.errors.TamclassWarning`
       names the lineages that cannot be identified or excluded.
    2. **Smoothing.** Scores are averaged over each cell's ``smooth_k`` nearest neighbours (UCell
       SmoothKNN weights, decay 0.1) in a PCA of the panel genes, so panels with few genes are not at the
       mercy of one dropout.
    3. **Myeloid or not.** Myeloid when the best myeloid panel reaches ``min_score`` and leads the best
       negative lineage by ``margin``. Neutrophils and mast cells are lineages of their own: their panels
       hold only genes that monocytes and macrophages lack (FCGR3B, CXCR2, CMTM2 ...; TPSAB1, CPA3, KIT ...),
       so they are excluded, never called monocytes.
    4. **Which lineage.** The myeloid lineage panel with the highest score. The macrophage panel is the
       tissue programme (C1QA/B/C, APOE, APOC1, CD163, MRC1, SLC40A1, SELENOP, FOLR2, VSIG4, STAB1, TREM2,
       CD68) and the monocyte panel the blood end (FCN1, VCAN, S100A12, CCR2, CD300E, ...) without S100A8/9
       and LYZ, which inflammatory, interferon and cycling TAMs keep: those TAMs are called macrophages from
       their C1Q/APOE evidence (Cheng et al. 2021 Cell 184:792).

    ``obs[f"{key_added}_lineage"]`` keeps the finer answer (e.g. ``mast``, ``neutrophil``, ``perivascular``,
    ``cDC2``, ``pDC``; ``unresolved`` = neither myeloid nor any negative lineage's evidence). Everything is
    deterministic (no random numbers). Validation on real data: ``benchmarks/RESULTS.md``.

    Parameters
    ----------
    adata
        Cells x genes (an AnnData, or a MuData whose ``rna`` modality is used): raw counts, log-normalised, or TPM (ranks are scale-free; TPM without a log is warned
        about because the smoothing embedding then uses linear values).
    groupby
        Optional ``obs`` column of clusters (e.g. an over-clustered leiden). Like CellTypist's majority
        voting, every cell of a cluster gets the cluster's majority call when that call holds at least
        ``min_fraction`` of its cells and is the unique maximum; ties and weaker majorities keep the
        per-cell calls.
    key_added
        Prefix of the keys written.
    min_score
        Floor of the best myeloid panel score (UCell units, 0-1).
    margin
        Lead the best myeloid panel needs over the best negative lineage (UCell units).
    min_fraction
        Majority fraction needed to smooth a cluster (only with ``groupby``).
    smooth_k
        Nearest neighbours for the score smoothing (0 = per-cell scores).
    layer, use_raw, gene_symbols
        Which matrix and which gene names (scanpy semantics, see :func:`tamclass.tl.score`).
    species
        ``"human"`` or ``"mouse"`` (mouse panels are mapped with the shipped ortholog table; genes it does not
        cover are mapped by the case rule and listed in ``uns``).
    random_state
        Passed to the scoring engine (rank scores do not use it; kept for a uniform signature).
    progress
        Show a progress bar while scoring.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    None, or the AnnData when ``copy=True``. Writes

    * ``obs[f"{key_added}_celltype"]``: categorical with categories macrophage, monocyte, dendritic, other;
    * ``obs[f"{key_added}_is_macrophage"]``: bool;
    * ``obs[f"{key_added}_lineage"]``: categorical, the finer lineage;
    * ``uns[key_added]["gate"]``: the rule, thresholds, panel genes and coverage, undecidable lineages, the
      warnings issued, counts per cell type and lineage, and the per-cluster vote table (with ``groupby``).

    Examples
    --------
    >>> import tamclass as tc
    >>> adata = tc.datasets.demo()
    >>> tc.tl.gate(adata)
    >>> adata.obs["tamclass_celltype"].value_counts()  # doctest: +SKIP
    >>> adata.obs["tamclass_lineage"].value_counts()  # doctest: +SKIP
    >>> adata.uns["tamclass"]["gate"]["undecidable"]  # doctest: +SKIP
    """
    adata = resolve_adata(adata, copy)
    params = {"min_score": min_score, "margin": margin, "min_fraction": min_fraction, "smooth_k": smooth_k}
    _check_params(adata, groupby=groupby, **params)
    K = keys(key_added)
    check_no_clobber(adata, key_added, STEP_GATE, obs_cols=K.gate_obs)
    matrix = {"layer": layer, "use_raw": use_raw, "gene_symbols": gene_symbols, "species": species}
    notes: list[str] = []
    check_normalization(adata, notes, layer=layer, use_raw=use_raw)
    panels, by_case = load_panels(species)
    present = _present_genes(adata, panels, **matrix)
    S = _score_panels(adata, panels, present, random_state=random_state, progress=progress, **matrix)
    undecidable = _undecidable(panels, present, notes)
    _require_myeloid_scores(S, panels)
    S, n_smoothed = _smooth(adata, S, present, smooth_k, progress=progress, **matrix)
    decision = decide(S, panels, min_score=min_score, margin=margin)
    codes, lineage, votes = _vote(decision, adata.obs, groupby, min_fraction)
    _write(adata, K, codes, lineage, Decision.lineage_categories(panels))
    info = _provenance(
        adata, panels, present, undecidable, by_case, notes, params, groupby, n_smoothed, (codes, lineage, votes)
    )
    store(adata, key_added, STEP_GATE, info)
    logger.info(f"gate: {info['counts']}")
    return adata if copy else None


# ----------------------------------------------------------------------------------------- helpers
def _check_params(adata, *, min_score, margin, min_fraction, smooth_k, groupby) -> None:
    for name, val in (("min_score", min_score), ("margin", margin), ("min_fraction", min_fraction)):
        require_finite(name, val)
    if isinstance(smooth_k, bool) or not isinstance(smooth_k, (int, np.integer)) or smooth_k < 0:
        raise InputError(f"smooth_k must be a non-negative integer (0 = no smoothing), got {smooth_k!r}.")
    if not 0.0 <= min_fraction <= 1.0:
        raise InputError(f"min_fraction must be between 0 and 1, got {min_fraction!r}.")
    if groupby is not None and groupby not in adata.obs.columns:
        raise InputError(f"groupby={groupby!r} is not an obs column; available: {list(adata.obs.columns)[:20]}.")


def _present_genes(adata, panels, *, layer, use_raw, gene_symbols, species) -> dict[str, list[str]]:
    from .._data import map_genes, resolve_matrix

    source = resolve_matrix(adata, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols)
    genes = list(dict.fromkeys(g for p in panels for g in p.genes))
    found, _ = map_genes(genes, source, species=species)
    return {p.lineage: [g for g in p.genes if g in found] for p in panels}


def _score_panels(adata, panels, present, *, layer, use_raw, gene_symbols, species, random_state, progress):
    """Cells x panels UCell scores over the present genes; NaN for panels below ``MIN_GENES``."""
    from ._panel_scores import score_signatures

    sigs = {
        p.lineage: Signature(name=p.lineage, up=tuple(present[p.lineage]), category="gating", species=species)
        for p in panels
        if len(present[p.lineage]) >= MIN_GENES[p.role]
    }
    S = np.full((adata.n_obs, len(panels)), np.nan)
    if sigs:
        frame = score_signatures(
            adata,
            sigs,
            layer=layer,
            use_raw=use_raw,
            gene_symbols=gene_symbols,
            species=species,
            random_state=random_state,
            progress=progress,
        )
        for j, p in enumerate(panels):
            if p.lineage in frame.columns:
                S[:, j] = frame[p.lineage].to_numpy(dtype=np.float64)
    return S


def _undecidable(panels, present, notes) -> dict[str, str]:
    """Myeloid and negative lineages whose panel has too few genes in the data (present/total); warned once.

    Contaminant panels are not listed: a missing one changes no myeloid call.
    """
    short = [p for p in panels if p.role != ROLE_CONTAMINANT and len(present[p.lineage]) < MIN_GENES[p.role]]
    out = {p.lineage: f"{len(present[p.lineage])}/{len(p.genes)}" for p in short}
    parts = [
        f"{what}: {', '.join(f'{p.lineage} ({out[p.lineage]})' for p in short if p.role == role)}"
        for role, what in ((ROLE_MYELOID, "cannot be identified"), (ROLE_NEGATIVE, "cannot be excluded"))
        if any(p.role == role for p in short)
    ]
    if parts:
        warn(
            notes,
            "gate: too few panel genes in the data (genes present/total) -- lineages that "
            f"{'; lineages that '.join(parts)}. Such cells are called from the other panels (e.g. a mast "
            "cell that cannot be excluded may pass as myeloid); check var_names / gene_symbols= / species, "
            "or accept these limits for a gene-filtered matrix or a targeted panel.",
        )
    return out


def _require_myeloid_scores(S, panels) -> None:
    """Refuse data on which no myeloid panel could be scored (every cell would be "other")."""
    if not np.isfinite(S[:, [i for i, p in enumerate(panels) if p.role == ROLE_MYELOID]]).any():
        raise InputError(
            "none of the myeloid panels could be scored (fewer than 2 of their genes in the data); "
            "check that var_names are gene symbols (or pass gene_symbols=) and species."
        )


def _smooth(adata, S, present, k, *, layer, use_raw, gene_symbols, species, progress):
    """kNN-smoothed scores (UCell SmoothKNN in a PCA of the panel genes) and the number of cells smoothed."""
    from .._data import extract_genes

    if k <= 0 or adata.n_obs <= 1:
        return S, 0
    genes = sorted({g for gs in present.values() for g in gs})
    X, _, _ = extract_genes(
        adata, genes, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols, species=species, progress=progress
    )
    emb = pca_embedding(X, N_PCS)
    del X
    finite = np.isfinite(S).any(axis=0)
    out = S.copy()
    out[:, finite] = knn_smooth(S[:, finite], emb, k=int(k), decay=SMOOTH_DECAY, max_reference=MAX_SMOOTH_REFERENCE)
    return out, int(adata.n_obs)


def _vote(decision, obs, groupby, min_fraction):
    """Per-cell calls, or with ``groupby`` the cluster majority vote on the coarse call (codes, lineage, table).

    Cells moved by the vote take the cluster's commonest lineage among the cells that already had the
    winning call.
    """
    codes, lineage = decision.codes, decision.lineage
    if groupby is None:
        return codes, lineage, None
    groups = obs[groupby].to_numpy()
    voted, table = majority_vote(codes, groups, min_fraction=min_fraction)
    lineage = lineage.copy()
    groups = pd.Series(pd.Categorical(groups)).to_numpy()
    for g in pd.unique(groups[voted != codes]):
        members = groups == g
        winners = members & (codes == voted)
        if winners.any():
            lineage[members & (voted != codes)] = pd.Series(lineage[winners]).mode().iloc[0]
    return voted, lineage, table


def _write(adata, K, codes, lineage, lineage_categories) -> None:
    adata.obs[K.celltype] = pd.Categorical.from_codes(codes, categories=list(CELLTYPES))
    adata.obs[K.is_macrophage] = np.asarray(codes == CELLTYPES.index(MACROPHAGE), dtype=bool)
    adata.obs[K.lineage] = pd.Categorical(lineage.astype(str), categories=lineage_categories)


def _provenance(adata, panels, present, undecidable, by_case, notes, params, groupby, n_smoothed, calls) -> dict:
    """``uns[key]["gate"]``: the rule, thresholds, panels and their coverage, warnings, counts (and votes)."""
    codes, lineage, votes = calls
    info = {
        "rule": RULE,
        "model": MODEL_FILE,
        "min_score": float(params["min_score"]),
        "margin": float(params["margin"]),
        "smooth_k": int(params["smooth_k"]),
        "smooth_decay": SMOOTH_DECAY,
        "n_pcs": N_PCS,
        "n_smoothed": n_smoothed,
        "smooth_max_reference": MAX_SMOOTH_REFERENCE,
        "panels": {
            p.lineage: {
                "call": p.call,
                "role": p.role,
                "genes": list(p.genes),
                "source": p.source,
                "genes_present": list(present[p.lineage]),
                "n_present": len(present[p.lineage]),
                "n_total": len(p.genes),
            }
            for p in panels
        },
        "undecidable": undecidable,
        "mapped_by_case": by_case,
        "warnings": notes,
        "score_method": "rank",
        "scores_from": "computed internally (gating panels)",
        "groupby": groupby if groupby is not None else "",
        "min_fraction": float(params["min_fraction"]),
        "counts": {c: int((codes == i).sum()) for i, c in enumerate(CELLTYPES)},
        "lineage_counts": {c: int((lineage == c).sum()) for c in Decision.lineage_categories(panels)},
        "n_myeloid": int((codes != CELLTYPES.index(OTHER)).sum()),
        "n_cells": int(adata.n_obs),
        "library_version": str(library_version()),
    }
    if votes is not None:
        info["votes"] = votes
    return info
