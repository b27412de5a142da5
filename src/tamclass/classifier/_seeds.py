"""Training-set capping for the classifier (the training cells themselves are the evidence calls of
:func:`tamclass.tl.classify`, Garnett-style: Pliner et al. 2019, Nat Methods 16:983). Pure numpy, no AnnData.
"""

from __future__ import annotations

import numpy as np


def cap_per_class(labels: np.ndarray, max_per_class: int | None, rng: np.random.Generator) -> np.ndarray:
    """Indices of seed cells with at most ``max_per_class`` of each class (random, seeded)."""
    idx = []
    for c in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == c)
        if max_per_class is not None and len(members) > max_per_class:
            members = np.sort(rng.choice(members, size=max_per_class, replace=False))
        idx.append(members)
    return np.sort(np.concatenate(idx)) if idx else np.zeros(0, dtype=np.int64)
