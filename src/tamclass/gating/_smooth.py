"""The PCA embedding and UCell-style kNN smoothing of the gating scores. Pure numpy / scikit-learn.

Panels with two or three genes in the data are noisy per cell (dropouts); their average over a cell's
nearest neighbours is not (UCell SmoothKNN, Andreatta & Carmona 2021, pyucell ``smooth_knn_scores``).
Everything is deterministic: exact neighbours, eigen-decomposition PCA with fixed signs.
"""

from __future__ import annotations

import numpy as np


def pca_embedding(X: np.ndarray, n_comps: int = 20, clip: float = 10.0) -> np.ndarray:
    """Principal components of ``X`` (cells x genes) after per-gene standardisation.

    Values are clipped at +-``clip``, as scanpy's ``scale(max_value=10)``. Eigen-decomposition of the gene
    covariance, signs fixed so the largest-magnitude loading of each component is positive: deterministic.
    """
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


def knn_smooth(
    values: np.ndarray, embedding: np.ndarray, *, k: int = 10, decay: float = 0.1, max_reference: int | None = 10_000
) -> np.ndarray:
    """UCell SmoothKNN.

    Each row of ``values`` (cells x columns) becomes the weighted mean over the cell and its ``k`` nearest
    neighbours in ``embedding`` (Euclidean, exact), weight ``(1 - decay)^i`` for the i-th nearest (the cell itself
    is i = 0). NaN values count as 0.

    With more than ``max_reference`` cells the neighbours are searched among a systematic subsample of
    ``max_reference`` of them (every ``n / max_reference``-th cell; no random numbers), which bounds the
    exact search at ``n x max_reference`` distances; the cell itself still comes first.
    """
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
