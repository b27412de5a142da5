"""The macrophage gate's decision rule and cluster majority vote. Pure numpy/pandas/scikit-learn, no AnnData.

Two stages (UCell scores in [0, 1]):

**Stage 1, myeloid or not** (scGate-like positive / negative gating; Andreatta et al. 2022,
Bioinformatics 38:2642, who gate UCell scores at 0.2), on the UCell scores as computed (absent genes
imputed at ``max_rank``, so poorly covered sets are shrunk -- conservative for a positive call):

1. identity = max(Macrophage_identity, Monocyte_classical, Monocyte_nonclassical, Dendritic_cell);
   negative = max over the negative-lineage sets (T, B, NK, plasma, epithelial, fibroblast, endothelial, ...).
2. A cell is myeloid when identity >= ``min_score`` AND identity - negative >= ``margin``.

**Stage 2, which myeloid lineage** (macrophage / monocyte / dendritic), among the stage-1 myeloid cells:

1. *Coverage-normalised scores*: every set is re-expressed as its UCell score over the genes present
   in the data (pyucell's ``missing_genes="skip"``; exact conversion, :func:`coverage_normalise`),
   so a set with 2 of 10 genes in the data is not structurally capped below a set with 10 of 10.
2. *kNN smoothing* (UCell's SmoothKNN, Andreatta & Carmona 2021 / pyucell ``smooth_knn_scores``:
   weights ``(1 - decay)^i`` over the cell itself and its ``k`` nearest neighbours) among the myeloid
   cells, in a PCA of their expression of the signature-library genes: sets with 2-3 present genes
   are noisy per cell (dropouts), their neighbourhood average is not. Beyond 10,000 myeloid cells the
   neighbours come from a systematic 10,000-cell subsample (``MAX_SMOOTH_REFERENCE`` in tl/_gate.py).
3. *Lineage call*: a lineage is *eligible* when its own smoothed score passes the stage-1 bar
   (``s >= min_score`` and ``s - smoothed negative >= margin``).
   Monocyte vs dendritic is data-relative: each is standardised within the myeloid compartment,
   ``z = (s - median) / sd``, and the eligible one with the larger z wins, because the two sets live on
   different scales (S100A8/9, FCN1, LYZ are among the most expressed genes of any myeloid cell and are
   also expressed by cDC2/DC3 -- Villani et al. 2017 Science 356:eaah4573; Dutertre et al. 2019 Immunity
   51:573 -- while the dendritic-cell genes are not); eligibility keeps a compartment without dendritic
   cells from getting any from the z-scale alone.
   Macrophage vs monocyte is absolute: macrophage when eligible and its score exceeds the monocyte
   score (both abundant programmes of one differentiation continuum, on one scale; a z-scale would turn
   the noise of an absent lineage, e.g. macrophages in blood, into calls).
   No eligible lineage: the largest smoothed score. With fewer than ``min_cells`` myeloid cells the
   z-scale is not estimated and monocyte vs dendritic is also absolute (``"absolute"`` mode).

Everything else is "other". All steps are deterministic (exact neighbours, eigen-decomposition PCA
with fixed signs; no random numbers).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

CELLTYPES = ("macrophage", "monocyte", "dendritic", "other")


def myeloid_mask(ident, neg, *, min_score: float, margin: float) -> np.ndarray:
    """Stage 1: ``ident`` (cells x identity sets) and ``neg`` (cells,) -> bool mask of myeloid cells."""
    ident = np.asarray(ident, dtype=np.float64)
    ident = np.where(np.isfinite(ident), ident, -np.inf)
    neg = np.asarray(neg, dtype=np.float64)
    neg = np.where(np.isfinite(neg), neg, 0.0)
    best = ident.max(axis=1)
    return (best >= min_score) & (best - neg >= margin)


def gate_rule(mac, mono, dc, neg, *, min_score: float, margin: float) -> np.ndarray:
    """Stage 1 plus the *absolute* lineage call (argmax of the given identity scores): integer codes
    into :data:`CELLTYPES`. Kept for stored-score workflows and as the small-compartment fallback."""
    ident = np.column_stack([mac, mono, dc]).astype(np.float64)
    myeloid = myeloid_mask(ident, neg, min_score=min_score, margin=margin)
    ident = np.where(np.isfinite(ident), ident, -np.inf)
    codes = np.where(myeloid, ident.argmax(axis=1), 3)
    return codes.astype(np.int64)


def coverage_normalise(scores, n_total, n_present, max_rank: int = 1500) -> np.ndarray:
    """UCell scores computed with absent genes imputed at ``max_rank`` -> scores over the present genes.

    For a set of ``n`` genes of which ``p`` are in the data, the imputed rank sum is
    ``R = n(n+1)/2 + (1 - U)(n * max_rank - n(n+1)/2)``; the present genes' rank sum is
    ``R_p = R - (n - p) * max_rank`` and the coverage-normalised score is
    ``1 - (R_p - p(p+1)/2) / (p * max_rank - p(p+1)/2)`` (pyucell ``missing_genes="skip"``).
    ``scores``: cells x sets; ``n_total``/``n_present``: per set. Sets with ``p == 0`` give NaN,
    ``p == n`` leaves the scores unchanged. Results are clipped to [0, 1]."""
    S = np.asarray(scores, dtype=np.float64)
    n = np.asarray(n_total, dtype=np.float64)
    p = np.asarray(n_present, dtype=np.float64)
    m = float(max_rank)
    smin_n, smin_p = n * (n + 1) / 2.0, p * (p + 1) / 2.0
    R = smin_n + (1.0 - S) * (n * m - smin_n)
    Rp = R - (n - p) * m
    denom = p * m - smin_p
    with np.errstate(invalid="ignore", divide="ignore"):
        out = 1.0 - (Rp - smin_p) / denom
    out = np.where((p > 0) & (denom > 0), out, np.nan)
    out = np.where(p == n, S, out)
    return np.clip(out, 0.0, 1.0)


def pca_embedding(X: np.ndarray, n_comps: int = 20, clip: float = 10.0) -> np.ndarray:
    """Principal components of ``X`` (cells x genes) after per-gene standardisation (clipped at
    +-``clip``, as scanpy's ``scale(max_value=10)``). Eigen-decomposition of the gene covariance, signs
    fixed so the largest-magnitude loading of each component is positive: deterministic."""
    X = np.asarray(X, dtype=np.float64)
    if X.shape[0] < 2 or X.shape[1] == 0:
        return np.zeros((X.shape[0], 0))
    X = X - X.mean(axis=0)
    sd = X.std(axis=0)
    X = X / np.where(sd > 1e-8, sd, 1.0)
    np.clip(X, -clip, clip, out=X)
    cov = X.T @ X / X.shape[0]
    _, V = np.linalg.eigh(cov)
    k = int(min(n_comps, X.shape[1], X.shape[0] - 1))
    V = V[:, ::-1][:, :k]
    V = V * np.sign(V[np.abs(V).argmax(axis=0), np.arange(k)])
    return X @ V


def knn_smooth(values: np.ndarray, embedding: np.ndarray, *, k: int = 10, decay: float = 0.1,
               max_reference: int | None = 10_000) -> np.ndarray:
    """UCell SmoothKNN: each row of ``values`` (cells x columns) becomes the weighted mean over the cell
    and its ``k`` nearest neighbours in ``embedding`` (Euclidean, exact), weight ``(1 - decay)^i`` for the
    i-th nearest (the cell itself is i = 0). NaN values count as 0.

    With more than ``max_reference`` cells the neighbours are searched among a systematic subsample of
    ``max_reference`` of them (every ``n / max_reference``-th cell; no random numbers), which bounds the
    exact search at ``n x max_reference`` distances; the cell itself still comes first."""
    from sklearn.neighbors import NearestNeighbors

    values = np.nan_to_num(np.asarray(values, dtype=np.float64))
    n = values.shape[0]
    kk = int(min(k + 1, n))
    if kk <= 1 or embedding.shape[1] == 0:
        return values
    if max_reference is None or n <= max_reference:
        nn = NearestNeighbors(n_neighbors=kk - 1).fit(embedding)
        _, others = nn.kneighbors()  # no query argument: a point is not returned as its own neighbour
    else:
        ref = np.unique(np.linspace(0, n - 1, int(max_reference)).round().astype(np.int64))
        nn = NearestNeighbors(n_neighbors=min(kk, len(ref))).fit(embedding[ref])
        _, idx = nn.kneighbors(embedding)
        glob = ref[idx]
        is_self = glob == np.arange(n)[:, None]
        order = np.argsort(is_self, axis=1, kind="stable")  # the cell itself (if found) moves to the end
        others = np.take_along_axis(glob, order, axis=1)[:, : kk - 1]
    idx = np.column_stack([np.arange(n), others])
    w = (1.0 - decay) ** np.arange(idx.shape[1])
    w = w / w.sum()
    out = np.zeros_like(values)
    for j in range(idx.shape[1]):
        out += w[j] * values[idx[:, j]]
    return out


def lineage_rule(ident, neg, myeloid, *, min_score: float, margin: float, min_cells: int = 50):
    """Stage 2 on (already coverage-normalised and smoothed) lineage scores.

    ``ident``: cells x 3 (macrophage, monocyte, dendritic); ``neg``: cells; ``myeloid``: stage-1 mask.

    * eligible lineage: score >= ``min_score`` and score - ``neg`` >= ``margin``;
    * monocyte vs dendritic: the eligible one with the larger ``z = (s - median) / sd`` over the myeloid
      cells (``"relative"`` mode; with fewer than ``min_cells`` myeloid cells, the larger score:
      ``"absolute"`` mode);
    * macrophage when eligible and its score exceeds the monocyte score (absolute: both are abundant
      lineage programmes of one differentiation continuum, on the same scale);
    * no eligible lineage: the largest score.

    Returns ``(codes, info)``; codes index :data:`CELLTYPES` (non-myeloid -> 3, "other"); info has the
    mode and the monocyte / dendritic centre and scale used."""
    A = np.asarray(ident, dtype=np.float64)
    A = np.where(np.isfinite(A), A, -np.inf)
    neg = np.nan_to_num(np.asarray(neg, dtype=np.float64))
    myeloid = np.asarray(myeloid, dtype=bool)
    eligible = (A >= min_score) & (A - neg[:, None] >= margin)
    n_my = int(myeloid.sum())
    md = A[:, 1:]
    if n_my >= max(int(min_cells), 2):
        M = md[myeloid]
        M = np.where(np.isfinite(M), M, np.nan)
        with np.errstate(all="ignore"):
            centre = np.nanmedian(M, axis=0)
            scale = np.nanstd(M, axis=0)
        centre = np.where(np.isfinite(centre), centre, 0.0)
        scale = np.where(np.isfinite(scale) & (scale > 1e-12), scale, 1.0)
        Z = (md - centre) / scale
        mode = "relative"
    else:
        centre, scale = np.zeros(2), np.ones(2)
        Z = md
        mode = "absolute"
    Z = np.where(eligible[:, 1:], Z, -np.inf)
    any_md = eligible[:, 1:].any(axis=1)
    call = np.where(any_md, Z.argmax(axis=1) + 1, 1)
    mac = eligible[:, 0] & ((A[:, 0] > A[:, 1]) | ~any_md)
    call = np.where(mac, 0, call)
    call = np.where(eligible.any(axis=1), call, A.argmax(axis=1))
    codes = np.where(myeloid, call, 3).astype(np.int64)
    info = {"mode": mode, "centre": [float(c) for c in centre], "scale": [float(s) for s in scale],
            "n_myeloid": n_my}
    return codes, info


def majority_vote(codes: np.ndarray, groups, *, min_fraction: float) -> tuple[np.ndarray, pd.DataFrame]:
    """CellTypist-style smoothing: every cell of a group gets the group's majority call when that call
    holds >= ``min_fraction`` of the group's cells and is the unique maximum; otherwise (a tie or a
    too-small majority) the group's cells keep their per-cell calls.

    Returns the smoothed codes and a per-group table (n_cells, majority, fraction, smoothed)."""
    groups = pd.Series(pd.Categorical(groups)).reset_index(drop=True)
    out = codes.copy()
    rows = []
    for g in groups.cat.categories:
        idx = np.flatnonzero((groups == g).to_numpy())
        if len(idx) == 0:
            continue
        counts = np.bincount(codes[idx], minlength=len(CELLTYPES))
        top = counts.max()
        winners = np.flatnonzero(counts == top)
        frac = top / len(idx)
        smoothed = len(winners) == 1 and frac >= min_fraction
        if smoothed:
            out[idx] = winners[0]
        rows.append(
            {"group": str(g), "n_cells": len(idx), "majority": CELLTYPES[winners[0]] if len(winners) == 1 else "tie",
             "fraction": float(frac), "smoothed": bool(smoothed)}
        )
    return out, pd.DataFrame(rows, columns=["group", "n_cells", "majority", "fraction", "smoothed"])
