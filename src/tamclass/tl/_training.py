"""Training a :class:`tamclass.Model` from labelled cells, shared by ``tl.train`` and ``tl.classify``.

Cap the cells per class (seeded), fit the network (:mod:`tamclass.classifier._fit`) with a
:class:`~tamclass.classifier._config.TrainingConfig`, and assemble the model with its provenance. The
training cells of :func:`tamclass.tl.classify` are its evidence calls (Garnett-style seeds: Pliner et al.
2019, Nat Methods 16:983). Pure numpy here except for the fit itself.
"""

from __future__ import annotations

import numpy as np

from ._common import library_version

#: the fit results both tools record in ``model.metadata["training"]``, in this order
FIT_METRICS = (
    "ece_uncalibrated",
    "ece_calibrated",
    "held_out_accuracy",
    "n_train",
    "n_calibration",
    "n_evaluation",
    "ece_calibration_part",
)


def cap_per_class(labels: np.ndarray, max_per_class: int | None, rng: np.random.Generator) -> np.ndarray:
    """Indices of seed cells with at most ``max_per_class`` of each class (random, seeded)."""
    idx = []
    for c in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == c)
        if max_per_class is not None and len(members) > max_per_class:
            members = np.sort(rng.choice(members, size=max_per_class, replace=False))
        idx.append(members)
    return np.sort(np.concatenate(idx)) if idx else np.zeros(0, dtype=np.int64)


def fit_capped(X, y, n_classes: int, config, *, random_state: int, device, progress):
    """Cap ``y``'s classes at ``config.max_per_class`` (seeded), fit; returns (capped indices, fit dict)."""
    from ..classifier._fit import fit_classifier

    idx = cap_per_class(y, config.max_per_class, np.random.default_rng(random_state))
    fit = fit_classifier(
        X[idx], y[idx], n_classes, **config.fit_kwargs(), seed=random_state, device=device, progress=progress
    )
    return idx, fit


def fit_metrics(fit: dict) -> dict:
    """The held-out calibration and accuracy numbers of a fit (:data:`FIT_METRICS`)."""
    return {name: fit[name] for name in FIT_METRICS}


def build_model(fit: dict, *, genes, classes, kind: str, species: str, training: dict):
    """The :class:`tamclass.Model` of a fit, with the package and library versions and ``training`` metadata."""
    from .._version import __version__
    from ..classifier._model import Model

    return Model(
        genes=genes,
        classes=classes,
        weights=fit["weights"],
        mean=fit["mean"],
        scale=fit["scale"],
        temperature=fit["temperature"],
        kind=kind,
        species=species,
        metadata={"tamclass_version": __version__, "library_version": library_version(), "training": training},
    )
