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
    used when the gate scores internally, and from stored scores only if present) (scores already in ``obsm[f"{key_added}_scores"]`` from the rank method are reused;
    otherwise they are computed internally and *not* written). Then, per cell (scGate-style positive /
    negative gating, Andreatta et al. 2022):

    * myeloid when ``max(identity) >= min_score`` and ``max(identity) - max(negative) >= margin``;
    * a myeloid cell is ``macrophage``, ``monocyte`` or ``dendritic`` by its highest identity score
      (either monocyte set counts as monocyte); all others are ``other``.

    The thresholds are fixed on the UCell scale (0-1, ``max_rank=1500``) so the call does not depend on
    which other cells are in the dataset; the defaults were validated on PBMC 3k, Hao 2021 PBMC and
    pbmc68k_reduced (monocytes F1 >= 0.9, <= 2% of T/B/NK cells called myeloid; see tests).

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
    layer, use_raw, gene_symbols, species, random_state, progress
        Passed to :func:`tamclass.tl.score` when the scores must be computed.
    copy
        Return a modified copy instead of writing into ``adata``.

    Returns
    -------
    None, or the AnnData when ``copy=True``. Writes

    * ``obs[f"{key_added}_celltype"]``: categorical with categories macrophage, monocyte, dendritic, other;
    * ``obs[f"{key_added}_is_macrophage"]``: bool;
    * ``uns[key_added]["gate"]``: thresholds, set names, score source, counts per cell type and the
      per-cluster vote table (with ``groupby``).

    Examples
    --------
    >>> import scanpy as sc, tamclass as tc
    >>> adata = sc.datasets.pbmc68k_reduced()
    >>> tc.tl.gate(adata)
    >>> adata.obs["tamclass_celltype"].value_counts()          # doctest: +SKIP
    >>> adata.obs["tamclass_is_macrophage"].sum()              # doctest: +SKIP
    >>> adata.uns["tamclass"]["gate"]["counts"]                # doctest: +SKIP
    """
    import tamclass as tc

    from ..classifier._gating import CELLTYPES, gate_rule, majority_vote
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
    mac, mono_c, mono_nc, dc = (S[:, i] for i in range(4))
    mono = np.fmax(mono_c, mono_nc)
    neg = np.fmax.reduce(S[:, 4:], axis=1) if neg_sets else np.zeros(adata.n_obs)
    if not np.isfinite(S[:, :4]).any():
        raise InputError("none of the identity signatures could be scored (too few of their genes in the data); "
                         "check that var_names are gene symbols (or pass gene_symbols=) and species.")
    codes = gate_rule(mac, mono, dc, neg, min_score=min_score, margin=margin)
    vote_table = None
    if groupby is not None:
        codes, vote_table = majority_vote(codes, adata.obs[groupby].to_numpy(), min_fraction=min_fraction)
    labels = pd.Categorical.from_codes(codes, categories=list(CELLTYPES))
    adata.obs[k_type] = pd.Categorical(labels, categories=list(CELLTYPES))
    adata.obs[k_mac] = np.asarray(codes == 0, dtype=bool)
    counts = {c: int((codes == i).sum()) for i, c in enumerate(CELLTYPES)}
    info = {
        "rule": "myeloid if max(identity) >= min_score and max(identity) - max(negative) >= margin; "
                "then argmax of macrophage / monocyte / dendritic identity scores",
        "min_score": float(min_score),
        "margin": float(margin),
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


def _library_version() -> str:
    try:
        import tamclass as tc

        v = getattr(tc.signatures, "LIBRARY_VERSION", None)
        return str(v) if v else "unknown"
    except Exception:  # pragma: no cover
        return "unknown"
