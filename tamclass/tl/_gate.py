"""``tc.tl.gate``: call macrophages, monocytes, dendritic cells and other cells from signature scores."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .._errors import InputError
from .._settings import logger

#: identity sets, in the order macrophage, classical monocyte, non-classical monocyte, dendritic cell
IDENTITY_SETS = ("Macrophage_identity", "Monocyte_classical", "Monocyte_nonclassical", "Dendritic_cell")
#: negative-lineage sets always used; any other default-library set of category "negative_lineage"
#: (e.g. Neg_neutrophil, Neg_mast) is added
NEGATIVE_SETS = ("Neg_T_cell", "Neg_B_cell", "Neg_NK_cell", "Neg_plasma", "Neg_epithelial", "Neg_fibroblast",
                 "Neg_endothelial")
#: extra negatives (platelets / red cells: contaminants, monocyte-platelet complexes). Always used when
#: the gate scores internally; taken from stored scores only when they are there.
OPTIONAL_NEGATIVE_SETS = ("Combes2021_Platelet", "Combes2021_RBC")
#: stage-2 constants: UCell SmoothKNN decay (pyucell default), principal components of the embedding,
#: smallest myeloid compartment for the data-relative (z-scaled) lineage comparison
SMOOTH_DECAY = 0.1
N_PCS = 20
MIN_CELLS = 50
#: beyond this many myeloid cells, smoothing neighbours are searched in a systematic subsample of this size
MAX_SMOOTH_REFERENCE = 10_000
#: identity sets covered below this fraction of their genes trigger a TamclassWarning
MIN_COVERAGE = 0.5
RULE = (
    "stage 1: myeloid if max(identity) >= min_score and max(identity) - max(negative) >= margin "
    "(UCell scores, absent genes imputed at max_rank); stage 2 among myeloid cells: identity and negative "
    "scores coverage-normalised (UCell over present genes), kNN-smoothed (k=smooth_k, decay smooth_decay, "
    "PCA of default-library genes); a lineage is eligible when its smoothed score >= min_score and >= margin "
    "above the smoothed negative; monocyte vs dendritic = eligible one with the larger (score - median) / sd "
    "within the myeloid cells (lineage_mode 'relative'; larger score = 'absolute' when fewer than "
    "min_cells_relative myeloid cells); macrophage when eligible and its score > the monocyte score; no "
    "eligible lineage: largest score; "
    "lineage_centre/lineage_scale are the monocyte and dendritic median/sd"
)


def negative_sets(table) -> list[str]:
    extra = []
    if "category" in table.columns:
        sel = table["category"].astype(str) == "negative_lineage"
        if "in_default" in table.columns:
            sel &= table["in_default"].astype(bool)
        extra = [n for n in table.index[sel] if n not in NEGATIVE_SETS]
    return [s for s in NEGATIVE_SETS if s in table.index] + extra


def _check_adata(adata):
    from anndata import AnnData

    if not isinstance(adata, AnnData):
        raise InputError(f"expected an AnnData, got {type(adata).__name__}.")
    if adata.n_obs == 0:
        raise InputError("the AnnData has no cells.")


def _ours(adata, key: str, step: str) -> bool:
    info = adata.uns.get(key)
    return isinstance(info, dict) and step in info


def check_no_clobber(adata, key: str, step: str, obs_cols=(), obsm_keys=()) -> None:
    """Refuse to overwrite obs/obsm entries that tamclass did not write (no ``uns[key][step]`` record)."""
    if _ours(adata, key, step):
        return
    clash = [c for c in obs_cols if c in adata.obs.columns] + [f"obsm[{k!r}]" for k in obsm_keys if k in adata.obsm]
    if clash:
        raise InputError(
            f"{clash} already exist and were not written by tamclass {step}; pass another key_added= "
            "(or delete them) so your data is not overwritten."
        )


def gate(
    adata,
    *,
    groupby: str | None = None,
    key_added: str = "tamclass",
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
    """Gate macrophages, monocytes and dendritic cells from identity and negative-lineage signatures.

    Cells are scored with the rank (UCell) method on the identity sets ``Macrophage_identity``,
    ``Monocyte_classical``, ``Monocyte_nonclassical``, ``Dendritic_cell`` and the negative-lineage sets
    ``Neg_T_cell``, ``Neg_B_cell``, ``Neg_NK_cell``, ``Neg_plasma``, ``Neg_epithelial``, ``Neg_fibroblast``,
    ``Neg_endothelial`` and any other default negative-lineage set (Neg_neutrophil, Neg_mast), plus the platelet
    and red-cell sets ``Combes2021_Platelet`` and ``Combes2021_RBC`` (contaminants, monocyte-platelet complexes;
    used when the gate scores internally, and from stored scores only if present). Scores already in
    ``obsm[f"{key_added}_scores"]`` from the rank method are reused; otherwise they are computed internally
    and *not* written. Then (details in :mod:`tamclass.classifier._gating`):

    **Stage 1, myeloid or not** (scGate-style positive / negative gating, Andreatta et al. 2022), per cell on
    the UCell scale (0-1, ``max_rank=1500``; absent genes count as unexpressed, which is conservative): myeloid
    when ``max(identity) >= min_score`` and ``max(identity) - max(negative) >= margin``. All others are
    ``other``.

    **Stage 2, which lineage** (``macrophage``, ``monocyte`` -- either monocyte set -- or ``dendritic``), among
    the myeloid cells: the scores are re-expressed over the genes present in the data (coverage-normalised,
    pyucell ``missing_genes="skip"``), smoothed over each cell's ``smooth_k`` nearest myeloid neighbours
    (UCell SmoothKNN, decay 0.1; PCA of the cells' expression of the default-library genes). A lineage is
    eligible when its smoothed score passes the stage-1 bar on its own. Monocyte vs dendritic is
    data-relative: each is standardised within the myeloid cells (``(s - median) / sd``) and the eligible one
    with the larger value wins, because the sets differ in scale (monocyte genes such as S100A8 are among the
    most expressed genes of any myeloid cell, and cDC2/DC3 express them too). So it is meant for a myeloid
    compartment with more than one lineage; a lineage without positive evidence is never called from the
    z-scale alone. Macrophage vs monocyte is absolute: macrophage when eligible and its score exceeds the
    monocyte score. With fewer than 50 myeloid cells monocyte vs dendritic is also decided on
    the smoothed scores. Everything is deterministic (no random numbers).

    A :class:`~tamclass._errors.TamclassWarning` names the identity sets with fewer than half of their genes
    in the data (gene-filtered matrices). Validated on PBMC 3k (monocytes vs rest F1 0.98) and Hao 2021
    PBMC / pbmc68k_reduced (see ``benchmarks/RESULTS.md``).

    Parameters
    ----------
    adata
        Cells x genes, raw counts or log-normalised (see :func:`tamclass.tl.score`).
    groupby
        Optional ``obs`` column of clusters (e.g. an over-clustered leiden). Like CellTypist's majority
        voting, every cell of a cluster gets the cluster's majority call when that call holds at least
        ``min_fraction`` of its cells and is the unique maximum; ties and weaker majorities keep the
        per-cell calls.
    key_added
        Prefix of the keys written.
    min_score, margin
        Identity score floor and required lead over the negative lineages (UCell units).
    min_fraction
        Majority fraction needed to smooth a cluster (only with ``groupby``).
    smooth_k
        Nearest neighbours for the stage-2 score smoothing (0 = per-cell scores, no smoothing).
    layer, use_raw, gene_symbols, species, random_state, progress
        Passed to :func:`tamclass.tl.score` when the scores must be computed.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    None, or the AnnData when ``copy=True``. Writes

    * ``obs[f"{key_added}_celltype"]``: categorical with categories macrophage, monocyte, dendritic, other;
    * ``obs[f"{key_added}_is_macrophage"]``: bool;
    * ``uns[key_added]["gate"]``: the rule, thresholds, smoothing parameters, lineage mode with the
      per-lineage centre / scale, per-set gene coverage, set names, score source, counts per cell type
      and the per-cluster vote table (with ``groupby``).

    Examples
    --------
    >>> import scanpy as sc, tamclass as tc
    >>> adata = sc.datasets.pbmc68k_reduced()
    >>> tc.tl.gate(adata)
    >>> adata.obs["tamclass_celltype"].value_counts()          # doctest: +SKIP
    >>> adata.obs["tamclass_is_macrophage"].sum()              # doctest: +SKIP
    >>> adata.uns["tamclass"]["gate"]["counts"]                # doctest: +SKIP
    >>> adata.uns["tamclass"]["gate"]["lineage_mode"]          # doctest: +SKIP
    'relative'
    """
    import tamclass as tc

    from .._data import extract_genes
    from ..classifier._gating import (
        CELLTYPES,
        coverage_normalise,
        knn_smooth,
        lineage_rule,
        majority_vote,
        myeloid_mask,
        pca_embedding,
    )
    from ..classifier._scores import compute_scores

    _check_adata(adata)
    if copy:
        if adata.isbacked:
            raise InputError("copy=True is not supported for an AnnData opened with backed='r' (it would load the "
                             "whole matrix); use copy=False (results go to the in-memory obs/obsm/uns) or "
                             "adata.to_memory() first.")
        adata = adata.copy()
    for name, val in (("min_score", min_score), ("margin", margin), ("min_fraction", min_fraction)):
        if not isinstance(val, (int, float)) or not np.isfinite(val):
            raise InputError(f"{name} must be a finite number, got {val!r}.")
    if isinstance(smooth_k, bool) or not isinstance(smooth_k, (int, np.integer)) or smooth_k < 0:
        raise InputError(f"smooth_k must be a non-negative integer (0 = no smoothing), got {smooth_k!r}.")
    if not 0.0 <= min_fraction <= 1.0:
        raise InputError(f"min_fraction must be between 0 and 1, got {min_fraction!r}.")
    if groupby is not None and groupby not in adata.obs.columns:
        raise InputError(f"groupby={groupby!r} is not an obs column; available: {list(adata.obs.columns)[:20]}.")
    k_type, k_mac = f"{key_added}_celltype", f"{key_added}_is_macrophage"
    check_no_clobber(adata, key_added, "gate", obs_cols=(k_type, k_mac))

    table = tc.signatures.available()
    missing_id = [s for s in IDENTITY_SETS if s not in table.index]
    if missing_id:
        raise InputError(f"the signature library lacks the identity sets {missing_id}; reinstall tamclass.")
    names = list(IDENTITY_SETS) + negative_sets(table)
    optional = [n for n in OPTIONAL_NEGATIVE_SETS if n in table.index]
    scores, source = compute_scores(
        adata, names, key=key_added, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols, species=species,
        random_state=random_state, progress=progress, optional=optional,
    )
    neg_sets = [str(c) for c in scores.columns[4:]]
    S = scores.to_numpy(dtype=np.float64)
    if not np.isfinite(S[:, :4]).any():
        raise InputError("none of the identity signatures could be scored (too few of their genes in the data); "
                         "check that var_names are gene symbols (or pass gene_symbols=) and species.")
    n_total, n_present, max_rank = _coverage(adata, key_added, source, list(scores.columns), layer=layer,
                                             use_raw=use_raw, gene_symbols=gene_symbols, species=species)
    _warn_coverage(n_total, n_present)
    # stage 1 (myeloid or not): scores as computed (absent genes imputed -> conservative)
    mono = np.fmax(S[:, 1], S[:, 2])
    neg = np.fmax.reduce(S[:, 4:], axis=1) if neg_sets else np.zeros(adata.n_obs)
    myeloid = myeloid_mask(np.column_stack([S[:, 0], mono, S[:, 3]]), neg, min_score=min_score, margin=margin)
    # stage 2 (which lineage): coverage-normalised, kNN-smoothed, standardised within the myeloid cells
    cols = list(scores.columns)
    C = coverage_normalise(S, [n_total[c] for c in cols], [n_present[c] for c in cols], max_rank)
    lin = np.column_stack([C[:, 0], np.fmax(C[:, 1], C[:, 2]), C[:, 3]])
    negC = np.where(np.isfinite(C[:, 4:]), C[:, 4:], 0.0)
    neg_c = negC.max(axis=1) if negC.shape[1] else np.zeros(adata.n_obs)
    n_smoothed = 0
    if smooth_k > 0 and myeloid.sum() > 1:
        genes = sorted({g for sig in tc.signatures.load("default", species=species).values() for g in sig.genes})
        X, _, _ = extract_genes(adata, genes, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols,
                                    species=species, progress=progress)
        emb = pca_embedding(X[myeloid], N_PCS)
        del X
        sm = knn_smooth(np.column_stack([lin[myeloid], neg_c[myeloid]]), emb, k=int(smooth_k), decay=SMOOTH_DECAY,
                        max_reference=MAX_SMOOTH_REFERENCE)
        lin[myeloid], neg_c[myeloid] = sm[:, :3], sm[:, 3]
        n_smoothed = int(myeloid.sum())
    codes, lin_info = lineage_rule(lin, neg_c, myeloid, min_score=min_score, margin=margin, min_cells=MIN_CELLS)
    vote_table = None
    if groupby is not None:
        codes, vote_table = majority_vote(codes, adata.obs[groupby].to_numpy(), min_fraction=min_fraction)
    labels = pd.Categorical.from_codes(codes, categories=list(CELLTYPES))
    adata.obs[k_type] = pd.Categorical(labels, categories=list(CELLTYPES))
    adata.obs[k_mac] = np.asarray(codes == 0, dtype=bool)
    counts = {c: int((codes == i).sum()) for i, c in enumerate(CELLTYPES)}
    info = {
        "rule": RULE,
        "min_score": float(min_score),
        "margin": float(margin),
        "smooth_k": int(smooth_k),
        "smooth_decay": SMOOTH_DECAY,
        "n_pcs": N_PCS,
        "n_smoothed": n_smoothed,
        "smooth_max_reference": MAX_SMOOTH_REFERENCE,
        "min_cells_relative": MIN_CELLS,
        "lineage_mode": lin_info["mode"],
        "lineage_centre": lin_info["centre"],
        "lineage_scale": lin_info["scale"],
        "lineages": ["macrophage", "monocyte", "dendritic"],
        "n_myeloid": lin_info["n_myeloid"],
        "coverage": {c: {"n_present": int(n_present[c]), "n_total": int(n_total[c])} for c in cols},
        "max_rank": int(max_rank),
        "identity_sets": list(IDENTITY_SETS),
        "negative_sets": neg_sets,
        "score_method": "rank",
        "scores_from": source,
        "groupby": groupby if groupby is not None else "",
        "min_fraction": float(min_fraction),
        "counts": counts,
        "n_cells": int(adata.n_obs),
        "library_version": str(_library_version()),
    }
    if vote_table is not None:
        info["votes"] = vote_table
    uns = adata.uns.get(key_added)
    if not isinstance(uns, dict):
        uns = {}
    uns["gate"] = info
    adata.uns[key_added] = uns
    logger.info(f"gate: {counts}")
    return adata if copy else None


def _coverage(adata, key, source, names, *, layer, use_raw, gene_symbols, species):
    """Per set: genes in the signature, genes present in the data, and the UCell max_rank of the scores.

    Taken from ``uns[key]["score"]`` when the scores were reused from ``obsm`` and it records them;
    otherwise counted on the matrix that is scored."""
    import tamclass as tc

    from ..classifier._scores import genes_present

    n_total, n_present, max_rank = {}, {}, 1500
    if source.startswith("obsm"):
        rec = adata.uns.get(key, {}).get("score", {}) if isinstance(adata.uns.get(key), dict) else {}
        sig_rec = rec.get("signatures", {}) if isinstance(rec, dict) else {}
        params = rec.get("params", {}) if isinstance(rec, dict) else {}
        if isinstance(params, dict) and "max_rank" in params:
            max_rank = int(params["max_rank"])
        for n in names:
            entry = sig_rec.get(n) if isinstance(sig_rec, dict) else None
            if isinstance(entry, dict) and "genes_used" in entry and "genes_missing" in entry:
                n_present[n] = len(list(entry["genes_used"]))
                n_total[n] = n_present[n] + len(list(entry["genes_missing"]))
    todo = [n for n in names if n not in n_total]
    if todo:
        sigs = tc.signatures.load(todo, species=species)
        present, _ = genes_present(adata, sigs, layer=layer, use_raw=use_raw, gene_symbols=gene_symbols,
                                   species=species)
        for n, sig in sigs.items():
            n_total[n] = len(dict.fromkeys((*sig.up, *sig.down)))
            n_present[n] = int(present[n])
    return n_total, n_present, max_rank


def _warn_coverage(n_total, n_present) -> None:
    import warnings

    from .._errors import TamclassWarning

    poor = [f"{n} {n_present[n]}/{n_total[n]}" for n in IDENTITY_SETS
            if n in n_total and n_present[n] < MIN_COVERAGE * n_total[n]]
    if poor:
        warnings.warn(
            f"gate: identity signatures poorly covered by the data's genes (present/total): {', '.join(poor)}. "
            "Lineage calls (macrophage / monocyte / dendritic) then rest on few genes; check var_names are gene "
            "symbols (or pass gene_symbols=/species=) and that the matrix is not gene-filtered.",
            TamclassWarning,
            stacklevel=3,
        )


def _library_version() -> str:
    try:
        import tamclass as tc

        v = getattr(tc.signatures, "LIBRARY_VERSION", None)
        return str(v) if v else "unknown"
    except Exception:  # pragma: no cover
        return "unknown"
